/** Request and response shapes of the portal API, written once: validation, serialization and OpenAPI come from them. */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../automation/types";

export const StackParams = z.strictObject({ stack: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/) });
/** Any id: one that is not a job's (or a converge's) is answered 404 like any other unknown one, not 400. */
export const JobParams = z.strictObject({ id: z.string().describe("a job id, e.g. mwz0000000-0000abcd") });
export const ConvergeParams = z.strictObject({ id: z.string().describe("a converge id, e.g. converge-mwz0000000-0000abcd") });

export const JobKind = z.enum(["preview", "up", "refresh", "destroy", "verify"]);
export const JobStateSchema = z.enum(["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]);

export const JobsQuery = z.strictObject({
  stack: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/)
    .optional(),
  state: JobStateSchema.optional(),
  kind: JobKind.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The `next` of the previous page. */
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/)
    .optional(),
});

/** An empty object: preview, up and refresh take no options. */
export const NoBody = z.strictObject({}).nullish();

export const DestroyBody = z.strictObject({
  /** The stack's name again: a destroy is never one click. */
  confirm: z.string().max(100).describe("the stack's name again"),
  includeProtected: z.boolean().default(false).describe("true to delete protected resources too (the ACK cluster, its VPC)"),
});

/** POST /v1/verify: the stacks whose clusters to read; every stack of the mesh when absent. */
export const VerifyBody = z
  .strictObject({
    stacks: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/))
      .min(1)
      .max(100)
      .optional(),
  })
  .nullish();

const Changes = z.record(z.string(), z.number().int());

export const JobErrorSchema = z.object({
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  report: z.string().optional(),
});

const Result = z.enum(["pass", "fail", "warn", "error"]);

const RouteStep = z.object({
  priority: z.number().int().describe("Envoy's locality priority: 0 first, then 1, ..."),
  cluster: z.string().describe("the cluster the addresses belong to (`?` when no cluster claims an observed address)"),
  addresses: z.array(z.string()).readonly().describe("`ip:port` of the endpoints, `local endpoints` in a planned local step"),
});

/** `mesh verify`'s routing row: one service port as one calling cluster's sidecar should and does route it. */
export const RoutingRowSchema = z.object({
  service: z.string().describe("the service's host, e.g. helloworld.dev.svc.cluster.local"),
  port: z.number().int(),
  caller: z.string().describe("the calling cluster"),
  from: z.string().nullable().describe("`namespace/pod` whose Envoy was read; null when no sidecar was found"),
  planned: z.array(RouteStep).readonly(),
  observed: z.array(RouteStep).readonly().describe("the hosts of the sidecar's Envoy cluster, grouped by priority and owner"),
  result: Result,
});

const PropertyChangeSchema = z.object({
  path: z.string().describe("the property as the engine's detailed diff names it, e.g. spec.ports[0].port"),
  kind: z.enum(["add", "update", "delete"]),
  replaces: z.boolean().describe("the provider replaces the resource for this change"),
});

const ResourceStepSchema = z.object({
  op: z.string().describe("create, update, replace, delete, import, ..."),
  resourceType: z.string(),
  name: z.string(),
  changes: z.array(PropertyChangeSchema).readonly(),
});

export const ChangeSetSchema = z.object({
  create: z.number().int(),
  update: z.number().int(),
  replace: z.number().int(),
  delete: z.number().int(),
  same: z.number().int(),
  steps: z
    .array(ResourceStepSchema)
    .readonly()
    .describe("each resource that changes, in the engine's order (same and reads are only counted)"),
  omittedSteps: z.number().int().optional().describe("steps past the record's bound of 500; the resource.started events carry every one"),
});

export const Job = z.object({
  id: z.string(),
  stack: z.string(),
  kind: JobKind,
  requestedBy: z.string(),
  state: JobStateSchema,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  summary: z.object({ changes: Changes, durationMs: z.number() }).optional(),
  error: JobErrorSchema.optional(),
  recovery: z.string().optional(),
  options: z.record(z.string(), z.boolean()).optional(),
  /** verify: the stacks whose clusters it reads (its stack is "*"). */
  stacks: z.array(z.string()).readonly().optional(),
  /** verify: how it came out: mesh verify's counts, exit code and what the code means. */
  verify: z
    .object({
      passed: z.number().int(),
      failed: z.number().int(),
      warnings: z.number().int(),
      errors: z.number().int(),
      exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      meaning: z.string(),
      /** Planned against observed routing (every row that did not pass first, up to 1000 rows). */
      routing: z.array(RoutingRowSchema).readonly().optional(),
      routingOmitted: z.number().int().optional().describe("passing rows past the bound; the verify.route events carry every one"),
    })
    .optional(),
  /** preview, up, refresh, destroy: what it changed (a preview: would change), once it has succeeded. */
  changeSet: ChangeSetSchema.optional(),
});

export const JobList = z.object({ jobs: z.array(Job), next: z.string().optional() });

