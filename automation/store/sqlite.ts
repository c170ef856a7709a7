/**
 * The embedded store: one SQLite file (WAL, a busy timeout, full sync), safe for a CLI and a server on
 * one host. The file is checked read-only before it is taken (sqlite-check.ts). Writers take the
 * database with BEGIN IMMEDIATE, so two processes never interleave a read-then-write; other processes'
 * events are found by polling the events table.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import type { Database } from "./schema";
import { sqliteProblem } from "./sqlite-check";
import { SqlStore } from "./sql-store";
import type { Dialect } from "./sql-types";

export interface SqliteOptions {
  /** How long a writer waits for another process's transaction, ms. @default 5000 */
  readonly busyTimeoutMs?: number;
  /** How often followers re-read the events table, ms. @default 200 */
  readonly pollMs?: number;
}

export function openSqlite(path: string, options: SqliteOptions = {}): SqlStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const memory = path === ":memory:";
  let raw: BetterSqlite3.Database | undefined;
  // opened on first use, so a file that cannot be opened fails ready() with its reason instead of a constructor
  const open = (): Promise<BetterSqlite3.Database> => {
    if (!memory) {
      // looked at read-only first: a file that is not a store of ours is refused as it was found
      const problem = sqliteProblem(path);
      if (problem)
        throw new Error(
          `${path} ${problem}. It was left as it is: move it away (the store then starts empty), restore it from a backup, or set MESH_DATABASE_URL to another file`,
        );
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
    raw = new BetterSqlite3(path, { timeout: busyTimeoutMs });
    if (!memory) {
      // switching to WAL takes the database briefly; another process doing the same answers SQLITE_BUSY at once
      for (let i = 0; ; i++) {
        try {
          raw.pragma("journal_mode = WAL");
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== "SQLITE_BUSY" || i >= 50) throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
      try {
        chmodSync(path, 0o600);
      } catch {
        // not ours to change (a read-only or shared file): the store still reads it
      }
    }
    raw.pragma("synchronous = FULL");
    return Promise.resolve(raw);
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: open }) });
  const dialect: Dialect = {
    kind: "sqlite",
    location: memory ? "in memory" : path,
    db,
    rowLocks: false,
    pollMs: options.pollMs ?? 200,
    exclusive: (fn) =>
      db.connection().execute(async (c) => {
        await sql`begin immediate`.execute(c);
        try {
          const r = await fn(c);
          await sql`commit`.execute(c);
          return r;
        } catch (e) {
          await sql`rollback`.execute(c).catch(() => undefined);
          throw e;
        }
      }),
    notify: () => Promise.resolve(),
    listen: () => Promise.resolve(() => Promise.resolve()),
    close: () => db.destroy(),
  };
  return new SqlStore(dialect);
}
