/**
 * `mesh verify` as a job of the Jobs core (kind `verify`), for the portal. It only reads the clusters, so
 * it takes no stack's lease and never waits for, or holds up, an up: its record's stack is `*`, a lease no
 * stack can have (one verify at a time per job store; and this process refuses a second while one is
 * queued or running). Every check of every cluster is one `verify.check` event, redacted like any event;
 * the counts and the exit code's meaning are the record's `verify`. Credentials are found as the CLI finds
 * them: the stack files' kube contexts in this process's kubeconfig, an ACK stack's `kubeconfig` output
 * through the engine, or the per-stack files and contexts the server was configured with.
 */
import type { VerifyDeps } from "../verify/command";
import { SERVER_WORDS } from "../verify/fix-words";
import type { Check, RoutingRow, VerifyReport } from "../verify/types";
import type { StackOutputsReader } from "../verify/targets";
import type { JobWork, Jobs } from "./jobs";
import { MeshError, type JobError, type JobRecord, type MeshEventBody, type VerifySummary } from "./types";

/** A verify job's stack: no stack is named `*` (Pulumi allows letters, digits, `-`, `_` and `.`). */
export const VERIFY_STACK = "*";

export interface VerifyJobOptions {
  readonly jobs: Jobs;
  /** The project's folder: its stack files are what is verified against. */
  readonly projectDir: string;
  /** The stacks' outputs (the engine): the published gateways, and an ACK stack's kubeconfig. */
  readonly outputs: StackOutputsReader;
  /** `<stack>=<file>` and `<stack>=<context>`, as `mesh verify --kubeconfig/--context` take them. */
  readonly kubeconfig?: readonly string[];
  readonly context?: readonly string[];
  /** Check again until everything passes or this time is up, as `mesh verify --wait`. @default one round */
  readonly wait?: string;
  /** Told of an internal error (redacted by the caller's log). */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Tests: reader options, the default kubeconfig's loader. */
  readonly verifyDeps?: Pick<VerifyDeps, "options" | "sleep" | "intervalMs">;
}

const MEANING: Readonly<Record<0 | 1 | 2, string>> = {
  0: "every check passed",
  1: "a check failed",
  2: "a cluster, or part of one, could not be read",
};

/** A record keeps this many routing rows (the problems first); the `verify.route` events carry every one. */
export const MAX_RECORDED_ROUTES = 1000;

/** The rows a record keeps, in the report's order: every row that did not pass, then passing ones up to the bound. */
export function recordedRoutes(rows: readonly RoutingRow[], max = MAX_RECORDED_ROUTES): { rows: RoutingRow[]; omitted: number } {
  if (rows.length <= max) return { rows: [...rows], omitted: 0 };
  const problems = rows.filter((r) => r.result !== "pass").slice(0, max);
  let room = max - problems.length;
  const kept = new Set<RoutingRow>(problems);
  for (const r of rows) {
    if (room <= 0) break;
    if (!kept.has(r)) {
      kept.add(r);
      room--;
    }
  }
  return { rows: rows.filter((r) => kept.has(r)), omitted: rows.length - kept.size };
}

export function summaryOf(r: VerifyReport): VerifySummary {
  const routes = recordedRoutes(r.routing);
  return {
    ...r.summary,
    exitCode: r.exitCode,
    meaning: MEANING[r.exitCode],
    routing: routes.rows,
    ...(routes.omitted > 0 ? { routingOmitted: routes.omitted } : {}),
  };
}

export const routeEvent = (row: RoutingRow): MeshEventBody => ({ type: "verify.route", ...row });

export function checkEvent(stack: string, c: Check): MeshEventBody {
  return {
    type: "verify.check",
    of: stack,
    cluster: c.cluster,
    code: c.code,
    category: c.category,
    name: c.name,
    result: c.result,
    detail: c.detail,
    ...(c.fix ? { fix: c.fix } : {}),
  };
}

