/**
 * Every event of the job in a virtualised list: only the rows in view are in the DOM, so ten thousand
 * events stay responsive. It follows the tail while the viewer is at the bottom.
 */
import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useTranslation } from "react-i18next";
import type { MeshEvent } from "../../lib/types";

const ROW = 24;

/** One line per event: its type and the fields that say what happened. */
function line(e: MeshEvent): string {
  const { seq: _s, jobId: _j, stack: _st, at: _a, type: _t, ...rest } = e;
  return Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

export function EventList({ events, labelledBy }: { events: readonly MeshEvent[]; version: number; labelledBy: string }) {
  const { t } = useTranslation();
  const parent = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const v = useVirtualizer({ count: events.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 20 });
  useEffect(() => {
    if (atBottom.current && events.length > 0) v.scrollToIndex(events.length - 1, { align: "end" });
  }, [events.length, v]);
  return (
    <div
      ref={parent}
      className="event-list"
      tabIndex={0}
      role="log"
      aria-labelledby={labelledBy}
      aria-live="off"
      data-count={events.length}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
      }}
    >
      {events.length === 0 ? (
        <p className="muted">{t("job.noEvents")}</p>
      ) : (
        <ol style={{ height: v.getTotalSize() }} aria-label={t("job.eventList")}>
          {v.getVirtualItems().map((row) => {
            const e = events[row.index]!;
            return (
              <li key={row.key} className="event" data-seq={e.seq} style={{ transform: `translateY(${row.start}px)` }} value={e.seq}>
                <span className="seq">{e.seq}</span> <span className="type">{e.type}</span> <span className="fields">{line(e)}</span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
