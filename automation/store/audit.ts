/**
 * The audit trail in the store: one row per audited request, read back newest first with the filters
 * GET /v1/audit takes, and pruned by the jobs' retention (the same age and count).
 */
import type { Tx } from "./sql-types";
import type { AuditEntry, AuditPage, AuditQuery, Retention } from "./store";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const BATCH = 500;

const encode = (time: string, id: string): string => Buffer.from(`${time}|${id}`).toString("base64url");

/** The (time, id) a cursor stands for, or undefined for one this store did not make. */
export function decodeAuditCursor(cursor: string): { time: string; id: string } | undefined {
  const [time, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !time || !id || !ISO.test(time) || !/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
  return { time, id };
}

export async function appendAudit(db: Tx, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto("audit")
    .values(
      entries.map((e) => ({
        id: e.id,
        time: e.time,
        actor: e.actor ?? null,
        action: e.action,
        status: e.status,
        record: JSON.stringify(e.line),
      })),
    )
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function listAudit(db: Tx, q: AuditQuery): Promise<AuditPage> {
  const after = q.cursor ? decodeAuditCursor(q.cursor) : undefined;
  const rows = await db
    .selectFrom("audit")
    .select(["id", "time", "record"])
    .$if(q.actor !== undefined, (b) => b.where("actor", "=", q.actor!))
    .$if(q.action !== undefined, (b) => b.where("action", "=", q.action!))
    .$if(q.status !== undefined, (b) => b.where("status", "=", q.status!))
    .$if(q.since !== undefined, (b) => b.where("time", ">=", q.since!))
    .$if(after !== undefined, (b) => b.where((eb) => eb(eb.refTuple("time", "id"), "<", eb.tuple(after!.time, after!.id))))
    .orderBy("time", "desc")
    .orderBy("id", "desc")
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const entries: Record<string, unknown>[] = [];
  for (const r of page) {
    try {
      const line: unknown = JSON.parse(r.record);
      if (typeof line === "object" && line !== null && !Array.isArray(line)) entries.push(line as Record<string, unknown>);
    } catch {
      // a row torn by hand or by a broken tool is skipped, as a job's is
    }
  }
  const last = page.at(-1);
  return { entries, ...(rows.length > q.limit && last ? { next: encode(last.time, last.id) } : {}) };
}

/** Lines older than the retention's days, or beyond its count (newest first), in batches. */
export async function pruneAudit(db: Tx, retention: Retention, now: number): Promise<number> {
  const cutoff = new Date(now - retention.days * 86_400_000).toISOString();
  const boundary = await db
    .selectFrom("audit")
    .select(["time", "id"])
    .orderBy("time", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .offset(retention.count)
    .executeTakeFirst();
  let deleted = 0;
  for (;;) {
    const ids = (
      await db
        .selectFrom("audit")
        .select("id")
        .where((eb) =>
          eb.or([
            eb("time", "<", cutoff),
            ...(boundary ? [eb(eb.refTuple("time", "id"), "<=", eb.tuple(boundary.time, boundary.id))] : []),
          ]),
        )
        .limit(BATCH)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return deleted;
    await db.deleteFrom("audit").where("id", "in", ids).execute();
    deleted += ids.length;
  }
}
