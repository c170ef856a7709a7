/**
 * Converge on a backend that lacks some of the project's stacks (a fresh backend, a cluster being added):
 * a stack naming a peer the backend does not have fails by design, so converge creates every missing
 * stack before its first round, says which, and then settles.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { converge, type ConvergeStack } from "../automation/converge";
import type { StackEngine } from "../automation/engine";
import { Jobs } from "../automation/jobs";
import { MemoryEngine, type SimulatedStack } from "../automation/memory-engine";
import { MeshError } from "../automation/types";

const mesh = (n: number): SimulatedStack[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `c${i}`,
    anchor: i === 0,
    peers: Array.from({ length: n }, (_, j) => `c${j}`).filter((p) => p !== `c${i}`),
  }));
const topology = (stacks: SimulatedStack[]): ConvergeStack[] =>
  stacks.map((s) => ({ name: s.name, anchor: s.anchor ?? false, peers: s.peers }));

describe("the simulated engine's missing stacks", () => {
  it("fails the anchor's run, config_invalid naming each missing peer, as the program does: the deadlock converge avoids", async () => {
    const engine = new MemoryEngine({ stacks: mesh(3), missing: ["c1", "c2"] });
    const jobs = new Jobs({ engine });
    const r = await jobs.wait((await jobs.submit({ stack: "c0", kind: "up", requestedBy: "test" })).id);
    assert.equal(r.state, "failed");
    assert.equal(r.error?.code, "config_invalid");
    assert.equal(
      r.error?.report,
      "2 configuration problems; nothing was deployed:\n" +
        "  - c0: the stack organization/mesh/c1 cannot be read: it does not exist on this backend\n    fix: create it (pulumi stack init organization/mesh/c1)\n" +
        "  - c0: the stack organization/mesh/c2 cannot be read: it does not exist on this backend\n    fix: create it (pulumi stack init organization/mesh/c2)",
    );
    await assert.rejects(engine.outputs("c1"), (e: unknown) => e instanceof MeshError && e.code === "not_found");
    assert.deepEqual(await engine.ensureStacks(["c0", "c1", "c2"]), ["c1", "c2"]);
    assert.deepEqual(await engine.outputs("c1"), {});
    assert.deepEqual(await engine.ensureStacks(["c0", "c1", "c2"]), []);
  });
});

describe("converge creates the stacks the backend lacks before round 1", () => {
  it("a fresh backend: creates every stack, says so, and settles in 3 rounds", async () => {
    const engine = new MemoryEngine({ stacks: mesh(3), missing: ["c0", "c1", "c2"] });
    const jobs = new Jobs({ engine });
    const created: (readonly string[])[] = [];
    const r = await converge({ stacks: topology(mesh(3)), jobs, engine, requestedBy: "test", onCreated: (s) => created.push(s) });
    assert.equal(r.state, "settled", r.message);
    assert.deepEqual(r.created, ["c0", "c1", "c2"]);
    assert.deepEqual(created, [["c0", "c1", "c2"]]);
    assert.deepEqual(engine.created, ["c0", "c1", "c2"]);
    assert.deepEqual(
      r.rounds.map((x) => x.jobs.map((j) => `${j.stack} ${j.state}`)),
      [["c0 succeeded"], ["c1 succeeded", "c2 succeeded"], ["c0 succeeded", "c1 succeeded", "c2 succeeded"]],
    );
    assert.equal(
      r.message,
      "settled after 3 rounds: no stack has a peer whose outputs changed since it ran; c0, c1, c2 did not exist on the backend and were created first",
    );
  });

  it("a cluster added to a running mesh: creates only its stack, then settles", async () => {
    const engine = new MemoryEngine({ stacks: mesh(4), missing: ["c3"] });
    const jobs = new Jobs({ engine });
    const r = await converge({ stacks: topology(mesh(4)), jobs, engine, requestedBy: "test" });
    assert.equal(r.state, "settled", r.message);
    assert.deepEqual(r.created, ["c3"]);
    assert.match(r.message, /; c3 did not exist on the backend and was created first$/);
    const again = await converge({ stacks: topology(mesh(4)), jobs, engine, requestedBy: "test" });
    assert.equal(again.state, "settled");
    assert.deepEqual(again.created, []);
    assert.equal(again.message, "settled after 2 rounds: no stack has a peer whose outputs changed since it ran");
  });

  it("a backend that cannot be read: no round starts, and the message says why", async () => {
    const base = new MemoryEngine({ stacks: mesh(2) });
    const engine: StackEngine = {
      run: (s, k, o) => base.run(s, k, o),
      outputs: (s) => base.outputs(s),
      history: (s, n) => base.history(s, n),
      cancel: (s) => base.cancel(s),
      ensureStacks: () => Promise.reject(new MeshError("not_logged_in", "pulumi stack select of stack c0 failed: no login")),
    };
    const r = await converge({ stacks: topology(mesh(2)), jobs: new Jobs({ engine }), engine, requestedBy: "test" });
    assert.equal(r.state, "failed");
    assert.deepEqual(r.rounds, []);
    assert.deepEqual(base.calls, []);
    assert.equal(
      r.message,
      "no round started: the stacks could not be selected or created on the backend: pulumi stack select of stack c0 failed: no login. Fix the cause, then run mesh converge again",
    );
  });
});
