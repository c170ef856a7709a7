/**
 * The automation core's vocabulary: jobs, their states and summaries, the typed progress events a
 * client sees, and the typed errors. Nothing here carries a secret; of the engine's free text only the
 * CLI's own error line passes, redacted (cli-errors.ts).
 */
import type { RoutingRow } from "../verify/types";

/** What the engine runs on one stack. */
export type EngineKind = "preview" | "up" | "refresh" | "destroy";
/** `verify` reads the clusters (`mesh verify`, `verify-job.ts`) and runs no engine operation. */
export type JobKind = EngineKind | "verify";
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
export const TERMINAL: readonly JobState[] = ["succeeded", "failed", "cancelled", "interrupted"];

/** Resource changes by operation (`create`, `update`, `delete`, `replace`, `same`, ...), as the engine counts them. */
export type ChangeSummary = Readonly<Record<string, number>>;

/** One property a step changes, as the engine's detailed diff names it (`spec.ports[0].port`, `values.global.hub`). */
export interface PropertyChange {
  readonly path: string;
  readonly kind: "add" | "update" | "delete";
  /** The provider replaces the resource for this change (a ForceNew field): what makes an update a replace. */
  readonly replaces: boolean;
}

/** A resource an operation creates, updates, replaces or deletes (a preview: would), and the properties that change. */
export interface ResourceStep {
  /** The engine's operation: `create`, `update`, `replace`, `delete`, `import`, ... */
  readonly op: string;
  readonly resourceType: string;
  readonly name: string;
  /** Empty for a create or a delete, and for a replace the provider (or its parent's provider) forces without a property. */
  readonly changes: readonly PropertyChange[];
}

/** What an operation changes: the engine's counts and each resource that changes. */
export interface ChangeSet {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly same: number;
  /** In the engine's order; `same` and reads are only counted. */
  readonly steps: readonly ResourceStep[];
  /** Steps past the record's bound (the job's `resource.started` events carry every one). */
  readonly omittedSteps?: number;
}

export type ErrorCode =
  | "not_found"
  | "busy"
  | "config_invalid"
  | "peer_pending"
  | "engine_failed"
  | "cancelled"
  /** No Pulumi CLI where it was looked for. */
  | "cli_missing"
  /** The CLI has no backend to talk to: no login, no PULUMI_BACKEND_URL. */
  | "not_logged_in"
  /** The stacks' secrets cannot be decrypted: a wrong or missing passphrase. */
  | "secrets_locked"
  /** The CLI did not answer in time and was stopped. */
  | "timeout"
  /** The job store refused a write (a full disk, a read-only file, a lost database). */
  | "store_failed"
  /** verify: a check failed (mesh verify's exit 1). */
  | "checks_failed"
  /** verify: a cluster, or part of one, could not be read (mesh verify's exit 2). */
  | "clusters_unreadable";

export const ERROR_CODES: readonly ErrorCode[] = [
  "not_found",
  "busy",
  "config_invalid",
  "peer_pending",
  "engine_failed",
  "cancelled",
  "cli_missing",
  "not_logged_in",
  "secrets_locked",
  "timeout",
  "store_failed",
  "checks_failed",
  "clusters_unreadable",
];

export interface JobError {
  readonly code: ErrorCode;
  /** Written for the user; of the engine's text, only the CLI's own error line, redacted. */
  readonly message: string;
  /** The program's own configuration report (config_invalid). */
  readonly report?: string;
}

export interface JobRecord {
  readonly id: string;
  /** Short stack name, e.g. `wuxi`. */
  readonly stack: string;
  readonly kind: JobKind;
  /** Who asked: a user, a token's subject, `converge`. */
  readonly requestedBy: string;
  readonly state: JobState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly summary?: { readonly changes: ChangeSummary; readonly durationMs: number };
  readonly error?: JobError;
  /** What to do next, when the job did not finish on its own (interrupted, cancel not honoured). */
  readonly recovery?: string;
  /** Options the job was asked with (e.g. destroy's includeProtected). */
  readonly options?: Readonly<Record<string, boolean>>;
  /** verify: the stacks whose clusters it reads (its `stack` is `*`). */
  readonly stacks?: readonly string[];
  /** verify: how it came out, once it has. */
  readonly verify?: VerifySummary;
  /** preview, up, refresh, destroy: what it changed (a preview: would change), once it has succeeded. */
  readonly changeSet?: ChangeSet;
}

