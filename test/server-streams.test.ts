/**
 * Event streams under hostile clients, on a real server on loopback: a Last-Event-ID past the job's end,
 * streams that would stay open forever, replays to clients that never read, and a shutdown with watchers
 * (jobs cancelled, every stream ended with a final event, within the grace period).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { OperationOptions } from "../automation/engine";
import { Jobs } from "../automation/jobs";
import { MemoryEngine } from "../automation/memory-engine";
import { openSqlite } from "../automation/store/sqlite";
import type { JobKind } from "../automation/types";
import { EventStreams } from "../server/event-stream";
import { DEFAULT_LIMITS } from "../server/settings";
import { Turns } from "../server/stream-turns";
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
function nonReader(url: string, path: string, token = TOKENS.viewer): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
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
    const api = await startApi({ limits: { streams: 10, streamStallMs: 2000 } });
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
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) sockets.push(await nonReader(api.url, `/v1/jobs/${id}/events`));
      await until(() => api.app.portal.streams.size === 10);
      const refused = await api.call("GET", `/v1/jobs/${id}/events`, { token: TOKENS.viewer });
      assert.equal(refused.status, 429, "ten unread replays hold the ten streams");
      // once the kernel's buffers are full and nothing more is taken for the stall bound, the server
      // drops them, and their streams are free again
      await until(() => api.app.portal.streams.size === 0, 20_000);
      assert.ok(Date.now() - t0 >= 2000, `dropped after ${Date.now() - t0} ms`);
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
    // every watcher's stream open before the server closes (a request that comes after is a 503)
    await until(() => api.app.portal.streams.size === 6);
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

/** Counts turns of the event loop (one per check phase) while `run` runs. */
async function ticking<T>(run: (tick: () => number) => Promise<T>): Promise<T> {
  let tick = 0;
  let on = true;
  const loop = () => {
    tick++;
    if (on) setImmediate(loop);
  };
  setImmediate(loop);
  try {
    return await run(() => tick);
  } finally {
    on = false;
  }
}

describe("replays in turns", () => {
  it("hands page reads out one at a time in the order asked, lets the event loop turn between two, and holds them while too many bytes wait", async () => {
    const turns = new Turns(1000);
    const order: [string, number][] = [];
    await ticking(async (tick) => {
      await Promise.all(
        ["a", "b", "c"].map(async (name) => {
          for (let i = 0; i < 3; i++) await turns.run(() => Promise.resolve(order.push([name, tick()])));
        }),
      );
    });
    assert.deepEqual(
      order.map(([name]) => name),
      ["a", "b", "c", "a", "b", "c", "a", "b", "c"],
    );
    const ticks = order.map(([, t]) => t);
    assert.ok(
      ticks.every((t, i) => i === 0 || t > ticks[i - 1]!),
      `a turn of the event loop between any two: ${ticks.join(" ")}`,
    );
    // 1500 bytes written and not taken, past the bound of 1000: no page is read until they are
    const taken = turns.sent(1500);
    let read = false;
    const next = turns.run(() => Promise.resolve((read = true)));
    await sleep(50);
    assert.equal(read, false);
    assert.equal(turns.bytesInFlight, 1500);
    taken();
    await next;
    assert.equal(read, true);
    assert.equal(turns.bytesInFlight, 0);
  });

  it("20 replays of 20 finished jobs at once: each client gets every event in order, and no two page reads share a turn of the event loop", async () => {
    const api = await startApi();
    // each job 1100 events of 1 KB: three pages or more
    api.engine.run = (_s: string, _k: JobKind, o: OperationOptions) => {
      const message = `${"a line the program printed ".repeat(38)}\n`;
      for (let i = 0; i < 1100; i++)
        o.onEvent({ sequence: i, timestamp: 0, diagnosticEvent: { message, color: "never", severity: "info" } });
      return Promise.resolve({ changes: {} });
    };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const id = (await api.call("POST", `/v1/stacks/${i % 2 ? "wuxi" : "cn-shanghai"}/up`, { token: TOKENS.operator })).json
          .id as string;
        await api.jobs.wait(id);
        ids.push(id);
      }
      const stored = await Promise.all(ids.map(async (id) => (await api.jobs.events(id, 0, 100_000)).map((e) => e.seq)));
      // every read of a page of events, and the turn of the event loop it happened in
      const reads: number[] = [];
      let now = () => 0;
      const store = api.jobs.store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      for (const name of ["page", "events"]) {
        if (!store[name]) continue;
        const inner = store[name].bind(store);
        store[name] = (...a: unknown[]) => {
          if (name === "page" || a[2] === 500) reads.push(now());
          return inner(...a);
        };
      }
      const received = await ticking((tick) => {
        now = tick;
        return Promise.all(ids.map((id) => readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer)));
      });
      received.forEach((events, i) => {
        assert.deepEqual(
          events.map((e) => e.id),
          stored[i],
        );
        assert.equal(events.at(-1)!.event, "job.finished");
      });
      assert.ok(reads.length >= 20 * 3, `${reads.length} page reads`);
      const perTurn = new Map<number, number>();
      for (const t of reads) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
      assert.equal(Math.max(...perTurn.values()), 1, "one page read per turn of the event loop");
    } finally {
      await api.close();
    }
  });
});

