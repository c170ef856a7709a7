/** Errors as application/problem+json (RFC 9457): a type per status, a title, and a detail written for the caller. */
import type { FastifyReply } from "fastify";
import { StoreError } from "../automation/store/store";
import { MeshError } from "../automation/types";

const PROBLEM_TYPE = "https://mesh.invalid/problems/";
const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

declare module "fastify" {
  interface FastifyRequest {
    /** Why the request was refused, for the audit line. */
    refusal?: string;
  }
}

export function problem(reply: FastifyReply, status: number, detail?: string, extra: Record<string, unknown> = {}): FastifyReply {
  if (detail) reply.request.refusal = detail;
  return reply
    .code(status)
    .type("application/problem+json")
    .send({ type: `${PROBLEM_TYPE}${status}`, title: TITLES[status] ?? "Error", status, ...(detail ? { detail } : {}), ...extra });
}

/** Seconds a client waits (`Retry-After`) before it asks again after a 503 for the job store. */
export const STORE_RETRY_AFTER_S = 5;

/** A job store that failed to read or write, as the store (or the jobs core) reported it; undefined for any other error. */
export function storeFailure(e: unknown): { readonly writing: boolean; readonly detail: string } | undefined {
  if (e instanceof StoreError && e.reason !== "fenced") return { writing: e.reason === "unwritable", detail: e.message };
  if (e instanceof MeshError && e.code === "store_failed") return { writing: true, detail: e.message };
  return undefined;
}

/**
 * A 503 naming the store, with `Retry-After` and the request id under which the server's log has the
 * store's reason (the reason itself names files, hosts and the database's words: the log's, not the caller's).
 */
export function storeUnavailable(reply: FastifyReply, kind: string, writing: boolean): FastifyReply {
  const id = reply.request.id;
  reply.header("retry-after", String(STORE_RETRY_AFTER_S));
  return problem(
    reply,
    503,
    `the ${kind} job store cannot be ${writing ? "written" : "read"}${writing ? ": nothing was changed" : ""}; try again in ${STORE_RETRY_AFTER_S} s (GET /readyz answers 200 once the store can be written; the server's log has the reason under request id ${id})`,
    { requestId: id },
  );
}
