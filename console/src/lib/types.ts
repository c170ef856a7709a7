/**
 * The API's shapes, taken from the server's own schemas (server/schemas.ts): the console never copies a
 * shape by hand, so a change on the server is a type error here.
 */
import type { z } from "zod";
import type * as S from "../../../server/schemas";

export type Job = z.infer<typeof S.Job>;
export type JobList = z.infer<typeof S.JobList>;
export type JobKind = z.infer<typeof S.JobKind>;
export type JobState = z.infer<typeof S.JobStateSchema>;
export type StackStatus = z.infer<typeof S.StackStatus>;
export type StackList = z.infer<typeof S.StackList>;
export type ConvergeRun = z.infer<typeof S.ConvergeRun>;
export type Problem = z.infer<typeof S.Problem>;
export type JobsQuery = Partial<z.infer<typeof S.JobsQuery>>;
export type DestroyBody = z.input<typeof S.DestroyBody>;
export type MeshPlan = S.MeshPlan;
export type PlannedCluster = S.MeshPlan["clusters"][number];
export type MeshEvent = S.MeshEvent;
export type RoutingRow = S.RoutingRow;
export type Role = S.Role;

/** GET /v1/me. */
export interface Me {
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
  readonly via: "session" | "token" | "oidc" | "insecure";
  readonly signedInWith?: "oidc" | "token";
  readonly expiresAt?: string;
  readonly idleExpiresAt?: string;
  readonly csrfToken?: string;
}
/** GET /auth/methods. */
export interface SignInMethods {
  readonly methods: readonly ("oidc" | "token")[];
  readonly insecure: boolean;
}
/** GET /v1/audit. */
export interface AuditLine {
  readonly time: string;
  readonly requestId: string;
  readonly actor?: string;
  readonly role?: string;
  readonly via?: string;
  readonly action: string;
  readonly method?: string;
  readonly path?: string;
  readonly status: number;
  readonly reason?: string;
  readonly ip?: string;
  readonly stack?: string;
  readonly jobId?: string;
  readonly convergeId?: string;
  readonly runningJob?: string;
  readonly count?: number;
  readonly addresses?: number;
  readonly until?: string;
}
export interface AuditList {
  readonly entries: readonly AuditLine[];
  readonly next?: string;
}
export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly status?: number;
  readonly since?: string;
  readonly limit?: number;
  readonly cursor?: string;
}
export interface ConvergeList {
  readonly runs: readonly ConvergeRun[];
}

/** A verify.check event's fields. */
export type VerifyCheck = Extract<MeshEvent, { type: "verify.check" }>;

export const TERMINAL_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled", "interrupted"];
export const isTerminal = (s: JobState): boolean => TERMINAL_STATES.includes(s);
