/**
 * Retention: finished jobs older than the age limit, or beyond the newest `count`, are deleted with
 * their events, in batches so that no transaction holds the database for long. Unfinished jobs stay.
 * The audit trail keeps the same age and count; ended sessions go.
 */
import { pruneAudit } from "./audit";
import { pruneSessions } from "./sessions";
import type { Tx } from "./sql-types";
import type { Retention } from "./store";

export const DEFAULT_RETENTION: Retention = { days: 90, count: 10_000 };
const FINISHED = ["succeeded", "failed", "cancelled", "interrupted"] as const;
const BATCH = 500;

/** MESH_JOB_RETENTION_DAYS and MESH_JOB_RETENTION_COUNT, each a positive integer. */
export function retentionFromEnv(env: NodeJS.ProcessEnv): Retention {
  const read = (key: string, fallback: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: ${JSON.stringify(raw)} is not a positive whole number`);
    return n;
  };
  return {
    days: read("MESH_JOB_RETENTION_DAYS", DEFAULT_RETENTION.days),
    count: read("MESH_JOB_RETENTION_COUNT", DEFAULT_RETENTION.count),
  };
}

export async function prune(db: Tx, retention: Retention, now: number): Promise<number> {
  const cutoff = new Date(now - retention.days * 86_400_000).toISOString();
  // the newest job beyond the count, if any: it and everything older goes
  const boundary = await db
    .selectFrom("jobs")
    .select(["created_at", "id"])
    .where("state", "in", FINISHED)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .offset(retention.count)
    .executeTakeFirst();
  let deleted = 0;
  for (;;) {
    const ids = (
      await db
        .selectFrom("jobs")
        .select("id")
        .where("state", "in", FINISHED)
        .where((eb) =>
          eb.or([
            eb("created_at", "<", cutoff),
            ...(boundary ? [eb(eb.refTuple("created_at", "id"), "<=", eb.tuple(boundary.created_at, boundary.id))] : []),
          ]),
        )
        .limit(BATCH)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) {
      await pruneAudit(db, retention, now);
      await pruneSessions(db, now);
      return deleted;
    }
    await db.deleteFrom("events").where("job_id", "in", ids).execute();
    await db.deleteFrom("jobs").where("id", "in", ids).execute();
    deleted += ids.length;
  }
}
