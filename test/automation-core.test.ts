/**
 * The automation core over the simulated engine: queueing and coalescing, event mapping and redaction,
 * the store (replay in another process, a live holder left alone), cancellation (queued, running, past the grace period),
 * error mapping, and converge of 2, 3 and 10 stacks (rounds, failure and resume, a settled mesh).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { converge, type ConvergeStack } from "../automation/converge";
import type { OperationOptions, StackEngine } from "../automation/engine";
import { meshEvents } from "../automation/events";
import { Jobs } from "../automation/jobs";
import { openSqlite } from "../automation/store/sqlite";
import { configReport } from "../automation/cli-errors";
import { MemoryEngine, type SimulatedStack } from "../automation/memory-engine";
import { Redactor } from "../automation/redact";
import type { MeshEvent } from "../automation/types";

const mesh = (n: number): SimulatedStack[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `c${i}`,
    anchor: i === 0,
    peers: Array.from({ length: n }, (_, j) => `c${j}`).filter((p) => p !== `c${i}`),
  }));
const storeDir = () => mkdtempSync(join(tmpdir(), "mesh-store-"));
const types = (events: readonly MeshEvent[]) => events.map((e) => e.type);

describe("jobs: one at a time per stack, in order", () => {
  it("queues a second job on a stack until the first ends, and runs other stacks alongside", async () => {
    const engine = new MemoryEngine({ stacks: mesh(2), stepMs: 5 });
    const jobs = new Jobs({ engine });
    const a = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "alice" });
    const b = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "bob" });
    const c = await jobs.submit({ stack: "c1", kind: "preview", requestedBy: "carol" });
    assert.deepEqual([a.state, (await jobs.get(b.id))!.state], ["running", "queued"]);
    const [ra, rb, rc] = await Promise.all([jobs.wait(a.id), jobs.wait(b.id), jobs.wait(c.id)]);
    assert.equal(ra.state, "succeeded");
    assert.ok(rc.startedAt! < ra.finishedAt!, "the other stack's preview ran alongside");
    assert.ok(rb.startedAt! >= ra.finishedAt!, "the second up started after the first ended");
    assert.deepEqual(ra.summary!.changes, { create: 23 });
    assert.deepEqual(rb.summary!.changes, { same: 23 });
    assert.equal(ra.requestedBy, "alice");
  });

  it("coalesces a preview into the same stack's preview that has not started", async () => {
    const engine = new MemoryEngine({ stacks: mesh(2), stepMs: 5 });
    const jobs = new Jobs({ engine });
    const up = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    const p1 = await jobs.submit({ stack: "c0", kind: "preview", requestedBy: "a" });
    const p2 = await jobs.submit({ stack: "c0", kind: "preview", requestedBy: "b" });
    assert.equal(p2.id, p1.id);
    await jobs.wait(p1.id);
    assert.deepEqual(
      engine.calls.map((c) => c.kind),
      ["up", "preview"],
    );
    assert.equal((await jobs.list({ stack: "c0" })).jobs.length, 2);
    void up;
  });
});

describe("events", () => {
  const ctx = () => ({ redactor: new Redactor(["hunter22-passphrase"]), done: 0 });
  const ev = (e: Partial<EngineEvent>): EngineEvent => ({ sequence: 0, timestamp: 0, ...e });
  it("maps resource steps, counts progress, and drops stdout, debug and ephemeral lines", () => {
    const c = ctx();
    const metadata = {
      op: "create",
      urn: "urn:pulumi:wuxi::mesh::kubernetes:core/v1:Namespace::wuxi-istio-system",
      type: "kubernetes:core/v1:Namespace",
      provider: "",
    };
    const out = [
      ev({ stdoutEvent: { message: "Updating (wuxi)", color: "never" } }),
      ev({ resourcePreEvent: { metadata } as never }),
      ev({ resOutputsEvent: { metadata } as never }),
      ev({ resOpFailedEvent: { metadata, status: 1, steps: 1 } as never }),
      ev({ diagnosticEvent: { message: "debug line", color: "never", severity: "debug" as never } }),
      ev({ diagnosticEvent: { message: "working...", color: "never", severity: "info", ephemeral: true } }),
      ev({ summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 1 }, policyPacks: {} } }),
    ].flatMap((e) => meshEvents(e, c));
    assert.deepEqual(out, [
      { type: "resource.started", op: "create", resourceType: "kubernetes:core/v1:Namespace", name: "wuxi-istio-system" },
      { type: "resource.finished", op: "create", resourceType: "kubernetes:core/v1:Namespace", name: "wuxi-istio-system" },
      { type: "progress", done: 1 },
      { type: "resource.failed", op: "create", resourceType: "kubernetes:core/v1:Namespace", name: "wuxi-istio-system" },
      { type: "summary", changes: { create: 1 }, durationSeconds: 3 },
    ]);
  });

  it("says a peer is pending, and a link is established, from what the program reports and creates", () => {
    const c = ctx();
    const pending = meshEvents(
      ev({
        diagnosticEvent: {
          message:
            "\u001b[33mpeer organization/mesh/cn-shanghai has not exported clusterName yet, so wuxi does not read it: run pulumi up -s cn-shanghai, then pulumi up -s wuxi again\u001b[0m\n",
          color: "always",
          severity: "warning",
        },
      }),
      c,
    );
    assert.deepEqual(pending[1], {
      type: "mesh.peerPending",
      peer: "organization/mesh/cn-shanghai",
      next: "pulumi up -s cn-shanghai, then pulumi up -s wuxi again",
    });
    assert.ok(!(pending[0] as { message: string }).message.includes("\u001b"));
    const secret = {
      op: "create",
      urn: "urn:pulumi:wuxi::mesh::mesh:remote:PeerLink$kubernetes:core/v1:Secret::wuxi-cn-shanghai-remote-secret",
      type: "kubernetes:core/v1:Secret",
      provider: "",
      new: {
        inputs: { metadata: { labels: { "istio/multiCluster": "true" }, annotations: { "networking.istio.io/cluster": "cn-shanghai" } } },
      },
    };
    assert.deepEqual(meshEvents(ev({ resOutputsEvent: { metadata: secret } as never }), c).at(-1), {
      type: "mesh.linkEstablished",
      peer: "cn-shanghai",
    });
  });

  it("redacts secrets from every message: known values and what looks like one", () => {
    const r = new Redactor(["hunter22-passphrase"]);
    assert.equal(
      r.redact(
        "passphrase hunter22-passphrase; Authorization: Bearer abcdefgh12345678; https://u:pw@host/x; token: eyJhbGciOi.eyJzdWIiOi.sig; -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- end",
      ),
      "passphrase [secret]; Authorization: Bearer [secret]; https://[secret]@host/x; token: [secret]; [secret] end",
    );
  });

  it("redacts what the engine prints before any client sees it", async () => {
    const engine = new MemoryEngine({ stacks: mesh(1), leakInDiagnostics: "s3cr3t-token-value" });
    const jobs = new Jobs({ engine });
    const j = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    await jobs.wait(j.id);
    const text = JSON.stringify(await jobs.events(j.id));
    assert.ok(!text.includes("s3cr3t-token-value"));
    assert.ok(text.includes("token: [secret]"));
  });
});

describe("the store", () => {
  it("replays a job from any event, in a new process too", async () => {
    const file = join(storeDir(), "jobs.db");
    const jobs = new Jobs({ engine: new MemoryEngine({ stacks: mesh(2) }), store: openSqlite(file) });
    const j = await jobs.submit({ stack: "c1", kind: "up", requestedBy: "a" });
    await jobs.wait(j.id);
    const all = await jobs.events(j.id);
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
    );
    assert.deepEqual(await jobs.events(j.id, 5), all.slice(5));
    const restarted = new Jobs({ engine: new MemoryEngine({ stacks: mesh(2) }), store: openSqlite(file) });
    assert.deepEqual(await restarted.get(j.id), await jobs.get(j.id));
    assert.deepEqual(await restarted.events(j.id, 5), all.slice(5));
    await Promise.all([jobs.close(), restarted.close()]);
  });

  it("leaves a job that another live process is running alone, and refuses that stack to a second process", async () => {
    const file = join(storeDir(), "jobs.db");
    const jobs = new Jobs({ engine: new MemoryEngine({ stacks: mesh(2), stepMs: 50 }), store: openSqlite(file) });
    const running = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    const second = new Jobs({ engine: new MemoryEngine({ stacks: mesh(2) }), store: openSqlite(file) });
    await second.ready();
    while ((await second.get(running.id))!.state === "queued") await new Promise((r) => setTimeout(r, 5));
    assert.equal((await second.get(running.id))!.state, "running");
    await assert.rejects(second.submit({ stack: "c0", kind: "preview", requestedBy: "b" }), {
      code: "busy",
      message: `stack c0 has an up job running in another process (job ${running.id}); wait for it, or cancel it`,
    });
    assert.equal((await jobs.wait(running.id)).state, "succeeded");
    await Promise.all([jobs.close(), second.close()]);
  });
});

describe("cancellation", () => {
  it("cancels a queued job at once and a running one gracefully", async () => {
    const jobs = new Jobs({ engine: new MemoryEngine({ stacks: mesh(1), stepMs: 20 }) });
    const running = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    const queued = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    assert.equal((await jobs.cancel(queued.id)).state, "cancelled");
    await jobs.cancel(running.id);
    const r = await jobs.wait(running.id);
    assert.equal(r.state, "cancelled");
    assert.ok(types(await jobs.events(running.id)).includes("job.cancelling"));
  });

  it("says so, and what to do, when the engine does not stop within the grace period", async () => {
    let release!: () => void;
    const stubborn: StackEngine = {
      run: (_s: string, _k, _o: OperationOptions) => new Promise((resolve) => (release = () => resolve({ changes: {} }))),
      outputs: () => Promise.resolve({}),
      history: () => Promise.resolve([]),
      ensureStacks: () => Promise.resolve([]),
      cancel: () => Promise.resolve(),
    };
    const jobs = new Jobs({ engine: stubborn, cancelGraceMs: 20 });
    const j = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "a" });
    await jobs.cancel(j.id);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal((await jobs.get(j.id))!.state, "running");
    assert.match(
      (await jobs.get(j.id))!.recovery!,
      /has not stopped 0 s after the cancel.*pulumi cancel --stack organization\/mesh\/wuxi --yes/,
    );
    assert.equal((await jobs.events(j.id)).at(-1)!.type, "diagnostic");
    release();
    // the engine finished the operation after all: that is the outcome
    assert.equal((await jobs.wait(j.id)).state, "succeeded");
  });

  it("a cancel during an update's last resource, which then completes, ends succeeded with the update's outputs", async () => {
    const engine = new MemoryEngine({ stacks: mesh(1), stepMs: 30 });
    const jobs = new Jobs({ engine });
    const j = await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" });
    for (;;) {
      const finished = (await jobs.events(j.id)).filter((e) => e.type === "resource.finished").length;
      if (finished === 22) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    // the 23rd (last) resource is being created: the cancel comes too late to stop it
    await jobs.cancel(j.id);
    const r = await jobs.wait(j.id);
    assert.equal(r.state, "succeeded");
    assert.deepEqual(r.summary!.changes, { create: 23 });
    assert.equal(r.error, undefined);
    assert.equal((await engine.outputs("c0")).clusterName!.value, "c0");
    const events = await jobs.events(j.id);
    assert.ok(types(events).indexOf("job.cancelling") < types(events).lastIndexOf("resource.finished"));
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: "job.finished", state: "succeeded" });
  });
});

describe("errors", () => {
  it("a stack locked by another process is a typed busy failure, not a crash", async () => {
    const engine = new MemoryEngine({ stacks: mesh(1) });
    engine.lockByOtherProcess("c0");
    const jobs = new Jobs({ engine });
    const r = await jobs.wait((await jobs.submit({ stack: "c0", kind: "up", requestedBy: "a" })).id);
    assert.equal(r.state, "failed");
    assert.equal(r.error!.code, "busy");
    assert.match(r.error!.message, /locked by another process/);
  });

  it("an unknown stack is not_found", async () => {
    const jobs = new Jobs({ engine: new MemoryEngine({ stacks: mesh(1) }) });
    const r = await jobs.wait((await jobs.submit({ stack: "nope", kind: "preview", requestedBy: "a" })).id);
    assert.deepEqual(r.error, { code: "not_found", message: "stack nope does not exist" });
  });

  it("finds the program's own config report in what the CLI printed", () => {
    const report =
      "2 configuration problems; nothing was deployed:\n  - mesh:cluster.name: cluster name is not a DNS-1123 label\n    fix: use lower-case letters\n  - mesh:peers[0]: organization/mesh/wuxi is this stack itself\n    fix: list only the other clusters' stacks";
    assert.equal(configReport(`Updating (wuxi):\n error: ${report}\n\nResources:\n`), report);
    assert.equal(configReport("error: something else"), undefined);
  });
});

describe("converge", () => {
  const topology = (stacks: SimulatedStack[]): ConvergeStack[] =>
    stacks.map((s) => ({ name: s.name, anchor: s.anchor ?? false, peers: s.peers }));
  for (const n of [2, 3, 10]) {
    it(`settles a fresh mesh of ${n} stacks in 3 rounds, then applies nothing on a second converge`, async () => {
      // round 3: the anchor (its peers exported), and every stack with a peer that exported in round 2
      const third = n === 2 ? 1 : n;
      const engine = new MemoryEngine({ stacks: mesh(n) });
      const jobs = new Jobs({ engine, maxRunning: 4 });
      const first = await converge({ stacks: topology(mesh(n)), jobs, engine, requestedBy: "test" });
      assert.equal(first.state, "settled", first.message);
      assert.deepEqual(
        first.rounds.map((r) => r.jobs.length),
        [1, n - 1, third],
      );
      for (let i = 0; i < n; i++) {
        const peers = (await engine.outputs(`c${i}`)).peers!.value as { status: string }[];
        assert.ok(
          peers.every((p) => p.status === "linked"),
          `c${i} has a pending link`,
        );
      }
      const second = await converge({ stacks: topology(mesh(n)), jobs, engine, requestedBy: "test" });
      assert.equal(second.state, "settled");
      assert.deepEqual(
        second.rounds.map((r) => r.jobs.length),
        [1, n - 1],
      );
      for (const j of second.rounds.flatMap((r) => r.jobs)) assert.deepEqual(Object.keys(j.changes!), ["same"], j.stack);
    });
  }

  it("stops at the round that failed, says what ran and how to resume, and resumes", async () => {
    const engine = new MemoryEngine({ stacks: mesh(3), failures: [{ stack: "c2", kind: "up", call: 1 }] });
    const jobs = new Jobs({ engine });
    const failed = await converge({ stacks: topology(mesh(3)), jobs, engine, requestedBy: "test" });
    assert.equal(failed.state, "failed");
    assert.equal(failed.rounds.length, 2);
    assert.match(
      failed.message,
      /^round 2 \(every other stack, with the anchor's root\): c2 failed \(engine_failed: pulumi up of stack c2 failed; the job's diagnostics say why\)\. c1 ran\. Fix the cause, then resume with mesh converge/,
    );
    const resumed = await converge({ stacks: topology(mesh(3)), jobs, engine, requestedBy: "test" });
    assert.equal(resumed.state, "settled", resumed.message);
  });

  it("stops at its bound, naming the stacks that keep changing, when outputs change on every run", async () => {
    // two stacks minting a new token on every run keep making each other run
    const engine = new MemoryEngine({ stacks: mesh(3), rotating: ["c1", "c2"] });
    const jobs = new Jobs({ engine });
    const r = await converge({ stacks: topology(mesh(3)), jobs, engine, requestedBy: "test", maxRounds: 4 });
    assert.equal(r.state, "bound");
    assert.equal(r.rounds.length, 4);
    assert.match(r.message, /^stopped after 4 rounds with c0, c1, c2 still to run: their peers. outputs change on every run/);
  });
});