describe("streams per caller", () => {
  it("one caller cannot take a job's every stream: past its own limit it gets 429, and another caller's stream is admitted", async () => {
    // idleMs: the connections fetch opens after a stream it gave up on and never uses are closed soon, so the close waits for none
    const api = await startApi({ engine: { stepMs: 300 }, limits: { streamsPerJob: 5, streamsPerCaller: 3, idleMs: 1000 } });
    const sockets: Socket[] = [];
    try {
      const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
      const path = `/v1/jobs/${id}/events`;
      for (let i = 0; i < 3; i++) sockets.push(await nonReader(api.url, path));
      await until(() => api.app.portal.streams.size === 3);
      const refused = await api.call("GET", path, { token: TOKENS.viewer });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.detail, "you have 3 event streams open, the most one caller may; close one first");
      assert.equal(api.audit.at(-1)!.reason, "you have 3 event streams open, the most one caller may; close one first");
      // the operator's own stream, on the same job
      const theirs = await readEvents(api.url, path, TOKENS.operator, undefined, 1);
      assert.equal(theirs[0]!.event, "job.queued");
      // a stream given back is the caller's to open again
      sockets.pop()!.destroy();
      await until(() => api.app.portal.streams.size === 2);
      const again = await readEvents(api.url, path, TOKENS.viewer, undefined, 1);
      assert.equal(again[0]!.event, "job.queued");
      await api.jobs.cancel(id);
    } finally {
      for (const s of sockets) s.destroy();
      await api.close();
    }
  });
});

/**
 * A response whose client reads nothing: its kernel took the first 300 bytes and takes no more. Writes
 * below the high-water mark are accepted (true) and never drain, as a socket's are.
 */
class Unread extends EventEmitter {
  taken = 0;
  writableLength = 0;
  destroyed = false;
  ended = false;
  get writableNeedDrain(): boolean {
    return this.writableLength >= 16_384;
  }
  writeHead(): this {
    return this;
  }
  write(chunk: string | Buffer, cb?: () => void): boolean {
    const room = Math.max(0, 300 - this.taken);
    const now = Math.min(room, chunk.length);
    this.taken += now;
    this.writableLength += chunk.length - now;
    if (now === chunk.length && cb) setImmediate(cb);
    return !this.writableNeedDrain;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

describe("a quiet stream whose client reads nothing", () => {
  it("is dropped after the stall bound though only heartbeats wait (no event, no backpressure), and its slot is free again", async () => {
    // a job that runs and says nothing for a minute after its first events
    const jobs = new Jobs({
      engine: new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 60_000 }),
      store: openSqlite(":memory:"),
    });
    const streams = new EventStreams(jobs, { ...DEFAULT_LIMITS, heartbeatMs: 20, streamStallMs: 400 });
    try {
      const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "t" });
      const res = new Unread();
      const t0 = Date.now();
      streams.serve(res as unknown as ServerResponse, job.id, "token:viewer", 0, {});
      await until(() => res.destroyed, 5000);
      const took = Date.now() - t0;
      assert.ok(took >= 400 && took < 3000, `dropped after ${took} ms`);
      assert.ok(res.writableLength > 0 && res.writableLength < 16_384, `${res.writableLength} bytes were waiting`);
      assert.equal(res.ended, false, "no final event for a client that reads nothing");
      assert.equal(streams.size, 0);
      assert.equal(streams.refusal(job.id, "token:viewer"), undefined);
      await jobs.cancel(job.id);
    } finally {
      await jobs.close();
    }
  });
});
