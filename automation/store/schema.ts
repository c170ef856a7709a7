/**
 * The store's tables, as Kysely sees them, and the numbered migrations run at start. A migration is
 * applied once, in order, inside the dialect's exclusive transaction (so two processes starting on one
 * database do not both apply it); a database newer than this program is refused.
 */
import { sql, type Kysely } from "kysely";

export interface JobsTable {
  id: string;
  stack: string;
  kind: string;
  state: string;
  created_at: string;
  /** The whole JobRecord as JSON; the columns above are copies for filtering and paging. */
  record: string;
  owner: string | null;
  /** The fencing token of the lease the job was admitted under. */
  token: number;
  cancel_requested: number;
}

export interface EventsTable {
  job_id: string;
  seq: number;
  /** The MeshEvent as JSON. */
  body: string;
}

export interface LeasesTable {
  stack: string;
  owner: string | null;
  token: number;
  /** Milliseconds since the epoch. */
  expires_at: number;
}

export interface ProbeTable {
  id: number;
  at: number;
}

/** One audited request (or a count of unauthenticated refusals); the columns are copies of `record`'s fields for filtering. */
export interface AuditTable {
  id: string;
  time: string;
  actor: string | null;
  action: string;
  status: number;
  /** The audit line as JSON, redacted. */
  record: string;
}

/** A browser's signed-in session; `id` is the SHA-256 of the cookie's value, never the value itself. */
export interface SessionsTable {
  id: string;
  /** Who, with which role, signed in how, and the session's CSRF token, as JSON. */
  record: string;
  /** Milliseconds since the epoch: the session's absolute end. */
  expires_at: number;
  /** Milliseconds since the epoch: its last use, for the idle timeout. */
  last_seen: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface Database {
  jobs: JobsTable;
  events: EventsTable;
  leases: LeasesTable;
  store_probe: ProbeTable;
  audit: AuditTable;
  sessions: SessionsTable;
  store_migrations: MigrationsTable;
}

/** Every table of the newest schema: a table added to Database that is not named here is a type error. */
export const TABLES: readonly string[] = Object.keys({
  jobs: true,
  events: true,
  leases: true,
  store_probe: true,
  audit: true,
  sessions: true,
  store_migrations: true,
} satisfies Record<keyof Database, true>);

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<Database>): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "jobs, events, leases",
    async up(db) {
      await db.schema
        .createTable("jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("stack", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("record", "text", (c) => c.notNull())
        .addColumn("owner", "text")
        .addColumn("token", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("jobs_newest").on("jobs").columns(["created_at", "id"]).execute();
      await db.schema.createIndex("jobs_stack_newest").on("jobs").columns(["stack", "created_at", "id"]).execute();
      // only the few unfinished jobs: the scheduler's and the sweep's queries never scan the history
      await db.schema
        .createIndex("jobs_unfinished")
        .on("jobs")
        .columns(["stack", "state"])
        .where(sql.ref("state"), "in", ["queued", "running"])
        .execute();
      await db.schema
        .createTable("events")
        .addColumn("job_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("events_pk", ["job_id", "seq"])
        .execute();
      await db.schema
        .createTable("leases")
        .addColumn("stack", "text", (c) => c.primaryKey())
        .addColumn("owner", "text")
        .addColumn("token", "integer", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("store_probe")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: "audit, sessions",
    async up(db) {
      await db.schema
        .createTable("audit")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("time", "text", (c) => c.notNull())
        .addColumn("actor", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("record", "text", (c) => c.notNull())
        .execute();
      // newest first, whole or by one filter: each reads only the page it answers
      await db.schema.createIndex("audit_newest").on("audit").columns(["time", "id"]).execute();
      await db.schema.createIndex("audit_actor").on("audit").columns(["actor", "time", "id"]).execute();
      await db.schema.createIndex("audit_action").on("audit").columns(["action", "time", "id"]).execute();
      await db.schema.createIndex("audit_status").on("audit").columns(["status", "time", "id"]).execute();
      await db.schema
        .createTable("sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("record", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("last_seen", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sessions_expiry").on("sessions").column("expires_at").execute();
    },
  },
];

/** Applies what is missing; `exclusive` runs its callback as the only writer of the database. */
export async function migrate(exclusive: <T>(fn: (tx: Kysely<Database>) => Promise<T>) => Promise<T>): Promise<void> {
  await exclusive(async (tx) => {
    await tx.schema
      .createTable("store_migrations")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .execute();
    const applied = new Set((await tx.selectFrom("store_migrations").select("version").execute()).map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    const known = MIGRATIONS.at(-1)!.version;
    if (newest > known)
      throw new Error(
        `the job store has schema version ${newest}, newer than this program's ${known}: run the newer mesh, or another store`,
      );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await m.up(tx);
      await tx.insertInto("store_migrations").values({ version: m.version, name: m.name, applied_at: new Date().toISOString() }).execute();
    }
  });
}
