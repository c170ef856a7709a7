/**
 * A job's live events for a page: followed over SSE (lib/events.ts), folded into a JobView, and
 * rendered at most once a frame however fast they come. The job's record is read again when it starts,
 * is being cancelled, or ends.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { followJob, type ConnectionState } from "./events";
import { emptyView, fold, type JobView } from "./job-view";
import { keys } from "./queries";

/** One job's followed events, as an external store React subscribes to. */
class JobFeed {
  readonly view: JobView = emptyView();
  version = 0;
  connection: ConnectionState = "connecting";
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  constructor(
    readonly id: string | undefined,
    private readonly client: QueryClient,
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  readonly snapshot = (): number => this.version;

  private changed(now = false): void {
    const emit = () => {
      this.scheduled = false;
      this.version += 1;
      for (const l of this.listeners) l();
    };
    if (now) return emit();
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(emit);
  }

  /** Follows the job until it ends or the returned stop is called. */
  start(): () => void {
    const id = this.id;
    if (!id) return () => {};
    const stop = new AbortController();
    void followJob(id, {
      signal: stop.signal,
      // a restarted feed (React's development double effect) resumes after what it already has
      after: this.view.events.at(-1)?.seq ?? 0,
      onEvents: (events) => {
        fold(this.view, events);
        if (events.some((e) => e.type === "job.finished" || e.type === "job.started" || e.type === "job.cancelling")) {
          void this.client.invalidateQueries({ queryKey: keys.job(id) });
          void this.client.invalidateQueries({ queryKey: ["jobs"] });
        }
        this.changed();
      },
      onState: (state) => {
        this.connection = state;
        this.changed(true);
      },
    });
    return () => stop.abort();
  }
}

/** Follows nothing while `id` is undefined (no job yet). */
export function useJobEvents(id: string | undefined): { view: JobView; version: number; connection: ConnectionState } {
  const client = useQueryClient();
  const [feed, setFeed] = useState(() => new JobFeed(id, client));
  // another job (another address) gets a new feed: reset during render, as React recommends
  if (feed.id !== id) setFeed(new JobFeed(id, client));
  const version = useSyncExternalStore(feed.subscribe, feed.snapshot);
  useEffect(() => feed.start(), [feed]);
  return { view: feed.view, version, connection: feed.connection };
}
