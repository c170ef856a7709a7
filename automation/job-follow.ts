/**
 * Following a job's events from the store: a page at a time after a sequence, then live ones as
 * whichever process runs the job writes them (woken by the store: a write here, a notification from
 * another replica, or a poll), until `job.finished`. Each page read can be run in turns with other
 * followers (the server's event streams), so that many replays share the process fairly.
 */
import { StoreError, type EventPage, type JobStore } from "./store/store";
import type { JobRecord, MeshEvent } from "./types";

/** Events read at a time, at most. */
export const PAGE = 500;
/** A page's events as JSON, at most (past its first): what a client that stops reading can hold up. */
export const PAGE_BYTES = 256 * 1024;

export interface FollowSource {
  readonly store: JobStore;
  get(id: string): Promise<JobRecord | undefined>;
  /** The job has ended and its final record is in the store, or never will be: nothing more will come. */
  settled(r: JobRecord): boolean;
}

export interface FollowOptions<T> {
  readonly signal?: AbortSignal;
  /** What a page is yielded as (e.g. its text on the wire), made as it is read. */
  readonly shape: (events: readonly MeshEvent[]) => T;
  /** Runs each page's read and shaping, e.g. in turns with other followers. @default at once */
  readonly turn?: <R>(read: () => Promise<R>) => Promise<R>;
  /**
   * A job can end while its last events are not in the store (it failed on the store; they are written
   * once the store takes writes again). Set, the follow waits this long for them, then throws an
   * `unwritable` StoreError; unset, it ends there (the caller reads the job's record). ms
   */
  readonly endWaitMs?: number;
  /** Pages that can no longer change (more follow, or they end the job), kept for other followers. */
  readonly cache?: PageCache<T>;
}

/** A page as read: shaped (unless it had no readable event), and where the next one starts. */
export interface ReadPage<T> {
  readonly shaped?: Shaped<T>;
  readonly through: number;
  /** Rows after it existed when it was read. */
  readonly more: boolean;
}

/** Followers' pages by job and starting sequence; `set` is only called with pages that can no longer change. */
export interface PageCache<T> {
  get(jobId: string, after: number): ReadPage<T> | undefined;
  set(jobId: string, after: number, page: ReadPage<T>): void;
}

/** A page as the follower shaped it. */
export interface Shaped<T> {
  readonly page: T;
  /** The sequence of its last event. */
  readonly last: number;
  /** It ends with `job.finished`. */
  readonly finished: boolean;
}

const PAGE_DONE = "page read";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Pages of the job's events after `afterSeq`, in order, the last ending with `job.finished`; ends after
 * it, when the job has ended without one in the store (see `endWaitMs`), or on `signal`. A slow reader
 * holds no more than a page (PAGE events, PAGE_BYTES), and only as shaped: the events read are dropped
 * once shaped (a suspended generator keeps its locals and what it yielded, so none of them is an event).
 */
export async function* followPages<T>(src: FollowSource, id: string, afterSeq: number, o: FollowOptions<T>): AsyncGenerator<Shaped<T>> {
  const { signal } = o;
  const turn = o.turn ?? (<R>(read: () => Promise<R>) => read());
  let last = afterSeq;
  let yielded = false;
  let ending = false;
  let deadline: number | undefined;
  // caught up once: from then on the follower watches for changes before each read, so that nothing written
  // between a read and the wait is missed (a replay, page after full page, needs no watch)
  let watching = false;
  while (!signal?.aborted) {
    const watch = watching ? watchFor(src.store, id, signal) : undefined;
    try {
      const from = last;
      const read = await turn(
        async () => o.cache?.get(id, from) ?? kept(o.cache, id, from, shaped(await src.store.page(id, from, PAGE, PAGE_BYTES), o.shape)),
      );
      last = read.through;
      if (read.shaped) {
        yielded = true;
        yield read.shaped;
        if (read.shaped.finished) return;
      }
      if (read.more) continue;
      if (!watch) {
        // caught up: watch, then read once more
        watching = true;
        continue;
      }
      if (ending) {
        // the job has ended and the store has nothing more of it
        if (o.endWaitMs === undefined || (!yielded && (await endSeen(src.store, id, last, turn)))) return;
        deadline ??= Date.now() + o.endWaitMs;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new StoreError(
            "unwritable",
            `job ${id} has ended, but its last events are not in the job store: it could not write them, and writes them once it can`,
          );
        await Promise.race([watch.wake, sleep(left)]);
        continue;
      }
      const r = await src.get(id);
      if (!r) return;
      if (src.settled(r)) {
        // the final record commits with the last events, maybe just after the read above: read once more
        ending = true;
        continue;
      }
      await watch.wake;
    } finally {
      watch?.stop();
    }
  }
}

/** Resolves `wake` when the job may have new events (see JobStore.changed), or on `signal`; `stop` forgets it. */
function watchFor(store: JobStore, id: string, signal: AbortSignal | undefined): { wake: Promise<void>; stop: () => void } {
  const changed = new AbortController();
  const onAbort = () => changed.abort(PAGE_DONE);
  signal?.addEventListener("abort", onAbort, { once: true });
  return {
    wake: store.changed(id, changed.signal),
    stop: () => {
      signal?.removeEventListener("abort", onAbort);
      // with a reason of its own: no DOMException (and its stack) made each time
      changed.abort(PAGE_DONE);
    },
  };
}

/** A page read, up to its `job.finished`, shaped (nothing to yield when it had no readable event). */
function shaped<T>(p: EventPage, shape: (events: readonly MeshEvent[]) => T): ReadPage<T> {
  const end = p.events.findIndex((e) => e.type === "job.finished");
  const events = end >= 0 ? p.events.slice(0, end + 1) : p.events;
  if (events.length === 0) return { through: p.through, more: p.more };
  return { shaped: { page: shape(events), last: events.at(-1)!.seq, finished: end >= 0 }, through: p.through, more: p.more };
}

/** The page, kept in the cache if it can no longer change: rows follow it (its own rows are all written), or it ends the job. */
function kept<T>(cache: PageCache<T> | undefined, id: string, from: number, read: ReadPage<T>): ReadPage<T> {
  if (cache && (read.more || read.shaped?.finished)) cache.set(id, from, read);
  return read;
}

/** The follower asked from `last` on and the event at `last` is the job's `job.finished`: it has seen the end already. */
async function endSeen(store: JobStore, id: string, last: number, turn: NonNullable<FollowOptions<unknown>["turn"]>): Promise<boolean> {
  if (last === 0) return false;
  const [at] = await turn(() => store.events(id, last - 1, 1));
  return at?.seq === last && at.type === "job.finished";
}
