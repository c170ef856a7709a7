/**
 * Browser sign-in over real HTTP against a real OpenID provider on loopback (oidc-provider, started by
 * the tests), with a client that keeps cookies as a browser does: the whole redirect dance, role
 * mapping, expiry and idle timeout, logout; and the hostile cases: forged and replayed state and code, a
 * mismatched PKCE verifier, an open redirect through returnTo, the session cookie sent cross-site or
 * without its CSRF token. And the token sign-in form for static-token deployments.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LoginSeal, safeReturnTo } from "../server/login-state";
import { settingsFromEnv } from "../server/settings";
import { startApi, TOKENS, type Api } from "./fixtures/api";
import { Browser, formAction, type Answer } from "./fixtures/browser";
import { freePort, startOidcProvider, type OidcProvider } from "./fixtures/oidc-provider";

const HOUR = 3_600_000;

describe("OIDC sign-in against a real provider", () => {
  let api: Api;
  let op: OidcProvider;
  let app: string;
  let skew = 0;
  const tick = (ms: number) => (skew += ms);
  const secret = randomBytes(32);
  // read by the provider at every sign-in: a test changes an account's role there
  const accounts = {
    alice: { name: "Alice Admin", email: "alice@example.com", mesh_role: "admin" },
    bob: { preferred_username: "bob", mesh_role: ["viewer", "operator", "unknown"] },
    eve: { name: "Eve NoRole" },
    dave: { name: "Dave", mesh_role: "operator" },
  };
  before(async () => {
    const port = await freePort();
    app = `http://127.0.0.1:${port}`;
    op = await startOidcProvider({
      accounts,
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

  /** Signs in up to the provider's redirect back: the callback URL, not yet visited. */
  async function upToCallback(b: Browser, user: string): Promise<string> {
    const login = await b.navigate(`${app}/auth/login`);
    const stop = await b.navigate(formAction(login.text, login.url), {
      from: login.url,
      form: { login: user },
      until: (next) => next.startsWith(`${app}/auth/callback`),
    });
    assert.ok(stop.url.startsWith(`${app}/auth/callback?code=`), stop.url);
    return stop.url;
  }
  const session = async (b: Browser) => (await b.cookies(app)).mesh_session;
  const callbackFromProvider = (b: Browser, url: string) => b.navigate(url, { from: op.issuer });

  it("maps the role claim: the highest known role of a list, and no session for an account without one", async () => {
    const bob = new Browser();
    await signIn(bob, "bob");
    const me = await bob.fetch(app, `${app}/v1/me`);
    assert.deepEqual([me.json.subject, me.json.name, me.json.role], ["bob", "bob", "operator"]);

    const eve = new Browser();
    const { back } = await signIn(eve, "eve");
    assert.equal(back.status, 403);
    assert.equal(back.json.detail, "your account carries no mesh role (the mesh_role claim); ask for viewer, operator or admin");
    assert.equal(await session(eve), undefined);
    assert.equal((await eve.fetch(app, `${app}/v1/me`)).status, 401);
    const refused = (await api.jobs.store.listAudit({ action: "sign-in", status: 403, limit: 10 })).entries;
    assert.equal(refused[0]!.reason, "your account carries no mesh role (the mesh_role claim); ask for viewer, operator or admin");
  });

  it("makes a new session at every sign-in and ends the one the browser had", async () => {
    const b = new Browser();
    await signIn(b, "alice");
    const first = await session(b);
    // signed in at the provider already: straight back, with a new session
    const again = await b.navigate(`${app}/auth/login`);
    assert.deepEqual(
      again.hops.map((h) => new URL(h.url).origin),
      [app, op.issuer, app, app],
    );
    const second = await session(b);
    assert.ok(first && second && first !== second);
    assert.equal((await b.fetch(app, `${app}/v1/me`)).json.subject, "alice");
    const old = await fetch(`${app}/v1/me`, { headers: { cookie: `mesh_session=${first}` } });
    assert.equal(old.status, 401);
  });

  it("keeps a session's role from sign-in when the provider demotes the user, until an admin ends the user's sessions", async () => {
    const laptop = new Browser();
    const desktop = new Browser();
    const bob = new Browser();
    await signIn(laptop, "dave");
    await signIn(desktop, "dave");
    await signIn(bob, "bob");
    accounts.dave.mesh_role = "viewer";
    try {
      // the provider is not asked again until the session ends
      assert.equal((await laptop.fetch(app, `${app}/v1/me`)).json.role, "operator");
      const body = { subject: "dave" };
      const byOperator = await api.call("POST", "/v1/sessions/end", { token: TOKENS.operator, body });
      assert.equal(byOperator.status, 403);
      const ended = await api.call("POST", "/v1/sessions/end", { token: TOKENS.admin, body });
      assert.equal(ended.status, 200, ended.text);
      assert.deepEqual(ended.json, { ended: 2 });
      assert.equal((await laptop.fetch(app, `${app}/v1/me`)).status, 401);
      assert.equal((await desktop.fetch(app, `${app}/v1/me`)).status, 401);
      assert.equal((await bob.fetch(app, `${app}/v1/me`)).json.role, "operator", "another user's session goes on");
      assert.deepEqual((await api.call("POST", "/v1/sessions/end", { token: TOKENS.admin, body })).json, { ended: 0 });
      const line = (await api.jobs.store.listAudit({ action: "end-sessions", status: 200, limit: 5 })).entries;
      assert.deepEqual(
        line.map((l) => [l.actor, l.subject]),
        [
          ["admin-bot", "dave"],
          ["admin-bot", "dave"],
        ],
      );
      const bad = await api.call("POST", "/v1/sessions/end", { token: TOKENS.admin, body: {} });
      assert.deepEqual(bad.json.errors, [{ path: "body/subject", message: "subject is required" }]);
      // signing in again (still signed in at the provider: straight back) reads the role the provider gives now
      await laptop.navigate(`${app}/auth/login`);
      assert.equal((await laptop.fetch(app, `${app}/v1/me`)).json.role, "viewer");
    } finally {
      accounts.dave.mesh_role = "operator";
    }
  });

  it("ends a session idle for 30 minutes, and any session 8 hours after sign-in however busy", async () => {
    const idle = new Browser();
    await signIn(idle, "alice");
    tick(29 * 60_000);
    assert.equal((await idle.fetch(app, `${app}/v1/me`)).status, 200);
    tick(29 * 60_000);
    assert.equal((await idle.fetch(app, `${app}/v1/me`)).status, 200, "a use restarts the idle clock");
    tick(31 * 60_000);
    const late = await idle.fetch(app, `${app}/v1/me`);
    assert.equal(late.status, 401);
    assert.equal(late.json.detail, "the session has ended (signed out, past its lifetime, or idle too long): sign in again");
    assert.match(late.headers.getSetCookie().join("\n"), /^mesh_session=; Max-Age=0|^mesh_session=;.*Expires=Thu, 01 Jan 1970/m);

    const busy = new Browser();
    await signIn(busy, "alice");
    const me = (await busy.fetch(app, `${app}/v1/me`)).json;
    assert.equal(Date.parse(me.expiresAt) - Date.now() - skew <= 8 * HOUR, true);
    for (let t = 0; t < 8 * HOUR - 20 * 60_000; t += 20 * 60_000) {
      tick(20 * 60_000);
      assert.equal((await busy.fetch(app, `${app}/v1/me`)).status, 200, `after ${(t + 20 * 60_000) / 60_000} min`);
    }
    tick(20 * 60_000);
    assert.equal((await busy.fetch(app, `${app}/v1/me`)).status, 401);
  });

  it("signs out with the CSRF token: the session is gone for every copy of the cookie", async () => {
    const b = new Browser();
    await signIn(b, "alice");
    const value = await session(b);
    const csrf = (await b.fetch(app, `${app}/v1/me`)).json.csrfToken as string;
    const without = await b.fetch(app, `${app}/auth/logout`, { method: "POST" });
    assert.equal(without.status, 403);
    assert.equal((await b.fetch(app, `${app}/v1/me`)).status, 200, "a refused sign-out leaves the session");
    const out = await b.fetch(app, `${app}/auth/logout`, { method: "POST", headers: { "x-csrf-token": csrf } });
    assert.equal(out.status, 204);
    assert.equal(await session(b), undefined);
    assert.equal((await fetch(`${app}/v1/me`, { headers: { cookie: `mesh_session=${value}` } })).status, 401);
    const line = (await api.jobs.store.listAudit({ action: "sign-out", limit: 1 })).entries[0]!;
    assert.deepEqual([line.actor, line.status, line.via], ["alice", 204, "session"]);
  });

  it("refuses a forged state, a forged code, a replayed callback and a callback without its sign-in", async () => {
    const forged = new Browser();
    const url = new URL(await upToCallback(forged, "alice"));
    url.searchParams.set("state", "forged-state-0123456789");
    const r1 = await callbackFromProvider(forged, url.href);
    assert.equal(r1.status, 400);
    assert.match(r1.json.detail, /^the sign-in could not be completed: .*state.*; sign in again$/);
    assert.equal(await session(forged), undefined);

    const code = new Browser();
    const url2 = new URL(await upToCallback(code, "alice"));
    url2.searchParams.set("code", "forged-code-0123456789");
    const r2 = await callbackFromProvider(code, url2.href);
    assert.equal(r2.status, 400);
    assert.match(r2.json.detail, /invalid_grant/);

    const replay = new Browser();
    const url3 = await upToCallback(replay, "alice");
    const login = (await replay.cookies(`${app}/auth/callback`)).mesh_login!;
    assert.equal((await callbackFromProvider(replay, url3)).hops[0]!.status, 302);
    const signedIn = await session(replay);
    // the same callback again: with no sign-in state (the cookie was cleared), then with the old one put back
    const again = await callbackFromProvider(replay, url3);
    assert.equal(again.status, 400);
    assert.equal(
      again.json.detail,
      "no sign-in is in progress in this browser, or it took longer than 10 minutes: sign in again at /auth/login",
    );
    await replay.jar.setCookie(`mesh_login=${login}; Path=/auth/callback; HttpOnly; SameSite=Lax`, `${app}/auth/callback`);
    const replayed = await callbackFromProvider(replay, url3);
    assert.equal(replayed.status, 400);
    assert.match(replayed.json.detail, /invalid_grant/);
    assert.equal(await session(replay), signedIn, "no new session");

    const stranger = new Browser();
    const stolen = await callbackFromProvider(stranger, await upToCallback(new Browser(), "alice"));
    assert.equal(stolen.status, 400, "a callback in another browser than the one that began the sign-in");
    assert.equal(await session(stranger), undefined);
  });

  it("refuses a code redeemed with another PKCE verifier", async () => {
    const b = new Browser();
    const url = await upToCallback(b, "alice");
    const seal = new LoginSeal(secret);
    const state = seal.open((await b.cookies(`${app}/auth/callback`)).mesh_login, Date.now())!;
    assert.ok(state, "the test seals with the server's secret");
    const other = seal.seal({ ...state, verifier: randomBytes(32).toString("base64url") });
    await b.jar.setCookie(`mesh_login=${other}; Path=/auth/callback; HttpOnly; SameSite=Lax`, `${app}/auth/callback`);
    const r = await callbackFromProvider(b, url);
    assert.equal(r.status, 400);
    assert.match(r.json.detail, /invalid_grant/);
    assert.equal(await session(b), undefined);
  });

  for (const returnTo of [
    "https://evil.example/x",
    "//evil.example/x",
    "/\\evil.example/x",
    "\t//evil.example",
    "/..//evil.example",
    "javascript:alert(1)",
    "http:evil.example",
  ]) {
    it(`returns to / rather than ${JSON.stringify(returnTo)} after signing in`, async () => {
      const b = new Browser();
      const { back } = await signIn(b, "alice", returnTo);
      const callback = back.hops.find((h) => h.url.startsWith(`${app}/auth/callback`))!;
      assert.equal(callback.status, 302);
      assert.equal(callback.location, "/");
    });
  }

  it("refuses the session cookie sent cross-site, from another origin, or without the CSRF token; takes it from the console", async () => {
    const b = new Browser();
    await signIn(b, "bob");
    const value = (await session(b))!;
    const csrf = (await b.fetch(app, `${app}/v1/me`)).json.csrfToken as string;
    const before = (await api.jobs.list({})).jobs.length;
    // a browser keeps a SameSite=Strict cookie from a page of another site, and from its links
    assert.equal((await b.fetch("https://evil.example", `${app}/v1/stacks/wuxi/up`, { method: "POST", json: {} })).status, 401);
    assert.equal((await b.navigate(`${app}/v1/jobs`, { from: "https://evil.example" })).status, 401);
    // and where a browser sends it anyway, the server refuses
    const post = (headers: Record<string, string>) =>
      fetch(`${app}/v1/stacks/wuxi/up`, {
        method: "POST",
        headers: { cookie: `mesh_session=${value}`, "content-type": "application/json", ...headers },
        body: "{}",
      });
    const refusals: [Record<string, string>, string][] = [
      [
        { "sec-fetch-site": "cross-site", origin: "https://evil.example", "x-csrf-token": csrf },
        "a signed-in browser's request made by another site (Sec-Fetch-Site: cross-site) is refused",
      ],
      [
        { "sec-fetch-site": "same-site", origin: op.issuer, "x-csrf-token": csrf },
        "a signed-in browser's request made by another site (Sec-Fetch-Site: same-site) is refused",
      ],
      [{ origin: "https://evil.example", "x-csrf-token": csrf }, "a signed-in browser's request from another origin is refused"],
      [{ origin: "null", "x-csrf-token": csrf }, "a signed-in browser's request from another origin is refused"],
      [
        { "x-csrf-token": csrf },
        "a signed-in browser's request that changes anything must show where it comes from (Origin or Sec-Fetch-Site)",
      ],
      [{ origin: app }, "a signed-in browser's request that changes anything needs the X-CSRF-Token header: the csrfToken of GET /v1/me"],
      [
        // one character changed: a fixed replacement would be the real token whenever it already ends in it
        { origin: app, "x-csrf-token": `${csrf.slice(0, -1)}${csrf.endsWith("A") ? "B" : "A"}` },
        "a signed-in browser's request that changes anything needs the X-CSRF-Token header: the csrfToken of GET /v1/me",
      ],
    ];
    for (const [headers, detail] of refusals) {
      const r = await post(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(((await r.json()) as { detail: string }).detail, detail);
    }
    const read = await fetch(`${app}/v1/jobs`, { headers: { cookie: `mesh_session=${value}`, "sec-fetch-site": "cross-site" } });
    assert.equal(read.status, 403, "a read from another site too");
    assert.equal((await api.jobs.list({})).jobs.length, before, "no refused request started a job");
    const ok = await b.fetch(app, `${app}/v1/stacks/wuxi/up`, { method: "POST", json: {}, headers: { "x-csrf-token": csrf } });
    assert.equal(ok.status, 202, ok.text);
    assert.equal(ok.json.requestedBy, "bob");
    const lines = (await api.jobs.store.listAudit({ actor: "bob", status: 403, limit: 50 })).entries;
    assert.equal(lines.length, refusals.length + 1, "each refusal is on record with who it was");
  });
});

