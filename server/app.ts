/**
 * The portal's HTTP API over the automation core: the mesh plan, stacks, jobs with live Server-Sent
 * Events, converge, sign-in and the audit trail, and the web console's files. This file composes: the
 * server's limits, the OpenAPI document, the edge every request crosses (authentication, roles,
 * problems, audit), the shared services as the `portal` decorator, one plugin per route group
 * (`routes/`), the console (`static.ts`), and the shutdown. Errors are application/problem+json and
 * never carry engine text or a stack trace.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { AuditTrail } from "./audit";
import { installEdge } from "./edge";
import { parseJsonBodies } from "./json-body";
import { OidcSignIn } from "./oidc-signin";
import { portalOf, type AppDeps } from "./portal";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { convergeRoutes } from "./routes/converge";
import { healthRoutes } from "./routes/health";
import { jobRoutes } from "./routes/jobs";
import { meshRoutes } from "./routes/mesh";
import { stackRoutes } from "./routes/stacks";
import { verifyRoutes } from "./routes/verify";
import { Sessions } from "./session";
import { installShutdown } from "./shutdown";
import { serveConsole } from "./static";

export type { AppDeps, Topology } from "./portal";

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.limits;
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
  parseJsonBodies(app);
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
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: {
            type: "apiKey",
            in: "cookie",
            name: "mesh_session",
            description:
              "a browser's session (named __Host-mesh_session over https), from GET /auth/login or POST /auth/token; a request that changes anything also sends X-CSRF-Token",
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    // the shapes registered by id (the job events) as components
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(cookie);

  const portal = portalOf(deps);
  app.decorate("portal", portal);
  const sessions = deps.browser ? new Sessions(deps.jobs.store, deps.browser, deps.auth, portal.now) : undefined;
  const oidc =
    deps.browser?.oidc && deps.browser.publicUrl ? new OidcSignIn(deps.browser.oidc, `${deps.browser.publicUrl}/auth/callback`) : undefined;
  const trail = new AuditTrail({
    store: deps.jobs.store,
    sink: deps.audit,
    log: portal.log,
    redactor: portal.redactor,
    now: portal.now,
    noise: { windowMs: limits.auditNoiseWindowMs, perAddress: limits.auditNoisePerAddress, perWindow: limits.auditNoisePerWindow },
  });
  // the edge's hooks and error handler are the root's, so every route plugin below inherits them
  installEdge(app, {
    ...deps,
    audit: (line) => trail.record(line, line.actor === undefined),
    log: portal.log,
    redactor: portal.redactor,
    now: portal.now,
    ...(sessions ? { sessions } : {}),
  });
  app.addHook("onClose", () => trail.flush());
  await app.register(healthRoutes);
  await app.register(authRoutes, { ...(sessions ? { sessions } : {}), ...(oidc ? { oidc } : {}) });
  await app.register(auditRoutes, { prefix: "/v1/audit" });
  await app.register(meshRoutes);
  await app.register(stackRoutes, { prefix: "/v1/stacks" });
  await app.register(convergeRoutes, { prefix: "/v1/converge" });
  await app.register(jobRoutes, { prefix: "/v1/jobs" });
  await app.register(verifyRoutes, { prefix: "/v1/verify" });
  if (deps.consoleDir) await serveConsole(app, deps.consoleDir);
  installShutdown(app);
  await app.ready();
  return app;
}
