/**
 * POST /v1/verify: `mesh verify` as a job any viewer may start. It only reads the clusters, so it takes
 * no stack's lease and never blocks an up; one runs at a time (a second is a 409 naming it). Its checks
 * are the job's `verify.check` events (GET /v1/jobs/{id}/events), its counts the record's `verify`.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { problems } from "../portal";
import { problem } from "../problems";
import { refusedForJobLimit, refusedForPlanErrors } from "../refusals";
import { Job, VerifyBody } from "../schemas";

export const verifyRoutes: FastifyPluginAsyncZod = (app) => {
  const portal = app.portal;
  const { deps, audit } = portal;
  app.post(
    "",
    { config: { role: "viewer", action: "verify" }, schema: { body: VerifyBody, response: { 202: Job, ...problems } } },
    async (req, reply) => {
      if (!deps.verify) return void problem(reply, 503, "verify is not set up on this server");
      const known = deps.topology().stacks.map((s) => s.name);
      const asked = [...new Set(req.body?.stacks ?? [])];
      audit(req, { stacks: asked.length > 0 ? asked : "all" });
      const unknown = (req.body?.stacks ?? []).map((s, i) => ({ s, i })).filter(({ s }) => !known.includes(s));
      if (unknown.length > 0)
        return void problem(reply, 400, `no such stack in this mesh (stacks: ${known.join(", ")})`, {
          errors: unknown.map(({ s, i }) => ({ path: `body/stacks/${i}`, message: `${s} is not a stack of this mesh` })),
        });
      // verify holds the clusters against the plan: without one there is nothing to verify against
      if (refusedForPlanErrors(portal, reply) || (await refusedForJobLimit(portal, reply))) return;
      // a verify already running (busy) is the edge's 409, naming it
      const job = await deps.verify.start(asked.length > 0 ? asked : known, req.principal!.subject);
      audit(req, { jobId: job.id });
      return void reply.code(202).header("location", `/v1/jobs/${job.id}`).send(job);
    },
  );
  return Promise.resolve();
};
