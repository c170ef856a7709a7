/**
 * Browsers' sessions in the store, so that every replica on one PostgreSQL knows them and a sign-out
 * ends a session everywhere at once. A row is keyed by the SHA-256 of the cookie's value: reading the
 * database gives no one a session.
 */
import type { Tx } from "./sql-types";
import type { StoredSession } from "./store";

export async function putSession(db: Tx, s: StoredSession): Promise<void> {
  const { id, expiresAt, lastSeen, ...rest } = s;
  await db
    .insertInto("sessions")
    .values({ id, record: JSON.stringify({ ...rest, expiresAt }), expires_at: expiresAt, last_seen: lastSeen })
    .execute();
}

export async function getSession(db: Tx, id: string): Promise<StoredSession | undefined> {
  const row = await db.selectFrom("sessions").select(["record", "expires_at", "last_seen"]).where("id", "=", id).executeTakeFirst();
  if (!row) return undefined;
  try {
    const r = JSON.parse(row.record) as Omit<StoredSession, "id" | "lastSeen">;
    if (typeof r.subject !== "string" || typeof r.role !== "string" || typeof r.csrf !== "string") return undefined;
    return { ...r, id, expiresAt: Number(row.expires_at), lastSeen: Number(row.last_seen) };
  } catch {
    return undefined;
  }
}

export async function touchSession(db: Tx, id: string, lastSeen: number): Promise<void> {
  await db.updateTable("sessions").set({ last_seen: lastSeen }).where("id", "=", id).execute();
}

export async function deleteSession(db: Tx, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", id).execute();
}

/**
 * Every session of one subject (an OIDC `sub`, a static token's name): how many there were. The subject
 * is inside the record, so the rows are read; there are as many as sign-ins within the sessions' lifetime.
 */
export async function deleteSessionsOf(db: Tx, subject: string): Promise<number> {
  const rows = await db.selectFrom("sessions").select(["id", "record"]).execute();
  const ids = rows.filter((r) => subjectOf(r.record) === subject).map((r) => r.id);
  let deleted = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const r = await db
      .deleteFrom("sessions")
      .where("id", "in", ids.slice(i, i + 500))
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  return deleted;
}

function subjectOf(record: string): unknown {
  try {
    return (JSON.parse(record) as { subject?: unknown }).subject;
  } catch {
    return undefined;
  }
}

/** Sessions past their absolute end. */
export async function pruneSessions(db: Tx, now: number): Promise<number> {
  const r = await db.deleteFrom("sessions").where("expires_at", "<", now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
