/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * Signing in to the console, in Debian's Chromium against the portal server with OIDC sign-in set up
 * against a real OpenID provider and static tokens: a browser with no session gets the sign-in page,
 * offering both ways in, carrying the page it came for as returnTo (zero axe-core violations in both
 * themes, the keyboard reaches both); the code flow signs in and sign-out ends the session; the token
 * form leaves the token nowhere in the browser; a request that changes something needs the session's
 * CSRF token.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { axe, describeViolations, keyboardReach, launchBrowser, noBrowser, openPage, screenshot } from "./fixtures/chromium";
import { TOKENS } from "./fixtures/api";
import { ACCOUNTS, startConsole, type ConsoleServer } from "./fixtures/console-server";

const skip = noBrowser();
let c: ConsoleServer;
let browser: Browser;

describe("signing in to the console", { skip }, () => {
  before(async () => {
    c = await startConsole({ role: "signed-out" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await c?.close();
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`a browser with no session gets the sign-in page, keeping the address it came for (${scheme} theme)`, async () => {
      const { context, page, errors } = await openPage(browser, { colorScheme: scheme });
      try {
        await page.goto(`${c.url}/jobs?kind=up`);
        await page.getByRole("heading", { level: 1, name: "Sign in to the mesh console" }).waitFor();
        const oidc = page.getByRole("link", { name: "Sign in with your identity provider" });
        assert.equal(await oidc.getAttribute("href"), "/auth/login?returnTo=%2Fjobs%3Fkind%3Dup");
        const token = page.getByRole("textbox", { name: "Token" });
        assert.equal(await token.getAttribute("type"), "password");
        assert.equal(await token.getAttribute("autocomplete"), "off");
        const violations = await axe(page);
        assert.deepEqual(
          violations.map((v) => v.id),
          [],
          describeViolations(violations),
        );
        if (scheme === "light") await screenshot(page, "sign-in");
        const reach = await keyboardReach(page);
        assert.deepEqual(reach.missed, []);
        // the one expected error: GET /v1/me's 401, which is how the console learns nobody is signed in
        assert.deepEqual(
          errors.filter((e) => !e.includes("401")),
          [],
        );
      } finally {
        await context.close();
      }
    });
  }

  it("signs in through the identity provider's code flow, back on the page it came for, and signs out, ending the session", async () => {
    const { context, page, errors } = await openPage(browser);
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    try {
      await page.goto(`${c.url}/jobs?kind=up`);
      await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
      await page.waitForURL((u) => u.origin === c.issuer);
      await page.getByRole("textbox", { name: "Account" }).fill(ACCOUNTS.admin.login);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${c.url}/jobs?kind=up`);
      await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
      const menu = page.locator("details.user-menu");
      assert.equal((await menu.locator("summary").textContent())?.replace(/\s+/g, " ").trim(), `${ACCOUNTS.admin.name} admin`);
      const [session] = await context.cookies(c.url);
      assert.deepEqual(
        (await context.cookies(c.url)).map((k) => [k.name, k.httpOnly, k.sameSite, k.path]),
        [["mesh_session", true, "Strict", "/"]],
      );
      // HttpOnly: the page's scripts cannot read it
      assert.equal(await page.evaluate(() => document.cookie), "");
      await menu.locator("summary").click();
      assert.match((await menu.getByRole("group", { name: "Signed-in user" }).textContent()) ?? "", /through the identity provider/);
      await menu.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { level: 1, name: "Sign in to the mesh console" }).waitFor();
      assert.deepEqual(await context.cookies(c.url), []);
      // the server ended the session: its cookie, kept by someone, no longer signs anyone in
      const replay = await fetch(`${c.url}/v1/me`, { headers: { cookie: `mesh_session=${session!.value}` } });
      assert.equal(replay.status, 401);
      const trail = (await c.api.jobs.store.listAudit({ actor: ACCOUNTS.admin.login, limit: 10 })).entries.map((l) => [l.action, l.status]);
      assert.deepEqual(trail, [
        ["sign-out", 204],
        ["sign-in", 302],
      ]);
      // GET /v1/me's 401 before the sign-in and after the sign-out: how the console learns nobody is signed in
      assert.deepEqual(failed, [`401 GET ${c.url}/v1/me`, `401 GET ${c.url}/v1/me`]);
      assert.deepEqual(
        errors.filter((e) => !e.includes("401")),
        [],
      );
    } finally {
      await context.close();
    }
  });

  it("the token form exchanges the token for a session cookie once and keeps it nowhere in the browser", async () => {
    const { context, page } = await openPage(browser);
    const token = TOKENS.operator;
    const carried: string[] = [];
    const authorization: string[] = [];
    page.on("request", (r) => {
      if ((r.postData() ?? "").includes(token) || r.url().includes(token)) carried.push(`${r.method()} ${new URL(r.url()).pathname}`);
      if (r.headers().authorization !== undefined) authorization.push(r.url());
    });
    try {
      await page.goto(`${c.url}/stacks/wuxi`);
      const field = page.getByRole("textbox", { name: "Token" });
      await field.fill("not-a-token-of-this-server");
      await page.getByRole("button", { name: "Sign in with the token" }).click();
      await page.getByText("the token is not valid").waitFor();
      assert.deepEqual(await context.cookies(c.url), []);
      await field.fill(token);
      await page.getByRole("button", { name: "Sign in with the token" }).click();
      await page.getByRole("heading", { level: 1, name: "Stack wuxi" }).waitFor();
      assert.equal((await page.locator("details.user-menu summary").textContent())?.replace(/\s+/g, " ").trim(), "operator-bot operator");
      assert.deepEqual(carried, ["POST /auth/token"], "sent once, in a POST body");
      assert.deepEqual(authorization, [], "never as a header");
      const cookies = await context.cookies(c.url);
      assert.deepEqual(
        cookies.map((k) => [k.name, k.httpOnly, k.sameSite]),
        [["mesh_session", true, "Strict"]],
      );
      assert.notEqual(cookies[0]!.value, token);
      const kept = await page.evaluate(() => ({
        local: Object.entries(localStorage),
        session: Object.entries(sessionStorage),
        cookie: document.cookie,
        html: document.documentElement.outerHTML,
        history: JSON.stringify(history.state),
      }));
      assert.equal(kept.cookie, "");
      for (const [where, what] of Object.entries(kept)) assert.ok(!JSON.stringify(what).includes(token), `the token is kept in ${where}`);
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Stack wuxi" }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("a signed-in browser's request that changes something without the session's X-CSRF-Token is refused 403", async () => {
    const { context, page } = await openPage(browser);
    try {
      await c.signIn(page, "operator", "/jobs");
      await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
      // one request per X-CSRF-Token: none, a wrong one, the session's (from GET /v1/me, as the console does)
      const answers = await page.evaluate(async () => {
        const me = (await (await fetch("/v1/me")).json()) as { csrfToken: string };
        const out: { status: number; body: { detail?: string; id?: string } }[] = [];
        for (const csrf of [undefined, `${me.csrfToken.slice(1)}x`, me.csrfToken]) {
          const r = await fetch("/v1/stacks/wuxi/preview", {
            method: "POST",
            headers: { "content-type": "application/json", "x-requested-by": "mesh-console", ...(csrf ? { "x-csrf-token": csrf } : {}) },
            body: "{}",
          });
          out.push({ status: r.status, body: (await r.json()) as { detail?: string; id?: string } });
        }
        return { without: out[0]!, wrong: out[1]!, with: out[2]! };
      });
      const refusal = "a signed-in browser's request that changes anything needs the X-CSRF-Token header: the csrfToken of GET /v1/me";
      assert.equal(answers.without.status, 403);
      assert.equal(answers.without.body.detail, refusal);
      assert.equal(answers.wrong.status, 403);
      assert.equal(answers.wrong.body.detail, refusal);
      assert.equal(answers.with.status, 202, JSON.stringify(answers.with.body));
      const previews = (await c.api.call("GET", "/v1/jobs?stack=wuxi&kind=preview")).json.jobs as { id: string; requestedBy: string }[];
      assert.deepEqual(
        previews.map((j) => [j.id, j.requestedBy]),
        [[answers.with.body.id, ACCOUNTS.operator.login]],
        "only the request with the token made a job",
      );
      await c.api.jobs.wait(answers.with.body.id!);
    } finally {
      await context.close();
    }
  });
});
