/**
 * The verify job on the Jobs core: its own lease (`*`), so one verify at a time per job store, across
 * processes; no engine slot of `maxRunning`; its events and record redacted like an engine job's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Jobs } from "../automation/jobs";
import { MemoryEngine } from "../automation/memory-engine";
import { openSqlite } from "../automation/store/sqlite";
import { MeshError } from "../automation/types";
import { VerifyJobs, VERIFY_STACK } from "../automation/verify-job";
import type { VerifyReport } from "../verify/types";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { startStandIn, writeKubeconfig } from "./fixtures/kube-api";
import { shanghaiOutputs, shanghaiWorld } from "./fixtures/mesh-worlds";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { ask, CLI_WORDS, SERVER_WORDS, worded, type Ask } from "../verify/fix-words";

const stacks = [
  { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
  { name: "wuxi", peers: ["cn-shanghai"] },
];
const engine = () => new MemoryEngine({ stacks, leakInDiagnostics: "hunter2-engine-secret" });

/** A verify whose clusters never answer until `open()`; no kubeconfig is found, so it ends unreadable. */
function gated(jobs: Jobs): { verify: VerifyJobs; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const verify = new VerifyJobs({
    jobs,
    projectDir: FIXTURE_PROJECT,
    outputs: { outputs: async () => (await gate, {}) },
    // no kubeconfig of this machine's is read
    verifyDeps: { options: { loadDefaultKubeconfig: () => undefined } },
  });
  return { verify, open };
}

describe("the verify job", () => {
  it("one verify per job store: another process's start is busy, naming the running one; free again once it ends", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mesh-verify-job-")), "jobs.db");
    // two processes' stores on one file; in one process a write waits for the other synchronously, so one at a time
    const a = new Jobs({ engine: engine(), store: openSqlite(file) });
    await a.ready();
    const b = new Jobs({ engine: engine(), store: openSqlite(file) });
    await b.ready();
    try {
      const ga = gated(a);
      const gb = gated(b);
      gb.open();
      const first = await ga.verify.start(["wuxi"], "alice");
      assert.equal(first.stack, VERIFY_STACK);
      while ((await b.get(first.id))?.state !== "running") await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(gb.verify.start(["wuxi"], "bob"), (e: unknown) => {
        assert.ok(e instanceof MeshError);
        assert.equal(e.code, "busy");
        assert.equal(e.extra.runningJobId, first.id);
        assert.equal(e.message, `verify job ${first.id} is running in another process: follow it, or wait for it to finish`);
        return true;
      });
      ga.open();
      const done = await a.wait(first.id);
      assert.equal(done.state, "failed");
      assert.equal(done.error?.code, "clusters_unreadable");
      assert.equal(done.verify?.exitCode, 2);
      assert.equal(done.verify?.meaning, "a cluster, or part of one, could not be read");
      await a.close();
      const next = await gb.verify.start(["wuxi"], "bob");
      assert.equal((await b.wait(next.id)).kind, "verify");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("its fixes name the server's settings, never mesh verify's options", async () => {
    const jobs = new Jobs({ engine: engine() });
    try {
      const g = gated(jobs);
      g.open();
      const v = await g.verify.start(["wuxi", "cn-shanghai"], "alice");
      await jobs.wait(v.id);
      const fixes = (await jobs.events(v.id)).flatMap((e) => (e.type === "verify.check" && e.fix ? [`${e.of}: ${e.fix}`] : []));
      // wuxi's context is not in this process's (empty) kubeconfig; cn-shanghai's kubeconfig output is empty
      assert.deepEqual(fixes.sort(), [
        "cn-shanghai: give the portal's server credentials for cn-shanghai: add cn-shanghai=<file> to MESH_VERIFY_KUBECONFIGS, or cn-shanghai=<context> to MESH_VERIFY_CONTEXTS (the server's environment: its operator sets it and restarts it)",
        "wuxi: give the portal's server credentials for wuxi: add wuxi=<context> to MESH_VERIFY_CONTEXTS, or wuxi=<file> to MESH_VERIFY_KUBECONFIGS (the server's environment: its operator sets it and restarts it)",
      ]);
    } finally {
      await jobs.close();
    }
  });

  it("every ask of a fix has words on both faces, and the command line's are mesh verify's options", () => {
    const asks: Ask[] = ["file", "existing-file", "reachable-file", "file-or-context", "context-or-file", "machine", "or-from", "wait"];
    for (const a of asks) {
      const cli = worded(`x ${ask(a, "wuxi")} y`, CLI_WORDS);
      const server = worded(`x ${ask(a, "wuxi")} y`, SERVER_WORDS);
      assert.ok(!/[\uE000\uE001]/.test(cli + server), a);
      assert.doesNotMatch(server, /--kubeconfig|--context|--from|--wait|pass /, a);
      if (a !== "or-from") assert.notEqual(server, cli, a);
    }
    assert.equal(worded(ask("file-or-context", "wuxi"), CLI_WORDS), "pass --kubeconfig wuxi=<file> or --context wuxi=<context>");
  });

  it("takes no engine slot: with maxRunning 1 and a verify running, an up starts and finishes", async () => {
    const jobs = new Jobs({ engine: engine(), maxRunning: 1 });
    try {
      const g = gated(jobs);
      const v = await g.verify.start(["wuxi", "cn-shanghai"], "alice");
      const up = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "bob" });
      assert.equal((await jobs.wait(up.id)).state, "succeeded");
      assert.equal((await jobs.get(v.id))?.state, "running");
      g.open();
      assert.deepEqual((await jobs.wait(v.id)).stacks, ["wuxi", "cn-shanghai"]);
    } finally {
      await jobs.close();
    }
  });

  it("a cancelled verify ends cancelled once its round is over", async () => {
    const jobs = new Jobs({ engine: engine() });
    try {
      const g = gated(jobs);
      const v = await g.verify.start(["wuxi"], "alice");
      while ((await jobs.get(v.id))?.state !== "running") await new Promise((r) => setTimeout(r, 10));
      await jobs.cancel(v.id);
      g.open();
      const done = await jobs.wait(v.id);
      assert.equal(done.state, "cancelled");
      assert.equal(done.error?.code, "cancelled");
      assert.deepEqual(
        (await jobs.events(v.id)).map((e) => e.type).filter((t) => t.startsWith("job.")),
        ["job.queued", "job.started", "job.cancelling", "job.finished"],
      );
    } finally {
      await jobs.close();
    }
  });

  it("its events and record are redacted like any job's; only a verify has work of its own", async () => {
    const jobs = new Jobs({ engine: engine() });
    try {
      const job = await jobs.submit({
        stack: VERIFY_STACK,
        kind: "verify",
        requestedBy: "alice",
        work: ({ emit }) => {
          emit({
            type: "verify.check",
            of: "wuxi",
            cluster: "wuxi",
            code: "MV0001",
            category: "cluster",
            name: "Kubernetes API",
            result: "error",
            detail: "refused: Authorization: Bearer abcdefgh12345678 and hunter2-engine-secret",
          });
          return Promise.resolve({ error: { code: "clusters_unreadable", message: "token=hunter2-engine-secret" } });
        },
      });
      const done = await jobs.wait(job.id);
      const text = JSON.stringify([done, await jobs.events(job.id)]);
      assert.ok(!text.includes("hunter2-engine-secret") && !text.includes("abcdefgh12345678"), text);
      assert.equal(done.error?.message, "token=[secret]");
      await assert.rejects(
        jobs.submit({ stack: "wuxi", kind: "verify", requestedBy: "alice" }),
        /a verify job, and only one, has its own work/,
      );
      const noop = () => Promise.resolve({});
      await assert.rejects(jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "alice", work: noop }), /only one, has its own work/);
    } finally {
      await jobs.close();
    }
  });

  it("names the first findings in the job's error, and says how many more", async () => {
    const { failureOf, summaryOf } = await import("../automation/verify-job");
    const check = (cluster: string, code: string, result: "pass" | "fail") => ({
      code,
      category: "endpoints" as const,
      cluster,
      name: `n${code}`,
      result,
      detail: "",
    });
    const report: VerifyReport = {
      schemaVersion: 1,
      clusters: [
        {
          stack: "wuxi",
          cluster: "wuxi",
          reachable: true,
          requests: 1,
          checks: ["MV0701", "MV0702", "MV0703", "MV0704"].map((c) => check("wuxi", c, "fail")).concat(check("wuxi", "MV0001", "pass")),
        },
      ],
      routing: [],
      summary: { passed: 1, failed: 4, warnings: 0, errors: 0 },
      exitCode: 1,
    };
    assert.deepEqual(failureOf(report), {
      code: "checks_failed",
      message:
        "4 failed: wuxi MV0701 nMV0701; wuxi MV0702 nMV0702; wuxi MV0703 nMV0703; and 1 more (the verify.check events say why and the fix)",
    });
    assert.deepEqual(summaryOf(report), {
      passed: 1,
      failed: 4,
      warnings: 0,
      errors: 0,
      exitCode: 1,
      meaning: "a check failed",
      routing: [],
    });
    assert.equal(failureOf({ ...report, exitCode: 0 }), undefined);
  });
});

