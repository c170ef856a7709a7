/**
 * The portal API's edge, on a real server on loopback: slow headers and bodies cut within their
 * deadlines while valid requests go on, the insecure loopback mode against cross-origin requests and DNS
 * rebinding, a cancel of an ended job, internal errors logged with their request id and no secret,
 * refused requests audited, the bearer scheme in any case, stack reads cached and capped, a CLI failure
 * explained in the job's events, and the demo engine's header.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { StackOutput } from "../automation/engine";
import { MeshError } from "../automation/types";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client that sends `head`, then one byte of `body` every `everyMs`; resolves with what it got and how long the server let it stay. */
function slowClient(url: string, head: string, body: string, everyMs: number): Promise<{ ms: number; answer: string; socket: Socket }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    let answer = "";
    let i = 0;
    const s = connect(Number(port), "127.0.0.1", () => {
      s.write(head);
      const timer = setInterval(() => {
        if (i < body.length && !s.destroyed) s.write(body[i++]!);
      }, everyMs);
      s.once("close", () => {
        clearInterval(timer);
        resolve({ ms: Date.now() - t0, answer, socket: s });
      });
    });
    s.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    s.on("error", () => {});
  });
}

describe("request deadlines", () => {
  let api: Api;
  before(async () => {
    api = await startApi({ limits: { requestMs: 600, headersMs: 400, deadlineCheckMs: 100 } });
  });
  after(() => api.close());

  it("cuts 200 slow bodies and 50 slow headers within their deadlines, while valid requests succeed", async () => {
    const { port } = new URL(api.url);
    // 400 bytes at one per 50 ms: 20 s if the server let them
    const body = JSON.stringify({ confirm: "wuxi" }).padEnd(400, " ");
    const bodies = Array.from({ length: 200 }, () =>
      slowClient(
        api.url,
        `POST /v1/stacks/wuxi/destroy HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nAuthorization: Bearer ${TOKENS.admin}\r\n\r\n`,
        body,
        50,
      ),
    );
    const headers = Array.from({ length: 50 }, () =>
      slowClient(api.url, `GET /v1/stacks HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, "X-Slow: ".padEnd(400, "a"), 50),
    );
    await sleep(200);
    for (let i = 0; i < 5; i++) {
      const r = await api.call("GET", "/v1/jobs", { token: TOKENS.viewer });
      assert.equal(r.status, 200);
    }
    const cut = await Promise.all([...bodies, ...headers]);
    const longest = Math.max(...cut.map((c) => c.ms));
    assert.ok(longest < 6000, `held up to ${longest} ms`);
    for (const c of cut) {
      assert.match(c.answer, /^HTTP\/1\.1 408 Request Timeout|^$/);
    }
    assert.ok(
      cut.filter((c) => c.answer.startsWith("HTTP/1.1 408")).length >= 200,
      "the server answers 408 before it closes a slow request",
    );
    assert.equal((await api.jobs.list({ kind: "destroy" })).jobs.length, 0, "no slow destroy ran");
  });
});

describe("the insecure loopback mode", () => {
  let api: Api;
  let host: string;
  before(async () => {
    api = await startApi({ insecure: true });
    host = new URL(api.url).host;
  });
  after(() => api.close());

  const json = { "content-type": "application/json" };
  const refusals: [string, Record<string, string>, string][] = [
    [
      "a cross-origin POST",
      { ...json, origin: "https://evil.example" },
      "this server runs without authentication and refuses cross-origin requests",
    ],
    [
      "an Origin of another port",
      { ...json, origin: "http://127.0.0.1:1" },
      "this server runs without authentication and refuses cross-origin requests",
    ],
    ["Origin: null", { ...json, origin: "null" }, "this server runs without authentication and refuses cross-origin requests"],
    [
      "Sec-Fetch-Site: cross-site",
      { ...json, "sec-fetch-site": "cross-site" },
      "this server runs without authentication and refuses cross-origin requests",
    ],
    [
      "a form's content type",
      { "content-type": "application/x-www-form-urlencoded" },
      "this server runs without authentication: send a POST with Content-Type: application/json (and a body, {} at least) or an X-Requested-By header",
    ],
    [
      "text/plain",
      { "content-type": "text/plain" },
      "this server runs without authentication: send a POST with Content-Type: application/json (and a body, {} at least) or an X-Requested-By header",
    ],
  ];
  for (const [what, headers, detail] of refusals) {
    it(`refuses ${what} with 403, before any job`, async () => {
      const r = await api.call("POST", "/v1/stacks/wuxi/up", { token: null, raw: "{}", headers });
      assert.deepEqual([r.status, r.json.detail], [403, detail]);
      assert.equal((await api.jobs.list()).jobs.length, 0);
    });
  }

  it("refuses a Host that is not loopback and its port (DNS rebinding), reads too", async () => {
    for (const h of ["evil.example", `evil.example:${new URL(api.url).port}`, "127.0.0.1:1", "localhost"]) {
      const r = await rawRequest(api.url, `GET /v1/stacks HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`);
      assert.match(r, /^HTTP\/1\.1 403 /, h);
      assert.ok(r.includes("answers only to Host 127.0.0.1:"), r);
    }
  });

  it("serves loopback names, and a same-origin POST with JSON or with X-Requested-By", async () => {
    const { port } = new URL(api.url);
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      assert.match(await rawRequest(api.url, `GET /v1/stacks HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 200 /);
    const a = await api.call("POST", "/v1/stacks/wuxi/preview", {
      token: null,
      raw: "{}",
      headers: { ...json, origin: `http://${host}`, "sec-fetch-site": "same-origin" },
    });
    assert.equal(a.status, 202, a.text);
    const b = await api.call("POST", "/v1/stacks/cn-shanghai/preview", { token: null, headers: { "x-requested-by": "curl" } });
    assert.equal(b.status, 202, b.text);
  });
});

function rawRequest(url: string, text: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let out = "";
    const s = connect(Number(port), "127.0.0.1", () => s.write(text));
    s.on("data", (d: Buffer) => (out += d.toString()));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}

describe("cancel, errors, audit and the bearer scheme", () => {
  let api: Api;
  before(async () => {
    api = await startApi({ engine: { leakInDiagnostics: "password=hunter2-known" } });
  });
  after(() => api.close());

  it("answers 409 with the job's state to a cancel of a job that has ended, and cancels nothing", async () => {
    const up = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    await api.jobs.wait(up.json.id);
    const r = await api.call("POST", `/v1/jobs/${up.json.id}/cancel`, { token: TOKENS.operator });
    assert.equal(r.status, 409);
    assert.deepEqual([r.json.detail, r.json.state], [`job ${up.json.id} has already ended: succeeded`, "succeeded"]);
    assert.equal((await api.jobs.get(up.json.id))!.state, "succeeded");
  });

  it("logs a 500 with its request id and without secrets; the caller gets only the id", async () => {
    const list = api.jobs.list.bind(api.jobs);
    api.jobs.list = () => {
      throw new Error("the store failed: password=hunter2-known, Authorization: Bearer abcdefgh12345678");
    };
    try {
      const r = await api.call("GET", "/v1/jobs", { token: TOKENS.viewer });
      assert.equal(r.status, 500);
      const id = r.headers.get("request-id")!;
      assert.match(id, /^[0-9a-f]{16}$/);
      assert.deepEqual(r.json, {
        type: "https://mesh.invalid/problems/500",
        title: "Internal Server Error",
        status: 500,
        detail: `an internal error; the server's log has it under request id ${id}`,
        requestId: id,
      });
      const line = api.logs.find((l) => l.requestId === id)!;
      assert.deepEqual([line.level, line.msg, line.method, line.route], ["error", "internal error", "GET", "/v1/jobs"]);
      assert.match(String(line.error), /^Error: the store failed: \[secret\], Authorization: Bearer \[secret\]\n {4}at /);
      assert.ok(!JSON.stringify(api.logs).includes("hunter2-known"));
    } finally {
      api.jobs.list = list;
    }
  });

  it("audits refused requests: 400, 401, 403, 404, 413 and 429, with the reason", async () => {
    api.audit.length = 0;
    const requests: [string, string, { token?: string | null; raw?: string; headers?: Record<string, string> }, number, string][] = [
      ["POST", "/v1/stacks/wuxi/up", { token: null }, 401, "a bearer token is required"],
      ["GET", "/v1/stacks", { token: "not-a-token" }, 401, "the token is not valid"],
      [
        "POST",
        "/v1/stacks/wuxi/destroy",
        { token: TOKENS.operator, raw: '{"confirm":"wuxi"}' },
        403,
        "this needs the admin role; the caller has operator",
      ],
      ["POST", "/v1/stacks/wuxi/destroy", { raw: '{"confirm":"x"}' }, 400, "confirm must repeat the stack's name"],
      ["POST", "/v1/stacks/hangzhou/up", { token: TOKENS.operator }, 404, "stack hangzhou is not a stack of this mesh"],
      ["GET", "/v1/secrets", { token: TOKENS.viewer }, 404, "no such route"],
      [
        "POST",
        "/v1/stacks/wuxi/destroy",
        { raw: JSON.stringify({ confirm: "x".repeat(20_000) }) },
        413,
        "the body is larger than 16384 bytes",
      ],
    ];
    for (const [method, path, opts, status] of requests) assert.equal((await api.call(method, path, opts)).status, status, path);
    await sleep(50);
    assert.deepEqual(
      api.audit.map((a) => [a.method, a.path, a.status, a.reason]),
      requests.map(([method, path, , status, reason]) => [method, path, status, reason]),
    );
    assert.deepEqual(
      api.audit.map((a) => a.action),
      ["up", "request", "destroy", "destroy", "up", "request", "destroy"],
    );
    assert.equal(api.audit[2]!.actor, "operator-bot");
    assert.ok(api.audit.every((a) => typeof a.requestId === "string" && a.ip === "127.0.0.1"));
  });

  it("takes the bearer scheme in any case (RFC 7235)", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer", "bEaReR"]) {
      const r = await api.call("GET", "/v1/stacks", { token: null, headers: { authorization: `${scheme} ${TOKENS.viewer}` } });
      assert.equal(r.status, 200, scheme);
    }
    assert.equal((await api.call("GET", "/v1/stacks", { token: null, headers: { authorization: `Basic ${TOKENS.viewer}` } })).status, 401);
  });

  it("puts a CLI failure's reason in the job's events, not only in its record", async () => {
    const run = api.engine.run.bind(api.engine);
    api.engine.run = () =>
      Promise.reject(
        new MeshError(
          "engine_failed",
          "the Pulumi CLI was not found: install it (pulumi version works), or name a pinned one with MESH_PULUMI_ROOT and MESH_PULUMI_VERSION",
        ),
      );
    try {
      const up = await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
      const events = await readEvents(api.url, `/v1/jobs/${up.json.id}/events`, TOKENS.viewer);
      assert.deepEqual(
        events.map((e) => e.event),
        ["job.queued", "job.started", "diagnostic", "job.finished"],
      );
      assert.deepEqual(
        [events[2]!.data.severity, events[2]!.data.message],
        [
          "error",
          "the Pulumi CLI was not found: install it (pulumi version works), or name a pinned one with MESH_PULUMI_ROOT and MESH_PULUMI_VERSION",
        ],
      );
    } finally {
      api.engine.run = run;
    }
  });
});

