/**
 * Browser sign-in over real HTTP against a real OpenID provider on loopback (oidc-provider, started by
 * the tests), with a client that keeps cookies as a browser does: the whole redirect dance, role
 * mapping, expiry and idle timeout, logout; and the hostile cases: forged and replayed state and code, a
 * mismatched PKCE verifier, an open redirect through returnTo, the session cookie sent cross-site or
 * without its CSRF token. And the token sign-in form for static-token deployments.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { LoginSeal } from "../server/login-state";
import { startApi, TOKENS, type Api } from "./fixtures/api";
import { Browser, formAction, type Answer } from "./fixtures/browser";
import { freePort, startOidcProvider, type OidcProvider } from "./fixtures/oidc-provider";

const HOUR = 3_600_000;

describe("OIDC sign-in against a real provider", () => {
  let api: Api;
  let op: OidcProvider;
  let app: string;
  let skew = 0;
  const secret = randomBytes(32);
  before(async () => {
    const port = await freePort();
    app = `http://127.0.0.1:${port}`;
    op = await startOidcProvider({
      accounts: {
        alice: { name: "Alice Admin", email: "alice@example.com", mesh_role: "admin" },
        bob: { preferred_username: "bob", mesh_role: ["viewer", "operator", "unknown"] },
        eve: { name: "Eve NoRole" },
      },
      clients: [{ clientId: "mesh-portal", clientSecret: "client-secret-0123456789", redirectUri: `${app}/auth/callback` }],
    });
    api = await startApi({
      port,
      now: () => new Date(Date.now() + skew),
      browser: {
        publicUrl: app,
        maxAgeMs: 8 * HOUR,
        idleMs: HOUR / 2,
        secret,
        oidc: {
          issuer: op.issuer,
          clientId: "mesh-portal",
          clientSecret: "client-secret-0123456789",
          scopes: ["openid", "profile", "email", "mesh"],
        },
      },
    });
  });
  after(async () => {
    await api.close();
    await op.close();
  });

  /** GET /auth/login → the provider's form → submitted as `user` → back at the portal. */
  async function signIn(b: Browser, user: string, returnTo?: string): Promise<{ login: Answer; back: Answer }> {
    const login = await b.navigate(`${app}/auth/login${returnTo !== undefined ? `?returnTo=${encodeURIComponent(returnTo)}` : ""}`);
    assert.equal(login.status, 200, login.text);
    assert.ok(login.url.startsWith(op.issuer), login.url);
    const back = await b.navigate(formAction(login.text, login.url), { from: login.url, form: { login: user } });
    return { login, back };
  }

  it("signs in through the provider: a session cookie, HttpOnly and SameSite=Strict, and /v1/me with the role", async () => {
    const b = new Browser();
    const { login, back } = await signIn(b, "alice", "/jobs/abc?tab=events");
    const first = login.hops[0]!;
    assert.equal(first.status, 302);
    const authorize = new URL(first.location!);
    assert.equal(authorize.origin, op.issuer);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorize.searchParams.get("redirect_uri"), `${app}/auth/callback`);
    assert.equal(authorize.searchParams.get("response_type"), "code");
    assert.ok(authorize.searchParams.get("state") && authorize.searchParams.get("nonce"));
    assert.match(first.setCookie.join("\n"), /^mesh_login=[^;]+; Max-Age=600; Path=\/auth\/callback; HttpOnly; SameSite=Lax$/m);
    const callback = back.hops.find((h) => h.url.startsWith(`${app}/auth/callback`))!;
    assert.equal(callback.status, 302);
    assert.equal(callback.location, "/jobs/abc?tab=events");
    const cookie = callback.setCookie.find((c) => c.startsWith("mesh_session="))!;
    assert.match(cookie, /^mesh_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.ok(
      callback.setCookie.some((c) => /^mesh_login=; Max-Age=0/.test(c) || /^mesh_login=;.*Expires=Thu, 01 Jan 1970/.test(c)),
      callback.setCookie.join("\n"),
    );
    const me = await b.fetch(app, `${app}/v1/me`);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.subject, "alice");
    assert.equal(me.json.name, "Alice Admin");
    assert.equal(me.json.role, "admin");
    assert.equal(me.json.via, "session");
    assert.equal(me.json.signedInWith, "oidc");
    assert.match(me.json.csrfToken, /^[A-Za-z0-9_-]{32}$/);
  });
});
