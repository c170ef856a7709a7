/**
 * The pieces behind results as data: the properties a step changes from the engine's detailed diff (or
 * its top-level diffs and replace keys), the bounds on what a record keeps, and a long run of events
 * handed to the store a batch at a time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StepEventMetadata } from "@pulumi/pulumi/automation";
import { changeSetOf, MAX_RECORDED_STEPS, meshEvents, propertyChanges, type EventContext } from "../automation/events";
import { Jobs } from "../automation/jobs";
import { MemoryEngine } from "../automation/memory-engine";
import { Redactor } from "../automation/redact";
import { recordedRoutes } from "../automation/verify-job";
import type { RoutingRow } from "../verify/types";

const meta = (m: Partial<StepEventMetadata>): StepEventMetadata => ({
  op: "update",
  urn: "urn:pulumi:wuxi::mesh::t::n",
  type: "t",
  provider: "",
  ...m,
});

describe("the properties a step changes", () => {
  it("come from the detailed diff, sorted, its -replace kinds marking what replaces", () => {
    const m = meta({
      diffs: ["spec", "metadata"],
      detailedDiff: {
        "spec.ports[0].port": { diffKind: "update" as never, inputDiff: true },
        "metadata.name": { diffKind: "update-replace" as never, inputDiff: true },
        'metadata.labels["app"]': { diffKind: "add" as never, inputDiff: true },
        "data.token": { diffKind: "delete-replace" as never, inputDiff: true },
      },
    });
    assert.deepEqual(propertyChanges(m), [
      { path: "data.token", kind: "delete", replaces: true },
      { path: 'metadata.labels["app"]', kind: "add", replaces: false },
      { path: "metadata.name", kind: "update", replaces: true },
      { path: "spec.ports[0].port", kind: "update", replaces: false },
    ]);
  });

  it("without a detailed diff, from the top-level diffs, replacing where they are among the replace keys", () => {
    assert.deepEqual(propertyChanges(meta({ diffs: ["values", "name"], keys: ["name"] })), [
      { path: "name", kind: "update", replaces: true },
      { path: "values", kind: "update", replaces: false },
    ]);
    assert.deepEqual(propertyChanges(meta({})), []);
  });

  it("a replacement's halves are neither recorded nor counted; reads and sames are counted but not recorded", () => {
    const ctx: EventContext = { redactor: new Redactor([]), done: 0, steps: [] };
    const replaced = meta({ detailedDiff: { x: { diffKind: "update-replace" as never, inputDiff: true } }, diffs: ["x"] });
    for (const op of ["same", "read", "create-replacement", "replace", "delete-replaced"] as const) {
      meshEvents({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { ...replaced, op } } }, ctx);
      meshEvents({ sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { ...replaced, op } } }, ctx);
    }
    assert.equal(ctx.done, 3);
    assert.deepEqual(ctx.steps, [
      { op: "replace", resourceType: "t", name: "n", changes: [{ path: "x", kind: "update", replaces: true }] },
    ]);
  });
});

describe("what a record keeps", () => {
  it("a change set: the engine's counts, every op present, and at most 500 steps, saying how many it left out", () => {
    const steps = Array.from({ length: MAX_RECORDED_STEPS + 17 }, (_, i) => ({
      op: "create",
      resourceType: "t",
      name: `r${i}`,
      changes: [],
    }));
    const set = changeSetOf({ create: steps.length, same: 3, read: 1 }, steps);
    assert.deepEqual([set.create, set.update, set.replace, set.delete, set.same], [517, 0, 0, 0, 3]);
    assert.equal(set.steps.length, 500);
    assert.equal(set.steps.at(-1)!.name, "r499");
    assert.equal(set.omittedSteps, 17);
    assert.equal(changeSetOf({}, steps.slice(0, 2)).omittedSteps, undefined);
  });

  it("routing: every row that did not pass, then passing rows up to the bound, in the report's order", () => {
    const row = (caller: string, result: RoutingRow["result"]): RoutingRow => ({
      service: "s",
      port: 1,
      caller,
      from: null,
      planned: [],
      observed: [],
      result,
    });
    const rows = [row("a", "pass"), row("b", "pass"), row("c", "fail"), row("d", "pass"), row("e", "warn")];
    const kept = recordedRoutes(rows, 3);
    assert.deepEqual(
      kept.rows.map((r) => r.caller),
      ["a", "c", "e"],
    );
    assert.equal(kept.omitted, 2);
    assert.deepEqual(recordedRoutes(rows, 10), { rows, omitted: 0 });
  });
});

describe("a long run of a job's own events", () => {
  const run = async (wait: boolean) => {
    const jobs = new Jobs({ engine: new MemoryEngine({ stacks: [] }), maxPendingEvents: 600 });
    try {
      const job = await jobs.submit({
        stack: "*",
        kind: "verify",
        requestedBy: "t",
        work: async ({ emit, written }) => {
          for (let i = 0; i < 5000; i++) {
            emit({ type: "diagnostic", severity: "info", message: `row ${i}` });
            if (wait && i % 500 === 499) await written();
          }
          return {};
        },
      });
      const r = await jobs.wait(job.id);
      return { r, events: await jobs.events(job.id) };
    } finally {
      await jobs.close();
    }
  };

  it("written between batches: every event is kept, past the bound on events waiting for the store", async () => {
    const { r, events } = await run(true);
    assert.equal(r.state, "succeeded", JSON.stringify(r.error));
    assert.equal(events.filter((e) => e.type === "diagnostic").length, 5000);
  });

  it("all at once: the job stops, the store not keeping up (why verify hands its routing rows over in batches)", async () => {
    const { r } = await run(false);
    assert.equal(r.state, "failed");
    assert.match(r.error!.message, /is not keeping up/);
  });
});
