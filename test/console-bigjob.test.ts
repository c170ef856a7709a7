/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * A job of ten thousand events in the console, in Debian's Chromium over the real API on loopback: every
 * event held and listed, a few dozen rows in the DOM, the last one reachable.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { TOKENS } from "./fixtures/api";
import { launchBrowser, noBrowser } from "./fixtures/chromium";
import { startConsole } from "./fixtures/console-server";

const skip = noBrowser();
let browser: Browser;

describe("a job of ten thousand events in the console", { skip }, () => {
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it("a job of ten thousand events: all of them held, a few dozen rows in the DOM, the end reachable", async () => {
    // each resource is three events (started, finished, progress); 1 ms each lets the store keep up
    const c = await startConsole({ role: "viewer", stepMs: 1, baseResources: 3334 });
    const up = await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    // the browser signs in while the job runs; its page is opened once the job has finished
    const { context, page, errors } = await c.open(browser);
    try {
      const done = await c.api.jobs.wait(up.json.id);
      assert.equal(done.state, "succeeded");
      const total = (await c.api.jobs.events(up.json.id, 0, 100_000)).length;
      assert.ok(total >= 10_000, String(total));
      await page.goto(`${c.url}/jobs/${up.json.id}`);
      await page.waitForFunction((n) => Number(document.querySelector(".event-list")?.getAttribute("data-count")) === n, total, {
        timeout: 60_000,
      });
      assert.ok((await page.locator("li.event").count()) < 100, "virtualised");
      await page.locator(".event-list").evaluate((e) => (e.scrollTop = e.scrollHeight));
      await page.locator(`li.event[data-seq="${total}"]`).waitFor();
      assert.match((await page.locator(`li.event[data-seq="${total}"]`).textContent()) ?? "", /job\.finished state=succeeded/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await c.close();
    }
  });
});