describe("the verify job's redactor", () => {
  it("holds every credential verify loads: an API server's 403 that echoes the job's own token reaches no event or record", async () => {
    // a bare token: no pattern knows its shape, only the redactor that was told of it
    const token = "sh7f3k9q2m5x8v1c4b6n0z";
    const sh = await startStandIn(shanghaiWorld(), { token, deny: ["list secrets"], echoToken: true });
    try {
      const dir = mkdtempSync(join(tmpdir(), "mesh-verify-echo-"));
      const kubeconfig = readFileSync(writeKubeconfig(join(dir, "ack"), [{ context: "cn-shanghai", url: sh.url, token }]), "utf8");
      const jobs = new Jobs({ engine: engine() });
      const verify = new VerifyJobs({
        jobs,
        projectDir: PROJECT_DIR,
        outputs: { outputs: (s) => Promise.resolve(s === "cn-shanghai" ? shanghaiOutputs(kubeconfig) : {}) },
        verifyDeps: { options: { loadDefaultKubeconfig: () => undefined, timeoutMs: 2000 } },
      });
      const done = await jobs.wait((await verify.start(["cn-shanghai"], "alice")).id);
      const events = await jobs.events(done.id);
      const text = JSON.stringify({ done, events });
      assert.ok(!text.includes(token), "the token reached the job's events or record");
      const denied = events.find((e) => e.type === "verify.check" && /may not do this/.test(String((e as { detail?: unknown }).detail)));
      assert.ok(denied, text);
      assert.match(String((denied as { detail?: unknown }).detail), /token \[secret\] may not do this/);
    } finally {
      await sh.close();
    }
  });
});
