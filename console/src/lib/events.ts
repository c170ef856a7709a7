/**
 * A job's events over Server-Sent Events, read with fetch so that every reconnect — after a dropped
 * connection, a `stream.end`, a server restart or a 503 while it stops — sends `Last-Event-ID` with the
 * last sequence number seen (EventSource sends it only on its own retries, not after an HTTP error).
 * Events are taken in sequence order once each: a replay never duplicates one.
 */
import { createParser } from "eventsource-parser";
import type { MeshEvent } from "./types";

/** `live`: events arrive; `reconnecting`: the stream dropped and is being resumed; `ended`: job.finished was read. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "ended" | "failed";

export interface FollowOptions {
  readonly onEvents: (events: MeshEvent[]) => void;
  readonly onState: (state: ConnectionState, detail?: string) => void;
  readonly signal: AbortSignal;
  /** Resume after this sequence number. @default 0 */
  readonly after?: number;
  /** Longest wait between reconnects. @default 10000 */
  readonly maxDelayMs?: number;
  /** A stream silent this long (no event, no heartbeat) is taken as dead and resumed. @default 45000 */
  readonly silenceMs?: number;
}

/** Statuses after which trying again cannot help. */
const FINAL = new Set([400, 401, 403, 404]);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** Follows the job until job.finished, a final refusal, or the signal; resolves then. */
export async function followJob(id: string, o: FollowOptions): Promise<void> {
  let last = o.after ?? 0;
  let finished = false;
  let attempt = 0;
  while (!o.signal.aborted && !finished) {
    o.onState(attempt === 0 && last === 0 ? "connecting" : "reconnecting");
    const conn = new AbortController();
    const abort = () => conn.abort();
    o.signal.addEventListener("abort", abort, { once: true });
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const pet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, o.silenceMs ?? 45_000);
    };
    try {
      pet();
      const res = await fetch(`/v1/jobs/${encodeURIComponent(id)}/events`, {
        headers: { accept: "text/event-stream", ...(last > 0 ? { "last-event-id": String(last) } : {}) },
        credentials: "same-origin",
        cache: "no-store",
        signal: conn.signal,
      });
      if (FINAL.has(res.status)) {
        o.onState("failed", `HTTP ${res.status}`);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      o.onState("live");
      attempt = 0;
      let batch: MeshEvent[] = [];
      const parser = createParser({
        onEvent: (m) => {
          // stream.end carries no id: it is not one of the job's events, the loop below resumes
          if (m.event === "stream.end" || m.id === undefined) return;
          const seq = Number(m.id);
          if (!(seq > last)) return;
          last = seq;
          const e = JSON.parse(m.data) as MeshEvent;
          batch.push(e);
          if (e.type === "job.finished") finished = true;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pet();
        parser.feed(value);
        if (batch.length > 0) {
          o.onEvents(batch);
          batch = [];
        }
      }
    } catch {
      // dropped, refused or silent: resumed below with Last-Event-ID
    } finally {
      clearTimeout(watchdog);
      o.signal.removeEventListener("abort", abort);
    }
    if (finished) break;
    if (o.signal.aborted) return;
    attempt += 1;
    o.onState("reconnecting");
    await sleep(Math.min(250 * 2 ** Math.min(attempt, 6), o.maxDelayMs ?? 10_000), o.signal);
  }
  if (finished) o.onState("ended");
}