describe("the token sign-in form (static tokens), behind https", () => {
  let api: Api;
  const site = "https://mesh.example.com";
  before(async () => {
    api = await startApi({ browser: { publicUrl: site, maxAgeMs: 8 * HOUR, idleMs: HOUR / 2, secret: randomBytes(32) } });
  });
  after(() => api.close());
  const signIn = (token: string, headers: Record<string, string> = { origin: site, "sec-fetch-site": "same-origin" }) =>
    fetch(`${api.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ token }),
    });

  it("exchanges a valid token for a Secure __Host- session cookie; the token is neither kept nor returned", async () => {
    const r = await signIn(TOKENS.operator);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.ok(!text.includes(TOKENS.operator));
    const me = JSON.parse(text) as Record<string, string>;
    assert.deepEqual([me.subject, me.role, me.via, me.signedInWith], ["operator-bot", "operator", "session", "token"]);
    const cookies = r.headers.getSetCookie();
    assert.equal(cookies.length, 1);
    assert.match(cookies[0]!, /^__Host-mesh_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    assert.ok(!cookies[0]!.includes(TOKENS.operator));
    assert.equal(r.headers.get("strict-transport-security"), "max-age=31536000");
    const value = cookies[0]!.split(";")[0]!;
    const up = await fetch(`${api.url}/v1/stacks/wuxi/up`, {
      method: "POST",
      headers: { cookie: value, origin: site, "x-csrf-token": me.csrfToken!, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(up.status, 202);
    assert.equal(((await up.json()) as { requestedBy: string }).requestedBy, "operator-bot");
    const destroy = await fetch(`${api.url}/v1/stacks/wuxi/destroy`, {
      method: "POST",
      headers: { cookie: value, origin: site, "x-csrf-token": me.csrfToken!, "content-type": "application/json" },
      body: JSON.stringify({ confirm: "wuxi" }),
    });
    assert.equal(destroy.status, 403, "the token's role, not more");
    const stored = await api.jobs.store.listAudit({ action: "sign-in", limit: 5 });
    assert.equal(stored.entries[0]!.actor, "operator-bot");
    assert.ok(!JSON.stringify(stored).includes(TOKENS.operator), "the audit trail has no token");
  });

  it("refuses a wrong token (401), a form post (415), and a sign-in from another site or origin (403)", async () => {
    const wrong = await signIn("not-a-token-0123456789");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.getSetCookie().length, 0);
    const form = await fetch(`${api.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: site },
      body: `token=${TOKENS.admin}`,
    });
    assert.equal(form.status, 415);
    const hostile: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { origin: "http://mesh.example.com" },
    ];
    for (const headers of hostile) {
      const r = await signIn(TOKENS.admin, headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.headers.getSetCookie().length, 0);
    }
  });

  it("lists the token form as the one way in, and has no OIDC sign-in", async () => {
    assert.deepEqual((await api.call("GET", "/auth/methods", { token: null })).json, { methods: ["token"], insecure: false });
    const login = await api.call("GET", "/auth/login", { token: null });
    assert.equal(login.status, 404);
    assert.equal(login.json.detail, "OIDC sign-in is not set up on this server (MESH_OIDC_CLIENT_ID)");
  });

  it("answers /v1/me for a bearer token too, without session fields", async () => {
    const me = await api.call("GET", "/v1/me", { token: TOKENS.viewer });
    assert.deepEqual(me.json, { subject: "viewer-bot", name: "viewer-bot", role: "viewer", via: "token" });
  });
});