export const StackStatus = z.object({
  stack: z.string(),
  anchor: z.boolean(),
  peers: z.array(z.string()),
  lastJob: Job.nullable(),
  runningJob: z.string().nullable(),
  /** Stack outputs; secret ones are "[secret]". Null when they cannot be read, and then outputsError says why. */
  outputs: z.record(z.string(), z.unknown()).nullable(),
  outputsError: JobErrorSchema.omit({ report: true }).nullable(),
});
export const StackList = z.object({ stacks: z.array(StackStatus) });

export const ConvergeRun = z.object({
  id: z.string(),
  state: z.enum(["running", "settled", "failed", "bound"]),
  requestedBy: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  message: z.string().optional(),
  rounds: z.array(
    z.object({
      round: z.number().int(),
      why: z.string(),
      jobs: z.array(z.object({ stack: z.string(), jobId: z.string(), state: JobStateSchema, changes: Changes.optional() })),
    }),
  ),
  jobs: z.array(z.string()),
  /** The stacks the backend lacked, created before round 1. */
  created: z.array(z.string()),
  /** With `verify`: the verify job started once converge settled (GET /v1/jobs/{id} for its outcome). */
  verifyJob: z.string().optional(),
});

/** GET /v1/converge: the runs this server remembers, newest first. */
export const ConvergeList = z.object({ runs: z.array(ConvergeRun) });
export const ConvergeListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/** `verify`: once converge settles, start a verify job over every stack (as mesh converge --verify does). */
export const ConvergeBody = z.strictObject({ verify: z.boolean().optional() }).nullish();

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  runningJob: z.string().optional(),
  /** The job's state, when it is why the request is refused (cancel of a job that has ended). */
  state: JobStateSchema.optional(),
  /** The request's id in the server's log (500). */
  requestId: z.string().optional(),
});

export const Health = z.object({ status: z.string() });
/** The `mesh plan` JSON (schemaVersion 1), docs/plan.md. */
export const MeshPlanSchema = z.record(z.string(), z.unknown());

const envelope = {
  seq: z.number().int().min(1).describe("the event's number in its job, from 1; the SSE id"),
  jobId: z.string(),
  stack: z.string(),
  at: z.string().describe("when it happened, ISO 8601"),
};
const event = <T extends z.ZodRawShape>(type: string, shape: T, about: string) =>
  z.object({ type: z.literal(type), ...shape, ...envelope }).describe(about);
const resource = { op: z.string(), resourceType: z.string(), name: z.string() };

/** One event of a job, as GET /v1/jobs/{id}/events sends it (`data:` of each Server-Sent Event, `event:` = its type). */
export const MeshEventSchema = z
  .discriminatedUnion("type", [
    event("job.queued", {}, "the job is queued"),
    event("job.started", {}, "the job started running"),
    event("job.cancelling", { graceMs: z.number().int() }, "a cancel was asked for: the engine has graceMs to stop"),
    event(
      "job.finished",
      { state: JobStateSchema, error: JobErrorSchema.optional(), recovery: z.string().optional() },
      "the job's last event, with how it ended",
    ),
    event(
      "resource.started",
      {
        ...resource,
        changes: z.array(PropertyChangeSchema).readonly().optional().describe("the properties the step changes (an update or replace)"),
      },
      "the engine starts a step on a resource (a preview: plans it)",
    ),
    event("resource.finished", resource, "the step is done"),
    event("resource.failed", resource, "the step failed: the diagnostics say why"),
    event(
      "diagnostic",
      { severity: z.enum(["info", "warning", "error"]), message: z.string(), resource: z.string().optional() },
      "a message of the program or the engine (redacted); a failed job's reason is its last error",
    ),
    event(
      "progress",
      { done: z.number().int(), total: z.number().int().optional() },
      "resources done; total once the engine knows how many the operation has",
    ),
    event("summary", { changes: Changes, durationSeconds: z.number() }, "the engine's change counts when it finishes"),
    event("mesh.peerPending", { peer: z.string(), next: z.string() }, "a peer has not exported yet: what to run next"),
    event("mesh.linkEstablished", { peer: z.string() }, "the remote secret for a peer was installed"),
    event(
      "verify.check",
      {
        of: z.string(),
        cluster: z.string(),
        code: z.string(),
        category: z.string(),
        name: z.string(),
        result: Result,
        detail: z.string(),
        fix: z.string().optional(),
      },
      "verify: one check of one cluster",
    ),
    event("verify.route", RoutingRowSchema.shape, "verify: one service port as one calling cluster should and does route it"),
  ])
  .describe("a job's event: the data of one Server-Sent Event of GET /v1/jobs/{id}/events");
// listed in the OpenAPI document's components: the event stream's route can only name text/event-stream
z.globalRegistry.add(MeshEventSchema, { id: "MeshEvent" });

/** Shapes the API serves that no route schema spells out (the plan, the events, verify's rows), for the console's types. */
export type { MeshPlan } from "../plan/plan";
export type { MeshEvent } from "../automation/types";
export type { Role } from "./auth";
export type { RoutingRow } from "../verify/types";
