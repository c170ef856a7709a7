/**
 * Refusals more than one route makes, each written once: the stack files have errors (nothing may act
 * on a plan that has them), and the process's limit of queued and running jobs.
 */
import type { FastifyReply } from "fastify";
import type { Portal } from "./portal";
import { problem } from "./problems";

/** A 400 listing every error of the plan, if it has any; whether it refused. */
export function refusedForPlanErrors(portal: Portal, reply: FastifyReply): boolean {
  const errors = portal.deps.plan().findings.filter((f) => f.severity === "error");
  if (errors.length === 0) return false;
  problem(reply, 400, "the stack files have errors; mesh plan lists them", {
    errors: errors.map((f) => ({ path: `${f.stack}/${f.path}`, message: f.message })),
  });
  return true;
}

/** A 429 while this many jobs are queued or running in every process on the store; whether it refused. */
export async function refusedForJobLimit(portal: Portal, reply: FastifyReply): Promise<boolean> {
  const active = await portal.jobs.active();
  if (active.length < portal.limits.jobs) return false;
  problem(reply, 429, `${active.length} jobs are queued or running; try again later`);
  return true;
}
