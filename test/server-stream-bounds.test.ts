/**
 * The event streams' bounds in time, on the server as a process (`server/main.ts --engine simulated` on a
 * SQLite file) over real HTTP, each shortened by its setting: MESH_API_STREAM_LIFETIME ends a stream with
 * `stream.end` and the client resumes where it was; MESH_API_STREAM_STALL drops a client that stopped
 * reading a replay, while a reading client gets all of it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { OperationOptions } from "../automation/engine";
import { Jobs } from "../automation/jobs";
import { MemoryEngine } from "../automation/memory-engine";
import { openSqlite } from "../automation/store/sqlite";
import type { JobKind } from "../automation/types";
import { readEvents } from "./fixtures/api";
import { getJob, post, startServer, type Server } from "./fixtures/server-process";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The kernel's state of the server's end of the TCP connection from `clientPort` to `serverPort` on
 * 127.0.0.1 (/proc/net/tcp: "01" established, "04" closed by the server with data still unsent), or
 * undefined once the connection is gone.
 */
function serverEnd(serverPort: number, clientPort: number): string | undefined {
  const hex = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (local === hex(serverPort) && remote === hex(clientPort)) return state;
  }
  return undefined;
}

/** A stream's events and, after each `stream.end`, those of the next connection from its Last-Event-ID, to job.finished. */
async function resumeToEnd(url: string, id: string, first: Awaited<ReturnType<typeof readEvents>>) {
  let seen = first.filter((e) => e.event !== "stream.end");
  while (seen.at(-1)?.event !== "job.finished") {
    const next = await readEvents(url, `/v1/jobs/${id}/events`, "unused", seen.at(-1)?.id);
    seen = [...seen, ...next.filter((e) => e.event !== "stream.end")];
  }
  return seen;
}

describe("the server process's stream bounds, shortened by its settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-bounds-"));
  const file = join(dir, "jobs.db");
  let big: { id: string; events: number; bytes: number };
  let server: Server;
  let stalling: Server;
  before(async () => {
    // a finished job whose replay (12 MB) is more than a loopback socket's buffers take, written before the server starts
    const engine = new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }] });
    engine.run = (_s: string, _k: JobKind, o: OperationOptions) => {
      const message = `${"a line the program printed ".repeat(400)}\n`;
      for (let i = 0; i < 1000; i++)
        o.onEvent({ sequence: i, timestamp: 0, diagnosticEvent: { message, color: "never", severity: "info" } });
      return Promise.resolve({ changes: {} });
    };
    const jobs = new Jobs({ engine, store: openSqlite(file) });
    const r = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "test" });
    await jobs.wait(r.id);
    const events = await jobs.events(r.id, 0, 100_000);
    big = { id: r.id, events: events.length, bytes: events.reduce((a, e) => a + JSON.stringify(e).length, 0) };
    await jobs.close();
    // one bound shortened on each (each one's streams are also ended by the other bound); a job's 31 steps
    // of 60 ms take longer than a stream's lifetime, whatever the program's start takes
    [server, stalling] = await Promise.all([
      startServer(`sqlite:${file}`, 60, { MESH_API_STREAM_LIFETIME: "1500ms" }),
      startServer(`sqlite:${file}`, 60, { MESH_API_STREAM_STALL: "2s" }),
    ]);
  });
  after(async () => {
    await Promise.all([server?.stop(), stalling?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("MESH_API_STREAM_LIFETIME: a stream ends with stream.end lifetime; resumed with Last-Event-ID, the client sees every event once", async () => {
    const started = await post(server.url, "cn-shanghai");
    assert.equal(started.status, 202);
    const id = started.body.id!;
    const t0 = Date.now();
    const first = await readEvents(server.url, `/v1/jobs/${id}/events`, "unused");
    const took = Date.now() - t0;
    assert.deepEqual(first.at(-1), { id: NaN, event: "stream.end", data: { reason: "lifetime" } });
    assert.ok(took >= 1400 && took < 10_000, `ended after ${took} ms`);
    const seen = await resumeToEnd(server.url, id, first);
    assert.deepEqual(
      seen.map((e) => e.id),
      seen.map((_, i) => i + 1),
    );
    assert.equal((await getJob(server.url, id)).state, "succeeded");
  });

  it("MESH_API_STREAM_STALL: a client that stops reading a replay is dropped once it has taken nothing for that long; a reader gets it all", async () => {
    const { port } = new URL(stalling.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write(`GET /v1/jobs/${big.id}/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Requested-By: test\r\n\r\n`);
    socket.pause();
    const all = await resumeToEnd(stalling.url, big.id, await readEvents(stalling.url, `/v1/jobs/${big.id}/events`, "unused"));
    assert.deepEqual(
      all.map((e) => e.id),
      all.map((_, i) => i + 1),
    );
    assert.equal(all.length, big.events);
    assert.equal(all.at(-1)!.event, "job.finished");
    // once the server has closed its end (the stall bound passed with nothing taken): what it had been sent, then the close
    const end = Date.now() + 60_000;
    while (serverEnd(Number(port), socket.localPort!) === "01") {
      if (Date.now() > end) throw new Error("the server never dropped the client that stopped reading");
      await sleep(50);
    }
    let received = 0;
    socket.on("data", (d: Buffer) => (received += d.length));
    socket.resume();
    await new Promise((r) => socket.once("close", r));
    assert.ok(received > 0 && received < big.bytes * 0.8, `${received} of ${big.bytes} bytes`);
  });
});
