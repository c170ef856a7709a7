/** Errors as application/problem+json (RFC 9457): a type per status, a title, and a detail written for the caller. */
import type { FastifyReply } from "fastify";

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
