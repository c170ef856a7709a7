/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * Signing in to the console, in Debian's Chromium: a browser with no session gets the sign-in page,
 * offering the server's ways in (the identity provider, a token form that keeps no token), carrying the
 * page it came for as returnTo; the page has zero axe-core violations in both themes and the keyboard
 * reaches both ways in.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { axe, describeViolations, keyboardReach, launchBrowser, noBrowser, openPage, screenshot } from "./fixtures/chromium";
import { startConsole, type ConsoleServer } from "./fixtures/console-server";

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
});
