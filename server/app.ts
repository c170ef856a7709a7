/**
 * The portal's HTTP API over the automation core: the mesh plan, stacks, jobs with live Server-Sent
 * Events, converge. Authentication is one hook before every /v1 route; each route names the role it
 * needs. Errors are application/problem+json and never carry engine text or a stack trace.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { converge, type ConvergeResult, type RoundReport } from "../automation/converge";
import { Redactor } from "../automation/redact";
import type { StackEngine } from "../automation/engine";
import type { Jobs } from "../automation/jobs";
import { readOutputs } from "../automation/outputs-read";
import { MeshError, TERMINAL, type JobKind, type JobRecord } from "../automation/types";
import type { MeshPlan } from "../plan/plan";
import type { Authenticator, Principal, Role } from "./auth";
import {
  ConvergeParams,
  ConvergeRun,
  DestroyBody,
  Health,
  Job,
  JobList,
  JobParams,
  JobsQuery,
  MeshPlanSchema,
  NoBody,
  Problem,
  StackList,
  StackParams,
  StackStatus,
} from "./schemas";
import { installEdge } from "./edge";
import { EventStreams } from "./event-stream";
import { problem } from "./problems";
import type { Limits } from "./settings";
import { StackReads } from "./stack-reads";
import { z } from "zod";

export interface Topology {
  readonly stacks: readonly { readonly name: string; readonly anchor: boolean; readonly peers: readonly string[] }[];
}

export interface AppDeps {
  readonly jobs: Jobs;
  readonly engine: StackEngine;
  readonly auth: Authenticator;
  readonly limits: Limits;
  /** The mesh plan of the project's stack files (mesh plan --format json). */
  readonly plan: () => MeshPlan;
  /** Stacks, anchors and peers, from the same files. */
  readonly topology: () => Topology;
  /** Told why, each time /readyz finds the store unwritable. */
  readonly onStoreUnwritable?: (detail: string) => void;
  /** One line per mutating request and per refused request. */
  readonly audit: (line: Record<string, unknown>) => void;
  /** The server's own log: internal errors (with the request id, redacted), shutdown. @default nothing */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Not the production engine (e.g. "simulated"): named in every response's Mesh-Engine header. */
  readonly engineName?: string;
  /** How long GET /v1/stacks waits for a stack's outputs before it answers without them. @default 10000 */
  readonly outputsTimeoutMs?: number;
  readonly now?: () => Date;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** The job, stack or converge run the request concerns, for the audit line. */
    auditFields?: Record<string, unknown>;
  }
  interface FastifyContextConfig {
    /** The least role the route needs; routes without one are public (health, OpenAPI). */
    role?: Role;
    /** The audit log's name for the request; every request with one but preview is audited whatever its answer. */
    action?: string;
  }
}

type ConvergeRunRecord = {
  id: string;
  state: "running" | ConvergeResult["state"];
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  message?: string;
  rounds: RoundReport[];
  jobs: string[];
};

/** `Last-Event-ID`: the last event a reconnecting client saw. */
const JobsEventsHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,9}$/)
    .optional(),
});

