/**
 * The portal's HTTP API over the automation core: the mesh plan, stacks, jobs with live Server-Sent
 * Events, converge. Authentication is one hook before every /v1 route; each route names the role it
 * needs. Errors are application/problem+json and never carry engine text or a stack trace.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { converge, type ConvergeResult, type RoundReport } from "../automation/converge";
import type { StackEngine } from "../automation/engine";
import type { Jobs } from "../automation/jobs";
import { MeshError, type JobKind, type JobRecord, type MeshEvent } from "../automation/types";
import type { MeshPlan } from "../plan/plan";
import { allows, AuthError, type Authenticator, type Principal, type Role } from "./auth";
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
import type { Limits } from "./settings";
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
  /** One line per mutating request. */
  readonly audit: (line: Record<string, unknown>) => void;
  readonly now?: () => Date;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The least role the route needs; routes without one are public (health, OpenAPI). */
    role?: Role;
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

const PROBLEM_TYPE = "https://mesh.invalid/problems/";
const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function problem(reply: FastifyReply, status: number, detail?: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(status)
    .type("application/problem+json")
    .send({ type: `${PROBLEM_TYPE}${status}`, title: TITLES[status] ?? "Error", status, ...(detail ? { detail } : {}), ...extra });
}

const MUTATING: readonly JobKind[] = ["up", "refresh", "destroy"];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({ bodyLimit: deps.limits.bodyBytes, logger: false, return503OnClosing: true }).withTypeProvider<ZodTypeProvider>();
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

  const streams = { total: 0, perJob: new Map<string, number>() };
  const converges = new Map<string, ConvergeRunRecord>();
  let closing = false;

  app.addHook("onRequest", async (req, reply) => {
    const role = req.routeOptions.config.role;
    if (!role) return;
    try {
      req.principal = await deps.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (e instanceof AuthError) {
        if (e.status === 401) reply.header("www-authenticate", 'Bearer realm="mesh"');
        return problem(reply, e.status, e.message);
      }
      throw e;
    }
    if (!allows(req.principal.role, role)) return problem(reply, 403, `this needs the ${role} role; the caller has ${req.principal.role}`);
  });

  app.setErrorHandler((error, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return problem(reply, 400, "the request does not match its schema", {
        errors: error.validation.map((v) => ({
          path: `${error.validationContext ?? "request"}${v.instancePath || ""}`,
          message: v.message ?? "invalid",
        })),
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    const code = (error as { code?: string }).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return problem(reply, 413, `the body is larger than ${deps.limits.bodyBytes} bytes`);
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return problem(reply, 415, "send application/json");
    if (status === 400 || code === "FST_ERR_CTP_EMPTY_JSON_BODY" || error instanceof SyntaxError)
      return problem(reply, 400, "the body is not valid JSON");
    if (error instanceof MeshError) return meshProblem(reply, error);
    // anything else is ours: say nothing of it
    void req;
    return problem(reply, 500, "an internal error; it has been logged on the server");
  });
  app.setNotFoundHandler((_req, reply) => problem(reply, 404, "no such route"));

  function meshProblem(reply: FastifyReply, e: MeshError): FastifyReply {
    const status =
      e.code === "not_found" ? 404 : e.code === "busy" ? 409 : e.code === "config_invalid" ? 400 : e.code === "store_failed" ? 503 : 500;
    // the store's own words name its file or server: the operator reads them in /readyz's log, a client gets the gist
    if (e.code === "store_failed")
      return problem(reply, 503, "the job store cannot be written (disk full, read-only or database down); try again later");
    return problem(reply, status, e.message, e.extra.runningJobId ? { runningJob: e.extra.runningJobId } : {});
  }

  const topology = () => deps.topology();
  const requireStack = (stack: string) => {
    const s = topology().stacks.find((x) => x.name === stack);
    if (!s) throw new MeshError("not_found", `stack ${stack} is not a stack of this mesh`);
    return s;
  };
  const audit = (req: FastifyRequest, action: string, fields: Record<string, unknown>) =>
    deps.audit({
      time: now().toISOString(),
      actor: req.principal?.subject,
      role: req.principal?.role,
      via: req.principal?.via,
      action,
      ...fields,
    });

  const masked = async (stack: string): Promise<Record<string, unknown> | null> => {
    try {
      const out = await deps.engine.outputs(stack);
      return Object.fromEntries(Object.entries(out).map(([k, o]) => [k, o.secret ? "[secret]" : o.value]));
    } catch {
      return null;
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
      outputs: await masked(s.name),
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
        audit(req, kind, { stack, status: 409, ...(e.extra.runningJobId ? { runningJob: e.extra.runningJobId } : {}) });
        return void problem(reply, 409, e.message, e.extra.runningJobId ? { runningJob: e.extra.runningJobId } : {});
      }
      throw e;
    }
    if (kind !== "preview") audit(req, kind, { stack, status: 202, jobId: job.id });
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
      { config: { role }, schema: { params: StackParams, body: NoBody, response: { 202: Job, ...problems } } },
      (req, reply) => start(req, reply, req.params.stack, kind),
    );
  }
  app.post(
    "/v1/stacks/:stack/destroy",
    { config: { role: "admin" }, schema: { params: StackParams, body: DestroyBody, response: { 202: Job, ...problems } } },
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
    { config: { role: "operator" }, schema: { body: NoBody, response: { 202: ConvergeRun, ...problems } } },
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
      audit(req, "converge", { status: 202, convergeId: run.id });
      void converge({
        stacks: topo.stacks,
        jobs: deps.jobs,
        engine: deps.engine,
        requestedBy: `converge (${run.requestedBy})`,
        onJob: (j) => run.jobs.push(j.id),
        onRound: (r) => run.rounds.push(r),
      }).then(
        (r) => Object.assign(run, { state: r.state, message: r.message, finishedAt: now().toISOString() }),
        () => Object.assign(run, { state: "failed", message: "converge stopped on an internal error", finishedAt: now().toISOString() }),
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
    { config: { role: "operator" }, schema: { params: JobParams, body: NoBody, response: { 202: Job, ...problems } } },
    async (req, reply) => {
      await job(req.params.id);
      const r = await deps.jobs.cancel(req.params.id);
      audit(req, "cancel", { jobId: r.id, stack: r.stack, status: 202 });
      return void reply.code(202).send(r);
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
      const perJob = streams.perJob.get(id) ?? 0;
      if (perJob >= deps.limits.streamsPerJob || streams.total >= deps.limits.streams)
        return void problem(reply, 429, "too many event streams are open; try again later");
      const after = Number(req.headers["last-event-id"] ?? 0);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      streams.total++;
      streams.perJob.set(id, perJob + 1);
      const send = (e: MeshEvent) => res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        streams.total--;
        streams.perJob.set(id, (streams.perJob.get(id) ?? 1) - 1);
        res.end();
      };
      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), deps.limits.heartbeatMs);
      // replay from the store, then live events written by whichever process runs the job
      const stop = new AbortController();
      const unsubscribe = () => stop.abort();
      res.on("close", end);
      void (async () => {
        try {
          for await (const e of deps.jobs.follow(id, after, stop.signal)) send(e);
        } catch {
          // the store went away mid-stream: the client reconnects with Last-Event-ID
        }
        end();
      })();
    },
  );

  app.addHook("onClose", async () => {
    closing = true;
    await deps.jobs.shutdown();
  });
  await app.ready();
  return app;
}
