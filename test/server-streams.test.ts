/**
 * Event streams under hostile clients, on a real server on loopback: a Last-Event-ID past the job's end,
 * streams that would stay open forever, replays to clients that never read, and a shutdown with watchers
 * (jobs cancelled, every stream ended with a final event, within the grace period).
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { OperationOptions } from "../automation/engine";
import type { JobKind } from "../automation/types";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (f: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
};

/** A client that sends the request and never reads a byte of the answer. */
function nonReader(url: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${TOKENS.viewer}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      s.pause();
      resolve(s);
    });
    s.on("error", reject);
  });
}

describe("Last-Event-ID", () => {
  let api: Api;
  let id: string;
  let total: number;
  before(async () => {
    api = await startApi();
    id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id;
    await api.jobs.wait(id);
    total = (await api.jobs.events(id)).length;
  });
  after(() => api.close());

  it("beyond the job's last event is a 400 naming the last one, and holds no stream", async () => {
    const rs = await Promise.all(
      Array.from({ length: 50 }, () =>
        api.call("GET", `/v1/jobs/${id}/events`, { token: TOKENS.viewer, headers: { "last-event-id": "999999999" } }),
      ),
    );
    for (const r of rs) {
      assert.equal(r.status, 400);
      assert.equal(
        r.json.detail,
        `Last-Event-ID 999999999 is beyond job ${id}'s last event (${total}); reconnect without it to replay from the start`,
      );
      assert.deepEqual(r.json.errors, [{ path: "headers/last-event-id", message: `at most ${total}` }]);
    }
    assert.equal((await api.jobs.events(id)).at(-1)!.type, "job.finished");
    const all = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
    assert.equal(all.length, total);
  });

  it("at the job's last event ends a finished job's stream at once, with nothing sent", async () => {
    assert.deepEqual(await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer, total), []);
  });
});

describe("a stream's lifetime", () => {
  it("ends a stream after its maximum lifetime with stream.end; the client resumes where it was", async () => {
    const api = await startApi({ engine: { stepMs: 30 }, limits: { streamMaxMs: 300 } });
    try {
      const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
      const first = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
      assert.deepEqual(first.at(-1), { id: NaN, event: "stream.end", data: { reason: "lifetime" } });
      assert.notEqual((await api.jobs.get(id))!.state, "succeeded", "the job outlives the stream");
      const seen = first.slice(0, -1);
      let resumed = seen;
      while (resumed.at(-1)?.event !== "job.finished") {
        const next = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer, resumed.at(-1)!.id);
        resumed = [...resumed, ...next.filter((e) => e.event !== "stream.end")];
      }
      assert.deepEqual(
        resumed.map((e) => e.id),
        (await api.jobs.events(id)).map((e) => e.seq),
      );
    } finally {
      await api.close();
    }
  });
});

describe("replays to clients that do not read", () => {
  it("count against the stream limits until their last byte is out, and are dropped after the stall bound", async () => {
    // a finished job with a replay of 12 MB, more than the kernel buffers of a loopback socket take (about 4.5 MB here)
    const api = await startApi({ limits: { streams: 10, streamStallMs: 4000 } });
    api.engine.run = (_s: string, _k: JobKind, o: OperationOptions) => {
      const message = `${"a line the program printed ".repeat(400)}\n`;
      for (let i = 0; i < 1000; i++)
        o.onEvent({ sequence: i, timestamp: 0, diagnosticEvent: { message, color: "never", severity: "info" } });
      return Promise.resolve({ changes: {} });
    };
    const sockets: Socket[] = [];
    try {
      const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
      await api.jobs.wait(id);
      const bytes = (await api.jobs.events(id)).reduce((a, e) => a + JSON.stringify(e).length, 0);
      assert.ok(bytes > 10_000_000, `${bytes}`);
      for (let i = 0; i < 10; i++) sockets.push(await nonReader(api.url, `/v1/jobs/${id}/events`));
      await sleep(100);
      const refused = await api.call("GET", `/v1/jobs/${id}/events`, { token: TOKENS.viewer });
      assert.equal(refused.status, 429, "ten unread replays hold the ten streams");
      // after the stall bound the server drops them, and their streams are free again
      await sleep(4000 + 1500);
      const full = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
      assert.equal(full.length, (await api.jobs.events(id)).length);
      // what a dropped client had been sent: a part, and then the connection closed
      const received = await Promise.all(
        sockets.map(
          (s) =>
            new Promise<number>((resolve) => {
              let n = 0;
              s.on("data", (d: Buffer) => (n += d.length));
              s.once("close", () => resolve(n));
              s.resume();
            }),
        ),
      );
      for (const n of received) assert.ok(n > 0 && n < bytes * 0.8, `${n} of ${bytes}`);
    } finally {
      for (const s of sockets) s.destroy();
      await api.close();
    }
  });
});

describe("shutdown with watchers", () => {
  it("cancels running jobs, ends every stream with job.finished, and closes", async () => {
    const api = await startApi({ engine: { stepMs: 50 } });
    const jobs = await Promise.all(
      ["wuxi", "cn-shanghai"].map(
        async (s) => (await api.call("POST", `/v1/stacks/${s}/up`, { token: TOKENS.operator })).json.id as string,
      ),
    );
    const watchers = jobs.flatMap((id) => Array.from({ length: 3 }, () => readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer)));
    await until(async () => (await Promise.all(jobs.map((id) => api.jobs.get(id)))).every((r) => r!.state === "running"));
    await sleep(100);
    const t0 = Date.now();
    await api.close();
    assert.ok(Date.now() - t0 < 2000, `closed in ${Date.now() - t0} ms`);
    for (const events of await Promise.all(watchers)) {
      assert.equal(events.at(-1)!.event, "job.finished");
      assert.equal(events.at(-1)!.data.state, "cancelled");
    }
    assert.deepEqual(
      api.logs.map((l) => l.msg),
      ["shutting down", "jobs stopped"],
    );
  });

  it("does not wait past the grace period for a job that ignores its cancel; its watchers get stream.end", async () => {
    const api = await startApi({ limits: { shutdownGraceMs: 400 } });
    let release = () => {};
    api.engine.run = (_s: string, _k: JobKind, o: OperationOptions) => {
      o.onEvent({ sequence: 0, timestamp: 0, diagnosticEvent: { message: "working\n", color: "never", severity: "info" } });
      return new Promise((r) => (release = () => r({ changes: {} })));
    };
    try {
      const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
      const watcher = readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
      await until(async () => (await api.jobs.events(id)).some((e) => e.type === "diagnostic"));
      await sleep(50);
      const t0 = Date.now();
      await api.close();
      const took = Date.now() - t0;
      assert.ok(took >= 380 && took < 2000, `closed in ${took} ms`);
      const events = await watcher;
      assert.deepEqual(events.at(-1), { id: NaN, event: "stream.end", data: { reason: "shutting down" } });
      assert.ok(events.some((e) => e.event === "job.cancelling"));
      assert.equal(api.logs.at(-1)!.level, "warning");
      assert.deepEqual(api.logs.at(-1)!.jobs, [id]);
    } finally {
      release();
    }
  });
});
