/**
 * Jobs: paged lists from the store, one job, cancel, and its events as Server-Sent Events with
 * `Last-Event-ID` replay. An id the job never had is refused rather than served as a stream that would
 * skip everything, job.finished included, and never end.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Jobs } from "../../automation/jobs";
import { JOB_ID } from "../../automation/store/rows";
import { MeshError, TERMINAL, type JobRecord } from "../../automation/types";
import { problems } from "../portal";
import { problem } from "../problems";
import { Job, JobList, JobParams, JobsQuery, NoBody } from "../schemas";

/** `Last-Event-ID`: the last event a reconnecting client saw. */
const JobsEventsHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,9}$/)
    .optional(),
});

/** The job's last event number, read a page at a time (only to explain a refused Last-Event-ID). */
async function lastEventSeq(jobs: Jobs, id: string): Promise<number> {
  for (let last = 0; ;) {
    const page = await jobs.events(id, last, 1000);
    if (page.length === 0) return last;
    last = page.at(-1)!.seq;
  }
}

export const jobRoutes: FastifyPluginAsyncZod = (app) => {
  const { jobs, streams, audit } = app.portal;
  const job = async (id: string): Promise<JobRecord> => {
    // a malformed id names no job either: the store is not asked
    const r = JOB_ID.test(id) ? await jobs.get(id) : undefined;
    if (!r) throw new MeshError("not_found", `job ${id} does not exist`);
    return r;
  };

  app.get("", { config: { role: "viewer" }, schema: { querystring: JobsQuery, response: { 200: JobList, ...problems } } }, async (req) => {
    const page = await jobs.list(req.query);
    return { jobs: page.jobs, ...(page.next ? { next: page.next } : {}) };
  });
  app.get("/:id", { config: { role: "viewer" }, schema: { params: JobParams, response: { 200: Job, ...problems } } }, (req) =>
    job(req.params.id),
  );
  app.post(
    "/:id/cancel",
    { config: { role: "operator", action: "cancel" }, schema: { params: JobParams, body: NoBody, response: { 202: Job, ...problems } } },
    async (req, reply) => {
      const before = await job(req.params.id);
      audit(req, { jobId: before.id, stack: before.stack });
      if (TERMINAL.includes(before.state))
        return void problem(reply, 409, `job ${before.id} has already ended: ${before.state}`, { state: before.state });
      return void reply.code(202).send(await jobs.cancel(req.params.id));
    },
  );

  app.get(
    "/:id/events",
    {
      config: { role: "viewer" },
      schema: {
        params: JobParams,
        headers: JobsEventsHeaders,
        response: {
          200: z
            .string()
            .describe("text/event-stream: one event per job event (id = seq, event = type, data = the event as JSON), comment heartbeats"),
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      // a stream's set-up reads the store too: in turns with the pages of the streams already open, so
      // that a few hundred clients connecting at once do not hold up every other request
      await streams.turn();
      await job(id);
      const after = Number(req.headers["last-event-id"] ?? 0);
      const known = after === 0 || (await jobs.events(id, after - 1, 1)).length > 0;
      if (!known) {
        const lastSeq = await lastEventSeq(jobs, id);
        return void problem(
          reply,
          400,
          `Last-Event-ID ${after} is beyond job ${id}'s last event (${lastSeq}); reconnect without it to replay from the start`,
          { errors: [{ path: "headers/last-event-id", message: `at most ${lastSeq}` }] },
        );
      }
      // the caller as the auth layer knows them: one token, one OIDC subject (a browser's session counts as what it signed in with)
      const p = req.principal!;
      const caller = `${p.session?.signedInWith ?? p.via}:${p.subject}`;
      const refusal = streams.refusal(id, caller);
      if (refusal) return void problem(reply, 429, refusal);
      reply.hijack();
      streams.serve(reply.raw, id, caller, after, reply.getHeaders() as Record<string, string>);
    },
  );
  return Promise.resolve();
};
