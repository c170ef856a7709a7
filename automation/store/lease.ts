/**
 * One runner per stack across processes and replicas: a lease row per stack with an owner, an expiry
 * kept fresh by a heartbeat, and a fencing token that grows each time the lease changes hands. A job is
 * admitted under its stack's lease; a lease whose holder stopped heartbeating is taken over, and the
 * holder's unfinished jobs become `interrupted` with their recovery step, in the same transaction.
 */
import { sql } from "kysely";
import type { JobRecord, MeshEvent } from "../types";
import { parseRecord } from "./rows";
import type { Dialect, Tx } from "./sql-types";
import type { AdmitRequest, Admission, Fence, HeartbeatResult, Interrupt } from "./store";

const UNFINISHED = ["queued", "running"] as const;
const MUTATING = ["up", "refresh", "destroy"] as const;
/** "a refresh job", "an up job". */
const aJob = (kind: string): string => `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} job`;

/** The stack's lease row, locked for this transaction on PostgreSQL (SQLite's transaction is already exclusive). */
async function lockLease(tx: Tx, rowLocks: boolean, stack: string, skipLocked = false) {
  await tx
    .insertInto("leases")
    .values({ stack, owner: null, token: 0, expires_at: 0 })
    .onConflict((oc) => oc.column("stack").doNothing())
    .execute();
  const row = await tx
    .selectFrom("leases")
    .selectAll()
    .where("stack", "=", stack)
    .$if(rowLocks, (q) => q.forUpdate())
    .$if(rowLocks && skipLocked, (q) => q.skipLocked())
    .executeTakeFirst();
  return row ? { owner: row.owner, token: Number(row.token), expiresAt: Number(row.expires_at) } : undefined;
}

/** Every unfinished job of the stack → interrupted, with a `job.finished` event after its last one. */
async function interruptUnfinished(tx: Tx, rowLocks: boolean, stack: string, now: number, interrupt: Interrupt): Promise<string[]> {
  const rows = await tx
    .selectFrom("jobs")
    .select(["id", "record"])
    .where("stack", "=", stack)
    .where("state", "in", UNFINISHED)
    .$if(rowLocks, (q) => q.forUpdate())
    .execute();
  const at = new Date(now).toISOString();
  for (const row of rows) {
    const old = parseRecord(row.record);
    const next: JobRecord | undefined = old && { ...old, state: "interrupted", finishedAt: at, ...interrupt(old) };
    const last = await tx
      .selectFrom("events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("job_id", "=", row.id)
      .executeTakeFirst();
    const seq = Number(last?.seq ?? 0) + 1;
    const event: MeshEvent = {
      type: "job.finished",
      state: "interrupted",
      ...(next?.recovery ? { recovery: next.recovery } : {}),
      seq,
      jobId: row.id,
      stack,
      at,
    };
    await tx
      .insertInto("events")
      .values({ job_id: row.id, seq, body: JSON.stringify(event) })
      .execute();
    await tx
      .updateTable("jobs")
      .set({ state: "interrupted", cancel_requested: 0, ...(next ? { record: JSON.stringify(next) } : {}) })
      .where("id", "=", row.id)
      .execute();
  }
  return rows.map((r) => r.id);
}

export async function admit(tx: Tx, rowLocks: boolean, req: AdmitRequest): Promise<Admission> {
  const { record, owner, now } = req;
  const stack = record.stack;
  const lease = (await lockLease(tx, rowLocks, stack))!;
  let token = lease.token;
  if (lease.owner !== null && lease.owner !== owner && lease.expiresAt > now) {
    const holder = await tx
      .selectFrom("jobs")
      .select(["id", "kind", "state"])
      .where("stack", "=", stack)
      .where("state", "in", UNFINISHED)
      .orderBy("created_at")
      .executeTakeFirst();
    return {
      refused: holder
        ? {
            runningJobId: holder.id,
            message: `stack ${stack} has ${aJob(holder.kind)} ${holder.state} in another process (job ${holder.id}); wait for it, or cancel it`,
          }
        : { message: `stack ${stack} is held by another process that is finishing a job; try again in a few seconds` },
    };
  }
  if (lease.owner !== owner || lease.expiresAt <= now) {
    if (lease.owner !== owner) {
      // free, or its holder stopped heartbeating: whatever it left unfinished will never finish
      token = lease.token + 1;
      await interruptUnfinished(tx, rowLocks, stack, now, req.interrupt);
    }
  }
  await tx
    .updateTable("leases")
    .set({ owner, token, expires_at: now + req.leaseMs })
    .where("stack", "=", stack)
    .execute();
  if (req.exclusive) {
    const other = await tx
      .selectFrom("jobs")
      .select(["id", "kind", "state"])
      .where("stack", "=", stack)
      .where("state", "in", UNFINISHED)
      .where("kind", "in", MUTATING)
      .orderBy("created_at")
      .executeTakeFirst();
    if (other)
      return {
        refused: { runningJobId: other.id, message: `stack ${stack} has ${aJob(other.kind)} ${other.state}; wait for it or cancel it` },
      };
  }
  await tx
    .insertInto("jobs")
    .values({
      id: record.id,
      stack,
      kind: record.kind,
      state: record.state,
      created_at: record.createdAt,
      record: JSON.stringify(record),
      owner,
      token,
      cancel_requested: 0,
    })
    .execute();
  const queued: MeshEvent = { type: "job.queued", seq: 1, jobId: record.id, stack, at: record.createdAt };
  await tx
    .insertInto("events")
    .values({ job_id: record.id, seq: 1, body: JSON.stringify(queued) })
    .execute();
  return { admitted: record, fence: { stack, owner, token } };
}

export async function heartbeat(db: Tx, owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<HeartbeatResult> {
  const lost: Fence[] = [];
  for (const f of fences) {
    const r = await db
      .updateTable("leases")
      .set({ expires_at: now + leaseMs })
      .where("stack", "=", f.stack)
      .where("owner", "=", f.owner)
      .where("token", "=", f.token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) lost.push(f);
  }
  const cancels = await db
    .selectFrom("jobs")
    .select("id")
    .where("owner", "=", owner)
    .where("cancel_requested", "=", 1)
    .where("state", "in", UNFINISHED)
    .execute();
  return { lost, cancelRequested: cancels.map((c) => c.id) };
}

export async function release(db: Tx, fence: Fence): Promise<void> {
  await db
    .updateTable("leases")
    .set({ owner: null, expires_at: 0 })
    .where("stack", "=", fence.stack)
    .where("owner", "=", fence.owner)
    .where("token", "=", fence.token)
    .execute();
}

/** Takes over the stacks whose unfinished jobs have no live holder; a stack another replica is locking is skipped. */
export async function sweep(d: Dialect, now: number, interrupt: Interrupt): Promise<{ count: number; jobIds: string[] }> {
  const stacks = await d.db.selectFrom("jobs").select("stack").distinct().where("state", "in", UNFINISHED).execute();
  const jobIds: string[] = [];
  for (const { stack } of stacks) {
    const ids = await d.exclusive(async (tx) => {
      const lease = await lockLease(tx, d.rowLocks, stack, true);
      if (!lease || (lease.owner !== null && lease.expiresAt > now)) return [];
      const ids = await interruptUnfinished(tx, d.rowLocks, stack, now, interrupt);
      await tx
        .updateTable("leases")
        .set({ owner: null, token: sql<number>`token + 1`, expires_at: 0 })
        .where("stack", "=", stack)
        .execute();
      return ids;
    });
    jobIds.push(...ids);
  }
  return { count: jobIds.length, jobIds };
}
