/**
 * Rows back into records and events, defensively: a row written by hand, by an older program or torn by
 * a broken tool is skipped (and counted), never thrown at a caller that lists jobs.
 */
import { TERMINAL, type JobKind, type JobRecord, type JobState, type MeshEvent } from "../types";

export const STATES: readonly JobState[] = ["queued", "running", ...TERMINAL];
export const KINDS: readonly JobKind[] = ["preview", "up", "refresh", "destroy", "verify"];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const JOB_ID = /^[a-z0-9]{1,16}-[0-9a-f]{8}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why a record cannot be used, or undefined when it can. */
export function recordProblem(v: unknown): string | undefined {
  if (!isObject(v)) return "not an object";
  if (typeof v.id !== "string" || !JOB_ID.test(v.id)) return "no valid id";
  if (typeof v.stack !== "string" || v.stack === "") return "no stack";
  if (!KINDS.includes(v.kind as JobKind)) return `unknown kind ${JSON.stringify(v.kind)}`;
  if (!STATES.includes(v.state as JobState)) return `unknown state ${JSON.stringify(v.state)}`;
  if (typeof v.createdAt !== "string" || !ISO.test(v.createdAt)) return "no createdAt";
  if (typeof v.requestedBy !== "string") return "no requestedBy";
  return undefined;
}

export function parseRecord(text: string): JobRecord | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return recordProblem(v) === undefined ? (v as JobRecord) : undefined;
  } catch {
    return undefined;
  }
}

export function eventProblem(v: unknown): string | undefined {
  if (!isObject(v)) return "not an object";
  if (typeof v.seq !== "number" || !Number.isInteger(v.seq) || v.seq < 1) return "no valid seq";
  if (typeof v.type !== "string") return "no type";
  if (typeof v.jobId !== "string") return "no jobId";
  return undefined;
}

export function parseEvent(text: string): MeshEvent | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return eventProblem(v) === undefined ? (v as MeshEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** The keyset cursor of a page: the last row's (createdAt, id). */
export const encodeCursor = (createdAt: string, id: string): string => Buffer.from(`${createdAt}|${id}`).toString("base64url");

export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  const [createdAt, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !createdAt || !id || !ISO.test(createdAt) || !JOB_ID.test(id)) return undefined;
  return { createdAt, id };
}
