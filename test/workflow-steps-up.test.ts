/**
 * up.yml's own shell steps, run as GitHub runs them in a copy of the project with a third stack file
 * (`ci-fixture-third`): each kubeconfig secret given by the name its plan job derived, the previews
 * compared with what was reviewed, converge and verify. A stand-in `pulumi` records what it is asked.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runInNewContext } from "node:vm";
import { composeComment, summarizePreview } from "../plan/comment";
import { preview } from "./fixtures/previews";
import { wf, workflowProject } from "./fixtures/workflow-project";

/**
 * The workflows' own shell steps, run with bash as GitHub runs them (`bash --noprofile --norc -eo pipefail`)
 * in a copy of the project, with a stand-in `pulumi` on PATH that records what it is asked and prints a
 * preview's JSON.
 */
describe("up.yml's steps: the third stack is applied with no workflow edited, each secret by the name its plan job derived", () => {
  let dir: string;
  let bin: string;
  const { setUp, step, bash, lines, fakePulumi } = workflowProject();
  before(() => {
    ({ dir, bin } = setUp());
  });

  /** up.yml's plan job: the kubeconfig secrets' names, as its converge job is given them. */
  const slotNames = (): string => {
    const out = join(dir, "github-output-slots");
    writeFileSync(out, "");
    const r = bash(step("up.yml", "plan", /^The kubeconfig secrets/).run, { GITHUB_OUTPUT: out });
    assert.equal(r.code, 0, r.out);
    return lines(out).kubeconfigs!;
  };

  /** GitHub's listing of this workflow's runs, as the converge job's script writes it. */
  const mergeRun = (n: number, conclusion: string | null, status = "completed") => ({
    run_number: n,
    html_url: `https://github.com/acme/mesh/actions/runs/${5000 + n}`,
    head_sha: `${n}`.padEnd(40, "c"),
    status,
    conclusion,
    display_title: `Merge pull request #${n} from acme/change-${n}`,
  });
  const verify = (reviewed: string, previewJson: string, org = "organization", runs: object[] = [mergeRun(6, "success")]) => {
    writeFileSync(join(dir, "reviewed.md"), reviewed);
    writeFileSync(join(dir, "runs.json"), JSON.stringify(runs));
    fakePulumi(previewJson);
    const out = join(dir, "verify-output");
    writeFileSync(out, "");
    const r = bash(step("up.yml", "converge", /^Preview now/).run, { GITHUB_OUTPUT: out, MESH_PULUMI_ORG: org, GITHUB_RUN_NUMBER: "7" });
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
  it("a merge whose previews hold the changes of runs GitHub cancelled while they waited stops, naming those runs and what to do", () => {
    // pull request 7's comment reviewed wuxi's update; run 6 (another pull request) was cancelled while waiting, and its change is on main too
    const reviewed = composeComment({ wuxi: summarizePreview(preview.update) }, "");
    const runs = [mergeRun(8, null, "queued"), mergeRun(7, null, "in_progress"), mergeRun(6, "cancelled"), mergeRun(5, "success")];
    const r = verify(reviewed, preview.update, "organization", runs);
    assert.equal(r.code, 1);
    assert.deepEqual(r.outputs, {});
    const [drift, explanation] = r.out.split(/(?=::error::)/);
    assert.match(
      drift!,
      /^the previews differ from what was reviewed:\n {2}ci-fixture-third: not reviewed; its preview now shows create 0, update 1/,
    );
    assert.match(
      explanation!,
      /^::error::GitHub cancelled 1 earlier merge run of this workflow while it waited .*Re-run the cancelled runs, oldest first, then re-run this one/,
    );
    assert.match(
      explanation!,
      /\nthe merge runs cancelled before this one, oldest first:\n {2}run 6, commit 6c{11}: Merge pull request #6 from acme\/change-6 \(https:\/\/github\.com\/acme\/mesh\/actions\/runs\/5006\)\n/,
    );
    // the run before converged: the comparison's own report only
    const plain = verify(reviewed, preview.update, "organization", [mergeRun(6, "success")]);
    assert.equal(plain.code, 1);
    assert.ok(!plain.out.includes("::error::GitHub cancelled"), plain.out);
    // the previews agree: a cancelled run before changes nothing
    const all = Object.fromEntries(THREE.map((st) => [st, summarizePreview(preview.update)]));
    const ok = verify(composeComment(all, ""), preview.update, "organization", runs);
    assert.equal(ok.code, 0, ok.out);
    assert.deepEqual(ok.outputs, { outcome: "apply" });
    assert.ok(!ok.out.includes("cancelled"), ok.out);
  });

  it("up.yml's script lists the workflow's runs on main into runs.json, and only warns when GitHub will not list them", async () => {
    const s = (wf("up.yml").jobs.converge.steps as { uses?: string; with?: { script?: string } }[]).find((x) =>
      x.with?.script?.includes("listWorkflowRuns"),
    );
    assert.equal(s?.uses, "actions/github-script@v7");
    const fs = { writeFileSync: (f: string, text: string) => writeFileSync(join(dir, f), text) };
    const warnings: string[] = [];
    const calls: object[] = [];
    const run = (list: (q: object) => Promise<unknown>): Promise<void> =>
      // as actions/github-script runs a script: the body of an async function of github, context, core, require
      runInNewContext(`(async () => {\n${s.with!.script!}\n})()`, {
        github: { rest: { actions: { listWorkflowRuns: list } } },
        context: { repo: { owner: "acme", repo: "mesh" } },
        core: { warning: (m: string) => warnings.push(m) },
        require: (m: string) => (m === "fs" ? fs : assert.fail(m)),
      });
    const listed = { ...mergeRun(6, "cancelled"), id: 99, head_commit: { message: "Merge pull request #6\n\nbody" }, actor: {} };
    await run((q) => {
      calls.push(q);
      return Promise.resolve({ data: { total_count: 1, workflow_runs: [listed] } });
    });
    // objects made in the script's context: compared by value
    assert.deepEqual(JSON.parse(JSON.stringify(calls)), [
      { owner: "acme", repo: "mesh", workflow_id: "up.yml", branch: "main", event: "push", per_page: 50 },
    ]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "runs.json"), "utf8")), [mergeRun(6, "cancelled")]);
    assert.deepEqual(warnings, []);
    await run(() => Promise.reject(new Error("Resource not accessible by integration")));
    assert.equal(readFileSync(join(dir, "runs.json"), "utf8"), "[]");
    assert.deepEqual(warnings, [
      "the workflow's earlier runs could not be listed (Resource not accessible by integration): a comparison that fails cannot say whether a cancelled run caused it",
    ]);
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
