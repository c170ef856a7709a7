/**
 * The job store over Kysely, for both dialects: the dialect files give the connection, their exclusive
 * transaction, row locks and wake-ups; the queries here are written once.
 */
import type { JobRecord, MeshEvent } from "../types";
import { appendAudit, listAudit } from "./audit";
import { importJobs, readJournal } from "./journal-import";
import { admit, heartbeat, release, sweep } from "./lease";
import { prune } from "./retention";
import { decodeCursor, encodeCursor, parseEvent, parseRecord } from "./rows";
import { migrate } from "./schema";
import { deleteSession, deleteSessionsOf, getSession, putSession, touchSession } from "./sessions";
import type { Dialect } from "./sql-types";
import {
  StoreError,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AdmitRequest,
  type Admission,
  type EventPage,
  type Fence,
  type HeartbeatResult,
  type ImportReport,
  type Interrupt,
  type JobPage,
  type JobStore,
  type ListQuery,
  type Retention,
  type StoreHealth,
  type StoredSession,
} from "./store";

/** The database's own words for a failed write, for the job's diagnostic and /readyz. */
export function describeFailure(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: unknown[] };
  const code = typeof err.code === "string" ? err.code : "";
  // a connection refused on every address of a name is an AggregateError with no message of its own
  const own = err.message || (Array.isArray(err.errors) && err.errors[0] instanceof Error ? err.errors[0].message : "");
  const message = (own || String(e)).split("\n")[0]!.slice(0, 300);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

const STICKY_FAILURE_MS = 10_000;

export class SqlStore implements JobStore {
  readonly kind: "sqlite" | "postgres";
  readonly location: string;
  private readonly migrated: Promise<void>;
  private readonly waiters = new Map<string, Set<() => void>>();
  private poll?: NodeJS.Timeout;
  private unlisten?: Promise<() => Promise<void>>;
  private lastFailure?: { at: number; detail: string };
  private probe?: { at: number; health: Promise<StoreHealth> };

  constructor(private readonly d: Dialect) {
    this.kind = d.kind;
    this.location = d.location;
    this.migrated = migrate((fn) => d.exclusive(fn));
    // an unhandled rejection here would end the process; callers see the error through ready()
    this.migrated.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.migrated;
  }

