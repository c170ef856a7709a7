/**
 * A job's events folded into what its page shows: the progress, each resource under its step, the
 * diagnostics, the change summary, the cancel's grace period, how it ended, verify's checks. Folded
 * incrementally, so a job of ten thousand events costs one pass.
 */
import type { ChangeSet, JobState, MeshEvent, RoutingRow, VerifyCheck } from "./types";

/** One property a step changes, and whether the provider replaces the resource for it. */
export type PropertyChange = ChangeSet["steps"][number]["changes"][number];

/** A job record's change set: the engine's counts and each resource that changes (a preview: would). */
export type { ChangeSet };

export interface ResourceRow {
  readonly name: string;
  readonly type: string;
  readonly op: string;
  status: "running" | "done" | "failed";
  /** What the engine's diff says the step changes (updates and replaces). */
  changes?: readonly PropertyChange[];
}

export interface JobView {
  /** Every event in sequence order. */
  readonly events: MeshEvent[];
  progress?: { done: number; total?: number };
  /** Resources by step (`create`, `update`, `replace`, `delete`, `same`, ...), in the order first seen. */
  readonly steps: Map<string, Map<string, ResourceRow>>;
  readonly diagnostics: Extract<MeshEvent, { type: "diagnostic" }>[];
  changes?: Readonly<Record<string, number>>;
  cancellingGraceMs?: number;
  finished?: Extract<MeshEvent, { type: "job.finished" }>;
  readonly checks: VerifyCheck[];
  readonly peers: Extract<MeshEvent, { type: "mesh.peerPending" | "mesh.linkEstablished" }>[];
  /** verify: planned vs observed routing, one row per service port and calling cluster. */
  readonly routes: RoutingRow[];
}

export const emptyView = (): JobView => ({ events: [], steps: new Map(), diagnostics: [], checks: [], peers: [], routes: [] });

/** Adds events (already in order, each once) to the view, in place. */
export function fold(view: JobView, events: readonly MeshEvent[]): void {
  for (const e of events) {
    view.events.push(e);
    switch (e.type) {
      case "progress":
        view.progress = { done: e.done, ...(e.total !== undefined ? { total: e.total } : {}) };
        break;
      case "resource.started":
      case "resource.finished":
      case "resource.failed": {
        const step = view.steps.get(e.op) ?? new Map<string, ResourceRow>();
        view.steps.set(e.op, step);
        const key = `${e.resourceType}::${e.name}`;
        const row = step.get(key) ?? { name: e.name, type: e.resourceType, op: e.op, status: "running" };
        row.status = e.type === "resource.started" ? "running" : e.type === "resource.finished" ? "done" : "failed";
        if (e.type === "resource.started" && e.changes) row.changes = e.changes;
        step.set(key, row);
        break;
      }
      case "diagnostic":
        view.diagnostics.push(e);
        break;
      case "summary":
        view.changes = e.changes;
        break;
      case "job.cancelling":
        view.cancellingGraceMs = e.graceMs;
        break;
      case "job.finished":
        view.finished = e;
        break;
      case "verify.check":
        view.checks.push(e);
        break;
      case "mesh.peerPending":
      case "mesh.linkEstablished":
        view.peers.push(e);
        break;
      default:
        if ((e as { type: string }).type === "verify.route") view.routes.push(e as unknown as RoutingRow);
        break;
    }
  }
}

/** Whole percent done, when the engine knows the total. */
export const percent = (p: JobView["progress"]): number | undefined =>
  p?.total ? Math.min(100, Math.floor((100 * p.done) / p.total)) : undefined;

/** The state the page shows: the record's, unless a later event says more. */
export function liveState(recordState: JobState, view: JobView): JobState {
  if (view.finished) return view.finished.state;
  if (recordState === "queued" && view.events.some((e) => e.type === "job.started")) return "running";
  return recordState;
}

const RANK: Record<VerifyCheck["result"], number> = { fail: 0, error: 1, warn: 2, pass: 3 };
/** Checks with failures first, then errors, warnings and passes; stable within each. */
export const failuresFirst = (checks: readonly VerifyCheck[]): VerifyCheck[] =>
  checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => RANK[a.c.result] - RANK[b.c.result] || a.i - b.i)
    .map(({ c }) => c);

/** The worst of some results, or undefined when there are none. */
export function worstResult(results: readonly VerifyCheck["result"][]): VerifyCheck["result"] | undefined {
  let w: VerifyCheck["result"] | undefined;
  for (const r of results) if (w === undefined || RANK[r] < RANK[w]) w = r;
  return w;
}

/** The worst result among checks, or undefined when there are none. */
export const worst = (checks: readonly VerifyCheck[]): VerifyCheck["result"] | undefined => worstResult(checks.map((c) => c.result));
