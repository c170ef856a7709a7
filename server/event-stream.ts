/**
 * A job's events as Server-Sent Events, within limits: every stream — a replay of a finished job as much
 * as a live one — counts against the limits until its last byte has left, is written with backpressure
 * (the next event is read from the job's log once the client has taken the last), and ends: after
 * `job.finished`, after its maximum lifetime, when the server shuts down (each with a final event), or
 * when the client stops reading for longer than the stall bound.
 */
import type { ServerResponse } from "node:http";
import type { Jobs } from "../automation/jobs";
import type { MeshEvent } from "../automation/types";

export interface StreamLimits {
  /** Streams open on one job. */
  readonly streamsPerJob: number;
  /** Streams open in all. */
  readonly streams: number;
  /** A comment line on an idle stream, ms. */
  readonly heartbeatMs: number;
  /** A stream ends (with `stream.end`, the client resumes with Last-Event-ID) after this long, ms. */
  readonly streamMaxMs: number;
  /** A client that takes nothing for this long is dropped, ms. */
  readonly streamStallMs: number;
}

/** Why a stream ended before `job.finished`: the data of its final `stream.end` event. */
export type EndReason = "shutting down" | "lifetime" | "store unavailable";

const frame = (e: MeshEvent): string => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

class Stream {
  private last: number;
  private ending = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stop = new AbortController();

  constructor(
    readonly jobId: string,
    private readonly res: ServerResponse,
    private readonly jobs: Jobs,
    private readonly limits: StreamLimits,
    after: number,
    readonly closed: Promise<void>,
  ) {
    this.last = after;
  }

  start(): void {
    const heartbeat = setInterval(() => {
      if (!this.res.writableNeedDrain && !this.ending) this.res.write(": heartbeat\n\n");
    }, this.limits.heartbeatMs);
    this.timers.push(
      heartbeat,
      setTimeout(() => this.end("lifetime"), this.limits.streamMaxMs),
    );
    void this.pump();
  }

  /**
   * Writes what the client has not seen — replayed from the store, then live as any process writes it —
   * waiting for the client to drain between writes, so a slow reader holds one page at most.
   */
  private async pump(): Promise<void> {
    try {
      for await (const e of this.jobs.follow(this.jobId, this.last, this.stop.signal)) {
        if (this.ending) return;
        this.last = e.seq;
        const ok = this.res.write(frame(e));
        if (e.type === "job.finished") return this.finish();
        if (!ok && !(await this.drained())) return;
      }
      // the job ended and nothing more will come
      if (!this.ending && !this.stop.signal.aborted) this.finish();
    } catch {
      // the store went away mid-stream: the client reconnects with Last-Event-ID
      if (!this.ending) this.end("store unavailable");
    }
  }

  /** Resolves true once the client has taken what is buffered; false (and the client dropped) if it does not in time. */
  private drained(): Promise<boolean> {
    if (!this.res.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off("drain", onDrain);
        this.res.off("close", onClose);
        if (!ok) this.res.destroy();
        resolve(ok && !this.res.destroyed);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.limits.streamStallMs);
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
    this.res.write(`event: stream.end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.finish();
  }

  /** The last write is out: end the response, and drop the client if it does not take the rest in time. */
  private finish(): void {
    this.ending = true;
    this.cleanup();
    this.res.end();
    const stall = setTimeout(() => this.res.destroy(), this.limits.streamStallMs);
    stall.unref();
    this.res.once("close", () => clearTimeout(stall));
  }

  cleanup(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
    this.stop.abort();
  }
}

export class EventStreams {
  private readonly open = new Set<Stream>();
  private readonly perJob = new Map<string, number>();

  constructor(
    private readonly jobs: Jobs,
    private readonly limits: StreamLimits,
  ) {}

  /** Streams open now, in all. */
  get size(): number {
    return this.open.size;
  }

  /** Whether one more stream on the job is within the limits. */
  admits(jobId: string): boolean {
    return (this.perJob.get(jobId) ?? 0) < this.limits.streamsPerJob && this.open.size < this.limits.streams;
  }

  /** Serves the job's events after `after` on a response whose headers are not sent yet. */
  serve(res: ServerResponse, jobId: string, after: number, headers: Record<string, string | number | string[]>): void {
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const closed = new Promise<void>((resolve) => res.once("close", resolve));
    const stream = new Stream(jobId, res, this.jobs, this.limits, after, closed);
    this.open.add(stream);
    this.perJob.set(jobId, (this.perJob.get(jobId) ?? 0) + 1);
    // counted until the connection is done with, not when the last event is written
    void closed.then(() => {
      stream.cleanup();
      this.open.delete(stream);
      const n = (this.perJob.get(jobId) ?? 1) - 1;
      if (n > 0) this.perJob.set(jobId, n);
      else this.perJob.delete(jobId);
    });
    stream.start();
  }

  /** Ends every stream with a final event and waits, at most `waitMs`, for the clients to take it. */
  async endAll(reason: EndReason, waitMs: number): Promise<void> {
    const streams = [...this.open];
    for (const s of streams) s.end(reason);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(streams.map((s) => s.closed)),
      new Promise<void>((r) => {
        timer = setTimeout(r, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
