/**
 * up.yml's own shell steps, run as GitHub runs them in a copy of the project with a third stack file
 * (`ci-fixture-third`): each kubeconfig secret given by the name its plan job derived, the previews
 * compared with what was reviewed, converge and verify. A stand-in `pulumi` records what it is asked.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fromYaml } from "../model/yaml";
import { composeComment, summarizePreview } from "../plan/comment";
import { PROJECT_DIR } from "../tools/engine/mock-run";
import { preview } from "./fixtures/previews";

const DIR = join(PROJECT_DIR, ".github", "workflows");
const wf = (f: string) => fromYaml(readFileSync(join(DIR, f), "utf8")) as any;
/**
 * The workflows' own shell steps, run with bash as GitHub runs them (`bash --noprofile --norc -eo pipefail`)
 * in a copy of the project, with a stand-in `pulumi` on PATH that records what it is asked and prints a
 * preview's JSON.
 */
describe("up.yml's steps: the third stack is applied with no workflow edited, each secret by the name its plan job derived", () => {
  let dir: string;
  let bin: string;
  const THIRD = [
    "config:",
    "  mesh:cluster:",
    "    name: ci-fixture-third",
    "    network: network-ci-fixture-third",
    "    kubeContext: ci-fixture-third",
    "    apiServer: https://10.28.10.10:6443",
    "  mesh:eastWestGateway:",
    "    service:",
    "      type: NodePort",
    "      externalIPs: [10.28.10.196]",
    "      nodePorts:",
    "        tls: 30880",
    "  mesh:peers:",
    "    - organization/mesh/cn-shanghai",
    "    - organization/mesh/wuxi",
    "  mesh:trust:",
    "    rootStack: organization/mesh/cn-shanghai",
    "",
  ].join("\n");
  const step = (f: string, job: string, name: RegExp): { run: string } => {
    const s = (wf(f).jobs[job].steps as { name?: string; run?: string }[]).find((x) => name.test(x.name ?? ""));
    assert.ok(s?.run, `${f} ${job}: no step ${name}`);
    return s as { run: string };
  };
  /** `shell` as GitHub runs a step with `shell: bash`; a step with no `shell` key runs with `bash -e`, without pipefail. */
  const bash = (
    script: string,
    env: Record<string, string>,
    shell = ["--noprofile", "--norc", "-eo", "pipefail"],
  ): { code: number; out: string } => {
    const file = join(dir, `.step-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(file, script);
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env };
    delete childEnv.NODE_OPTIONS;
    delete childEnv.NODE_TEST_CONTEXT;
    // stdout, then what the step said on stderr
    const r = spawnSync("bash", [...shell, file], { cwd: dir, env: childEnv, encoding: "utf8" });
    return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
  };
  /** name=value lines of a GITHUB_OUTPUT / GITHUB_ENV file. */
  const lines = (file: string): Record<string, string> =>
    Object.fromEntries(
      readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  /** The stand-in pulumi prints this preview for every stack. */
  const fakePulumi = (previewJson: string) => {
    writeFileSync(join(dir, "fake-preview.json"), previewJson);
    writeFileSync(join(dir, "pulumi.log"), "");
  };

  const git = (args: string[], cwd = dir) =>
    execFileSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "-c", "init.defaultBranch=main", ...args], {
      cwd,
      encoding: "utf8",
    }).trim();
  /** The base branch's commit, and the pull request's: the third stack's gateway replicas, and a tool of its own that marks it ran. */
  let prSha: string;
  const MARK = () => join(dir, "pr-code-ran");
  const PR_STACK_FILE = () =>
    readFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), "utf8")
      .replace("  mesh:peers:", "  mesh:peers:")
      .replace("        tls: 30880\n", "        tls: 30880\n    replicas: 3\n");
  /** pr-data/ as preview.yml checks it out: the pull request's commit, with history. */
  const checkoutPr = () => {
    rmSync(join(dir, "pr-data"), { recursive: true, force: true });
    git(["clone", "-q", dir, join(dir, "pr-data")]);
    git(["checkout", "-q", prSha], join(dir, "pr-data"));
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mesh-workflows-"));
    cpSync(PROJECT_DIR, dir, { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.git|\.scratch)$/.test(src) });
    symlinkSync(join(PROJECT_DIR, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), THIRD);
    // the other stacks name it as a peer, as docs/running.md's "adding a cluster" says
    for (const [stack, peer] of [
      ["cn-shanghai", "wuxi"],
      ["wuxi", "cn-shanghai"],
    ]) {
      const file = join(dir, `Pulumi.${stack}.yaml`);
      const before = readFileSync(file, "utf8");
      const after = before.replace(
        `    - organization/mesh/${peer}\n`,
        `    - organization/mesh/${peer}\n    - organization/mesh/ci-fixture-third\n`,
      );
      assert.notEqual(after, before, file);
      writeFileSync(file, after);
    }
    writeFileSync(join(dir, ".gitignore"), "node_modules\n.bin\n.select-bin\n.npm-bin\npr-data\n");
    git(["init", "-q"]);
    git(["add", "-A"]);
    git(["commit", "-qm", "base"]);
    git(["checkout", "-qb", "pr"]);
    const prStack = PR_STACK_FILE();
    assert.match(prStack, /replicas: 3/);
    writeFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), prStack);
    // a tool the pull request rewrites: if any step ran the pull request's copy, the mark would appear
    writeFileSync(join(dir, "tools/ci/stacks.ts"), `require("fs").writeFileSync(${JSON.stringify(MARK())}, "ran");\n`);
    writeFileSync(join(dir, "tools/ci/stage.ts"), `require("fs").writeFileSync(${JSON.stringify(MARK())}, "ran");\n`);
    git(["commit", "-qam", "pull request"]);
    prSha = git(["rev-parse", "HEAD"]);
    git(["checkout", "-q", "main"]);
    checkoutPr();
    bin = join(dir, ".bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "pulumi"), `#!/usr/bin/env bash\necho "$*" >> "${dir}/pulumi.log"\ncat "${dir}/fake-preview.json"\n`);
    chmodSync(join(bin, "pulumi"), 0o755);
  });

  /** up.yml's plan job: the kubeconfig secrets' names, as its converge job is given them. */
  const slotNames = (): string => {
    const out = join(dir, "github-output-slots");
    writeFileSync(out, "");
    const r = bash(step("up.yml", "plan", /^The kubeconfig secrets/).run, { GITHUB_OUTPUT: out });
    assert.equal(r.code, 0, r.out);
    return lines(out).kubeconfigs!;
  };

  const verify = (reviewed: string, previewJson: string, org = "organization") => {
    writeFileSync(join(dir, "reviewed.md"), reviewed);
    fakePulumi(previewJson);
    const out = join(dir, "verify-output");
    writeFileSync(out, "");
    const r = bash(step("up.yml", "converge", /^Preview now/).run, { GITHUB_OUTPUT: out, MESH_PULUMI_ORG: org });
    return { ...r, outputs: lines(out), pulumi: readFileSync(join(dir, "pulumi.log"), "utf8") };
  };

  const THREE = ["ci-fixture-third", "cn-shanghai", "wuxi"];

  it("up.yml merges every stack's kubeconfig secret into KUBECONFIG, each given by the name its plan job derived, readable by the runner only", () => {
    const names = slotNames();
    assert.deepEqual(JSON.parse(names), ["CI_FIXTURE_THIRD_KUBECONFIG", "WUXI_KUBECONFIG", "", "", "", "", "", ""]);
    const r1 = bash(step("up.yml", "converge", /^The stacks/).run, {});
    assert.equal(r1.code, 0, r1.out);
    assert.equal(readFileSync(join(dir, "stacks.txt"), "utf8"), `${THREE.join("\n")}\n`);
    const envFile = join(dir, "github-env");
    writeFileSync(envFile, "");
    const run = step("up.yml", "converge", /kubeconfig/).run;
    const slots = { KUBECONFIG_SLOT_NAMES: names, KUBECONFIG_SLOT_1: "ci-fixture-third-kubeconfig", KUBECONFIG_SLOT_2: "wuxi-kubeconfig" };
    const r2 = bash(run, { ...slots, RUNNER_TEMP: dir, GITHUB_ENV: envFile });
    assert.equal(r2.code, 0, r2.out);
    assert.deepEqual(lines(envFile), { KUBECONFIG: `${join(dir, "kubeconfig-ci-fixture-third")}:${join(dir, "kubeconfig-wuxi")}` });
    assert.equal(readFileSync(join(dir, "kubeconfig-ci-fixture-third"), "utf8"), "ci-fixture-third-kubeconfig");
    assert.equal(statSync(join(dir, "kubeconfig-wuxi")).mode & 0o777, 0o600);
    const missing = bash(run, { ...slots, KUBECONFIG_SLOT_1: "", RUNNER_TEMP: dir, GITHUB_ENV: envFile });
    assert.equal(missing.code, 1);
    assert.match(
      missing.out,
      /ci-stacks: no secret CI_FIXTURE_THIRD_KUBECONFIG: add each, a kubeconfig whose context is the stack's mesh:cluster\.kubeContext/,
    );
    // names from another commit's stack files are not trusted to match the slots
    const other = bash(run, {
      ...slots,
      KUBECONFIG_SLOT_NAMES: JSON.stringify(["WUXI_KUBECONFIG", "CI_FIXTURE_THIRD_KUBECONFIG", "", "", "", "", "", ""]),
      RUNNER_TEMP: dir,
      GITHUB_ENV: envFile,
    });
    assert.equal(other.code, 1);
    assert.match(other.out, /ci-stacks: the plan job named the kubeconfig secrets .*: both must read the same commit/);
  });

  it("up.yml previews all three stacks and applies what was reviewed", () => {
    const reviewed = composeComment(
      Object.fromEntries(["cn-shanghai", "ci-fixture-third", "wuxi"].map((s) => [s, summarizePreview(preview.create)])),
      "",
    );
    const r = verify(reviewed, preview.create);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.pulumi, THREE.map((s) => `preview --json --policy-pack policy --stack organization/mesh/${s}\n`).join(""));
    // a Pulumi Cloud organization, from the repository variable MESH_PULUMI_ORG
    const acme = verify(reviewed, preview.create, "acme");
    assert.equal(acme.pulumi, THREE.map((s) => `preview --json --policy-pack policy --stack acme/mesh/${s}\n`).join(""));
    assert.match(r.out, /the previews match what was reviewed/);
    assert.deepEqual(r.outputs, { outcome: "apply" });
    const converge = (wf("up.yml").jobs.converge.steps as { name?: string; if?: string }[]).find((x) => x.name === "Converge");
    assert.equal(converge?.if, "steps.compare.outputs.outcome == 'apply'");
  });

  it("up.yml stops when the third stack's preview was not reviewed", () => {
    const reviewed = composeComment({ "cn-shanghai": summarizePreview(preview.create), wuxi: summarizePreview(preview.create) }, "");
    const r = verify(reviewed, preview.create);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /the previews differ from what was reviewed:\n {2}ci-fixture-third: not reviewed; its preview now shows create 1, update 0, replace 0, delete 0\n/,
    );
    assert.deepEqual(r.outputs, {});
  });

  it("a pull request reviewed as no change (no preview ran) merges as nothing to do, successfully", () => {
    // what ci.yml writes for a pull request that touches no file the program reads
    const readmeOnly = composeComment({}, "");
    const r = verify(readmeOnly, JSON.stringify({ steps: [], changeSummary: { same: 25 } }));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /nothing to do: no stack's preview shows a change, as reviewed/);
    assert.deepEqual(r.outputs, { outcome: "nothing-to-do" });
    // ... and stops if a stack now shows a change nobody reviewed
    const drift = verify(readmeOnly, preview.update);
    assert.equal(drift.code, 1);
    assert.match(drift.out, /wuxi: not reviewed; its preview now shows create 0, update 1, replace 0, delete 0/);
  });
  /** A stand-in npm on PATH: records its arguments, prints a line, exits with FAKE_NPM_EXIT. */
  const fakeNpm = (): { bin: string; log: string } => {
    const npmBin = join(dir, ".npm-bin");
    const log = join(dir, "npm.log");
    mkdirSync(npmBin, { recursive: true });
    writeFileSync(log, "");
    writeFileSync(
      join(npmBin, "npm"),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${log}"\necho "### mesh verify: stand-in report"\nexit "\${FAKE_NPM_EXIT:-0}"\n`,
    );
    chmodSync(join(npmBin, "npm"), 0o755);
    return { bin: npmBin, log };
  };

  it("up.yml's verify step gives each kube-context stack its own kubeconfig file, puts the report in the summary, and fails with verify", () => {
    const r1 = bash(step("up.yml", "converge", /^The stacks/).run, {});
    assert.equal(r1.code, 0, r1.out);
    const envFile = join(dir, "github-env");
    const secrets = { KUBECONFIG_SLOT_1: "ci-fixture-third-kubeconfig-content", KUBECONFIG_SLOT_2: "wuxi-kubeconfig-content" };
    assert.equal(
      bash(step("up.yml", "converge", /kubeconfig/).run, {
        ...secrets,
        KUBECONFIG_SLOT_NAMES: slotNames(),
        RUNNER_TEMP: dir,
        GITHUB_ENV: envFile,
      }).code,
      0,
    );
    const npm = fakeNpm();
    const verifyStep = step("up.yml", "converge", /^Verify/) as { run: string; shell?: string };
    assert.equal(verifyStep.shell, undefined, "so GitHub runs it with bash -e");
    for (const exit of [0, 1, 2]) {
      const summary = join(dir, `summary-${exit}.md`);
      writeFileSync(summary, "### earlier\n");
      const r = bash(
        verifyStep.run,
        { RUNNER_TEMP: dir, GITHUB_STEP_SUMMARY: summary, FAKE_NPM_EXIT: String(exit), PATH: `${npm.bin}:${bin}:${process.env.PATH}` },
        ["-e"],
      );
      assert.equal(r.code, exit, r.out);
      assert.equal(readFileSync(summary, "utf8"), "### earlier\n### mesh verify: stand-in report\n");
      assert.deepEqual(readFileSync(npm.log, "utf8").trim().split("\n"), [
        "run",
        "-s",
        "mesh",
        "--",
        "verify",
        "--wait",
        "10m",
        "--format",
        "markdown",
        "--kubeconfig",
        `ci-fixture-third=${join(dir, "kubeconfig-ci-fixture-third")}`,
        "--kubeconfig",
        `wuxi=${join(dir, "kubeconfig-wuxi")}`,
      ]);
      for (const v of Object.values(secrets)) assert.ok(!r.out.includes(v) && !readFileSync(summary, "utf8").includes(v));
    }
  });

  it("up.yml's converge step fails with converge's exit code, not tee's", () => {
    const npm = fakeNpm();
    const s = step("up.yml", "converge", /^Converge$/);
    const r = bash(s.run, { FAKE_NPM_EXIT: "6", PATH: `${npm.bin}:${bin}:${process.env.PATH}` }, ["-e"]);
    assert.equal(r.code, 6, r.out);
    assert.equal(readFileSync(join(dir, "converge.jsonl"), "utf8"), "### mesh verify: stand-in report\n");
  });
});
