/**
 * `mesh jobs import [dir]`: the JSON-lines journal folders of earlier versions, into the store. The
 * journal is read as hostile: only regular files named like a job file are opened (non-blocking, so a
 * FIFO cannot hang the import, and checked again after opening), lines that are not a record or an
 * event are skipped, and every skip is counted with its reason. A job already in the store is left as
 * it is, so the import can run again. A job the journal shows unfinished is imported as interrupted.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import type { JobRecord, MeshEvent } from "../types";
import { eventProblem, recordProblem } from "./rows";
import type { Tx } from "./sql-types";
import type { Interrupt } from "./store";

const FILE = /^job-([a-z0-9]{1,16}-[0-9a-f]{8})\.jsonl$/;
/** A job file larger than this is not a journal this program wrote. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface JournalJob {
  readonly record: JobRecord;
  readonly events: MeshEvent[];
}

function readRegularFile(path: string): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    return `cannot be opened (${(e as NodeJS.ErrnoException).code ?? "error"})`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "not a regular file";
    if (st.size > MAX_FILE_BYTES) return `larger than ${MAX_FILE_BYTES} bytes`;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Parses one journal folder; `count` is told every skip. */
export function readJournal(dir: string, count: (reason: string, file: boolean) => void): JournalJob[] {
  const jobs: JournalJob[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = FILE.exec(name);
    if (!m) {
      count("not a job file name", true);
      continue;
    }
    const path = join(dir, name);
    // lstat first: a directory or a symlink is never opened
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || !st.isFile()) {
      count(st?.isDirectory() ? "a directory" : st?.isSymbolicLink() ? "a symbolic link" : "not a regular file", true);
      continue;
    }
    const content = readRegularFile(path);
    if (typeof content === "string") {
      count(content, true);
      continue;
    }
    let record: JobRecord | undefined;
    const events = new Map<number, MeshEvent>();
    const lines = content.toString("utf8").split("\n");
    for (const line of lines) {
      if (line.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        count("not JSON (a torn or garbled line)", false);
        continue;
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        count("a JSON value that is not a record or an event", false);
        continue;
      }
      const entry = parsed as { record?: unknown; event?: unknown };
      if ("record" in entry) {
        const problem = recordProblem(entry.record);
        if (problem || (entry.record as JobRecord).id !== m[1]) {
          count(`a record with ${problem ?? "another job's id"}`, false);
          continue;
        }
        record = entry.record as JobRecord;
      } else if ("event" in entry) {
        const problem = eventProblem(entry.event) ?? ((entry.event as MeshEvent).jobId !== m[1] ? "another job's id" : undefined);
        if (problem) {
          count(`an event with ${problem}`, false);
          continue;
        }
        const e = entry.event as MeshEvent;
        if (events.has(e.seq)) count("an event with a repeated seq", false);
        else events.set(e.seq, e);
      } else count("a JSON value that is not a record or an event", false);
    }
    if (!record) {
      count("no valid record in the file", true);
      continue;
    }
    jobs.push({ record, events: [...events.values()].sort((a, b) => a.seq - b.seq) });
  }
  return jobs;
}

/** Writes the parsed jobs; returns how many were new. */
export async function importJobs(
  tx: Tx,
  jobs: readonly JournalJob[],
  now: number,
  interrupt: Interrupt,
): Promise<{ imported: number; present: number }> {
  let imported = 0;
  let present = 0;
  for (const { record: read, events } of jobs) {
    const exists = await tx.selectFrom("jobs").select("id").where("id", "=", read.id).executeTakeFirst();
    if (exists) {
      present++;
      continue;
    }
    const unfinished = read.state === "queued" || read.state === "running";
    const at = new Date(now).toISOString();
    const record: JobRecord = unfinished ? { ...read, state: "interrupted", finishedAt: at, ...interrupt(read) } : read;
    const all: MeshEvent[] = [...events];
    if (unfinished || all.at(-1)?.type !== "job.finished") {
      all.push({
        type: "job.finished",
        state: record.state,
        ...(record.recovery ? { recovery: record.recovery } : {}),
        seq: (all.at(-1)?.seq ?? 0) + 1,
        jobId: record.id,
        stack: record.stack,
        at,
      });
    }
    await tx
      .insertInto("jobs")
      .values({
        id: record.id,
        stack: record.stack,
        kind: record.kind,
        state: record.state,
        created_at: record.createdAt,
        record: JSON.stringify(record),
        owner: null,
        token: 0,
        cancel_requested: 0,
      })
      .execute();
    for (let i = 0; i < all.length; i += 500)
      await tx
        .insertInto("events")
        .values(all.slice(i, i + 500).map((e) => ({ job_id: e.jobId, seq: e.seq, body: JSON.stringify(e) })))
        .execute();
    imported++;
  }
  return { imported, present };
}
