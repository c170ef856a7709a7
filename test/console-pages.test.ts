/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * The console's pages in Debian's Chromium over the real API on loopback (simulated engine, stand-in
 * clusters): each page renders its API facts and axe-core finds no violation in the light or the dark
 * theme. Each page's screenshot is written for docs/console.md.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { appears, axe, describeViolations, launchBrowser, noBrowser, screenshot } from "./fixtures/chromium";
import { consolePages, startConsole, type ConsoleServer } from "./fixtures/console-server";

const skip = noBrowser();
let c: ConsoleServer;
let browser: Browser;
let upId: string;
let verifyId: string;
let convergeId: string;

describe("the console's pages", { skip }, () => {
  before(async () => {
    c = await startConsole({ role: "admin", stepMs: 5 });
    ({ upId, convergeId, verifyId } = await c.seed());
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await c?.close();
  });

  const pages = () => consolePages({ upId, convergeId, verifyId });

  for (const scheme of ["light", "dark"] as const) {
    it(`every page has zero axe-core violations in the ${scheme} theme, and its screenshot is written`, async () => {
      const { context, page, errors } = await c.open(browser, { colorScheme: scheme });
      try {
        for (const p of pages()) {
          await page.goto(`${c.url}${p.path}`);
          await appears(page, "h1");
          await page.getByRole("heading", { level: 1, name: p.heading }).waitFor();
          // the page's data has arrived: no loading line left
          await page.waitForFunction(() => !document.querySelector('[role="status"].muted'));
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, scheme === "dark" ? "rgb(13, 17, 23)" : "rgb(255, 255, 255)", "the theme follows the system");
          const violations = await axe(page);
          assert.deepEqual(
            violations.map((v) => v.id),
            [],
            `${p.path} (${scheme}):\n${describeViolations(violations)}`,
          );
          await screenshot(page, scheme === "light" ? p.name : `${p.name}-dark`);
        }
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
});
