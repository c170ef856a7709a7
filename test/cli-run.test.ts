/**
 * The program run the way `pulumi up` runs it: the language host's entry point, flags and
 * environment, the runtime options of Pulumi.yaml (tsx, no ts-node), gRPC to the stand-in engine. The bring-up
 * converges without a warning, and a config typo is one report with no stack trace and nothing
 * registered. The in-process mocks see exactly what this engine sees.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  languageHostArgs,
  languageHostConfig,
  languageHostLaunch,
  runLikeCli,
  runtimeOptions,
  type CliRun,
} from "../automation/simulated/language-host";
import { runProgram } from "../tools/engine/mock-run";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { cnShanghaiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT, programProject } from "./fixtures/project";

/** The program with the fixture's stacks, as the language host runs it in the project's folder. */
const PROGRAM = programProject();

const CN = "organization/mesh/cn-shanghai";
const WUXI = "organization/mesh/wuxi";
const userVisible = (run: CliRun) =>
  run.diagnostics.filter((d) => d.severity !== "debug" && d.severity !== "info").map(({ after: _, ...d }) => d);
const created = (run: CliRun) => run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");

describe("the language host's command line", () => {
  it("builds PULUMI_CONFIG as <namespace>:config:<name>, structured values as JSON", () => {
    assert.deepEqual(languageHostConfig({ "mesh:meshId": "mesh1", "mesh:peers": [WUXI], "alicloud:region": "cn-shanghai" }), {
      "mesh:config:meshId": "mesh1",
      "mesh:config:peers": JSON.stringify([WUXI]),
      "alicloud:config:region": "cn-shanghai",
    });
  });

  it("passes the flags constructArguments passes, the entry point last", () => {
    const args = languageHostArgs({
      address: "127.0.0.1:1",
      organization: "organization",
      project: "mesh",
      stack: "wuxi",
      rootDirectory: "/p",
      programDirectory: "/p",
      preview: true,
      parallel: 16,
    });
    assert.match(args[0]!, /node_modules\/@pulumi\/pulumi\/cmd\/run\/index\.js$/);
    assert.deepEqual(args.slice(1), [
      "--monitor",
      "127.0.0.1:1",
      "--engine",
      "127.0.0.1:1",
      "--organization",
      "organization",
      "--project",
      "mesh",
      "--root-directory",
      "/p",
      "--stack",
      "wuxi",
      "--pwd",
      "/p",
      "--dry-run",
      "--parallel",
      "16",
      ".",
    ]);
  });
});

