/**
 * A job's events as Server-Sent Events, within limits: every stream — a replay of a finished job as much
 * as a live one — counts against the limits (per job, per caller, in all) until its last byte has left.
 * Its pages are read in turns with every other stream's (stream-turns.ts) and written with backpressure
 * (the next page is read once the client has taken the last). It ends after `job.finished`; with a final
 * `stream.end` after its maximum lifetime, when the server shuts down, or when the store cannot give the
 * job's events; and without one when the client has taken nothing for longer than the stall bound —
 * whatever waited for it, a page, a heartbeat or the final event.
 */
import type { ServerResponse } from "node:http";
import type { Jobs } from "../automation/jobs";
import type { MeshEvent } from "../automation/types";
import { FramePages } from "./page-cache";
import { STORE_RETRY_AFTER_S } from "./problems";
import { Turns } from "./stream-turns";

/** Frames of pages that can no longer change, kept for other streams: a few replays' worth of a large job. */
const PAGE_CACHE_BYTES = 16 * 1024 * 1024;

export interface StreamLimits {
  /** Streams open on one job. */
  readonly streamsPerJob: number;
  /** Streams open in all. */
  readonly streams: number;
  /** Streams one caller has open. */
  readonly streamsPerCaller: number;
  /** A comment line on an idle stream, ms. */
  readonly heartbeatMs: number;
  /** A stream ends (with `stream.end`, the client resumes with Last-Event-ID) after this long, ms. */
  readonly streamMaxMs: number;
  /** A client that takes nothing for this long is dropped, ms. */
  readonly streamStallMs: number;
  /** Pages written and not yet taken by the kernel, in all, past which no stream reads another, bytes. */
  readonly replayBytes: number;
  /** How long a stream waits for the last events of a job that ended without them in the store, ms. */
  readonly storeWaitMs: number;
}

/** Why a stream ended before `job.finished`: the data of its final `stream.end` event. */
export type EndReason = "shutting down" | "lifetime" | "store unavailable";

const frame = (e: MeshEvent): string => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** `stream.end`; after `store unavailable` the client's EventSource waits as long as a 503's Retry-After says. */
const endFrame = (reason: EndReason): string =>
  `${reason === "store unavailable" ? `retry: ${STORE_RETRY_AFTER_S * 1000}\n` : ""}event: stream.end\ndata: ${JSON.stringify({ reason })}\n\n`;

class Stream {
  private last: number;
  private ending = false;
  /** Armed while something written waits for the client; the client is dropped when it fires. */
  private stall?: NodeJS.Timeout;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stop = new AbortController();
  /** Pages written and not yet taken by the kernel, each counted in the turns' bound until it is. */
  private readonly untaken = new Set<() => void>();

  constructor(
    readonly jobId: string,
    private readonly res: ServerResponse,
    private readonly jobs: Jobs,
    private readonly limits: StreamLimits,
    private readonly turns: Turns,
    private readonly cache: FramePages,
    after: number,
    readonly closed: Promise<void>,
  ) {
    this.last = after;
  }

  start(): void {
    this.res.on("drain", () => this.unstall());
    void this.closed.then(() => {
      this.unstall();
      for (const taken of this.untaken) taken();
      this.untaken.clear();
    });
    const heartbeat = setInterval(() => {
      if (!this.res.writableNeedDrain && !this.ending) this.write(": heartbeat\n\n");
    }, this.limits.heartbeatMs);
    this.timers.push(
      heartbeat,
      setTimeout(() => this.end("lifetime"), this.limits.streamMaxMs),
    );
    void this.pump();
  }

  /**
   * Writes what the client has not seen — replayed from the store, then live as any process writes it —
   * a page per write, in turns with the other streams, waiting for the client to drain between pages,
   * so a slow reader holds one page at most.
   */
  private async pump(): Promise<void> {
    const pages = this.jobs.followPages(this.jobId, this.last, {
      signal: this.stop.signal,
      // a page leaves the store as the bytes of its frames: what waits for a slow client is those, once
      shape: (events) => Buffer.from(events.map(frame).join("")),
      turn: (read) => this.turns.run(read),
      cache: this.cache,
      endWaitMs: this.limits.storeWaitMs,
    });
    try {
      for await (const p of pages) {
        if (this.ending) return;
        this.last = p.last;
        const ok = this.write(p.page, true);
        if (p.finished) return this.finish();
        if (!ok && !(await this.drained())) return;
      }
      // the client had seen the job's end already (its Last-Event-ID is job.finished's), or the job is gone
      if (!this.ending && !this.stop.signal.aborted) this.finish();
    } catch {
      // the store cannot be read, or does not have the job's end: the client reconnects with Last-Event-ID
      if (!this.ending) this.end("store unavailable");
    }
  }

