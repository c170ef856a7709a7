/**
 * Results as data, over real HTTP on loopback: a preview's change set as the Pulumi CLI's engine reports
 * it (through the Automation API, against the stand-in CLI), progress with a total where the engine knows
 * it, and the OpenAPI document describing every job event and the record's new fields.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MeshEventSchema } from "../server/schemas";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";
import { standIn } from "./fixtures/stand-in-root";

describe("a preview's change set, as the Pulumi CLI's engine reports it", () => {
  let api: Api;
  before(async () => {
    const { engine } = standIn("changes");
    api = await startApi({ wrapEngine: () => engine });
  });
  after(() => api.close());

  it("each step's changed properties and whether they replace are events; the record has the counts and the steps", async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/preview", { token: TOKENS.viewer });
    assert.equal(r.status, 202, r.text);
    const events = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer);
    assert.equal(events.at(-1)!.data.state, "succeeded", JSON.stringify(events.at(-1)!.data));
    for (const e of events) assert.ok(MeshEventSchema.safeParse(e.data).success, JSON.stringify(e.data));
    const started = events.filter((e) => e.event === "resource.started").map(({ data: { op, name, changes } }) => ({ op, name, changes }));
    const certChange = [{ path: "validityPeriodHours", kind: "update", replaces: true }];
    assert.deepEqual(started, [
      { op: "same", name: "mesh-wuxi", changes: undefined },
      {
        op: "update",
        name: "wuxi-istio-eastwestgateway",
        changes: [
          { path: "values.labels.extra", kind: "add", replaces: false },
          { path: "values.service.ports[1].nodePort", kind: "update", replaces: false },
        ],
      },
      { op: "create-replacement", name: "wuxi-intermediate", changes: certChange },
      { op: "replace", name: "wuxi-intermediate", changes: certChange },
      { op: "create", name: "wuxi-svc-dev-hello", changes: undefined },
      { op: "delete", name: "wuxi-dr-dev-helloworld", changes: undefined },
      { op: "delete-replaced", name: "wuxi-intermediate", changes: certChange },
    ]);
    // a replacement's halves are not resources of their own: five resources, five steps of progress, no total from the CLI
    assert.deepEqual(
      events.filter((e) => e.event === "progress").map((e) => e.data.done),
      [1, 2, 3, 4, 5],
    );
    assert.ok(events.filter((e) => e.event === "progress").every((e) => e.data.total === undefined));
    const job = (await api.call("GET", `/v1/jobs/${r.json.id}`, { token: TOKENS.viewer })).json;
    assert.deepEqual(job.changeSet, {
      create: 1,
      update: 1,
      replace: 1,
      delete: 1,
      same: 1,
      steps: [
        {
          op: "update",
          resourceType: "kubernetes:helm.sh/v3:Release",
          name: "wuxi-istio-eastwestgateway",
          changes: [
            { path: "values.labels.extra", kind: "add", replaces: false },
            { path: "values.service.ports[1].nodePort", kind: "update", replaces: false },
          ],
        },
        { op: "replace", resourceType: "tls:index/locallySignedCert:LocallySignedCert", name: "wuxi-intermediate", changes: certChange },
        { op: "create", resourceType: "kubernetes:core/v1:Service", name: "wuxi-svc-dev-hello", changes: [] },
        { op: "delete", resourceType: "kubernetes:networking.istio.io/v1:DestinationRule", name: "wuxi-dr-dev-helloworld", changes: [] },
      ],
    });
    assert.deepEqual(job.summary.changes, { same: 1, update: 1, replace: 1, create: 1, delete: 1 });
  });
});

describe("progress with a total", () => {
  it("once the engine knows how many resources the operation has, every progress event says of how many", async () => {
    const api = await startApi({ engine: { baseResources: 4 } });
    try {
      const r = await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
      assert.equal(r.status, 202, r.text);
      const events = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer);
      // the anchor's first up: 4 resources and the 3 releases; wuxi has not exported, so no link
      assert.deepEqual(
        events.filter((e) => e.event === "progress").map((e) => [e.data.done, e.data.total]),
        [0, 1, 2, 3, 4, 5, 6, 7].map((done) => [done, 7]),
      );
      const job = (await api.call("GET", `/v1/jobs/${r.json.id}`, { token: TOKENS.viewer })).json;
      assert.deepEqual([job.changeSet.create, job.changeSet.same, job.changeSet.steps.length], [7, 0, 7]);
    } finally {
      await api.close();
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes every job event, and the record's change set and routing", async () => {
    const api = await startApi();
    try {
      const doc = (await api.call("GET", "/openapi.json", { token: null })).json;
      const event = doc.components.schemas.MeshEvent;
      const byType = new Map<string, any>(event.oneOf.map((s: any) => [s.properties.type.enum[0], s]));
      assert.deepEqual([...byType.keys()].sort(), [
        "diagnostic",
        "job.cancelling",
        "job.finished",
        "job.queued",
        "job.started",
        "mesh.linkEstablished",
        "mesh.peerPending",
        "progress",
        "resource.failed",
        "resource.finished",
        "resource.started",
        "summary",
        "verify.check",
        "verify.route",
      ]);
      for (const s of byType.values()) for (const k of ["seq", "jobId", "stack", "at", "type"]) assert.ok(s.required.includes(k), k);
      assert.deepEqual(Object.keys(byType.get("resource.started").properties.changes.items.properties).sort(), [
        "kind",
        "path",
        "replaces",
      ]);
      assert.deepEqual(byType.get("progress").required.sort(), ["at", "done", "jobId", "seq", "stack", "type"]);
      assert.ok(byType.get("progress").properties.total);
      const route = byType.get("verify.route");
      assert.deepEqual(Object.keys(route.properties).sort(), [
        "at",
        "caller",
        "from",
        "jobId",
        "observed",
        "planned",
        "port",
        "result",
        "seq",
        "service",
        "stack",
        "type",
      ]);
      assert.deepEqual(Object.keys(route.properties.planned.items.properties).sort(), ["addresses", "cluster", "priority"]);
      const job = doc.paths["/v1/jobs/{id}"].get.responses["200"].content["application/json"].schema;
      assert.deepEqual(Object.keys(job.properties.changeSet.properties).sort(), [
        "create",
        "delete",
        "omittedSteps",
        "replace",
        "same",
        "steps",
        "update",
      ]);
      assert.deepEqual(Object.keys(job.properties.changeSet.properties.steps.items.properties).sort(), [
        "changes",
        "name",
        "op",
        "resourceType",
      ]);
      assert.deepEqual(Object.keys(job.properties.verify.properties.routing.items.properties).sort(), [
        "caller",
        "from",
        "observed",
        "planned",
        "port",
        "result",
        "service",
      ]);
    } finally {
      await api.close();
    }
  });
});
