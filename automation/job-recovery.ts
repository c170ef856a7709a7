/**
 * What a job tells the operator to do when it did not end on its own: interrupted by a dead process,
 * slow to stop after a cancel, taken over after a lost lease, or stopped because its record could not be
 * kept. One place, so every way in (CLI, API, events) says the same.
 */
import type { Redactor } from "./redact";
import { MeshError, type JobRecord, type JobState } from "./types";

/** An unfinished job of a process that died, found by the next one on this store. */
export function interruptedRecovery(r: JobRecord, qualified: string): string {
  if (r.kind === "verify") return "the process running this verify stopped before it finished; start it again";
  if (r.state === "running")
    return `the process running this job stopped before it finished. On a self-managed backend the stack's lock is stale: pulumi cancel --stack ${qualified} --yes, then run the job again`;
  return "the process stopped before this job started; submit it again";
}

/** A cancelled job still running after the grace period. */
export function slowCancelRecovery(verify: boolean, graceMs: number, qualified: string): string {
  const s = Math.round(graceMs / 1000);
  return verify
    ? `the verify has not stopped ${s} s after the cancel: it stops once its cluster reads answer or time out`
    : `the engine has not stopped ${s} s after the cancel: it may be finishing a resource operation, so let it. If its process is gone, clear the lock: pulumi cancel --stack ${qualified} --yes`;
}

export const LEASE_LOST_RECOVERY =
  "this process lost the stack's lease (it could not renew it in time) and another process took the job over as interrupted; see that job's record";

/** Why a job stopped when the store refused its writes, and what to do. */
export function storeFailureMessage(e: unknown): string {
  return `${e instanceof Error ? e.message : String(e)}. The job was stopped because its record could not be kept: free space or make the store writable (GET /readyz says when it is), then run the job again; a stopped update may have changed part of the stack, so preview it first`;
}

/**
 * How a job whose run threw ends: failed on the store, interrupted (its lease went to another process),
 * cancelled, or failed with its error, redacted — and, for the last, the line its events must carry.
 */
export function endAfterThrow(
  l: { readonly storeFailure?: string; readonly lost?: boolean },
  aborted: boolean,
  e: unknown,
  r: JobRecord,
  redactor: Redactor,
): { state: JobState; extra: Partial<Pick<JobRecord, "error">>; say?: string } {
  if (l.storeFailure) return { state: "failed", extra: { error: { code: "store_failed", message: l.storeFailure } } };
  if (l.lost) return { state: "interrupted", extra: {} };
  if (aborted) return { state: "cancelled", extra: { error: { code: "cancelled", message: "cancelled" } } };
  const error =
    e instanceof MeshError ? e.toJobError() : { code: "engine_failed" as const, message: `pulumi ${r.kind} of stack ${r.stack} failed` };
  const redacted = {
    ...error,
    message: redactor.redact(error.message),
    ...(error.report ? { report: redactor.redact(error.report) } : {}),
  };
  return { state: "failed", extra: { error: redacted }, say: redacted.report ?? redacted.message };
}
