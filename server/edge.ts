/**
 * The edge every request crosses before and after its route: a request id (in the `Request-Id` header,
 * the audit line and the log), the demo engine's header, strict security headers, the loopback guard of
 * the insecure mode, authentication (a bearer token, or a browser's session cookie with its cross-site
 * checks) and the route's role; errors as problems (ours logged, redacted, never returned), an unknown
 * method of a known path as 405 with `Allow`; one audit line per mutating or refused request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from "fastify";
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Redactor } from "../automation/redact";
import { MeshError } from "../automation/types";
import { allows, AuthError, type Authenticator, type Principal } from "./auth";
import { FORBIDDEN_KEY } from "./json-body";
import { loopbackRefusal } from "./loopback-guard";
import { problem, storeFailure, storeUnavailable } from "./problems";
import type { Sessions } from "./session";
import { allowedOrigins, sessionRefusal } from "./session-guard";
import type { Limits } from "./settings";
import { validationMessage } from "./validation-messages";

export interface EdgeDeps {
  readonly auth: Authenticator;
  readonly limits: Limits;
  readonly audit: (line: Record<string, unknown>) => void;
  readonly log: (line: Record<string, unknown>) => void;
  readonly redactor: Redactor;
  readonly engineName?: string;
  readonly now: () => Date;
  /** The job store, named in a 503 when it cannot be read or written. */
  readonly jobs: { readonly store: { readonly kind: string } };
  /** Browser sessions; without them only bearer tokens (or the insecure mode) authenticate. */
  readonly sessions?: Sessions;
}

/** API answers are data: nothing in them runs, frames or leaks a referrer. The console's pages get their own policy (static.ts). */
const API_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
};

/** The caller: a bearer token when one is sent (machines), else the browser's session cookie, checked against cross-site use. */
async function identify(req: FastifyRequest, reply: FastifyReply, deps: EdgeDeps): Promise<Principal> {
  const sessions = deps.sessions;
  const cookie = sessions && !deps.auth.insecure ? req.cookies[sessions.cookieName] : undefined;
  const header = req.headers.authorization;
  if (!sessions || cookie === undefined || header !== undefined) {
    try {
      return await deps.auth.authenticate(header);
    } catch (e) {
      if (e instanceof AuthError && e.status === 401 && header === undefined && sessions)
        throw new AuthError(401, "a bearer token is required, or in a browser a session: sign in (GET /auth/methods lists how)");
      throw e;
    }
  }
  const principal = await sessions.resolve(cookie);
  if (!principal) {
    sessions.clearCookie(reply);
    throw new AuthError(401, "the session has ended (signed out, past its lifetime, or idle too long): sign in again");
  }
  // whoever it was is on the audit line, refused or not
  req.principal = principal;
  const refusal = sessionRefusal(req.raw, allowedOrigins(sessions.settings.publicUrl, req.raw), principal.session!.csrf);
  if (refusal) throw new AuthError(403, refusal);
  return principal;
}

interface KnownRoute {
  readonly path: RegExp;
  readonly methods: Set<string>;
}