/** A verify job's outcome: `mesh verify`'s counts and exit code, and what the code means. */
export interface VerifySummary {
  readonly passed: number;
  readonly failed: number;
  readonly warnings: number;
  readonly errors: number;
  /** 0 every check passed, 1 a check failed, 2 a cluster (or part of one) could not be read. */
  readonly exitCode: 0 | 1 | 2;
  readonly meaning: string;
  /** Planned against observed routing, per service port and calling cluster (problems first when over the bound). */
  readonly routing?: readonly RoutingRow[];
  /** Rows past the record's bound, all of them passing (the job's `verify.route` events carry every one). */
  readonly routingOmitted?: number;
}

/** What a client sees of a job, in order; `seq` starts at 1 per job. */
export type MeshEventBody =
  | { readonly type: "job.queued" }
  | { readonly type: "job.started" }
  | { readonly type: "job.cancelling"; readonly graceMs: number }
  | { readonly type: "job.finished"; readonly state: JobState; readonly error?: JobError; readonly recovery?: string }
  | {
      readonly type: "resource.started";
      readonly op: string;
      readonly resourceType: string;
      readonly name: string;
      /** The properties the step changes, when the engine reported a diff (an update or a replace). */
      readonly changes?: readonly PropertyChange[];
    }
  | { readonly type: "resource.finished"; readonly op: string; readonly resourceType: string; readonly name: string }
  | { readonly type: "resource.failed"; readonly op: string; readonly resourceType: string; readonly name: string }
  | { readonly type: "diagnostic"; readonly severity: "info" | "warning" | "error"; readonly message: string; readonly resource?: string }
  /** Resources done; `total` once the engine knows how many the operation has. */
  | { readonly type: "progress"; readonly done: number; readonly total?: number }
  | { readonly type: "summary"; readonly changes: ChangeSummary; readonly durationSeconds: number }
  | { readonly type: "mesh.peerPending"; readonly peer: string; readonly next: string }
  | { readonly type: "mesh.linkEstablished"; readonly peer: string }
  /** verify: one check on one cluster, as `mesh verify --format json` reports it (redacted). */
  | {
      readonly type: "verify.check";
      /** The stack whose cluster was checked. */
      readonly of: string;
      readonly cluster: string;
      readonly code: string;
      readonly category: string;
      readonly name: string;
      readonly result: "pass" | "fail" | "warn" | "error";
      readonly detail: string;
      readonly fix?: string;
    }
  /** verify: one service port as one calling cluster's sidecar should (planned) and does (observed) route it. */
  | ({ readonly type: "verify.route" } & RoutingRow);

export type MeshEvent = MeshEventBody & { readonly seq: number; readonly jobId: string; readonly stack: string; readonly at: string };

/** A failure the core reports to its callers, typed, with a message safe to show. */
export class MeshError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { readonly report?: string; readonly runningJobId?: string } = {},
  ) {
    super(message);
    this.name = "MeshError";
  }
  toJobError(): JobError {
    return { code: this.code, message: this.message, ...(this.extra.report ? { report: this.extra.report } : {}) };
  }
}

export const notFound = (what: string): MeshError => new MeshError("not_found", `${what} does not exist`);
export const busy = (stack: string, runningJobId?: string): MeshError =>
  new MeshError(
    "busy",
    runningJobId
      ? `stack ${stack} is running job ${runningJobId}`
      : `stack ${stack} is locked by another process (another pulumi up, or a lock left by one that died): wait for it, or on a self-managed backend clear a stale lock with pulumi cancel`,
    runningJobId ? { runningJobId } : {},
  );
export const configInvalid = (report: string): MeshError =>
  new MeshError("config_invalid", "the stack's configuration is invalid; nothing was deployed", { report });
/** `operation`: what ran, as the user would type it (`up`, `stack output`); `why`: the CLI's words, or where to look. */
export const engineFailed = (stack: string, operation: string, why?: string): MeshError =>
  new MeshError("engine_failed", `pulumi ${operation} of stack ${stack} failed${why ? `: ${why}` : "; the job's diagnostics say why"}`);
export const cancelled = (): MeshError => new MeshError("cancelled", "cancelled");