  /**
   * One write. Whatever it carries — a page, a heartbeat, the final event — once the kernel has not taken
   * all of it, the client has the stall bound to take what is left, or is dropped: a quiet stream's
   * heartbeats wait below the high-water mark (no backpressure, no drain), so the bytes left are what counts.
   */
  private write(chunk: string | Buffer, page = false): boolean {
    const taken = page ? this.turns.sent(chunk.length) : undefined;
    if (taken) this.untaken.add(taken);
    const ok = this.res.write(chunk, () => {
      if (taken) {
        this.untaken.delete(taken);
        taken();
      }
      if (this.res.writableLength === 0) this.unstall();
    });
    if (this.res.writableLength > 0 && !this.stall) this.stall = setTimeout(() => this.res.destroy(), this.limits.streamStallMs);
    return ok;
  }

  private unstall(): void {
    clearTimeout(this.stall);
    this.stall = undefined;
  }

  /** Resolves true once the client has taken what is buffered; false once the connection is gone (the stall bound drops it). */
  private drained(): Promise<boolean> {
    if (!this.res.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.res.off("drain", onDrain);
        this.res.off("close", onClose);
        resolve(ok && !this.res.destroyed);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      this.res.once("drain", onDrain);
      this.res.once("close", onClose);
    });
  }

  /** Ends before `job.finished`, with a final event saying why. */
  end(reason: EndReason): void {
    if (this.ending) return;
    if (this.res.writableNeedDrain) {
      // a client that is not reading gets no final event: it is dropped
      this.ending = true;
      this.cleanup();
      this.res.destroy();
      return;
    }
    this.write(endFrame(reason));
    this.finish();
  }

  /** The last write is out: end the response, and drop the client if it does not take the rest in time. */
  private finish(): void {
    this.ending = true;
    this.cleanup();
    this.res.end();
    this.stall ??= setTimeout(() => this.res.destroy(), this.limits.streamStallMs);
    this.stall.unref();
  }

  cleanup(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
    this.stop.abort();
  }
}

/** How many of `key` are open, in a map of counts. */
const count = (m: Map<string, number>, key: string): number => m.get(key) ?? 0;
const add = (m: Map<string, number>, key: string, by: number): void => {
  const n = count(m, key) + by;
  if (n > 0) m.set(key, n);
  else m.delete(key);
};

export class EventStreams {
  private readonly open = new Set<Stream>();
  private readonly perJob = new Map<string, number>();
  private readonly perCaller = new Map<string, number>();
  private readonly turns: Turns;
  private readonly cache = new FramePages(PAGE_CACHE_BYTES);

  constructor(
    private readonly jobs: Jobs,
    private readonly limits: StreamLimits,
  ) {
    this.turns = new Turns(limits.replayBytes);
  }

  /** Streams open now, in all. */
  get size(): number {
    return this.open.size;
  }

  /** Resolves in a turn of its own among the streams' page reads (see stream-turns.ts). */
  turn(): Promise<void> {
    return this.turns.run(() => Promise.resolve());
  }

  /** Why one more stream on the job for this caller would be over a limit; undefined when it is within them. */
  refusal(jobId: string, caller: string): string | undefined {
    const l = this.limits;
    if (count(this.perCaller, caller) >= l.streamsPerCaller)
      return `you have ${l.streamsPerCaller} event streams open, the most one caller may; close one first`;
    if (count(this.perJob, jobId) >= l.streamsPerJob)
      return `job ${jobId} has ${l.streamsPerJob} event streams open, the most one job may; try again later`;
    if (this.open.size >= l.streams) return `${l.streams} event streams are open, the most this server takes; try again later`;
    return undefined;
  }

  /** Serves the job's events after `after` on a response whose headers are not sent yet; `caller` is who asked (the per-caller limit). */
  serve(res: ServerResponse, jobId: string, caller: string, after: number, headers: Record<string, string | number | string[]>): void {
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const closed = new Promise<void>((resolve) => res.once("close", resolve));
    const stream = new Stream(jobId, res, this.jobs, this.limits, this.turns, this.cache, after, closed);
    this.open.add(stream);
    add(this.perJob, jobId, 1);
    add(this.perCaller, caller, 1);
    // counted until the connection is done with, not when the last event is written
    void closed.then(() => {
      stream.cleanup();
      this.open.delete(stream);
      add(this.perJob, jobId, -1);
      add(this.perCaller, caller, -1);
    });
    stream.start();
  }

  /**
   * Ends every stream with a final event, once the streams have read what the store has (the last events
   * of the jobs that just stopped, `job.finished` among them) or half of `waitMs` has passed, then waits
   * the other half, at most, for the clients to take it.
   */
  async endAll(reason: EndReason, waitMs: number): Promise<void> {
    await within(this.turns.idle(), waitMs / 2);
    const streams = [...this.open];
    for (const s of streams) s.end(reason);
    await within(Promise.all(streams.map((s) => s.closed)), waitMs / 2);
  }
}

/** `p`, or `ms` passing, whichever comes first. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
