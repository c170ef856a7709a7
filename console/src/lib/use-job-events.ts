/**
 * A job's live events for a page: followed over SSE (lib/events.ts), folded into a JobView, and
 * rendered at most once a frame however fast they come. The job's record is read again once it ends.
 */
import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { followJob, type ConnectionState } from "./events";
import { emptyView, fold, type JobView } from "./job-view";
import { keys } from "./queries";

/** Follows nothing while `id` is undefined (no job yet). */
export function useJobEvents(id: string | undefined): { view: JobView; version: number; connection: ConnectionState } {
  const client = useQueryClient();
  const view = useRef<JobView>(emptyView());
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  useEffect(() => {
    view.current = emptyView();
    setVersion((v) => v + 1);
    if (!id) return;
    const stop = new AbortController();
    let scheduled = false;
    const render = () => {
      scheduled = false;
      setVersion((v) => v + 1);
    };
    void followJob(id, {
      signal: stop.signal,
      onEvents: (events) => {
        fold(view.current, events);
        if (events.some((e) => e.type === "job.finished" || e.type === "job.started" || e.type === "job.cancelling"))
          (void client.invalidateQueries({ queryKey: keys.job(id) }), void client.invalidateQueries({ queryKey: ["jobs"] }));
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(render);
        }
      },
      onState: setConnection,
    });
    return () => stop.abort();
  }, [id, client]);
  return { view: view.current, version, connection };
}
