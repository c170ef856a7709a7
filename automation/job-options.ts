/**
 * What a `Jobs` is made with, and what its callers ask of it: the options, a submission, a filter.
 */
import type { StackEngine } from "./engine";
import { DEFAULT_RETENTION } from "./store/retention";
import type { JobStore, Retention } from "./store/store";
import type { JobError, JobKind, JobState, MeshEventBody, VerifySummary } from "./types";

export interface JobsOptions {
  readonly engine: StackEngine;
  /** Where records and events are kept. @default an in-memory SQLite store, gone with the process */
  readonly store?: JobStore;
  /** How long a cancelled job may take to stop before the core says so. @default 30000 */
  readonly cancelGraceMs?: number;
  /** Jobs running at once across all stacks, in this process. @default 4 */
  readonly maxRunning?: number;
  /** The stack as the backend names it, for recovery commands. @default organization/mesh/<stack> */
  readonly qualify?: (stack: string) => string;
  readonly now?: () => Date;
  /** A stack's lease lasts this long without a heartbeat, ms. @default 30000 */
  readonly leaseMs?: number;
  /** @default leaseMs / 3 */
  readonly heartbeatMs?: number;
  readonly retention?: Retention;
  /** This process in leases and job rows. @default host:pid:random */
  readonly owner?: string;
  /** Events of one job waiting for the store; past this the store is stalled and the job fails. @default 10000 */
  readonly maxPendingEvents?: number;
}

export interface SubmitRequest {
  readonly stack: string;
  readonly kind: JobKind;
  readonly requestedBy: string;
  readonly options?: { readonly includeProtected?: boolean };
  /** Refuse (busy) when the stack already has an up, refresh or destroy queued or running anywhere. */
  readonly exclusive?: boolean;
  /** verify: the stacks it reads, kept in the record. */
  readonly stacks?: readonly string[];
  /** What a job that is no engine operation (verify) does; it takes no engine slot of `maxRunning`. */
  readonly work?: JobWork;
}

/** A job's own work: its events go out redacted and numbered like an engine's; it ends with its record's outcome. */
export type JobWork = (ctx: {
  readonly signal: AbortSignal;
  readonly emit: (body: MeshEventBody) => void;
  /** Resolves once what was emitted so far has been written to the store (or refused): a long run of events waits for it. */
  readonly written: () => Promise<void>;
  /** Credentials the work loaded: from now on every event, record and error is redacted of them. */
  readonly secrets: (values: readonly string[]) => void;
}) => Promise<{ readonly verify?: VerifySummary; readonly error?: JobError }>;

export interface JobFilter {
  readonly stack?: string;
  readonly state?: JobState;
  readonly kind?: JobKind;
  readonly limit?: number;
  readonly cursor?: string;
}

export type ResolvedJobsOptions = Required<Omit<JobsOptions, "store" | "owner">>;

/** The options with every default filled in. */
export function withDefaults(options: JobsOptions): ResolvedJobsOptions {
  const leaseMs = options.leaseMs ?? 30_000;
  return {
    cancelGraceMs: 30_000,
    maxRunning: 4,
    qualify: (stack) => `organization/mesh/${stack}`,
    now: () => new Date(),
    leaseMs,
    heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
    retention: DEFAULT_RETENTION,
    maxPendingEvents: 10_000,
    ...options,
  };
}
