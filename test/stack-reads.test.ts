/**
 * Reads of stack outputs for the API: reused for their time to live and version, shared while in
 * flight, capped in number, failures kept as long; and the production engine's read never creates a
 * stack (against the stand-in CLI).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StackOutput } from "../automation/engine";
import { MeshError } from "../automation/types";
import { StackReads } from "../server/stack-reads";
import { standIn } from "./fixtures/stand-in-root";

type Outputs = Readonly<Record<string, StackOutput>>;

/** An engine whose reads wait until released, counting them. */
function heldEngine() {
  const calls: string[] = [];
  const held: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  return {
    calls,
    get peak() {
      return peak;
    },
    release: () => held.splice(0).forEach((r) => r()),
    outputs: (stack: string): Promise<Outputs> => {
      const n = calls.push(stack);
      peak = Math.max(peak, ++running);
      return new Promise((resolve, reject) =>
        held.push(() => {
          running--;
          if (stack === "missing") reject(new MeshError("not_found", "stack organization/mesh/missing does not exist"));
          else resolve({ clusterName: { value: `${stack} #${n}`, secret: false } });
        }),
      );
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("stack reads", () => {
  it("share one engine read per stack while it is in flight, and run at most `concurrency` at once", async () => {
    const engine = heldEngine();
    const reads = new StackReads(engine, { concurrency: 2 });
    const all = ["a", "b", "c", "a", "b", "c", "a"].map((s) => reads.outputs(s, "v1"));
    await tick();
    assert.deepEqual(engine.calls, ["a", "b"]);
    assert.deepEqual(reads.load, { running: 2, waiting: 1 });
    while (engine.calls.length < 3 || reads.load.running > 0) {
      engine.release();
      await tick();
    }
    const values = (await Promise.all(all)).map((o) => o.clusterName!.value);
    assert.deepEqual(values, ["a #1", "b #2", "c #3", "a #1", "b #2", "c #3", "a #1"]);
    assert.equal(engine.peak, 2);
  });

  it("reuse an answer for its time to live and version; a failure is kept as long", async () => {
    let now = 0;
    const engine = heldEngine();
    const reads = new StackReads(engine, { ttlMs: 1000, now: () => now });
    const first = reads.outputs("a", "v1");
    const failed = reads.outputs("missing", "v1");
    engine.release();
    await first;
    await assert.rejects(failed, /does not exist/);
    now = 999;
    await reads.outputs("a", "v1");
    await assert.rejects(reads.outputs("missing", "v1"), /does not exist/);
    assert.deepEqual(engine.calls, ["a", "missing"]);
    const byVersion = reads.outputs("a", "v2");
    now = 2000;
    const byTime = reads.outputs("missing", "v1");
    engine.release();
    assert.equal((await byVersion).clusterName!.value, "a #3");
    await assert.rejects(byTime);
    assert.deepEqual(engine.calls, ["a", "missing", "a", "missing"]);
  });
});

describe("the LocalWorkspace engine's read", () => {
  it("selects the stack and never runs stack init: a stack missing in the backend is not_found", async () => {
    const { engine, argv: commands } = standIn("missing");
    await assert.rejects(engine.outputs("wuxi"), (e: unknown) => {
      assert.ok(e instanceof MeshError);
      assert.deepEqual(
        [e.code, e.message],
        [
          "not_found",
          "stack organization/mesh/wuxi does not exist on this backend: mesh up wuxi creates it (pulumi stack ls lists the backend's stacks)",
        ],
      );
      return true;
    });
    const argv = commands();
    assert.ok(
      argv.some((a) => a[0] === "stack" && a[1] === "select"),
      JSON.stringify(argv),
    );
    assert.ok(!argv.some((a) => a[0] === "stack" && a[1] === "init"), JSON.stringify(argv));
  });
});
