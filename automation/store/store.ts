/**
 * The job store: every job's record and events, and the per-stack leases that let one process at a
 * time run a stack. One interface over two databases (SQLite embedded, PostgreSQL for replicas); the
 * scheduler (`../jobs.ts`), the CLI, the server and converge only ever see this.
 */
import type { JobKind, JobRecord, JobState, MeshEvent } from "../types";

/** A held lease: writes of a job's record and events carry it and are refused once the token moved on. */
export interface Fence {
  readonly stack: string;
  readonly owner: string;
  /** Grows by one each time the lease changes hands; never reused. */
  readonly token: number;
}

/** What a job left running or queued by a dead holder becomes. */
export type Interrupt = (r: JobRecord) => Pick<JobRecord, "recovery">;

export interface AdmitRequest {
  readonly record: JobRecord;
  readonly owner: string;
  readonly leaseMs: number;
  /** Refuse when the stack has an up, refresh or destroy queued or running (the API's rule for mutating jobs). */
  readonly exclusive: boolean;
  readonly now: number;
  readonly interrupt: Interrupt;
}

export type Admission =
  | { readonly admitted: JobRecord; readonly fence: Fence }
  | { readonly refused: { readonly runningJobId?: string; readonly message: string } };

export interface ListQuery {
  readonly stack?: string;
  readonly state?: JobState;
  readonly kind?: JobKind;
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
}

export interface JobPage {
  readonly jobs: JobRecord[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly next?: string;
  /** Rows that could not be read (garbage written by hand or by a broken tool); skipped. */
  readonly skipped: number;
}

export interface EventPage {
  /** The readable events of the page, in order (rows that cannot be read are skipped). */
  readonly events: MeshEvent[];
  /** The sequence of the page's last row, readable or not: the next page starts after it. */
  readonly through: number;
  /** Rows after the page exist now (it was cut by its limit or its bytes). */
  readonly more: boolean;
}

export interface HeartbeatResult {
  /** Leases that another process took over: their jobs must stop at once. */
  readonly lost: readonly Fence[];
  /** Jobs of this owner that someone asked to cancel (through another replica). */
  readonly cancelRequested: readonly string[];
}

export interface StoreHealth {
  readonly kind: "sqlite" | "postgres";
  /** The file, or the server without its password. */
  readonly location: string;
  readonly writable: boolean;
  /** Why not, for the operator. */
  readonly detail?: string;
}

export interface Retention {
  /** Finished jobs older than this are deleted. @default 90 */
  readonly days: number;
  /** At most this many finished jobs are kept, newest first. @default 10000 */
  readonly count: number;
}

/** One line of the audit trail, as the store keeps it. */
export interface AuditEntry {
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly actor?: string;
  readonly action: string;
  readonly status: number;
  /** The whole line, redacted: what GET /v1/audit returns. */
  readonly line: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly status?: number;
  /** ISO 8601: lines at or after this time. */
  readonly since?: string;
  readonly limit: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: Record<string, unknown>[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly next?: string;
}

/** A browser's session. Its id is the SHA-256 (hex) of the cookie's value: the store never holds the value. */
export interface StoredSession {
  readonly id: string;
  readonly subject: string;
  readonly name: string;
  readonly role: string;
  readonly signedInWith: "oidc" | "token";
  /** A session made from a static token: the SHA-256 (hex) of the token presented, never the token. */
  readonly tokenSha256?: string;
  /** What the console sends in X-CSRF-Token on a request that changes anything. */
  readonly csrf: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastSeen: number;
}

export interface JobStore {
  readonly kind: "sqlite" | "postgres";
  readonly location: string;
  /** Runs the migrations not yet applied; every other call waits for it. */
  ready(): Promise<void>;
  /** Takes or keeps the stack's lease for `owner` and records the job queued, in one transaction. */
  admit(req: AdmitRequest): Promise<Admission>;
  /** Writes a job's record and/or events if the fence still holds; throws `StoreError` (`fenced` or `unwritable`). Reads throw `unreadable`. */
  write(fence: Fence, change: { readonly record?: JobRecord; readonly events?: readonly MeshEvent[] }): Promise<void>;
  heartbeat(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<HeartbeatResult>;
  /** Gives the lease back (its token stays, so a late write of the old holder is still refused). */
  release(fence: Fence): Promise<void>;
  /** Jobs queued or running on a stack whose lease expired or is free: `interrupted`, with `interrupt`'s recovery. */
  sweep(now: number, interrupt: Interrupt): Promise<number>;
  /** Marks a job another process runs for cancelling; its owner sees it on its next heartbeat. */
  requestCancel(id: string): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Newest first, keyset-paged by (createdAt, id). */
  list(q: ListQuery): Promise<JobPage>;
  /** Jobs queued or running, in every process. */
  active(): Promise<JobRecord[]>;
  /** Events of a job after `afterSeq`, in order, at most `limit`. */
  events(id: string, afterSeq: number, limit: number): Promise<MeshEvent[]>;
  /** As `events`, also bounded in bytes (past the first event), and saying where the next page starts. */
  page(id: string, afterSeq: number, limit: number, maxBytes: number): Promise<EventPage>;
  /** Resolves when a job may have new events (written here, notified by another replica, or a poll tick), or on `signal`. */
  changed(id: string, signal?: AbortSignal): Promise<void>;
  /** Imports a journal folder of earlier versions (see journal-import.ts). */
  importJournal(dir: string, interrupt: Interrupt, now: number): Promise<ImportReport>;
  /** Deletes finished jobs (and audit lines) beyond the retention, and ended sessions; returns how many jobs. */
  prune(retention: Retention, now: number): Promise<number>;
  /** Adds lines to the audit trail (an id already there is kept as it is). */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first, keyset-paged by (time, id). */
  listAudit(q: AuditQuery): Promise<AuditPage>;
  putSession(s: StoredSession): Promise<void>;
  getSession(id: string): Promise<StoredSession | undefined>;
  /** Records a session's use, for its idle timeout. */
  touchSession(id: string, lastSeen: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session of one subject; returns how many. */
  deleteSessionsOf(subject: string): Promise<number>;
  /** Can the store be written right now? A real write of one row, cached for a second. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/**
 * `fenced`: the lease moved on (another process took the stack). `unwritable`: a write failed (disk full,
 * read-only, database down). `unreadable`: a read failed (database down or unreachable, a damaged file).
 */
export class StoreError extends Error {
  constructor(
    readonly reason: "fenced" | "unwritable" | "unreadable",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

/** What an import of a journal folder did. */
export interface ImportReport {
  readonly imported: number;
  readonly alreadyPresent: number;
  readonly skippedFiles: number;
  readonly skippedLines: number;
  /** Reason → how many times. */
  readonly reasons: Readonly<Record<string, number>>;
}
