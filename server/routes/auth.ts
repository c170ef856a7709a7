/**
 * Signing in from a browser: OIDC (GET /auth/login → the provider → GET /auth/callback), or a static
 * token exchanged once for a session (POST /auth/token; the token is not kept); POST /auth/logout; and
 * GET /v1/me, who the caller is. Sessions are server-side (session.ts); the sign-in's own state rides in
 * a sealed cookie (login-state.ts) bound to this browser.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Principal } from "../auth";
import { CallbackQuery, EndSessions, LoginQuery, Me, Redirect, SessionsEnded, SignInMethods, TokenSignIn } from "../auth-schemas";
import { LoginSeal, safeReturnTo } from "../login-state";
import type { OidcSignIn } from "../oidc-signin";
import { SignInError, type SignedIn } from "../oidc-signin";
import { problems } from "../portal";
import { problem } from "../problems";
import type { Sessions } from "../session";
import { FailedSignIns } from "../signin-limit";
import { allowedOrigins } from "../session-guard";

export interface AuthRouteOptions {
  readonly sessions?: Sessions;
  readonly oidc?: OidcSignIn;
}

const LOGIN_COOKIE_MAX_AGE_S = 600;

export function meOf(p: Principal): Record<string, unknown> {
  return {
    subject: p.subject,
    name: p.name ?? p.subject,
    role: p.role,
    via: p.via,
    ...(p.session
      ? {
          signedInWith: p.session.signedInWith,
          expiresAt: new Date(p.session.expiresAt).toISOString(),
          idleExpiresAt: new Date(p.session.idleExpiresAt).toISOString(),
          csrfToken: p.session.csrf,
        }
      : {}),
  };
}

export const authRoutes: FastifyPluginAsyncZod<AuthRouteOptions> = (app, { sessions, oidc }) => {
  const { deps, now } = app.portal;
  const seal = sessions ? new LoginSeal(sessions.settings.secret) : undefined;
  const methods = [...(oidc ? (["oidc"] as const) : []), ...(sessions && deps.auth.hasStaticTokens ? (["token"] as const) : [])];
  const publicRoute = { security: [] as never[] };
  const failures = new FailedSignIns(deps.limits.signInFailures, deps.limits.signInWindowMs);

  app.get("/auth/methods", { schema: { ...publicRoute, response: { 200: SignInMethods } } }, () => ({
    methods: [...methods],
    insecure: deps.auth.insecure,
  }));

  app.get(
    "/auth/login",
    { schema: { ...publicRoute, querystring: LoginQuery, response: { 302: Redirect, ...problems, 502: problems[400] } } },
    async (req, reply) => {
      if (!oidc || !sessions || !seal) return void problem(reply, 404, notSetUp(deps.auth.insecure, "OIDC sign-in", "MESH_OIDC_CLIENT_ID"));
      const previous = sessions.idOf(req.cookies[sessions.cookieName]);
      const begun = await oidc.begin(safeReturnTo(req.query.returnTo), previous, now().getTime()).catch((e: unknown) => e as SignInError);
      if (begun instanceof SignInError) return void problem(reply, begun.status, begun.message);
      reply.setCookie(sessions.loginCookieName, seal.seal(begun.state), {
        path: "/auth/callback",
        httpOnly: true,
        secure: sessions.secure,
        // the provider's redirect back is a top-level navigation from its site: Strict would withhold the cookie
        sameSite: "lax",
        maxAge: LOGIN_COOKIE_MAX_AGE_S,
      });
      return void reply.code(302).header("location", begun.url.href).send(null);
    },
  );

  app.get(
    "/auth/callback",
    {
      config: { action: "sign-in" },
      schema: { ...publicRoute, querystring: CallbackQuery, response: { 302: Redirect, ...problems, 502: problems[400] } },
    },
    async (req, reply) => {
      if (!oidc || !sessions || !seal) return void problem(reply, 404, notSetUp(deps.auth.insecure, "OIDC sign-in", "MESH_OIDC_CLIENT_ID"));
      const state = seal.open(req.cookies[sessions.loginCookieName], now().getTime());
      // one use: whatever happens next, this browser's sign-in state is gone
      reply.clearCookie(sessions.loginCookieName, { path: "/auth/callback", httpOnly: true, secure: sessions.secure, sameSite: "lax" });
      if (!state)
        return void problem(
          reply,
          400,
          "no sign-in is in progress in this browser, or it took longer than 10 minutes: sign in again at /auth/login",
        );
      const callback = new URL(oidc.redirectUri);
      callback.search = new URL(req.url, "http://callback.invalid").search;
      let who: SignedIn;
      try {
        who = await oidc.finish(callback, state);
      } catch (e) {
        if (e instanceof SignInError) return void problem(reply, e.status, e.message);
        throw e;
      }
      await signIn(req, reply, sessions, { ...who, signedInWith: "oidc" }, state.previous);
      return void reply.code(302).header("location", state.returnTo).send(null);
    },
  );

  app.post(
    "/auth/token",
    { config: { action: "sign-in" }, schema: { ...publicRoute, body: TokenSignIn, response: { 200: Me, ...problems } } },
    async (req, reply) => {
      if (!sessions || !deps.auth.hasStaticTokens)
        return void problem(reply, 404, notSetUp(deps.auth.insecure, "token sign-in", "MESH_API_TOKENS"));
      // a page of another site must not sign this browser in as someone else (login CSRF)
      const site = req.headers["sec-fetch-site"];
      const origin = req.headers.origin;
      if (
        (site !== undefined && site !== "same-origin" && site !== "none") ||
        (origin !== undefined && !allowedOrigins(sessions.settings.publicUrl, req.raw).has(origin.toLowerCase()))
      )
        return void problem(reply, 403, "a sign-in from another site or origin is refused");
      const wait = failures.waitMs(req.ip, now().getTime());
      if (wait > 0) {
        const s = Math.ceil(wait / 1000);
        reply.header("retry-after", String(s));
        return void problem(
          reply,
          429,
          `${deps.limits.signInFailures} sign-ins with a wrong token came from this address within ${deps.limits.signInWindowMs / 1000} s: try again in ${s} s`,
        );
      }
      const token = deps.auth.staticToken(req.body.token);
      if (!token) {
        failures.failed(req.ip, now().getTime());
        return void problem(reply, 401, "the token is not valid");
      }
      const who = { subject: token.name, name: token.name, role: token.role, signedInWith: "token" as const, tokenSha256: token.sha256 };
      const principal = await signIn(req, reply, sessions, who, sessions.idOf(req.cookies[sessions.cookieName]));
      return meOf(principal) as never;
    },
  );

  app.post(
    "/auth/logout",
    { config: { role: "viewer", action: "sign-out" }, schema: { response: { 204: z204(), ...problems } } },
    async (req, reply) => {
      if (sessions) {
        const value = req.cookies[sessions.cookieName];
        if (req.principal?.via === "session" && value) await sessions.end(value);
        sessions.clearCookie(reply);
      }
      return void reply.code(204).send(null);
    },
  );

  // a user demoted or removed at the identity provider keeps a session's role until it ends: an admin ends it now
  app.post(
    "/v1/sessions/end",
    { config: { role: "admin", action: "end-sessions" }, schema: { body: EndSessions, response: { 200: SessionsEnded, ...problems } } },
    async (req, reply) => {
      if (!sessions)
        return void problem(reply, 404, notSetUp(deps.auth.insecure, "browser sign-in", "MESH_API_TOKENS or MESH_OIDC_CLIENT_ID"));
      app.portal.audit(req, { subject: req.body.subject });
      return { ended: await deps.jobs.store.deleteSessionsOf(req.body.subject) };
    },
  );

  app.get("/v1/me", { config: { role: "viewer" }, schema: { response: { 200: Me, ...problems } } }, (req) => meOf(req.principal!) as never);
  return Promise.resolve();
};

/** A new session (the one the browser had ends), its cookie set; the request's principal for the audit line. */
async function signIn(
  req: FastifyRequest,
  reply: FastifyReply,
  sessions: Sessions,
  who: Parameters<Sessions["start"]>[0],
  previous: string | undefined,
): Promise<Principal> {
  const { value, principal } = await sessions.start(who, previous);
  sessions.setCookie(reply, value);
  req.principal = principal;
  return principal;
}

const notSetUp = (insecure: boolean, what: string, setting: string): string =>
  insecure
    ? `this server runs without authentication (loopback only): no sign-in is needed`
    : `${what} is not set up on this server (${setting})`;

function z204() {
  return Redirect.describe("signed out: the session has ended and its cookie is cleared");
}