describe("the language host's runtime options (parseOptions, execRuntime)", () => {
  it("starts the program with node --import tsx, and without ts-node, as Pulumi.yaml asks", () => {
    assert.deepEqual(runtimeOptions(PROJECT_DIR), { packagemanager: "npm", typescript: false, nodeargs: "--import tsx" });
    assert.deepEqual(languageHostLaunch(runtimeOptions(PROJECT_DIR)), { nodeArgs: ["--import", "tsx"], env: {} });
  });

  it("without options: ts-node compiles the program (PULUMI_NODEJS_TYPESCRIPT=true), no node arguments", () => {
    assert.deepEqual(languageHostLaunch({}), { nodeArgs: [], env: { PULUMI_NODEJS_TYPESCRIPT: "true" } });
    assert.deepEqual(languageHostLaunch({ tsconfig: "tsconfig.pulumi.json", nodeargs: " --max-old-space-size=4096  --import tsx " }), {
      nodeArgs: ["--max-old-space-size=4096", "--import", "tsx"],
      env: { PULUMI_NODEJS_TYPESCRIPT: "true", PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" },
    });
  });

  it("refuses what the language host refuses, and quoting it would split differently", () => {
    assert.throws(() => languageHostLaunch({ typescript: "no" }), { message: "typescript option must be a boolean" });
    assert.throws(() => languageHostLaunch({ nodeargs: ["--import", "tsx"] }), { message: "nodeargs option must be a string" });
    assert.throws(() => languageHostLaunch({ nodeargs: "--title 'a b'" }), /quotes and backslashes are not supported here/);
  });
});

describe("a bring-up as pulumi up runs it", () => {
  const outputs: Record<string, Record<string, unknown>> = { [CN]: {}, [WUXI]: {} };
  const runs: CliRun[] = [];
  before(async () => {
    for (const stack of ["cn-shanghai", "wuxi", "cn-shanghai"]) {
      const run = await runLikeCli({ projectDir: PROGRAM, stack, peerOutputs: outputs });
      assert.equal(run.exitCode, 0, run.stderr);
      outputs[`organization/mesh/${stack}`] = { ...run.outputs };
      runs.push(run);
    }
  });

  it("the anchor's first run says only that wuxi is pending", () => {
    assert.deepEqual(
      userVisible(runs[0]!).map((d) => `${d.severity}: ${d.message}`),
      [
        "warning: peer organization/mesh/wuxi has not exported clusterName, network, meshId, trustRoot, remoteSecret yet, so cn-shanghai does not read it: run pulumi up -s wuxi, then pulumi up -s cn-shanghai again",
      ],
    );
    assert.equal(created(runs[0]!).length, 30);
  });

  it("wuxi converges on its first run: no warning, and no output it does not have", () => {
    const run = runs[1]!;
    assert.deepEqual(userVisible(run), []);
    assert.equal(run.stderr, "");
    assert.equal(created(run).length, 25);
    assert.deepEqual(Object.keys(run.outputs).sort(), [
      "apiServer",
      "clusterName",
      "eastWestGateway",
      "istioVersion",
      "meshId",
      "network",
      "peers",
      "remoteSecret",
      "services",
      "trustRoot",
    ]);
    assert.deepEqual([...run.secretOutputs], ["remoteSecret"]);
    assert.deepEqual(run.outputs.peers, [{ stack: CN, cluster: "cn-shanghai", status: "linked" }]);
  });

  it("the anchor's second run links wuxi without a warning, its secrets secret as the engine receives them", () => {
    const run = runs[2]!;
    assert.deepEqual(userVisible(run), []);
    assert.equal(created(run).length, 32);
    assert.deepEqual([...run.secretOutputs].sort(), ["kubeconfig", "remoteSecret", "trustRootKey"]);
    assert.deepEqual(run.outputs.peers, [{ stack: WUXI, cluster: "wuxi", status: "linked" }]);
    assert.equal(run.outputs.clusterName, "cn-shanghai");
  });

  it("registers exactly what the in-process mocks register, with the same inputs and options", async () => {
    const mocked = await runProgram({ projectDir: FIXTURE_PROJECT, stack: "cn-shanghai", peerOutputs: outputs });
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    const viaCli = created(runs[2]!);
    assert.deepEqual(viaCli.map(key).sort(), mocked.registrations.map(key).sort());
    for (const r of viaCli) {
      const m = mocked.registrations.find((x) => key(x) === key(r))!;
      assert.deepEqual(
        { inputs: r.inputs, protect: r.protect, retainOnDelete: r.retainOnDelete, read: r.read },
        { inputs: m.inputs, protect: m.protect, retainOnDelete: m.retainOnDelete, read: m.read },
        key(r),
      );
    }
  });
});

describe("a config typo as pulumi up reports it", () => {
  let run: CliRun;
  before(async () => {
    run = await runLikeCli({
      projectDir: PROGRAM,
      stack: "wuxi",
      peerOutputs: { [CN]: {} },
      override: { "mesh:eastWestGateway": { service: { tpye: "NodePort" } } },
    });
  });

  it("ends with the exit code that tells the CLI the user has been told", () => {
    assert.equal(run.exitCode, 32);
  });

  it("shows exactly the report, with no stack trace anywhere", () => {
    assert.deepEqual(userVisible(run), [
      {
        severity: "error",
        message:
          "1 configuration problem; nothing was deployed:\n  - mesh:eastWestGateway.service.tpye: unknown key\n    fix: did you mean type?",
        urn: "",
      },
    ]);
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "");
    assert.ok(!run.diagnostics.some((d) => /\n\s+at /.test(d.message)), "a stack frame reached the engine");
  });

  it("registers nothing but the stack itself", () => {
    assert.deepEqual(
      run.registrations.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });
});

describe("a stack named in config that does not exist", () => {
  let run: CliRun;
  before(async () => {
    run = await runLikeCli({ projectDir: PROGRAM, stack: "wuxi", peerOutputs: {} });
  });

  it("is one report naming both config paths and the fix, with no stack trace", () => {
    assert.equal(run.exitCode, 32);
    assert.deepEqual(
      userVisible(run).map((d) => `${d.severity}: ${d.message}`),
      [
        "error: mesh:trust.rootStack and mesh:peers[0] name the stack organization/mesh/cn-shanghai, which cannot be read: it does not exist on this backend, or the name is wrong\n    fix: create it (pulumi stack init organization/mesh/cn-shanghai, then pulumi up -s cn-shanghai), or correct the name in this stack's file (pulumi stack ls lists the stacks)",
      ],
    );
    assert.equal(run.stderr, "");
  });

  it("registers nothing but the stack itself", () => {
    assert.deepEqual(
      run.registrations.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });
});

/**
 * A misspelt stack next to a readable one. The SDK's read of a missing stack rejects the reference's
 * outputs and also raises unhandled rejections of the same error (pulumi/pulumi
 * sdk/nodejs/runtime/resource.ts `readResource`: `resolveURN`/`resolveOutputs` with `err`, and
 * `runAsyncResourceOp`), which the language host reports, frames and all, as soon as the microtask
 * queue is empty — here while the readable stack's answer is still on its way.
 */
describe("a misspelt stack named next to a readable one", () => {
  const MISSPELT = "organization/mesh/cn-shanghia";
  const fix = `fix: create it (pulumi stack init ${MISSPELT}, then pulumi up -s cn-shanghia), or correct the name in this stack's file (pulumi stack ls lists the stacks)`;
  const cases = [
    {
      what: "a second peer",
      override: { "mesh:peers": [CN, MISSPELT] },
      report: `error: mesh:peers[1] names the stack ${MISSPELT}, which cannot be read: it does not exist on this backend, or the name is wrong\n    ${fix}`,
    },
    {
      what: "the trust anchor, the peer being readable",
      override: { "mesh:trust": { rootStack: MISSPELT } },
      report: `error: mesh:trust.rootStack names the stack ${MISSPELT}, which cannot be read: it does not exist on this backend, or the name is wrong\n    ${fix}`,
    },
  ];
  for (const c of cases) {
    describe(c.what, () => {
      let run: CliRun;
      before(async () => {
        run = await runLikeCli({ projectDir: PROGRAM, stack: "wuxi", peerOutputs: { [CN]: cnShanghaiOutputs() }, override: c.override });
      });

      it("is one report naming its config path and the fix, with no stack trace, and exit code 32", () => {
        assert.deepEqual(
          userVisible(run).map((d) => `${d.severity}: ${d.message}`),
          [c.report],
        );
        assert.equal(run.exitCode, 32);
        assert.equal(run.stderr, "");
        assert.ok(!run.diagnostics.some((d) => /\n\s+at /.test(d.message)), "a stack frame reached the engine");
      });

      it("registers nothing but the stack and the references it read", () => {
        assert.deepEqual(
          run.registrations.filter((r) => !r.read).map((r) => r.type),
          ["pulumi:pulumi:Stack"],
        );
      });
    });
  }
});