describe("stack reads", () => {
  it("100 concurrent GET /v1/stacks read each stack's outputs once, at most 2 at a time, until a job on it ends", async () => {
    const api = await startApi({ limits: { outputsTtlMs: 60_000 } });
    try {
      const outputs = api.engine.outputs.bind(api.engine);
      let calls = 0;
      let running = 0;
      let peak = 0;
      api.engine.outputs = async (stack: string): Promise<Readonly<Record<string, StackOutput>>> => {
        calls++;
        peak = Math.max(peak, ++running);
        await sleep(50);
        running--;
        return outputs(stack);
      };
      const rs = await Promise.all(Array.from({ length: 100 }, () => api.call("GET", "/v1/stacks", { token: TOKENS.viewer })));
      assert.ok(rs.every((r) => r.status === 200));
      assert.deepEqual([calls, peak], [2, 2]);
      await api.call("GET", "/v1/stacks/wuxi", { token: TOKENS.viewer });
      assert.equal(calls, 2, "within the time to live");
      const up = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      await api.jobs.wait(up.json.id);
      const after = await api.call("GET", "/v1/stacks/wuxi", { token: TOKENS.viewer });
      assert.equal(calls, 3, "read again once a job on the stack has ended");
      assert.equal(after.json.outputs.clusterName, "wuxi");
    } finally {
      await api.close();
    }
  });
});

describe("the demo engine", () => {
  it("is named in every response, errors and event streams included", async () => {
    const api = await startApi({ engineName: "simulated" });
    try {
      for (const [path, status] of [
        ["/healthz", 200],
        ["/v1/stacks", 200],
        ["/v1/nothing", 404],
      ] as const) {
        const r = await api.call("GET", path, { token: TOKENS.viewer });
        assert.deepEqual([r.status, r.headers.get("mesh-engine")], [status, "simulated"]);
      }
      const up = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      const res = await fetch(`${api.url}/v1/jobs/${up.json.id}/events`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
      assert.equal(res.headers.get("mesh-engine"), "simulated");
      await res.text();
    } finally {
      await api.close();
    }
  });
});
