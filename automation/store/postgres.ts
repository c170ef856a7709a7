/**
 * The store on PostgreSQL, for several portal replicas: row locks (`FOR UPDATE`, `FOR SHARE`,
 * `SKIP LOCKED`) order the writers; `NOTIFY` after every write wakes followers on the other replicas,
 * which then re-read from their last sequence (a lost notification costs at most one poll interval).
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema";
import { SqlStore } from "./sql-store";
import type { Dialect } from "./sql-types";

const CHANNEL = "mesh_job_events";
const INT8 = 20;

export interface PostgresOptions {
  /** Connections per process. @default 10 */
  readonly poolSize?: number;
  /** Re-read interval for followers when no notification comes, ms. @default 2000 */
  readonly pollMs?: number;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return `${u.protocol}//${u.username ? `${u.username}@` : ""}${u.host}${u.pathname}`;
  } catch {
    return "postgres (unparsable URL)";
  }
}

export function openPostgres(url: string, options: PostgresOptions = {}): SqlStore {
  const types = {
    // lease expiries are milliseconds since the epoch: int8, which pg returns as a string by default
    getTypeParser: (oid: number, format?: "text" | "binary") =>
      oid === INT8 ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as (v: string) => unknown),
  };
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types, connectionTimeoutMillis: 5000 });
  // an idle connection that the server drops must not end the process; the next query reconnects
  pool.on("error", () => undefined);
  // nor one in use between two statements (the pool listens only to idle ones): a client that hears the
  // server go away (57P01 on shutdown) with no query running would throw it at the process. The statement
  // in progress or the next one fails instead, as a StoreError, and the pool drops the client.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const dialect: Dialect = {
    kind: "postgres",
    location: redactUrl(url),
    db,
    rowLocks: true,
    pollMs: options.pollMs ?? 2000,
    exclusive: (fn) =>
      db.transaction().execute(async (tx) => {
        // two processes migrating one database at once: the second waits here, then finds nothing to do
        await sql`select pg_advisory_xact_lock(4242)`.execute(tx).then(
          () => undefined,
          () => undefined,
        );
        return fn(tx);
      }),
    notify: async (ids) => {
      if (ids.length > 0) await sql`select pg_notify(${CHANNEL}, id) from unnest(${[...ids]}::text[]) as id`.execute(db);
    },
    listen: async (onJob) => {
      let stopped = false;
      let client: pg.Client | undefined;
      const connect = async (): Promise<void> => {
        if (stopped) return;
        const c = new pg.Client({ connectionString: url, types });
        c.on("notification", (n) => n.payload && onJob(n.payload));
        c.on("error", () => {
          // the server went away: reconnect; followers poll meanwhile
          void c.end().catch(() => undefined);
          if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
        });
        await c.connect();
        await c.query(`LISTEN ${CHANNEL}`);
        client = c;
      };
      await connect().catch(() => {
        if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
      });
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
    close: () => db.destroy(),
  };
  return new SqlStore(dialect);
}