describe("the insecure loopback mode", () => {
  it("needs no sign-in: /auth/methods says so, /v1/me is the anonymous admin, /auth/login is a 404", async () => {
    const api = await startApi({ insecure: true });
    try {
      assert.deepEqual((await api.call("GET", "/auth/methods", { token: null })).json, { methods: [], insecure: true });
      assert.deepEqual((await api.call("GET", "/v1/me", { token: null })).json, {
        subject: "anonymous (insecure mode)",
        name: "anonymous (insecure mode)",
        role: "admin",
        via: "insecure",
      });
      const login = await api.call("GET", "/auth/login", { token: null });
      assert.equal(login.status, 404);
      assert.equal(login.json.detail, "this server runs without authentication (loopback only): no sign-in is needed");
    } finally {
      await api.close();
    }
  });
});

describe("sign-in settings", () => {
  const tokens = JSON.stringify([{ name: "portal", role: "operator", sha256: "0".repeat(64) }]);
  const oidc = { MESH_OIDC_ISSUER: "https://id.example.com/realms/mesh", MESH_OIDC_CLIENT_ID: "mesh-portal" };

  it("signs browsers in on loopback with the defaults: 8 h sessions, 30 min idle, a random secret", () => {
    const b = settingsFromEnv({ MESH_API_TOKENS: tokens }).browser!;
    assert.deepEqual([b.publicUrl, b.maxAgeMs, b.idleMs, b.secret.length, b.oidc], [undefined, 8 * HOUR, 30 * 60_000, 32, undefined]);
    assert.notDeepEqual(b.secret, settingsFromEnv({ MESH_API_TOKENS: tokens }).browser!.secret);
    assert.equal(
      settingsFromEnv({ MESH_API_TOKENS: tokens, MESH_API_HOST: "0.0.0.0" }).browser,
      undefined,
      "elsewhere only with MESH_PUBLIC_URL",
    );
    assert.equal(settingsFromEnv({ MESH_API_INSECURE: "loopback-only" }).browser, undefined);
    const set = settingsFromEnv({
      MESH_API_TOKENS: tokens,
      MESH_API_HOST: "0.0.0.0",
      MESH_PUBLIC_URL: "https://mesh.example.com/",
      MESH_SESSION_MAX_AGE: "12h",
      MESH_SESSION_IDLE: "15m",
      MESH_SESSION_SECRET: "x".repeat(40),
      MESH_CONSOLE_DIR: "/srv/console",
    });
    assert.deepEqual(
      [set.browser!.publicUrl, set.browser!.maxAgeMs, set.browser!.idleMs, set.browser!.secret.toString(), set.consoleDir],
      ["https://mesh.example.com", 12 * HOUR, 15 * 60_000, "x".repeat(40), "/srv/console"],
    );
  });

  it("takes OIDC sign-in alone (no bearer audience needed), its client secret from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-secret-"));
    writeFileSync(join(dir, "secret"), "client-secret-from-file\n");
    const s = settingsFromEnv({ ...oidc, MESH_PUBLIC_URL: "https://mesh.example.com", MESH_OIDC_CLIENT_SECRET_FILE: join(dir, "secret") });
    assert.equal(s.auth.oidc, undefined);
    assert.deepEqual(s.browser!.oidc, {
      issuer: "https://id.example.com/realms/mesh",
      clientId: "mesh-portal",
      clientSecret: "client-secret-from-file",
      scopes: ["openid", "profile", "email"],
    });
  });

  const refusals: [Record<string, string>, string][] = [
    [
      { MESH_API_TOKENS: tokens, MESH_PUBLIC_URL: "http://mesh.example.com" },
      "MESH_PUBLIC_URL: http://mesh.example.com is not https; session cookies travel over https only (http is for loopback)",
    ],
    [
      { MESH_API_TOKENS: tokens, MESH_PUBLIC_URL: "https://mesh.example.com/portal" },
      "MESH_PUBLIC_URL: give the origin only (https://mesh.example.com); the portal is served at its root",
    ],
    [
      { MESH_API_TOKENS: tokens, MESH_PUBLIC_URL: "mesh.example.com" },
      "MESH_PUBLIC_URL: mesh.example.com is not a URL; write the portal's address as browsers reach it, e.g. https://mesh.example.com",
    ],
    [{ MESH_API_TOKENS: tokens, MESH_SESSION_SECRET: "short" }, "MESH_SESSION_SECRET: at least 32 characters (e.g. openssl rand -hex 32)"],
    [
      { MESH_API_TOKENS: tokens, MESH_SESSION_IDLE: "forever" },
      "MESH_SESSION_IDLE forever: write a duration such as 90s, 10m or 1h (at most 24h)",
    ],
    [oidc, "MESH_OIDC_CLIENT_ID needs MESH_PUBLIC_URL, the portal's address as browsers reach it: the redirect URI is <it>/auth/callback"],
    [
      { ...oidc, MESH_OIDC_ISSUER: "http://id.example.com", MESH_PUBLIC_URL: "https://mesh.example.com" },
      "MESH_OIDC_ISSUER: http://id.example.com is not an https URL (http is for a provider on loopback)",
    ],
    [
      { ...oidc, MESH_PUBLIC_URL: "https://mesh.example.com", MESH_OIDC_SCOPES: "profile email" },
      "MESH_OIDC_SCOPES: profile email lacks openid, which sign-in needs",
    ],
    [
      { ...oidc, MESH_PUBLIC_URL: "https://mesh.example.com", MESH_OIDC_CLIENT_SECRET: "a", MESH_OIDC_CLIENT_SECRET_FILE: "/x" },
      "set MESH_OIDC_CLIENT_SECRET or MESH_OIDC_CLIENT_SECRET_FILE, not both",
    ],
    [
      { ...oidc, MESH_PUBLIC_URL: "https://mesh.example.com", MESH_OIDC_CLIENT_SECRET_FILE: "/nonexistent/secret" },
      "MESH_OIDC_CLIENT_SECRET_FILE: /nonexistent/secret cannot be read (ENOENT)",
    ],
    [{ ...oidc, MESH_API_INSECURE: "loopback-only" }, "MESH_API_INSECURE=loopback-only cannot be combined with tokens or OIDC"],
  ];
  for (const [env, message] of refusals)
    it(`refuses ${Object.entries(env)
      .filter(([k]) => k !== "MESH_API_TOKENS")
      .map(([k, v]) => `${k}=${v.slice(0, 30)}`)
      .join(" ")}`, () => {
      assert.throws(() => settingsFromEnv(env), { message });
    });
});

describe("returnTo", () => {
  it("keeps a path of this portal, and turns anything that leaves it into /", () => {
    const kept: [string, string][] = [
      ["/", "/"],
      ["/jobs/abc?tab=events#x", "/jobs/abc?tab=events#x"],
      ["/stacks/%2F%2Fevil.example", "/stacks/%2F%2Fevil.example"],
      ["/a/../b", "/b"],
    ];
    for (const [v, want] of kept) assert.equal(safeReturnTo(v), want, v);
    for (const v of [
      undefined,
      "",
      "jobs",
      "https://evil.example/",
      "//evil.example",
      "///evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "\\\\evil.example",
      "http:evil.example",
      "javascript:alert(1)",
      "/..//evil.example",
      "/%0a/evil",
      `/${"a".repeat(2001)}`,
    ])
      assert.equal(safeReturnTo(v), v === "/%0a/evil" ? "/%0a/evil" : "/", JSON.stringify(v));
  });
});
