/**
 * What every route group of the portal shares, decorated onto the Fastify instance as `portal`: the
 * automation core, the project's plan and topology, the limits, the log and the audit fields, the
 * bounded stack reads and the event streams.
 */
import type { StackEngine } from "../automation/engine";
import type { Jobs } from "../automation/jobs";
import type { VerifyJobs } from "../automation/verify-job";
import { readOutputs } from "../automation/outputs-read";
import { Redactor } from "../automation/redact";
import { MeshError } from "../automation/types";
import type { MeshPlan } from "../plan/plan";
import type { FastifyRequest } from "fastify";
import type { Authenticator, Principal, Role } from "./auth";
import { EventStreams } from "./event-stream";
import { Problem } from "./schemas";
import type { BrowserSettings, Limits } from "./settings";
import { StackReads } from "./stack-reads";

export interface Topology {
  readonly stacks: readonly TopologyStack[];
}
export interface TopologyStack {
  readonly name: string;
  readonly anchor: boolean;
  readonly peers: readonly string[];
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
  /** What POST /v1/verify starts (mesh verify as a job); without it that route answers 503. */
  readonly verify?: VerifyJobs;
  /** How long GET /v1/stacks waits for a stack's outputs before it answers without them. @default 10000 */
  readonly outputsTimeoutMs?: number;
  readonly now?: () => Date;
  /** Browser sign-in and sessions (in the job store); without it, bearer tokens only. */
  readonly browser?: BrowserSettings;
  /** The built web console served at / (its index.html for every other page); without it, / is a 404. */
  readonly consoleDir?: string;
}

export interface Portal {
  readonly deps: AppDeps;
  readonly jobs: Jobs;
  readonly limits: Limits;
  readonly now: () => Date;
  readonly log: (line: Record<string, unknown>) => void;
  readonly redactor: Redactor;
  readonly streams: EventStreams;
  readonly reads: StackReads;
  /** Set once the server starts closing: /readyz answers 503 from then on. */
  closing: boolean;
  /** The stack of this mesh by that name, or not_found. */
  readonly requireStack: (stack: string) => TopologyStack;
  /** Adds fields to the request's audit line. */
  readonly audit: (req: FastifyRequest, fields: Record<string, unknown>) => void;
}

declare module "fastify" {
  interface FastifyInstance {
    portal: Portal;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** The job, stack or converge run the request concerns, for the audit line. */
    auditFields?: Record<string, unknown>;
  }
  interface FastifyContextConfig {
    /** The console's catch-all routes: never a reason for a 405. */
    fallback?: boolean;
    /** The least role the route needs; routes without one are public (health, OpenAPI). */
    role?: Role;
    /** The audit log's name for the request; every request with one but preview is audited whatever its answer. */
    action?: string;
  }
}

/** The refusals any /v1 route may answer with, as problem documents. */
export const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 429: Problem, 503: Problem };

export function portalOf(deps: AppDeps): Portal {
  const limits = deps.limits;
  const outputsTimeoutMs = deps.outputsTimeoutMs ?? 10_000;
  return {
    deps,
    jobs: deps.jobs,
    limits,
    now: deps.now ?? (() => new Date()),
    log: deps.log ?? (() => {}),
    // the sign-in's secrets too: no error text, audit line or log line carries them
    redactor: new Redactor([
      ...(deps.engine.secretValues ?? []),
      ...(deps.browser ? [deps.browser.secret.toString("utf8"), deps.browser.oidc?.clientSecret] : []),
    ]),
    streams: new EventStreams(deps.jobs, limits),
    // each read bounded in time and its failure kept as a reason (MeshError), then shared, capped and reused
    reads: new StackReads(
      {
        outputs: async (stack: string) => {
          const read = await readOutputs(deps.engine, stack, outputsTimeoutMs);
          if (read.error) throw new MeshError(read.error.code, read.error.message);
          return read.outputs;
        },
      },
      { ttlMs: limits.outputsTtlMs, concurrency: limits.engineReads },
    ),
    closing: false,
    requireStack: (stack) => {
      const s = deps.topology().stacks.find((x) => x.name === stack);
      if (!s) throw new MeshError("not_found", `stack ${stack} is not a stack of this mesh`);
      return s;
    },
    audit: (req, fields) => {
      req.auditFields = { ...req.auditFields, ...fields };
    },
  };
}
