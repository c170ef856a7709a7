/**
 * The API's shapes, taken from the server's own schemas (server/schemas.ts, and server/auth-schemas.ts for
 * sign-in and the audit trail): the console never copies a shape by hand, so a change on the server is a
 * type error here. Types only: nothing of the server is bundled.
 */
import type { z } from "zod";
import type * as A from "../../../server/auth-schemas";
import type * as S from "../../../server/schemas";

export type Job = z.infer<typeof S.Job>;
export type JobList = z.infer<typeof S.JobList>;
export type JobKind = z.infer<typeof S.JobKind>;
export type JobState = z.infer<typeof S.JobStateSchema>;
export type StackStatus = z.infer<typeof S.StackStatus>;
export type StackList = z.infer<typeof S.StackList>;
export type ConvergeRun = z.infer<typeof S.ConvergeRun>;
export type ChangeSet = z.infer<typeof S.ChangeSetSchema>;
export type Problem = z.infer<typeof S.Problem>;
export type JobsQuery = Partial<z.infer<typeof S.JobsQuery>>;
export type DestroyBody = z.input<typeof S.DestroyBody>;
export type MeshPlan = S.MeshPlan;
export type PlannedCluster = S.MeshPlan["clusters"][number];
export type MeshEvent = S.MeshEvent;
export type RoutingRow = S.RoutingRow;
export type Role = S.Role;

/** GET /v1/me. */
export type Me = z.infer<typeof A.Me>;
/** GET /auth/methods. */
export type SignInMethods = z.infer<typeof A.SignInMethods>;
/** GET /v1/audit. */
export type AuditLine = z.infer<typeof A.AuditLine>;
export type AuditList = z.infer<typeof A.AuditList>;
export type AuditQuery = Partial<z.infer<typeof A.AuditQuerySchema>>;
/** GET /v1/converge. */
export type ConvergeList = z.infer<typeof S.ConvergeList>;

/** A verify.check event's fields. */
export type VerifyCheck = Extract<MeshEvent, { type: "verify.check" }>;

export const TERMINAL_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled", "interrupted"];
export const isTerminal = (s: JobState): boolean => TERMINAL_STATES.includes(s);
