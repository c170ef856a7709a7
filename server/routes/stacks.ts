/**
 * The mesh's stacks: their status (last and running job, outputs with secrets masked) and the jobs that
 * run on one stack. A mutating job on a stack that has one queued or running, in any process, is a 409.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { MeshError, type JobKind } from "../../automation/types";
import { problems, type Portal, type TopologyStack } from "../portal";
import { problem } from "../problems";
import { refusedForJobLimit } from "../refusals";
import { DestroyBody, Job, NoBody, StackList, StackParams, StackStatus } from "../schemas";

const MUTATING: readonly JobKind[] = ["up", "refresh", "destroy"];

/** A stack's outputs with secrets masked, or why they could not be read; reused until its last job changes. */
async function masked(portal: Portal, stack: string, version: string) {
  try {
    const out = await portal.reads.outputs(stack, version);
    return { outputs: Object.fromEntries(Object.entries(out).map(([k, o]) => [k, o.secret ? "[secret]" : o.value])), outputsError: null };
  } catch (e) {
    const error =
      e instanceof MeshError
        ? { code: e.code, message: e.message }
        : { code: "engine_failed" as const, message: `the outputs of stack ${stack} could not be read: an internal error` };
    return { outputs: null, outputsError: error };
  }
}

async function status(portal: Portal, s: TopologyStack) {
  const last = (await portal.jobs.list({ stack: s.name, limit: 1 })).jobs[0] ?? null;
  return {
    stack: s.name,
    anchor: s.anchor,
    peers: [...s.peers],
    lastJob: last,
    runningJob: (await portal.jobs.runningOn(s.name)) ?? null,
    ...(await masked(portal, s.name, last ? `${last.id} ${last.state}` : "none")),
  };
}

/** Starts a job, within the limits. */
async function start(
  portal: Portal,
  req: FastifyRequest,
  reply: FastifyReply,
  stack: string,
  kind: JobKind,
  options?: { includeProtected?: boolean },
): Promise<void> {
  portal.requireStack(stack);
  portal.audit(req, { stack });
  if (await refusedForJobLimit(portal, reply)) return;
  // the store admits a mutating job only while the stack has none queued or running, in any process;
  // a refusal (busy) is the edge's 409, naming the job in the way
  const job = await portal.jobs.submit({
    stack,
    kind,
    requestedBy: req.principal!.subject,
    exclusive: MUTATING.includes(kind),
    ...(options ? { options } : {}),
  });
  portal.audit(req, { jobId: job.id });
  void reply.code(202).header("location", `/v1/jobs/${job.id}`).send(job);
}

export const stackRoutes: FastifyPluginAsyncZod = (app) => {
  const portal = app.portal;
  app.get("", { config: { role: "viewer" }, schema: { response: { 200: StackList, ...problems } } }, async () => ({
    stacks: await Promise.all(portal.deps.topology().stacks.map((s) => status(portal, s))),
  }));
  app.get(
    "/:stack",
    { config: { role: "viewer" }, schema: { params: StackParams, response: { 200: StackStatus, ...problems } } },
    async (req) => status(portal, portal.requireStack(req.params.stack)),
  );
  for (const [kind, role] of [
    ["preview", "viewer"],
    ["up", "operator"],
    ["refresh", "operator"],
  ] as const) {
    app.post(
      `/:stack/${kind}`,
      { config: { role, action: kind }, schema: { params: StackParams, body: NoBody, response: { 202: Job, ...problems } } },
      (req, reply) => start(portal, req, reply, req.params.stack, kind),
    );
  }
  app.post(
    "/:stack/destroy",
    {
      config: { role: "admin", action: "destroy" },
      schema: { params: StackParams, body: DestroyBody, response: { 202: Job, ...problems } },
    },
    (req, reply) => {
      if (req.body.confirm !== req.params.stack)
        return void problem(reply, 400, "confirm must repeat the stack's name", {
          errors: [{ path: "body/confirm", message: "not the stack's name" }],
        });
      return start(portal, req, reply, req.params.stack, "destroy", { includeProtected: req.body.includeProtected });
    },
  );
  return Promise.resolve();
};
