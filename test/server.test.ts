/**
 * The portal API, a real server on 127.0.0.1:0 over the simulated engine: every route, every way
 * authentication fails (with an identity provider on loopback), 409 on a busy stack, event streams to
 * the end and resumed with Last-Event-ID, cancel mid-run, hostile requests, a restart that shows the
 * interrupted job, limits, the audit log, no secret in any response, and the OpenAPI document.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MemoryEngine } from "../automation/memory-engine";
import { MeshError } from "../automation/types";
import { planMesh } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { settingsFromEnv, verifySettingsFromEnv } from "../server/settings";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { identityProvider, readEvents, startApi, TOKENS, type Api } from "./fixtures/api";

const until = async (f: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("authentication and roles", () => {
  let api: Api;
  let idp: Awaited<ReturnType<typeof identityProvider>>;
  before(async () => {
    idp = await identityProvider();
    api = await startApi({ jwksUrl: idp.jwksUrl });
  });
  after(async () => {
    await api.close();
    idp.close();
  });

  it("401 without a token, with a wrong token, an expired, wrongly signed or other-audience JWT", async () => {
    const cases: [string | null, string][] = [
      [null, "a bearer token is required"],
      ["not-a-token-we-issued", "the token is not valid"],
      [await idp.sign({ mesh_role: "admin" }, { exp: "-1m" }), "the token has expired"],
      [await idp.sign({ mesh_role: "admin" }, { foreign: true }), "the token is not valid"],
      [await idp.sign({ mesh_role: "admin" }, { aud: "another-app" }), "the token is not valid"],
    ];
    for (const [token, detail] of cases) {
      const r = await api.call("GET", "/v1/stacks", { token });
      assert.equal(r.status, 401, detail);
      assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
      assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="mesh"');
      assert.equal(r.json.detail, detail);
    }
  });

  it("403 for a role below the route's, and for a JWT without a mesh role", async () => {
    assert.equal((await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.viewer })).status, 403);
    assert.equal((await api.call("POST", "/v1/stacks/wuxi/destroy", { token: TOKENS.operator, body: { confirm: "wuxi" } })).status, 403);
    const r = await api.call("GET", "/v1/stacks", { token: await idp.sign({ mesh_role: "superuser" }) });
    assert.deepEqual([r.status, r.json.detail], [403, "the token carries no mesh role"]);
  });

  it("takes an OIDC token's highest role and records its subject on the job", async () => {
    const token = await idp.sign({ sub: "dana@example.com", mesh_role: ["viewer", "operator"] });
    const r = await api.call("POST", "/v1/stacks/wuxi/preview", { token });
    assert.equal(r.status, 202);
    assert.equal(r.json.requestedBy, "dana@example.com");
    assert.equal((await api.call("POST", "/v1/stacks/wuxi/destroy", { token, body: { confirm: "wuxi" } })).status, 403);
  });

  it("lets health checks and the OpenAPI document through without a token", async () => {
    assert.deepEqual((await api.call("GET", "/healthz", { token: null })).json, { status: "ok" });
    assert.deepEqual((await api.call("GET", "/readyz", { token: null })).json, { status: "ready" });
    assert.equal((await api.call("GET", "/openapi.json", { token: null })).status, 200);
  });
});

describe("routes", () => {
  let api: Api;
  before(async () => {
    api = await startApi({ engine: { leakInDiagnostics: "s3cr3t-engine-token" } });
  });
  after(() => api.close());

  it("GET /v1/mesh is the mesh plan's JSON", async () => {
    const r = await api.call("GET", "/v1/mesh", { token: TOKENS.viewer });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, JSON.parse(JSON.stringify(planMesh(readProject(FIXTURE_PROJECT)))));
  });

  it("runs an up (202 with the job and its location), then shows the stack with secrets replaced", async () => {
    const r = await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
    assert.equal(r.status, 202);
    assert.equal(r.headers.get("location"), `/v1/jobs/${r.json.id}`);
    assert.deepEqual([r.json.stack, r.json.kind, r.json.requestedBy], ["cn-shanghai", "up", "operator-bot"]);
    await api.jobs.wait(r.json.id);
    const s = await api.call("GET", "/v1/stacks/cn-shanghai", { token: TOKENS.viewer });
    assert.equal(s.status, 200);
    assert.equal(s.json.lastJob.state, "succeeded");
    assert.equal(s.json.outputs.remoteSecret, "[secret]");
    assert.equal(s.json.outputs.trustRootKey, "[secret]");
    assert.equal(s.json.outputs.clusterName, "cn-shanghai");
    const all = await api.call("GET", "/v1/stacks", { token: TOKENS.viewer });
    assert.deepEqual(
      all.json.stacks.map((x: { stack: string }) => x.stack),
      ["cn-shanghai", "wuxi"],
    );
  });

  it("lists jobs with filters, and reads one", async () => {
    const list = await api.call("GET", "/v1/jobs?stack=cn-shanghai&state=succeeded&limit=5", { token: TOKENS.viewer });
    assert.equal(list.status, 200);
    assert.ok(
      list.json.jobs.length >= 1 &&
        list.json.jobs.every((j: { stack: string; state: string }) => j.stack === "cn-shanghai" && j.state === "succeeded"),
    );
    const one = await api.call("GET", `/v1/jobs/${list.json.jobs[0].id}`, { token: TOKENS.viewer });
    assert.deepEqual(one.json, list.json.jobs[0]);
    assert.equal((await api.call("GET", "/v1/jobs/mwz0000000-0000abcd", { token: TOKENS.viewer })).status, 404);
  });

  it("streams a job's events to the end, and resumes after a disconnect with exactly the missed ones", async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    const all = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer);
    assert.deepEqual(
      all.map((e) => e.id),
      all.map((_, i) => i + 1),
    );
    assert.equal(all.at(-1)!.event, "job.finished");
    assert.equal(all.at(-1)!.data.state, "succeeded");
    const resumed = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer, 7);
    assert.deepEqual(resumed, all.slice(7));
  });

  it("converges the mesh: 202, then settled, with its rounds and jobs", async () => {
    const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator });
    assert.equal(r.status, 202);
    assert.equal(r.headers.get("location"), `/v1/converge/${r.json.id}`);
    let run: any;
    await poll(async () => (run = (await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json).state !== "running");
    assert.equal(run.state, "settled", run.message);
    assert.equal(run.jobs.length, run.rounds.flatMap((x: { jobs: unknown[] }) => x.jobs).length);
  });
});

const poll = async (f: () => Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("a busy stack, and cancel", () => {
  let api: Api;
  before(async () => {
    api = await startApi({ engine: { stepMs: 20 } });
  });
  after(() => api.close());

  it("answers 409 with the running job's id to a second up on the stack; a preview still queues", async () => {
    const first = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    const second = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    assert.equal(second.status, 409);
    assert.equal(second.json.runningJob, first.json.id);
    assert.match(second.json.detail, /^stack wuxi has an up job (queued|running); wait for it or cancel it$/);
    assert.equal((await api.call("POST", "/v1/stacks/wuxi/refresh", { token: TOKENS.operator })).status, 409);
    const preview = await api.call("POST", "/v1/stacks/wuxi/preview", { token: TOKENS.viewer });
    assert.deepEqual([preview.status, preview.json.state], [202, "queued"]);
    const cancel = await api.call("POST", `/v1/jobs/${first.json.id}/cancel`, { token: TOKENS.operator });
    assert.equal(cancel.status, 202);
    assert.equal((await api.jobs.wait(first.json.id)).state, "cancelled");
    assert.equal((await api.jobs.wait(preview.json.id)).state, "succeeded");
  });

  it("audits every mutating request, refused ones too", () => {
    const actions = api.audit.map((a) => [a.action, a.actor, a.status]);
    assert.deepEqual(actions, [
      ["up", "operator-bot", 202],
      ["up", "operator-bot", 409],
      ["refresh", "operator-bot", 409],
      ["cancel", "operator-bot", 202],
    ]);
    // a busy refusal names the job in the way, and the stack, in its audit line
    const refused = api.audit.filter((a) => a.status === 409);
    assert.deepEqual(
      refused.map((a) => [a.stack, a.runningJob]),
      refused.map(() => ["wuxi", api.audit[0]!.jobId]),
    );
  });
});

describe("hostile requests", () => {
  let api: Api;
  before(async () => {
    api = await startApi();
  });
  after(() => api.close());

  const cases: [string, string, string, { raw?: string; body?: unknown; headers?: Record<string, string> }, number, string?][] = [
    ["malformed JSON", "POST", "/v1/stacks/wuxi/preview", { raw: "{not json" }, 400, "the body is not valid JSON"],
    ["an empty JSON body", "POST", "/v1/stacks/wuxi/preview", { raw: "" }, 400, "the body is not valid JSON"],
    [
      "a __proto__ key",
      "POST",
      "/v1/stacks/wuxi/preview",
      { raw: '{"__proto__":{"admin":true}}' },
      400,
      "the body may not use __proto__ or constructor keys",
    ],
    [
      "a nested __proto__ key",
      "POST",
      "/v1/stacks/wuxi/destroy",
      { raw: '{"confirm":"wuxi","x":[{"__proto__":{}}]}' },
      400,
      "the body may not use __proto__ or constructor keys",
    ],
    [
      "a constructor.prototype key",
      "POST",
      "/v1/stacks/wuxi/preview",
      { raw: '{"constructor":{"prototype":{"admin":true}}}' },
      400,
      "the body may not use __proto__ or constructor keys",
    ],
    ["a wrong type", "POST", "/v1/stacks/wuxi/destroy", { body: { confirm: 5 } }, 400, "the request does not match its schema"],
    ["an unknown field", "POST", "/v1/stacks/wuxi/up", { body: { stack: "other" } }, 400],
    [
      "destroy without the name repeated",
      "POST",
      "/v1/stacks/wuxi/destroy",
      { body: { confirm: "cn-shanghai" } },
      400,
      "confirm must repeat the stack's name",
    ],
    ["an oversized body", "POST", "/v1/stacks/wuxi/destroy", { raw: JSON.stringify({ confirm: "x".repeat(20_000) }) }, 413],
    ["a stack that is not the mesh's", "POST", "/v1/stacks/hangzhou/up", {}, 404, "stack hangzhou is not a stack of this mesh"],
    ["a stack name with a path in it", "GET", "/v1/stacks/..%2F..%2Fetc", {}, 400],
    ["a malformed job id", "GET", "/v1/jobs/%3Cscript%3E", {}, 404, "job <script> does not exist"],
    ["a malformed job id's events", "GET", "/v1/jobs/nope/events", {}, 404, "job nope does not exist"],
    ["a malformed job id's cancel", "POST", "/v1/jobs/nope/cancel", {}, 404, "job nope does not exist"],
    ["a malformed converge id", "GET", "/v1/converge/nope", {}, 404, "converge nope does not exist"],
    ["an unknown route", "GET", "/v1/secrets", {}, 404, "no such route"],
    ["an out-of-range query", "GET", "/v1/jobs?limit=100000", {}, 400],
    ["a non-numeric Last-Event-ID", "GET", "/v1/jobs/mwz0000000-0000abcd/events", { headers: { "last-event-id": "1; DROP" } }, 400],
  ];
  for (const [what, method, path, opts, status, detail] of cases) {
    it(`${status} for ${what}, as problem+json without internals`, async () => {
      const r = await api.call(method, path, opts);
      assert.equal(r.status, status, r.text);
      assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
      assert.equal(r.json.status, status);
      if (detail) assert.equal(r.json.detail, detail);
      assert.ok(!/\bat \S+:\d+|node_modules|Error:/.test(r.text), r.text);
    });
  }

  it("names the failing paths of a 400, in the API's words", async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/destroy", { body: { confirm: 5, includeProtected: "yes" } });
    assert.deepEqual(
      [...r.json.errors].sort((a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path)),
      [
        { path: "body/confirm", message: "confirm must be a string" },
        { path: "body/includeProtected", message: "includeProtected must be true or false" },
      ],
    );
  });

  for (const [query, errors] of [
    ["limit=abc", [{ path: "querystring/limit", message: "limit must be a whole number from 1 to 500" }]],
    ["limit=0", [{ path: "querystring/limit", message: "limit must be a whole number from 1 to 500" }]],
    ["limit=2.5", [{ path: "querystring/limit", message: "limit must be a whole number from 1 to 500" }]],
    [
      "state=done",
      [{ path: "querystring/state", message: "state must be one of queued, running, succeeded, failed, cancelled, interrupted" }],
    ],
    ["stack=a%20b", [{ path: "querystring/stack", message: "stack is not in the form it takes" }]],
    ["color=red", [{ path: "querystring", message: "unknown field: color" }]],
  ] as const) {
    it(`400 for ?${query}, without zod's words`, async () => {
      const r = await api.call("GET", `/v1/jobs?${query}`, { token: TOKENS.viewer });
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(r.json.errors, errors);
    });
  }

  it("400 for a missing field says it is required", async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/destroy", { body: {}, token: TOKENS.admin });
    assert.deepEqual(r.json.errors, [{ path: "body/confirm", message: "confirm is required" }], r.text);
  });

  it("400 for a destroy without a body says what the body must hold", async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/destroy", { token: TOKENS.admin });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(r.json.errors, [
      {
        path: "body",
        message:
          'a JSON body is required: {"confirm": the stack\'s name again (required), "includeProtected": true to delete protected resources too (the ACK cluster, its VPC) (optional)}',
      },
    ]);
  });
});

describe("limits", () => {
  it("429 when the job limit or a job's stream limit is reached", async () => {
    const api = await startApi({ engine: { stepMs: 50 }, limits: { jobs: 2, streamsPerJob: 1 } });
    try {
      const a = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
      const third = await api.call("POST", "/v1/stacks/wuxi/preview", { token: TOKENS.viewer });
      assert.equal(third.status, 429);
      const first = readEvents(api.url, `/v1/jobs/${a.json.id}/events`, TOKENS.viewer);
      await until(async () => (await api.jobs.events(a.json.id)).length > 0);
      await new Promise((r) => setTimeout(r, 50));
      const second = await api.call("GET", `/v1/jobs/${a.json.id}/events`, { token: TOKENS.viewer });
      assert.equal(second.status, 429);
      await api.jobs.cancel(a.json.id);
      await first;
    } finally {
      await api.close();
    }
  });
});

describe("a second process on the same store", () => {
  it("sees the other process's running job as running, and answers 409 for that stack, naming the job", async () => {
    const first = await startApi({ engine: { stepMs: 100 } });
    const r = await first.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    await until(async () => (await first.jobs.store.get(r.json.id))?.state === "running");
    // a second server (or a CLI) on the same SQLite file, while the first is alive
    const second = await startApi({ storeFile: first.storeFile });
    try {
      const j = await second.call("GET", `/v1/jobs/${r.json.id}`, { token: TOKENS.viewer });
      assert.equal(j.json.state, "running");
      const up = await second.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      assert.equal(up.status, 409);
      assert.equal(up.json.runningJob, r.json.id);
      assert.equal(up.json.detail, `stack wuxi has an up job running in another process (job ${r.json.id}); wait for it, or cancel it`);
      assert.equal((await second.call("POST", "/v1/stacks/cn-shanghai/preview", { token: TOKENS.viewer })).status, 202);
    } finally {
      await second.close();
      await first.jobs.cancel(r.json.id);
      await first.close();
    }
  });
});

describe("secrets", () => {
  it("no response body carries a secret output or what the engine printed", async () => {
    const api = await startApi({ engine: { leakInDiagnostics: "s3cr3t-engine-token" } });
    try {
      const up = await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
      const events = await readEvents(api.url, `/v1/jobs/${up.json.id}/events`, TOKENS.viewer);
      await api.call("GET", "/v1/stacks", { token: TOKENS.viewer });
      await api.call("GET", `/v1/jobs/${up.json.id}`, { token: TOKENS.viewer });
      const text = [...api.bodies, JSON.stringify(events)].join("\n");
      for (const secret of ["kubeconfig of cn-shanghai", "root key of cn-shanghai", "s3cr3t-engine-token", TOKENS.operator])
        assert.ok(!text.includes(secret), secret);
    } finally {
      await api.close();
    }
  });
});

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3 and describes every /v1 route with its security", async () => {
    const api = await startApi();
    try {
      const doc = (await api.call("GET", "/openapi.json", { token: null })).json;
      const { Validator } = (await import("@seriousme/openapi-schema-validator")) as {
        Validator: new () => { validate(d: unknown): Promise<{ valid: boolean; errors?: unknown }> };
      };
      const result = await new Validator().validate(doc);
      assert.ok(result.valid, JSON.stringify(result.errors));
      assert.deepEqual(
        Object.keys(doc.paths)
          .filter((p: string) => p.startsWith("/v1"))
          .sort(),
        [
          "/v1/audit",
          "/v1/converge",
          "/v1/converge/{id}",
          "/v1/jobs",
          "/v1/jobs/{id}",
          "/v1/jobs/{id}/cancel",
          "/v1/jobs/{id}/events",
          "/v1/me",
          "/v1/mesh",
          "/v1/sessions/end",
          "/v1/stacks",
          "/v1/stacks/{stack}",
          "/v1/stacks/{stack}/destroy",
          "/v1/stacks/{stack}/preview",
          "/v1/stacks/{stack}/refresh",
          "/v1/stacks/{stack}/up",
          "/v1/verify",
        ],
      );
      assert.deepEqual(doc.security, [{ bearer: [] }, { session: [] }]);
      assert.deepEqual(doc.components.securitySchemes.session, {
        type: "apiKey",
        in: "cookie",
        name: "mesh_session",
        description:
          "a browser's session (named __Host-mesh_session over https), from GET /auth/login or POST /auth/token; a request that changes anything also sends X-CSRF-Token",
      });
      // sign-in's routes are public; each new route has its schemas
      assert.deepEqual(
        Object.keys(doc.paths)
          .filter((p: string) => p.startsWith("/auth"))
          .sort(),
        ["/auth/callback", "/auth/login", "/auth/logout", "/auth/methods", "/auth/token"],
      );
      for (const p of ["/auth/callback", "/auth/login", "/auth/methods"]) assert.deepEqual(doc.paths[p].get.security, [], p);
      assert.deepEqual(doc.paths["/auth/token"].post.security, []);
      assert.deepEqual(Object.keys(doc.paths["/auth/login"].get.responses).sort(), [
        "302",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "429",
        "502",
        "503",
      ]);
      assert.deepEqual(Object.keys(doc.paths["/auth/token"].post.requestBody.content), ["application/json"]);
      assert.deepEqual(doc.paths["/auth/token"].post.requestBody.content["application/json"].schema.required, ["token"]);
      assert.deepEqual(Object.keys(doc.paths["/v1/me"].get.responses["200"].content["application/json"].schema.properties).sort(), [
        "csrfToken",
        "expiresAt",
        "idleExpiresAt",
        "name",
        "role",
        "signedInWith",
        "subject",
        "via",
      ]);
      assert.deepEqual(doc.paths["/v1/audit"].get.parameters.map((q: { name: string }) => q.name).sort(), [
        "action",
        "actor",
        "cursor",
        "limit",
        "since",
        "status",
      ]);
      assert.ok(doc.paths["/v1/audit"].get.responses["200"].content["application/json"].schema.properties.entries);
      assert.deepEqual(
        doc.paths["/v1/converge"].get.parameters.map((q: { name: string }) => q.name),
        ["limit"],
      );
      assert.ok(doc.paths["/v1/converge"].get.responses["200"].content["application/json"].schema.properties.runs);
    } finally {
      await api.close();
    }
  });
});

describe("settings", () => {
  it("takes verify's per-stack kubeconfig files and contexts, and its wait, naming the variable of a wrong one", () => {
    assert.deepEqual(verifySettingsFromEnv({}), { kubeconfig: [], context: [] });
    assert.deepEqual(
      verifySettingsFromEnv({
        MESH_VERIFY_KUBECONFIGS: "wuxi=/etc/mesh/wuxi.kubeconfig, cn-shanghai=/etc/mesh/ack.kubeconfig",
        MESH_VERIFY_CONTEXTS: "wuxi=wuxi-reader",
        MESH_VERIFY_WAIT: "2m",
      }),
      {
        kubeconfig: ["wuxi=/etc/mesh/wuxi.kubeconfig", "cn-shanghai=/etc/mesh/ack.kubeconfig"],
        context: ["wuxi=wuxi-reader"],
        wait: "2m",
      },
    );
    assert.throws(() => verifySettingsFromEnv({ MESH_VERIFY_KUBECONFIGS: "wuxi,cn-shanghai=" }), {
      message: "MESH_VERIFY_KUBECONFIGS: wuxi, cn-shanghai=: write <stack>=<kubeconfig file>, comma-separated",
    });
    assert.throws(() => verifySettingsFromEnv({ MESH_VERIFY_WAIT: "soon" }), {
      message: "MESH_VERIFY_WAIT soon: write a duration such as 90s, 10m or 1h (at most 24h)",
    });
  });

  it("refuses to start without authentication, and binds an insecure server to loopback only", () => {
    assert.throws(() => settingsFromEnv({}), /no authentication is configured/);
    assert.throws(() => settingsFromEnv({ MESH_API_INSECURE: "loopback-only", MESH_API_HOST: "0.0.0.0" }), /binds to loopback only/);
    assert.equal(settingsFromEnv({ MESH_API_INSECURE: "loopback-only" }).host, "127.0.0.1");
    for (const value of ["yes", "true", "1"])
      assert.throws(() => settingsFromEnv({ MESH_API_INSECURE: value }), {
        message: `MESH_API_INSECURE is "${value}", not loopback-only, the one value it takes: set MESH_API_INSECURE=loopback-only (a developer machine only: no authentication), or unset it and configure tokens or OIDC`,
      });
    assert.throws(() => settingsFromEnv({ MESH_API_TOKENS: '[{"name":"ci","role":"root","sha256":"00"}]' }), /needs name, role/);
    assert.throws(() => settingsFromEnv({ MESH_OIDC_ISSUER: "https://id.example" }), /MESH_OIDC_AUDIENCE is required/);
  });

  it("reads the event streams' lifetime and stall bound as durations, and refuses what is none", () => {
    const base = { MESH_API_INSECURE: "loopback-only" };
    const defaults = settingsFromEnv(base).limits;
    assert.deepEqual([defaults.streamMaxMs, defaults.streamStallMs], [3_600_000, 30_000]);
    const set = settingsFromEnv({ ...base, MESH_API_STREAM_LIFETIME: "90s", MESH_API_STREAM_STALL: "500ms" }).limits;
    assert.deepEqual([set.streamMaxMs, set.streamStallMs], [90_000, 500]);
    for (const [key, value] of [
      ["MESH_API_STREAM_LIFETIME", "forever"],
      ["MESH_API_STREAM_STALL", "50ms"],
      ["MESH_API_STREAM_STALL", "25h"],
    ] as const)
      assert.throws(() => settingsFromEnv({ ...base, [key]: value }), {
        message: `${key}: ${value} is not a duration from 100ms to 24h, such as 30s or 1h`,
      });
  });
});

describe("GET /v1/stacks when outputs cannot be read", () => {
  const loginMessage =
    "pulumi stack output of stack wuxi failed: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions — the CLI is not logged in";

  it("says per stack why, with the engine's code, and the stacks it could read", async () => {
    const api = await startApi({
      wrapEngine: (e) =>
        Object.assign(Object.create(e) as MemoryEngine, {
          outputs: (stack: string) => (stack === "wuxi" ? Promise.reject(new MeshError("not_logged_in", loginMessage)) : e.outputs(stack)),
        }),
    });
    try {
      const r = await api.call("GET", "/v1/stacks", { token: TOKENS.viewer });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.json.stacks.map((s: { stack: string; outputs: unknown; outputsError: unknown }) => [s.stack, s.outputs, s.outputsError]),
        [
          ["cn-shanghai", {}, null],
          ["wuxi", null, { code: "not_logged_in", message: loginMessage }],
        ],
      );
      const one = await api.call("GET", "/v1/stacks/wuxi", { token: TOKENS.viewer });
      assert.deepEqual(one.json.outputsError, { code: "not_logged_in", message: loginMessage });
    } finally {
      await api.close();
    }
  });

  it("answers within its bound while the engine hangs, and a burst of requests shares one read per stack", async () => {
    let reads = 0;
    const api = await startApi({
      outputsTimeoutMs: 300,
      wrapEngine: (e) =>
        Object.assign(Object.create(e) as MemoryEngine, {
          outputs: () => {
            reads++;
            return new Promise(() => {});
          },
        }),
    });
    try {
      const started = Date.now();
      const all = await Promise.all(Array.from({ length: 20 }, () => api.call("GET", "/v1/stacks", { token: TOKENS.viewer })));
      const took = Date.now() - started;
      assert.ok(took < 2000, `${took} ms`);
      assert.equal(reads, 2);
      for (const r of all) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.json.stacks[1].outputsError, {
          code: "timeout",
          message: "the outputs of stack wuxi were not read within 0.3 s: check that the backend (PULUMI_BACKEND_URL) answers from here",
        });
      }
    } finally {
      await api.close();
    }
  });

  it("converge creates the stacks the backend lacks before round 1, lists them in created, then settles", async () => {
    const api = await startApi({ engine: { missing: ["wuxi"] } });
    try {
      const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator });
      assert.equal(r.status, 202);
      assert.deepEqual(r.json.created, []);
      let run: any;
      await poll(
        async () => (run = (await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json).state !== "running",
      );
      assert.equal(run.state, "settled", run.message);
      assert.deepEqual(run.created, ["wuxi"]);
      assert.match(run.message, /; wuxi did not exist on the backend and was created first$/);
    } finally {
      await api.close();
    }
  });

  it("converge whose peer's outputs cannot be read fails saying why, not as an internal error", async () => {
    const api = await startApi({
      wrapEngine: (e) =>
        Object.assign(Object.create(e) as MemoryEngine, {
          outputs: () => Promise.reject(new MeshError("not_logged_in", loginMessage)),
        }),
    });
    try {
      const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator });
      assert.equal(r.status, 202);
      let run: any;
      for (let i = 0; i < 100 && (!run || run.state === "running"); i++) {
        run = (await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json;
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.equal(run.state, "failed");
      assert.equal(
        run.message,
        `round 1 (the trust anchor makes the mesh root) did not start: ${loginMessage}. Fix the cause, then resume with mesh converge: stacks already converged apply no changes`,
      );
    } finally {
      await api.close();
    }
  });
});