const MUTATING: readonly JobKind[] = ["up", "refresh", "destroy"];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const limits = deps.limits;
  const log = deps.log ?? (() => {});
  const redactor = new Redactor(deps.engine.secretValues ?? []);
  const app = Fastify({
    bodyLimit: limits.bodyBytes,
    logger: false,
    return503OnClosing: true,
    genReqId: () => randomBytes(8).toString("hex"),
    requestIdHeader: false,
    // every request, body included, in bounded time; idle and keep-alive connections closed
    requestTimeout: limits.requestMs,
    connectionTimeout: limits.idleMs,
    keepAliveTimeout: limits.keepAliveMs,
    maxRequestsPerSocket: limits.requestsPerSocket,
    http: { headersTimeout: limits.headersMs, connectionsCheckingInterval: limits.deadlineCheckMs },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // responses are serialized through their schemas: a field a schema does not name never leaves
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "mesh portal API",
        version: "1.0.0",
        description: "The Istio mesh's stacks, jobs and converge, over the automation core.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  installEdge(app, { ...deps, log, redactor, now });

  const streams = new EventStreams(deps.jobs, limits);
  // each read bounded in time and its failure kept as a reason (MeshError), then shared, capped and reused
  const outputsTimeoutMs = deps.outputsTimeoutMs ?? 10_000;
  const reads = new StackReads(
    {
      outputs: async (stack: string) => {
        const read = await readOutputs(deps.engine, stack, outputsTimeoutMs);
        if (read.error) throw new MeshError(read.error.code, read.error.message);
        return read.outputs;
      },
    },
    { ttlMs: limits.outputsTtlMs, concurrency: limits.engineReads },
  );
  const converges = new Map<string, ConvergeRunRecord>();
  let closing = false;

  const topology = () => deps.topology();
  const requireStack = (stack: string) => {
    const s = topology().stacks.find((x) => x.name === stack);
    if (!s) throw new MeshError("not_found", `stack ${stack} is not a stack of this mesh`);
    return s;
  };
  const audit = (req: FastifyRequest, fields: Record<string, unknown>) => {
    req.auditFields = { ...req.auditFields, ...fields };
  };
  /** A stack's outputs with secrets masked, or why they could not be read; reused until its last job changes. */
  const masked = async (stack: string, version: string) => {
    try {
      const out = await reads.outputs(stack, version);
      return { outputs: Object.fromEntries(Object.entries(out).map(([k, o]) => [k, o.secret ? "[secret]" : o.value])), outputsError: null };
    } catch (e) {
      const error =
        e instanceof MeshError
          ? { code: e.code, message: e.message }
          : { code: "engine_failed" as const, message: `the outputs of stack ${stack} could not be read: an internal error` };
      return { outputs: null, outputsError: error };
    }
  };
  const status = async (s: Topology["stacks"][number]) => {
    const last = (await deps.jobs.list({ stack: s.name, limit: 1 })).jobs[0] ?? null;
    return {
      stack: s.name,
      anchor: s.anchor,
      peers: [...s.peers],
      lastJob: last,
      runningJob: (await deps.jobs.runningOn(s.name)) ?? null,
      ...(await masked(s.name, last ? `${last.id} ${last.state}` : "none")),
    };
  };

  /** Starts a job, within the limits; a mutating job on a stack that has one queued or running is a 409. */
  async function start(
    req: FastifyRequest,
    reply: FastifyReply,
    stack: string,
    kind: JobKind,
    options?: { includeProtected?: boolean },
  ): Promise<void> {
    requireStack(stack);
    audit(req, { stack });
    const active = await deps.jobs.active();
    if (active.length >= deps.limits.jobs) return void problem(reply, 429, `${active.length} jobs are queued or running; try again later`);
    let job: JobRecord;
    try {
      // the store admits a mutating job only while the stack has none queued or running, in any process
      job = await deps.jobs.submit({
        stack,
        kind,
        requestedBy: req.principal!.subject,
        exclusive: MUTATING.includes(kind),
        ...(options ? { options } : {}),
      });
    } catch (e) {
      if (e instanceof MeshError && e.code === "busy") {
        if (e.extra.runningJobId) audit(req, { runningJob: e.extra.runningJobId });
        return void problem(reply, 409, e.message, e.extra.runningJobId ? { runningJob: e.extra.runningJobId } : {});
      }
      throw e;
    }
    audit(req, { jobId: job.id });
    void reply.code(202).header("location", `/v1/jobs/${job.id}`).send(job);
  }

  const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 429: Problem };

  app.get("/healthz", { schema: { response: { 200: Health } } }, () => ({ status: "ok" }));
  app.get("/readyz", { schema: { response: { 200: Health, 503: Problem } } }, async (_req, reply) => {
    if (closing) return void problem(reply, 503, "shutting down");
    const store = await deps.jobs.store.health();
    if (!store.writable) {
      deps.onStoreUnwritable?.(store.detail ?? "unwritable");
      return void problem(reply, 503, `the ${store.kind} job store cannot be written; jobs cannot start (the server's log says why)`);
    }
    return { status: "ready" };
  });
  app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());

  app.get(
    "/v1/mesh",
    { config: { role: "viewer" }, schema: { response: { 200: MeshPlanSchema, ...problems } } },
    () => deps.plan() as unknown as Record<string, unknown>,
  );

  app.get("/v1/stacks", { config: { role: "viewer" }, schema: { response: { 200: StackList, ...problems } } }, async () => ({
    stacks: await Promise.all(topology().stacks.map(status)),
  }));
  app.get(
    "/v1/stacks/:stack",
    { config: { role: "viewer" }, schema: { params: StackParams, response: { 200: StackStatus, ...problems } } },
    async (req) => status(requireStack(req.params.stack)),
  );
  for (const [kind, role] of [
    ["preview", "viewer"],
    ["up", "operator"],
    ["refresh", "operator"],
  ] as const) {
    app.post(
      `/v1/stacks/:stack/${kind}`,
      { config: { role, action: kind }, schema: { params: StackParams, body: NoBody, response: { 202: Job, ...problems } } },
      (req, reply) => start(req, reply, req.params.stack, kind),
    );
  }
  app.post(
    "/v1/stacks/:stack/destroy",
    {
      config: { role: "admin", action: "destroy" },
      schema: { params: StackParams, body: DestroyBody, response: { 202: Job, ...problems } },
    },
    (req, reply) => {
      if (req.body.confirm !== req.params.stack)
        return void problem(reply, 400, "confirm must repeat the stack's name", {
          errors: [{ path: "body/confirm", message: "not the stack's name" }],
        });
      return start(req, reply, req.params.stack, "destroy", { includeProtected: req.body.includeProtected });
    },
  );

  app.post(
    "/v1/converge",
    { config: { role: "operator", action: "converge" }, schema: { body: NoBody, response: { 202: ConvergeRun, ...problems } } },
    (req, reply) => {
      const running = [...converges.values()].find((c) => c.state === "running");
      if (running) return void problem(reply, 409, `converge ${running.id} is running`);
      const topo = topology();
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
      };
      converges.set(run.id, run);
      audit(req, { convergeId: run.id });
      void converge({
        stacks: topo.stacks,
        jobs: deps.jobs,
        engine: deps.engine,
        requestedBy: `converge (${run.requestedBy})`,
        onJob: (j) => run.jobs.push(j.id),
        onRound: (r) => run.rounds.push(r),
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
    "/v1/converge/:id",
    { config: { role: "viewer" }, schema: { params: ConvergeParams, response: { 200: ConvergeRun, ...problems } } },
    (req, reply) => {
      const run = converges.get(req.params.id);
      return void (run ? reply.send(run as never) : problem(reply, 404, `converge ${req.params.id} does not exist`));
    },
  );

  app.get(
    "/v1/jobs",
    { config: { role: "viewer" }, schema: { querystring: JobsQuery, response: { 200: JobList, ...problems } } },
    async (req) => {
      const page = await deps.jobs.list(req.query);
      return { jobs: page.jobs, ...(page.next ? { next: page.next } : {}) };
    },
  );
  const job = async (id: string): Promise<JobRecord> => {
    const r = await deps.jobs.get(id);
    if (!r) throw new MeshError("not_found", `job ${id} does not exist`);
    return r;
  };
  app.get("/v1/jobs/:id", { config: { role: "viewer" }, schema: { params: JobParams, response: { 200: Job, ...problems } } }, (req) =>
    job(req.params.id),
  );
  app.post(
    "/v1/jobs/:id/cancel",
    { config: { role: "operator", action: "cancel" }, schema: { params: JobParams, body: NoBody, response: { 202: Job, ...problems } } },
    async (req, reply) => {
      const before = await job(req.params.id);
      audit(req, { jobId: before.id, stack: before.stack });
      if (TERMINAL.includes(before.state))
        return void problem(reply, 409, `job ${before.id} has already ended: ${before.state}`, { state: before.state });
      return void reply.code(202).send(await deps.jobs.cancel(req.params.id));
    },
  );

  app.get(
    "/v1/jobs/:id/events",
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
      await job(id);
      const after = Number(req.headers["last-event-id"] ?? 0);
      // an id the job never had would skip everything, job.finished included, and pin the stream
      const known = after === 0 || (await deps.jobs.events(id, after - 1, 1)).length > 0;
      const lastSeq = known ? after : await lastEventSeq(id);
      if (!known)
        return void problem(
          reply,
          400,
          `Last-Event-ID ${after} is beyond job ${id}'s last event (${lastSeq}); reconnect without it to replay from the start`,
          {
            errors: [{ path: "headers/last-event-id", message: `at most ${lastSeq}` }],
          },
        );
      if (!streams.admits(id)) return void problem(reply, 429, "too many event streams are open; try again later");
      reply.hijack();
      streams.serve(reply.raw, id, after, reply.getHeaders() as Record<string, string>);
    },
  );

  /** The job's last event number, read a page at a time (only to explain a refused Last-Event-ID). */
  const lastEventSeq = async (id: string): Promise<number> => {
    for (let last = 0; ;) {
      const page = await deps.jobs.events(id, last, 1000);
      if (page.length === 0) return last;
      last = page.at(-1)!.seq;
    }
  };

  // on close: no new requests (503), running jobs cancelled within the grace period, then every stream
  // ended with a final event, before the server waits for its connections
  app.addHook("preClose", async () => {
    closing = true;
    const active = deps.jobs.activeHere();
    log({ level: "info", msg: "shutting down", jobs: active.map((j) => j.id), streams: streams.size });
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      deps.jobs.shutdown().then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), limits.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
    const left = deps.jobs.activeHere();
    if (stopped)
      log({
        level: "info",
        msg: "jobs stopped",
        jobs: await Promise.all(active.map(async (j) => ({ id: j.id, state: (await deps.jobs.get(j.id))?.state }))),
      });
    else
      log({
        level: "warning",
        msg: `jobs still running ${limits.shutdownGraceMs} ms after their cancel; the next start shows them interrupted, with the recovery step`,
        jobs: left.map((j) => j.id),
      });
    await streams.endAll("shutting down", 2000);
  });
  await app.ready();
  return app;
}