  /** Runs a read; a database error becomes an `unreadable` StoreError with the database's reason (never the driver's error). */
  private async reading<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.migrated;
      return await fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError("unreadable", `the job store (${this.kind} ${this.location}) cannot be read: ${describeFailure(e)}`);
    }
  }

  /** Runs a write; a database error becomes an `unwritable` StoreError with the database's reason. */
  private async writing<T>(fn: () => Promise<T>): Promise<T> {
    // the migrations first: a store that could not be opened fails a write as it fails a read
    await this.reading(() => Promise.resolve());
    try {
      const r = await fn();
      this.lastFailure = undefined;
      return r;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      const detail = `the job store (${this.kind} ${this.location}) cannot be written: ${describeFailure(e)}`;
      this.lastFailure = { at: Date.now(), detail };
      throw new StoreError("unwritable", detail);
    }
  }

  admit(req: AdmitRequest): Promise<Admission> {
    return this.writing(() => this.d.exclusive((tx) => admit(tx, this.d.rowLocks, req)));
  }

  async write(fence: Fence, change: { readonly record?: JobRecord; readonly events?: readonly MeshEvent[] }): Promise<void> {
    const events = change.events ?? [];
    const record = change.record;
    await this.writing(() =>
      this.d.exclusive(async (tx) => {
        const held = await tx
          .selectFrom("leases")
          .select("token")
          .where("stack", "=", fence.stack)
          .where("owner", "=", fence.owner)
          .where("token", "=", fence.token)
          .$if(this.d.rowLocks, (q) => q.forShare())
          .executeTakeFirst();
        if (!held)
          throw new StoreError(
            "fenced",
            `the lease on stack ${fence.stack} (token ${fence.token}) is no longer held: another process took the stack over`,
          );
        for (let i = 0; i < events.length; i += 500) {
          await tx
            .insertInto("events")
            .values(events.slice(i, i + 500).map((e) => ({ job_id: e.jobId, seq: e.seq, body: JSON.stringify(e) })))
            .execute();
        }
        if (record)
          await tx
            .updateTable("jobs")
            .set({ state: record.state, record: JSON.stringify(record) })
            .where("id", "=", record.id)
            .execute();
      }),
    );
    const ids = [...new Set([...events.map((e) => e.jobId), ...(record ? [record.id] : [])])];
    this.wake(ids);
    await this.d.notify(ids).catch(() => undefined);
  }

  heartbeat(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<HeartbeatResult> {
    return this.writing(() => heartbeat(this.d.db, owner, fences, leaseMs, now));
  }

  release(fence: Fence): Promise<void> {
    return this.writing(() => release(this.d.db, fence));
  }

  async sweep(now: number, interrupt: Interrupt): Promise<number> {
    const { count, jobIds } = await this.writing(() => sweep(this.d, now, interrupt));
    this.wake(jobIds);
    await this.d.notify(jobIds).catch(() => undefined);
    return count;
  }

  async requestCancel(id: string): Promise<void> {
    await this.writing(() =>
      this.d.db.updateTable("jobs").set({ cancel_requested: 1 }).where("id", "=", id).where("state", "in", ["queued", "running"]).execute(),
    );
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.reading(() => this.d.db.selectFrom("jobs").select("record").where("id", "=", id).executeTakeFirst());
    return row ? parseRecord(row.record) : undefined;
  }

  async list(q: ListQuery): Promise<JobPage> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await this.reading(() =>
      this.d.db
        .selectFrom("jobs")
        .select(["id", "created_at", "record"])
        .$if(q.stack !== undefined, (b) => b.where("stack", "=", q.stack!))
        .$if(q.state !== undefined, (b) => b.where("state", "=", q.state!))
        .$if(q.kind !== undefined, (b) => b.where("kind", "=", q.kind!))
        .$if(after !== undefined, (b) => b.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(after!.createdAt, after!.id))))
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(q.limit + 1)
        .execute(),
    );
    const page = rows.slice(0, q.limit);
    const jobs = page.map((r) => parseRecord(r.record)).filter((r): r is JobRecord => r !== undefined);
    const last = page.at(-1);
    return {
      jobs,
      skipped: page.length - jobs.length,
      ...(rows.length > q.limit && last ? { next: encodeCursor(last.created_at, last.id) } : {}),
    };
  }

  async active(): Promise<JobRecord[]> {
    const rows = await this.reading(() =>
      this.d.db
        .selectFrom("jobs")
        .select("record")
        .where("state", "in", ["queued", "running"])
        .orderBy("created_at")
        .orderBy("id")
        .execute(),
    );
    return rows.map((r) => parseRecord(r.record)).filter((r): r is JobRecord => r !== undefined);
  }

  async events(id: string, afterSeq: number, limit: number): Promise<MeshEvent[]> {
    const rows = await this.reading(() =>
      this.d.db
        .selectFrom("events")
        .select("body")
        .where("job_id", "=", id)
        .where("seq", ">", afterSeq)
        .orderBy("seq")
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => parseEvent(r.body)).filter((e): e is MeshEvent => e !== undefined);
  }

  async page(id: string, afterSeq: number, limit: number, maxBytes: number): Promise<EventPage> {
    // one row more than the page, to know whether another follows
    const rows = await this.reading(() =>
      this.d.db
        .selectFrom("events")
        .select(["seq", "body"])
        .where("job_id", "=", id)
        .where("seq", ">", afterSeq)
        .orderBy("seq")
        .limit(limit + 1)
        .execute(),
    );
    const events: MeshEvent[] = [];
    let taken = 0;
    let bytes = 0;
    for (const r of rows) {
      if (taken === limit || (taken > 0 && bytes + r.body.length > maxBytes)) break;
      taken++;
      bytes += r.body.length;
      const e = parseEvent(r.body);
      if (e) events.push(e);
    }
    return { events, through: taken > 0 ? Number(rows[taken - 1]!.seq) : afterSeq, more: taken < rows.length };
  }

  changed(id: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = () => {
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        signal?.removeEventListener("abort", done);
        if (this.waiters.size === 0) this.stopPolling();
        resolve();
      };
      set.add(done);
      signal?.addEventListener("abort", done, { once: true });
      this.startPolling();
    });
  }

  private wake(ids: readonly string[]): void {
    for (const id of ids) for (const w of [...(this.waiters.get(id) ?? [])]) w();
  }

  private startPolling(): void {
    if (!this.unlisten) {
      this.unlisten = this.d.listen((id) => this.wake([id]));
      this.unlisten.catch(() => undefined);
    }
    if (this.poll) return;
    this.poll = setInterval(() => this.wake([...this.waiters.keys()]), this.d.pollMs);
    this.poll.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }

  async importJournal(dir: string, interrupt: Interrupt, now: number): Promise<ImportReport> {
    await this.reading(() => Promise.resolve());
    const reasons: Record<string, number> = {};
    let skippedFiles = 0;
    let skippedLines = 0;
    const jobs = readJournal(dir, (reason, file) => {
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      if (file) skippedFiles++;
      else skippedLines++;
    });
    const { imported, present } = await this.writing(() => this.d.exclusive((tx) => importJobs(tx, jobs, now, interrupt)));
    return { imported, alreadyPresent: present, skippedFiles, skippedLines, reasons };
  }

  prune(retention: Retention, now: number): Promise<number> {
    return this.writing(() => prune(this.d.db, retention, now));
  }

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return this.writing(() => appendAudit(this.d.db, entries));
  }

  listAudit(q: AuditQuery): Promise<AuditPage> {
    return this.reading(() => listAudit(this.d.db, q));
  }

  putSession(s: StoredSession): Promise<void> {
    return this.writing(() => putSession(this.d.db, s));
  }

  getSession(id: string): Promise<StoredSession | undefined> {
    return this.reading(() => getSession(this.d.db, id));
  }

  touchSession(id: string, lastSeen: number): Promise<void> {
    return this.writing(() => touchSession(this.d.db, id, lastSeen));
  }

  deleteSession(id: string): Promise<void> {
    return this.writing(() => deleteSession(this.d.db, id));
  }

  deleteSessionsOf(subject: string): Promise<number> {
    return this.writing(() => deleteSessionsOf(this.d.db, subject));
  }

  health(): Promise<StoreHealth> {
    const now = Date.now();
    if (this.probe && now - this.probe.at < 1000) return this.probe.health;
    const base = { kind: this.kind, location: this.location };
    const health = (async (): Promise<StoreHealth> => {
      const sticky = this.lastFailure && now - this.lastFailure.at < STICKY_FAILURE_MS ? this.lastFailure.detail : undefined;
      try {
        await this.migrated;
        await this.d.db
          .insertInto("store_probe")
          .values({ id: 1, at: now })
          .onConflict((oc) => oc.column("id").doUpdateSet({ at: now }))
          .execute();
      } catch (e) {
        const detail = `the job store (${this.kind} ${this.location}) cannot be written: ${describeFailure(e)}`;
        this.lastFailure = { at: now, detail };
        return { ...base, writable: false, detail };
      }
      return sticky ? { ...base, writable: false, detail: sticky } : { ...base, writable: true };
    })();
    this.probe = { at: now, health };
    return health;
  }

  async close(): Promise<void> {
    this.stopPolling();
    for (const id of [...this.waiters.keys()]) this.wake([id]);
    if (this.unlisten) await (await this.unlisten.catch(() => () => Promise.resolve()))();
    await this.d.close();
  }
}
