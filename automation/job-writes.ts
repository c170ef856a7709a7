/**
 * One job's writes to the store: its events numbered in order and its record, batched (every change of
 * one turn of the event loop in one transaction), one write at a time, under the lease's fencing token.
 * A refused write keeps what it carried, in order, for the next try; the caller decides what the job
 * does about it.
 */
import type { Fence, JobStore } from "./store/store";
import type { JobRecord, MeshEvent, MeshEventBody } from "./types";

export interface JobWrites {
  record: JobRecord;
  readonly fence: Fence;
  seq: number;
  pending: MeshEvent[];
  /** Taken from `pending` by the write in progress. */
  inflight: MeshEvent[];
  dirty: boolean;
  scheduled: boolean;
  chain: Promise<void>;
  /** When the write in progress started (ms), while one is. */
  writingSince?: number;
  /** The lease went to another process: nothing of this job is written any more. */
  lost?: boolean;
}

export const newWrites = (record: JobRecord, fence: Fence): JobWrites => ({
  record,
  fence,
  seq: 1,
  pending: [],
  inflight: [],
  dirty: false,
  scheduled: false,
  chain: Promise.resolve(),
});

/** The next event of the job, numbered, waiting for the next write. */
export function append(w: JobWrites, body: MeshEventBody, at: string): void {
  w.seq++;
  w.pending.push({ ...body, seq: w.seq, jobId: w.record.id, stack: w.record.stack, at });
}

/** Writes are batched: every event and record change of one turn of the event loop in one transaction. */
export function schedule(w: JobWrites, flush: () => void): void {
  if (w.scheduled) return;
  w.scheduled = true;
  setImmediate(() => {
    w.scheduled = false;
    flush();
  });
}

/** Writes what is pending after the writes before it; `refused` hears why a write failed, `after` runs after each. */
export function flush(w: JobWrites, store: JobStore, refused: (e: unknown) => void, after: () => void): Promise<void> {
  w.chain = w.chain.then(async () => {
    if (w.lost) return;
    const events = w.pending.splice(0);
    const record = w.dirty ? w.record : undefined;
    w.dirty = false;
    if (events.length === 0 && !record) return;
    w.inflight = events;
    w.writingSince = Date.now();
    try {
      await store.write(w.fence, { ...(record ? { record } : {}), events });
      w.inflight = [];
      w.writingSince = undefined;
    } catch (e) {
      w.inflight = [];
      w.writingSince = undefined;
      // kept, in order, for the next try
      w.pending.unshift(...events);
      if (record) w.dirty = true;
      refused(e);
    }
    after();
  });
  return w.chain;
}

/** Events after `from` not in the store yet: being written, or waiting for the next write. */
export const unwritten = (w: JobWrites, from: number): MeshEvent[] => [...w.inflight, ...w.pending].filter((e) => e.seq > from);

/** Nothing waits to be written. */
export const idle = (w: JobWrites): boolean => w.pending.length === 0 && !w.dirty;

/** Why the job stops when its events back up behind a store that has stopped taking writes. */
export function stalled(w: JobWrites, store: JobStore): string {
  const since =
    w.writingSince === undefined ? "" : `, its write in progress started ${((Date.now() - w.writingSince) / 1000).toFixed(1)} s ago`;
  return `the job store (${store.kind} ${store.location}) is not keeping up: ${w.pending.length} events of this job wait to be written${since}; the engine's events from now until the job stops are not kept`;
}
