/**
 * The portal over a job store that fails, on a real server on loopback: PostgreSQL stopped under it, and
 * a SQLite file on a tmpfs whose disk fills mid-job. Every route that needs the store answers 503 with
 * Retry-After naming the store (one log line each, redacted, no trace); a watcher whose job fails on the
 * store is told so (`stream.end`, `store unavailable`), a reconnecting one is held, not closed at once, and
 * gets the job's end once the store takes it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MemoryEngine } from "../automation/memory-engine";
import { openPostgres } from "../automation/store/postgres";
import { openSqlite } from "../automation/store/sqlite";
import { VerifyJobs } from "../automation/verify-job";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";
import { startPostgres, type Postgres } from "./fixtures/postgres";
import { canMount, fillDisk, onTmpfs } from "./fixtures/tmpfs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

/** The 503 of a route that needs a store that failed: Retry-After, the store named, the request id that the one log line carries. */
function assertStore503(api: Api, r: Awaited<ReturnType<Api["call"]>>, kind: string, writing: boolean, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.text}`);
  assert.equal(r.headers.get("retry-after"), "5", what);
  assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8", what);
  const id = r.headers.get("request-id")!;
  assert.deepEqual(
    r.json,
    {
      type: "https://mesh.invalid/problems/503",
      title: "Service Unavailable",
      status: 503,
      detail: `the ${kind} job store cannot be ${writing ? "written: nothing was changed" : "read"}; try again in 5 s (GET /readyz answers 200 once the store can be written; the server's log has the reason under request id ${id})`,
      requestId: id,
    },
    what,
  );
  const lines = api.logs.filter((l) => l.requestId === id);
  assert.equal(lines.length, 1, `${what}: one log line, not ${JSON.stringify(lines)}`);
  assert.equal(lines[0]!.msg, "job store unavailable", what);
  assert.equal(lines[0]!.level, "error", what);
  const error = String(lines[0]!.error);
  assert.doesNotMatch(error, /\n|\bat .*\(.*:\d+:\d+\)/, `${what}: no trace in ${error}`);
  assert.match(error, new RegExp(`^the job store \\(${kind} .*\\) cannot be ${writing ? "written" : "read"}: `), what);
}