/** Why a verify that did not pass failed, naming the first findings (all of them are events). */
export function failureOf(r: VerifyReport): JobError | undefined {
  if (r.exitCode === 0) return undefined;
  const wanted = r.exitCode === 2 ? "error" : "fail";
  const found = r.clusters.flatMap((c) => c.checks.filter((k) => k.result === wanted));
  const listed = found
    .slice(0, 3)
    .map((k) => `${k.cluster} ${k.code} ${k.name}`)
    .join("; ");
  const more = found.length > 3 ? `; and ${found.length - 3} more` : "";
  return r.exitCode === 2
    ? { code: "clusters_unreadable", message: `${found.length} unreadable: ${listed}${more} (the verify.check events say why and the fix)` }
    : { code: "checks_failed", message: `${found.length} failed: ${listed}${more} (the verify.check events say why and the fix)` };
}

const ROUTE_BATCH = 500;

export class VerifyJobs {
  /** This process's verify, from the moment it is asked for until it has ended: set before the first await, so two requests never both start one. */
  private current?: { id?: string };

  constructor(private readonly o: VerifyJobOptions) {}

  /** Starts a verify of these stacks (all known to be the project's); busy while one is queued or running here or on the store. */
  async start(stacks: readonly string[], requestedBy: string): Promise<JobRecord> {
    if (this.current) {
      const id = this.current.id;
      throw new MeshError(
        "busy",
        id ? `verify job ${id} has not finished: follow it, or wait for it to finish` : "a verify is starting; try again in a moment",
        id ? { runningJobId: id } : {},
      );
    }
    const mine: { id?: string } = {};
    this.current = mine;
    let record: JobRecord;
    try {
      record = await this.o.jobs.submit({ stack: VERIFY_STACK, kind: "verify", requestedBy, stacks, work: this.work(stacks) });
    } catch (e) {
      this.current = undefined;
      // another process's verify holds the lease
      if (e instanceof MeshError && e.code === "busy")
        throw new MeshError(
          "busy",
          `${e.extra.runningJobId ? `verify job ${e.extra.runningJobId}` : "a verify"} is running in another process: follow it, or wait for it to finish`,
          e.extra.runningJobId ? { runningJobId: e.extra.runningJobId } : {},
        );
      throw e;
    }
    mine.id = record.id;
    void this.o.jobs
      .wait(record.id)
      .catch(() => undefined)
      .then(() => {
        if (this.current === mine) this.current = undefined;
      });
    return record;
  }

  private work(stacks: readonly string[]): JobWork {
    return async ({ signal, emit, secrets, written }) => {
      // a failed job's reason is its last diagnostic too, as for an engine's
      const failed = (error: JobError) => {
        emit({ type: "diagnostic", severity: "error", message: error.message });
        return { error };
      };
      const { verifyOutcome } = await import("../verify/command");
      const flags = {
        dir: this.o.projectDir,
        kubeconfig: this.o.kubeconfig ?? [],
        context: this.o.context ?? [],
        ...(this.o.wait ? { wait: this.o.wait } : {}),
      };
      try {
        const outcome = await verifyOutcome(stacks, flags, {
          ...this.o.verifyDeps,
          // every kubeconfig verify loads joins the job's redactor before a cluster answers; its fixes speak of
          // the server's settings, not of mesh verify's options
          options: { ...this.o.verifyDeps?.options, onCredentials: secrets, fixWords: SERVER_WORDS },
          out: { write: () => undefined },
          // the per-cluster progress and the --wait rounds, as they happen
          progress: { write: (s: string) => emit({ type: "diagnostic", severity: "info", message: s.trimEnd() }) },
          outputs: () => this.o.outputs,
          signal,
        });
        if ("usage" in outcome) return failed({ code: "config_invalid", message: outcome.usage });
        for (const c of outcome.report.clusters) for (const k of c.checks) emit(checkEvent(c.stack, k));
        // a big mesh has thousands of rows: handed over a batch at a time, each written before the next
        for (const [i, row] of outcome.report.routing.entries()) {
          emit(routeEvent(row));
          if (i % ROUTE_BATCH === ROUTE_BATCH - 1) await written();
        }
        const error = failureOf(outcome.report);
        return { verify: summaryOf(outcome.report), ...(error ? failed(error) : {}) };
      } catch (e) {
        this.o.log?.({ level: "error", msg: "verify stopped", error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        return failed({ code: "engine_failed", message: "verify stopped on an internal error; the server's log has it" });
      }
    };
  }
}
