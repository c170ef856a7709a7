/**
 * Converge: one run at a time in this process, refused while the stack files have errors; its rounds
 * and jobs are kept in memory (the last 100 runs), listed newest first and read by id. With `{"verify": true}` a run that settles starts a verify
 * job over every stack, as `mesh converge --verify` does: one step of an upgrade, from the portal.
 */
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { converge, type ConvergeResult, type RoundReport } from "../../automation/converge";
import { MeshError } from "../../automation/types";
import { problems } from "../portal";
import { problem } from "../problems";
import { refusedForPlanErrors } from "../refusals";
import { ConvergeBody, ConvergeList, ConvergeListQuery, ConvergeParams, ConvergeRun } from "../schemas";

/** Runs remembered; the oldest finished one goes first. */
const KEPT = 100;

type ConvergeRunRecord = {
  id: string;
  state: "running" | ConvergeResult["state"];
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  message?: string;
  rounds: RoundReport[];
  jobs: string[];
  /** The stacks the backend lacked, created before round 1. */
  created: string[];
  verifyJob?: string;
};

export const convergeRoutes: FastifyPluginAsyncZod = (app) => {
  const { deps, now, log, redactor, audit } = app.portal;
  const converges = new Map<string, ConvergeRunRecord>();

  app.post(
    "",
    { config: { role: "operator", action: "converge" }, schema: { body: ConvergeBody, response: { 202: ConvergeRun, ...problems } } },
    (req, reply) => {
      const verify = req.body?.verify === true;
      if (verify && !deps.verify) return void problem(reply, 503, "verify is not set up on this server; converge without it");
      const running = [...converges.values()].find((c) => c.state === "running");
      if (running) return void problem(reply, 409, `converge ${running.id} is running`);
      if (refusedForPlanErrors(app.portal, reply)) return;
      const run: ConvergeRunRecord = {
        id: `converge-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`,
        state: "running",
        requestedBy: req.principal!.subject,
        startedAt: now().toISOString(),
        rounds: [],
        jobs: [],
        created: [],
      };
      converges.set(run.id, run);
      for (const [id, old] of converges) if (converges.size > KEPT && old.state !== "running") converges.delete(id);
      audit(req, { convergeId: run.id });
      void converge({
        stacks: deps.topology().stacks,
        jobs: deps.jobs,
        engine: deps.engine,
        requestedBy: `converge (${run.requestedBy})`,
        onJob: (j) => run.jobs.push(j.id),
        onRound: (r) => run.rounds.push(r),
        onCreated: (s) => run.created.push(...s),
      }).then(
        async (r) => {
          const verifyJob = verify && r.state === "settled" ? await startVerify(run) : undefined;
          Object.assign(run, { state: r.state, message: r.message, finishedAt: now().toISOString(), ...verifyJob });
        },
        (e: unknown) => {
          log({
            level: "error",
            msg: "converge stopped",
            convergeId: run.id,
            error: redactor.redact(e instanceof Error ? (e.stack ?? e.message) : String(e)),
          });
          Object.assign(run, {
            state: "failed",
            message: `converge stopped on an internal error; the server's log has it under ${run.id}`,
            finishedAt: now().toISOString(),
          });
        },
      );
      return void reply
        .code(202)
        .header("location", `/v1/converge/${run.id}`)
        .send(run as never);
    },
  );
  /** The verify of a settled run, or why none started (another verify runs: its id). */
  async function startVerify(run: ConvergeRunRecord): Promise<{ verifyJob?: string; message?: string }> {
    try {
      const stacks = deps.topology().stacks.map((s) => s.name);
      return { verifyJob: (await deps.verify!.start(stacks, `converge (${run.requestedBy})`)).id };
    } catch (e) {
      const running = e instanceof MeshError && e.code === "busy" ? e.extra.runningJobId : undefined;
      if (!running)
        log({ level: "error", msg: "verify after converge did not start", convergeId: run.id, error: redactor.redact(String(e)) });
      return {
        message: `converge settled; no verify was started: ${running ? `verify ${running} is running, see its record` : "an internal error"}`,
      };
    }
  }

  app.get(
    "",
    { config: { role: "viewer" }, schema: { querystring: ConvergeListQuery, response: { 200: ConvergeList, ...problems } } },
    (req) => ({ runs: [...converges.values()].reverse().slice(0, req.query.limit) as never[] }),
  );

  app.get(
    "/:id",
    { config: { role: "viewer" }, schema: { params: ConvergeParams, response: { 200: ConvergeRun, ...problems } } },
    (req, reply) => {
      const run = converges.get(req.params.id);
      return void (run ? reply.send(run as never) : problem(reply, 404, `converge ${req.params.id} does not exist`));
    },
  );
  return Promise.resolve();
};
