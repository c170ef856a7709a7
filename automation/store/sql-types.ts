/**
 * The shapes the store's SQL modules share (a transaction, what differs between the two databases), in a
 * leaf module so the store, its leases, retention and the journal import import each other in one direction.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema";

export type Tx = Kysely<Database>;

/** What differs between SQLite and PostgreSQL. */
export interface Dialect {
  readonly kind: "sqlite" | "postgres";
  readonly location: string;
  readonly db: Kysely<Database>;
  /** A transaction in which this connection is the database's only writer (SQLite) or takes row locks (PostgreSQL). */
  exclusive<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** PostgreSQL: `FOR UPDATE` / `FOR SHARE` / `SKIP LOCKED` are real; SQLite serialises writers instead. */
  readonly rowLocks: boolean;
  /** Tells other processes that these jobs have new events. */
  notify(jobIds: readonly string[]): Promise<void>;
  /** Calls `onJob` when another process notifies; returns the stopper. */
  listen(onJob: (jobId: string) => void): Promise<() => Promise<void>>;
  /** How often waiting followers re-read anyway (the only wake-up across processes on SQLite). */
  readonly pollMs: number;
  close(): Promise<void>;
}
