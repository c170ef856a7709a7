/**
 * preview.yml's own shell steps, run as GitHub runs them in a copy of the project made a git repository
 * with a pull request on it and a third stack file (`ci-fixture-third`): the pull request's stack files
 * are staged as data on the base program, put in the matrix and previewed with no workflow edited, and a
 * pull request that changes the program takes the approved path. A stand-in `pulumi` records what it is asked.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { reviewedSummaries, summarizePreview } from "../plan/comment";
import { preview } from "./fixtures/previews";
import { declared, wf, workflowProject } from "./fixtures/workflow-project";

/**
 * The workflows' own shell steps, run with bash as GitHub runs them (`bash --noprofile --norc -eo pipefail`)
 * in a copy of the project, with a stand-in `pulumi` on PATH that records what it is asked and prints a
 * preview's JSON.
 */
describe("preview.yml's steps: the third stack file is staged as data, put in the matrix and previewed with no workflow edited", () => {
  let dir: string;
  const { setUp, step, bash, lines, fakePulumi, git, checkoutPr, mark: MARK } = workflowProject();
  let baseSha: string;
  let prSha: string;
  before(() => {
    ({ dir, baseSha, prSha } = setUp());
  });

  it("preview.yml's plan job previews a pull request of stack files with main's program and tooling, its files read as data", () => {
    const out = join(dir, "github-output");
    writeFileSync(out, "");
    const program = readFileSync(join(dir, "index.ts"), "utf8");
    const r1 = bash(step("preview.yml", "plan", /^Stage/).run, { GITHUB_OUTPUT: out, MAIN_SHA: baseSha });
    assert.equal(r1.code, 0, r1.out);
    assert.match(
      r1.out,
      /preview path: config\n {2}Pulumi\.ci-fixture-third\.yaml: stack ci-fixture-third, read as data by main's program\n/,
    );
    assert.equal(lines(out).path, "config");
    // the base branch's program and tools, the pull request's stack file
    assert.equal(
      readFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), "utf8"),
      git(["show", `${prSha}:Pulumi.ci-fixture-third.yaml`]) + "\n",
    );
    assert.equal(readFileSync(join(dir, "index.ts"), "utf8"), program);
    assert.equal(readFileSync(join(dir, "tools/ci/stacks.ts"), "utf8"), git(["show", `${baseSha}:tools/ci/stacks.ts`]) + "\n");
    const r2 = bash(step("preview.yml", "plan", /^The stacks/).run, { GITHUB_OUTPUT: out });
    assert.equal(r2.code, 0, r2.out);
    assert.equal(lines(out).valid, "true");
    assert.ok(!existsSync(MARK()), "nothing of the pull request ran");
    // the preview job makes the same reading before any secret is used, and leaves no data folder behind
    const r3 = bash(step("preview.yml", "preview", /^Stage/).run, { MAIN_SHA: baseSha });
    assert.equal(r3.code, 0, r3.out);
    assert.ok(!existsSync(join(dir, "pr-data")));
    assert.ok(!existsSync(MARK()));
    checkoutPr();
    git(["checkout", "-q", "Pulumi.ci-fixture-third.yaml"]);
  });

  it("a pull request that changes the program is the code path: previewed only under preview-code, once approved", () => {
    const out = join(dir, "github-output-code");
    writeFileSync(out, "");
    git(["checkout", "-q", prSha], join(dir, "pr-data"));
    writeFileSync(join(dir, "pr-data", "index.ts"), `${readFileSync(join(dir, "pr-data", "index.ts"), "utf8")}\n// changed\n`);
    git(["commit", "-qam", "program"], join(dir, "pr-data"));
    const r = bash(step("preview.yml", "plan", /^Stage/).run, { GITHUB_OUTPUT: out, MAIN_SHA: baseSha });
    assert.equal(r.code, 0, r.out);
    assert.equal(lines(out).path, "code");
    assert.match(r.out, /index\.ts: a file the program, its policy pack or its install reads/);
    // the preview job's config-path check stops a pull request that changed since it was planned
    const again = bash(step("preview.yml", "preview", /^Stage/).run, { MAIN_SHA: baseSha });
    assert.equal(again.code, 1);
    assert.match(again.out, /::error::the pull request changed since it was planned/);
    assert.ok(!existsSync(MARK()));
    checkoutPr();
    git(["checkout", "-q", "Pulumi.ci-fixture-third.yaml"]);
  });

  it("a pull request whose stack file main changed since is not previewed: the comment names the file and says to merge main", () => {
    // main edits the third stack's file after the pull request left it
    const third = readFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), "utf8");
    writeFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), third.replace("externalIPs: [10.28.10.196]", "externalIPs: [10.28.10.197]"));
    git(["commit", "-qam", "main moves on"]);
    const mainSha = git(["rev-parse", "HEAD"]);
    const onMain = readFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), "utf8");
    try {
      checkoutPr();
      const out = join(dir, "github-output-behind");
      writeFileSync(out, "");
      const r = bash(step("preview.yml", "plan", /^Stage/).run, { GITHUB_OUTPUT: out, MAIN_SHA: mainSha });
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(lines(out), { path: "behind" });
      assert.match(r.out, /preview path: behind\n {2}Pulumi\.ci-fixture-third\.yaml: main changed it after this branch left main/);
      // nothing staged: main's copy stays, with main's edit
      assert.equal(readFileSync(join(dir, "Pulumi.ci-fixture-third.yaml"), "utf8"), onMain);
      // no preview job runs for it, and the comment says why
      const ifPreview = wf("preview.yml").jobs.preview.if as string;
      assert.ok(!ifPreview.includes("'behind'"));
      const r2 = bash(step("preview.yml", "comment", /^Compose the comment/).run, {
        MAIN_SHA: mainSha,
        STACKS: JSON.stringify(["ci-fixture-third", "cn-shanghai", "wuxi"]),
        PREVIEW_PATH: "behind",
        GITHUB_STEP_SUMMARY: join(dir, "summary-behind.md"),
      });
      assert.equal(r2.code, 0, r2.out);
      const comment = readFileSync(join(dir, "comment.md"), "utf8");
      assert.match(
        comment,
        /### How this was previewed\n\nMain changed a stack file this pull request changes after the branch left main: .*so nothing was previewed\. Merge main into the branch \(or rebase it on main\) and push/,
      );
      assert.match(comment, /- Pulumi\.ci-fixture-third\.yaml: main changed it after this branch left main/);
      assert.deepEqual(
        Object.values(reviewedSummaries(comment)!).map((p) => p.status),
        ["failed", "failed", "failed"],
      );
      // the tooling refuses to stage onto a commit other than the one it compared with
      checkoutPr();
      const wrong = bash(step("preview.yml", "plan", /^Stage/).run, { GITHUB_OUTPUT: out, MAIN_SHA: baseSha });
      assert.equal(wrong.code, 2);
      assert.match(
        wrong.out,
        new RegExp(`^ci-stage: \\. has ${mainSha} checked out, not ${baseSha}: check out the commit given as <main-sha>\n$`),
      );
    } finally {
      git(["reset", "-q", "--hard", baseSha]);
      checkoutPr();
    }
  });

  const THREE = ["ci-fixture-third", "cn-shanghai", "wuxi"];

  it("preview.yml's plan job puts every stack file in the matrix, with the one runner-label and secret convention", () => {
    const out = join(dir, "github-output");
    writeFileSync(out, "");
    const r = bash(step("preview.yml", "plan", /^The stacks/).run, { GITHUB_OUTPUT: out });
    assert.equal(r.code, 0, r.out);
    const o = lines(out);
    assert.deepEqual(JSON.parse(o.matrix!), {
      include: [
        { stack: "ci-fixture-third", runner: "mesh-ci-fixture-third", ack: false, kubeconfig: "CI_FIXTURE_THIRD_KUBECONFIG" },
        { stack: "cn-shanghai", runner: "mesh-cn-shanghai", ack: true, kubeconfig: "" },
        { stack: "wuxi", runner: "mesh-wuxi", ack: false, kubeconfig: "WUXI_KUBECONFIG" },
      ],
    });
    assert.deepEqual(JSON.parse(o.stacks!), THREE);
    for (const m of (JSON.parse(o.matrix!) as { include: { runner: string }[] }).include)
      assert.ok(declared(m.runner), `${m.runner} in actionlint.yaml`);
    assert.ok(declared("mesh-ops"));
  });

  it("preview.yml's comment, composed by main's tooling, carries the third stack's preview and says how it was previewed", () => {
    fakePulumi(preview.create);
    for (const s of ["cn-shanghai", "ci-fixture-third"]) writeFileSync(join(dir, `preview-${s}.json`), preview.create);
    rmSync(join(dir, "preview-wuxi.json"), { force: true });
    // wuxi's preview job left no JSON: it shows as failed, not as "no change"
    const summary = join(dir, "summary.md");
    const r = bash(step("preview.yml", "comment", /^Compose the comment/).run, {
      MAIN_SHA: baseSha,
      STACKS: JSON.stringify(THREE),
      PREVIEW_PATH: "config",
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(r.code, 0, r.out);
    const comment = readFileSync(join(dir, "comment.md"), "utf8");
    assert.deepEqual(reviewedSummaries(comment), {
      "cn-shanghai": summarizePreview(preview.create),
      "ci-fixture-third": summarizePreview(preview.create),
      wuxi: { create: 0, update: 0, replace: 0, delete: 0, status: "failed" },
    });
    assert.equal(readFileSync(join(dir, "label.txt"), "utf8"), "mesh: changes");
    assert.match(comment, /### How this was previewed\n\nOnly stack files changed: each stack was previewed by main's program/);
    // the staged stack file's change, computed by the base tooling against the base commit
    assert.match(comment, /### Mesh change against [0-9a-f]{40}: ci-fixture-third changed/);
    assert.ok(!existsSync(MARK()));
    assert.ok(!existsSync(join(dir, "pr-data")));
    checkoutPr();
    git(["checkout", "-q", "Pulumi.ci-fixture-third.yaml"]);
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
      STACKS: JSON.stringify(["cn-shanghai", "ci-fixture-third", "wuxi"]),
      MESH_PULUMI_ORG: "acme",
      PATH: `${fake}:${process.env.PATH}`,
      ...x,
    });
    const r = bash(run, env({ FAKE_MISSING: "acme/mesh/ci-fixture-third" }), ["-e"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.out,
      "::error::stack acme/mesh/ci-fixture-third does not exist on the backend, and a preview never creates one: run pulumi stack init acme/mesh/ci-fixture-third --secrets-provider passphrase (docs/running.md#adding-a-cluster), then re-run this workflow\n",
    );
    assert.deepEqual(bash(run, env({}), ["-e"]), { code: 0, out: "" });
    const down = bash(run, env({ FAKE_DOWN: "1" }), ["-e"]);
    assert.equal(down.code, 1);
    assert.equal(down.out, "error: failed to load checkpoint: blob (code=Unknown): access denied\n", "another failure is the CLI's own");
  });
});
