/**
 * Converge: one run at a time in this process, refused while the stack files have errors; its rounds
 * and jobs are kept in memory and read by id.
 */
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { converge, type ConvergeResult, type RoundReport } from "../../automation/converge";
import { problems } from "../portal";
import { problem } from "../problems";
import { ConvergeParams, ConvergeRun, NoBody } from "../schemas";

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
};

export const convergeRoutes: FastifyPluginAsyncZod = (app) => {
  const { deps, now, log, redactor, audit } = app.portal;
  const converges = new Map<string, ConvergeRunRecord>();

  app.post(
    "",
    { config: { role: "operator", action: "converge" }, schema: { body: NoBody, response: { 202: ConvergeRun, ...problems } } },
    (req, reply) => {
      const running = [...converges.values()].find((c) => c.state === "running");
      if (running) return void problem(reply, 409, `converge ${running.id} is running`);
      const errors = deps.plan().findings.filter((f) => f.severity === "error");
      if (errors.length > 0) {
        return void problem(reply, 400, "the stack files have errors; mesh plan lists them", {
          errors: errors.map((f) => ({ path: `${f.stack}/${f.path}`, message: f.message })),
        });
      }
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
        (r) => Object.assign(run, { state: r.state, message: r.message, finishedAt: now().toISOString() }),
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