describe("PostgreSQL stopped under the server", () => {
  let pg: Postgres;
  let api: Api;
  let done: string;
  before(async () => {
    pg = await startPostgres();
    api = await startApi({
      store: openPostgres(pg.url, { pollMs: 200 }),
      engine: { stepMs: 1 },
      verify: (jobs) => new VerifyJobs({ jobs, projectDir: PROJECT_DIR, outputs: new MemoryEngine({ stacks: [] }) }),
      // browsers sign in too: their sessions are in the store
      browser: { maxAgeMs: 3_600_000, idleMs: 3_600_000, secret: randomBytes(32) },
    });
    done = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
    await api.jobs.wait(done);
  });
  after(async () => {
    await api?.close().catch(() => undefined);
    await pg?.stop();
  });

  it("every route that needs the store answers 503 with Retry-After naming it, and logs one line without a trace", async () => {
    const signedIn = await fetch(`${api.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: new URL(api.url).origin },
      body: JSON.stringify({ token: TOKENS.viewer }),
    });
    assert.equal(signedIn.status, 200);
    const cookie = signedIn.headers.getSetCookie()[0]!.split(";")[0]!;
    await pg.halt();
    const routes: [string, string, string, unknown?][] = [
      ["GET", "/v1/jobs", TOKENS.viewer],
      ["GET", `/v1/jobs/${done}`, TOKENS.viewer],
      ["GET", `/v1/jobs/${done}/events`, TOKENS.viewer],
      ["POST", `/v1/jobs/${done}/cancel`, TOKENS.operator],
      ["GET", "/v1/stacks", TOKENS.viewer],
      ["GET", "/v1/stacks/wuxi", TOKENS.viewer],
      ["POST", "/v1/stacks/wuxi/up", TOKENS.operator],
      ["POST", "/v1/stacks/wuxi/refresh", TOKENS.operator],
      ["POST", "/v1/stacks/cn-shanghai/preview", TOKENS.viewer],
      ["POST", "/v1/stacks/wuxi/destroy", TOKENS.admin, { confirm: "wuxi" }],
      ["POST", "/v1/verify", TOKENS.viewer],
      ["GET", "/v1/audit", TOKENS.admin],
    ];
    for (const [method, path, token, body] of routes) {
      const r = await api.call(method, path, { token, ...(body ? { body } : {}) });
      assertStore503(api, r, "postgres", false, `${method} ${path}`);
    }
    // a browser's session is read from the store before anything else
    assertStore503(
      api,
      await api.call("GET", "/v1/jobs", { token: null, headers: { cookie } }),
      "postgres",
      false,
      "a session's GET /v1/jobs",
    );
    assert.deepEqual(
      api.logs.filter((l) => l.msg === "internal error"),
      [],
    );
    const ready = await api.call("GET", "/readyz", { token: null });
    assert.equal(ready.status, 503);
    assert.equal(ready.headers.get("retry-after"), "5");
    // the password never reaches a log line
    assert.doesNotMatch(JSON.stringify(api.logs), /mesh-test-password/);
    // the server is still up, and serves again once the database is back
    assert.equal((await api.call("GET", "/healthz", { token: null })).status, 200);
    await pg.resume();
    await until("the store to answer again", async () => (await api.call("GET", "/v1/jobs", { token: TOKENS.viewer })).status === 200);
    assert.equal((await api.call("GET", `/v1/jobs/${done}`, { token: TOKENS.viewer })).json.state, "succeeded");
  });

  it("a stream following a job when the database stops ends with stream.end: store unavailable", async () => {
    // a job that runs for a minute: it is still running when the database stops
    const other = await startApi({ store: openPostgres(pg.url, { pollMs: 200 }), engine: { stepMs: 3000 } });
    try {
      const id = (await other.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator })).json.id as string;
      // a viewer on the first server follows the job the second one runs (asking again after a 503, as a
      // client does after Retry-After: the pool may still hold a connection from before the restart)
      let open = false;
      const watcher = (async () => {
        for (let i = 0; ; i++) {
          try {
            return await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer, undefined, undefined, () => (open = true));
          } catch (e) {
            if (i > 20 || !String(e).includes("status 503")) throw e;
            await sleep(100);
          }
        }
      })();
      await until("the job's first events", async () => (await other.jobs.events(id)).length >= 3);
      // the database stops under an open stream, not under a watcher still asking to open one
      await until("the watcher's stream to open", () => open);
      await pg.halt();
      const events = await watcher;
      assert.deepEqual(events.at(-1), { id: NaN, event: "stream.end", data: { reason: "store unavailable" }, retry: 5000 });
      assert.deepEqual(
        events.slice(0, -1).map((e) => e.id),
        events.slice(0, -1).map((_, i) => i + 1),
      );
    } finally {
      await pg.resume();
      await other.close().catch(() => undefined);
    }
  });
});

describe("a SQLite store whose disk fills mid-job", { skip: !canMount && "needs root to mount a tmpfs" }, () => {
  it("refuses new jobs with 503; the watcher hears store unavailable; a reconnect is held and gets the job's end once space is freed", async () => {
    await onTmpfs("mesh-api-full-", "3m", async (mnt) => {
      const api = await startApi({
        store: openSqlite(join(mnt, "jobs.db")),
        // a long job: 2000 resources, each a few events
        engine: { stepMs: 2, baseResources: 2000 },
        // a heartbeat every 300 ms, so the job's held writes are retried soon after space is freed
        jobs: { leaseMs: 900 },
        limits: { storeWaitMs: 1500 },
      });
      const filler = join(mnt, "filler");
      try {
        const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
        const watcher = readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
        await until("the job's events in the store", async () => (await api.jobs.store.events(id, 0, 100)).length >= 50);
        fillDisk(filler);
        await until("the job to fail on the store", async () => (await api.jobs.get(id))!.state === "failed");
        assert.equal((await api.jobs.get(id))!.error!.code, "store_failed");

        // the watcher is told, and told when to come back
        const first = await watcher;
        assert.deepEqual(first.at(-1), { id: NaN, event: "stream.end", data: { reason: "store unavailable" }, retry: 5000 });
        const seen = first.slice(0, -1);
        assert.deepEqual(
          seen.map((e) => e.id),
          seen.map((_, i) => i + 1),
        );
        const last = seen.at(-1)!.id;

        // a new job cannot start: 503, not 500
        assertStore503(api, await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator }), "sqlite", true, "POST up");
        // reads still work
        assert.equal((await api.call("GET", "/v1/jobs", { token: TOKENS.viewer })).status, 200);

        // a reconnect is not closed at once: it waits for the store, then says why it ends
        const t0 = Date.now();
        const again = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer, last);
        assert.ok(Date.now() - t0 >= 1400, `held for ${Date.now() - t0} ms`);
        assert.deepEqual(again, [{ id: NaN, event: "stream.end", data: { reason: "store unavailable" }, retry: 5000 }]);

        // once space is freed, a reconnect gets the rest: the store's reason, then job.finished
        const resumed = readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer, last);
        await sleep(300);
        rmSync(filler);
        const rest = await resumed;
        assert.deepEqual(
          rest.map((e) => e.id),
          rest.map((_, i) => last + i + 1),
        );
        const end = rest.at(-1)!;
        assert.equal(end.event, "job.finished");
        assert.equal(end.data.state, "failed");
        assert.equal(end.data.error.code, "store_failed");
        assert.match(end.data.error.message, /cannot be written: SQLITE_FULL: database or disk is full\. The job was stopped/);
        assert.deepEqual(
          [...seen, ...rest].map((e) => e.id),
          (await api.jobs.store.events(id, 0, 100_000)).map((e) => e.seq),
        );
      } finally {
        rmSync(filler, { force: true });
        await api.close().catch(() => undefined);
      }
    });
  });
});