/** The methods some route answers on this path (for 405's Allow), HEAD with GET. */
function allowedMethods(routes: readonly KnownRoute[], url: string): string[] {
  const path = url.split("?")[0]!;
  const methods = new Set(routes.filter((r) => r.path.test(path)).flatMap((r) => [...r.methods]));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** The route's schema for a part of the request (`body`, `querystring`, ...) and the value sent at `path` in it. */
function requestPart(req: FastifyRequest, context: string | undefined, path: string): [unknown, unknown] {
  const part = context as "body" | "querystring" | "params" | "headers" | undefined;
  if (!part) return [undefined, undefined];
  const schema = (req.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
  const sent = { body: req.body, querystring: req.query, params: req.params, headers: req.headers }[part];
  const value = path
    .split("/")
    .filter(Boolean)
    .reduce<unknown>((v, seg) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[seg] : undefined), sent);
  return [schema, value];
}

/** Answers that refuse a request: audited whatever the route. */
const REFUSED = new Set([400, 401, 403, 404, 405, 409, 413, 415, 429]);

function meshProblem(reply: FastifyReply, e: MeshError): FastifyReply {
  const status = e.code === "not_found" ? 404 : e.code === "busy" ? 409 : e.code === "config_invalid" ? 400 : 500;
  // a busy refusal names the job in the way, in the answer and in the audit line
  if (e.extra.runningJobId) reply.request.auditFields = { ...reply.request.auditFields, runningJob: e.extra.runningJobId };
  return problem(reply, status, e.message, e.extra.runningJobId ? { runningJob: e.extra.runningJobId } : {});
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export function installEdge(app: App, deps: EdgeDeps): void {
  const { log, redactor, now } = deps;
  const routes: KnownRoute[] = [];
  app.addHook("onRoute", (r) => {
    // the console's catch-all answers GET anywhere: it is no reason to call another method's 404 a 405
    if (r.config?.fallback) return;
    const pattern = r.url
      .split("/")
      .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    routes.push({ path: new RegExp(`^${pattern}/?$`), methods: new Set([r.method].flat()) });
  });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("request-id", req.id);
    reply.headers(API_HEADERS);
    if (deps.sessions?.secure) reply.header("strict-transport-security", "max-age=31536000");
    if (deps.engineName) reply.header("mesh-engine", deps.engineName);
    if (deps.auth.insecure) {
      const refusal = loopbackRefusal(req.raw);
      if (refusal) return problem(reply, 403, refusal);
    }
    const role = req.routeOptions.config.role;
    if (!role) return;
    try {
      req.principal = await identify(req, reply, deps);
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
          path: `${error.validationContext ?? "request"}${v.instancePath === "/" ? "" : v.instancePath}`,
          message: validationMessage(v, ...requestPart(req, error.validationContext, v.instancePath)),
        })),
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    const code = (error as { code?: string }).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return problem(reply, 413, `the body is larger than ${deps.limits.bodyBytes} bytes`);
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return problem(reply, 415, "send application/json");
    if (code === FORBIDDEN_KEY) return problem(reply, 400, "the body may not use __proto__ or constructor keys");
    if (status === 400 || code === "FST_ERR_CTP_EMPTY_JSON_BODY" || error instanceof SyntaxError)
      return problem(reply, 400, "the body is not valid JSON");
    const store = storeFailure(error);
    if (store) {
      // the store's fault, not the code's: one line with the store's own words, redacted, and no trace
      log({
        level: "error",
        msg: "job store unavailable",
        requestId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? null,
        error: redactor.redact(store.detail),
      });
      return storeUnavailable(reply, deps.jobs.store.kind, store.writing);
    }
    if (error instanceof MeshError) return meshProblem(reply, error);
    // the console's file server refusing a path outside its folder: nothing there, as for any unknown path
    if ((status === 403 || status === 404) && req.routeOptions.config.fallback)
      return problem(reply.headers(API_HEADERS), 404, "no such route");
    // anything else is ours: the log has it (redacted), the caller only the request's id
    log({
      level: "error",
      msg: "internal error",
      requestId: req.id,
      method: req.method,
      route: req.routeOptions.url ?? null,
      error: redactor.redact(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    });
    return problem(reply, 500, `an internal error; the server's log has it under request id ${req.id}`, { requestId: req.id });
  });
  app.setNotFoundHandler((req, reply) => {
    // a console route that found no file hands over here: the answer is the API's, with its headers
    reply.headers(API_HEADERS);
    const allow = allowedMethods(routes, req.url);
    if (allow.length === 0) return problem(reply, 404, "no such route");
    return problem(reply.header("allow", allow.join(", ")), 405, `${req.method} is not answered here; this path takes ${allow.join(", ")}`);
  });

  app.addHook("onResponse", async (req, reply) => {
    const action = req.routeOptions.config.action;
    const status = reply.statusCode;
    if (!(action && action !== "preview") && !REFUSED.has(status)) return;
    deps.audit({
      time: now().toISOString(),
      requestId: req.id,
      actor: req.principal?.subject,
      role: req.principal?.role,
      via: req.principal?.via,
      action: action ?? "request",
      method: req.method,
      path: req.url.split("?")[0]!.slice(0, 200),
      ...req.auditFields,
      status,
      ...(req.refusal ? { reason: req.refusal } : {}),
      ip: req.ip,
    });
  });
}
