/**
 * Following a job's events from the store: a page at a time after a sequence, then live ones as
 * whichever process runs the job writes them (woken by the store: a write here, a notification from
 * another replica, or a poll), until `job.finished`.
 */
import type { JobStore } from "./store/store";
import type { JobRecord, MeshEvent } from "./types";

const PAGE = 500;

export interface FollowSource {
  readonly store: JobStore;
  get(id: string): Promise<JobRecord | undefined>;
  /** The job has ended and its final record is in the store, or never will be: nothing more will come. */
  settled(r: JobRecord): boolean;
}

/** Ends after `job.finished`, when the job has ended without one, or on `signal`; a slow reader holds no more than a page. */
export async function* followEvents(src: FollowSource, id: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<MeshEvent> {
  let last = afterSeq;
  let ending = false;
  while (!signal?.aborted) {
    const changed = new AbortController();
    const onAbort = () => changed.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const wake = src.store.changed(id, changed.signal);
    try {
      const batch = await src.store.events(id, last, PAGE);
      for (const e of batch) {
        last = e.seq;
        yield e;
        if (e.type === "job.finished") return;
      }
      if (batch.length === PAGE) continue;
      if (ending) return;
      const r = await src.get(id);
      if (!r) return;
      if (src.settled(r)) {
        // the final record commits with the last events, maybe just after the read above: read once more
        ending = true;
        continue;
      }
      await wake;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      changed.abort();
    }
  }
}
