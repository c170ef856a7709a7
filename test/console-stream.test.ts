/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * A job's event stream in the console, in Debian's Chromium over the real API on loopback: the server
 * restarted mid-job and the page resumes the stream with Last-Event-ID, losing and repeating no event.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { listedSeqs } from "./fixtures/console-events";
import { appears, launchBrowser, noBrowser } from "./fixtures/chromium";
import { startConsole } from "./fixtures/console-server";

const skip = noBrowser();
let browser: Browser;

describe("a job's event stream in the console", { skip }, () => {
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it("the server restarted mid-job: the page says so, resumes with Last-Event-ID, and loses and repeats no event", async () => {
    const c = await startConsole({ role: "viewer" });
    const { context, page } = await c.open(browser);
    const lastEventIds: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/events")) lastEventIds.push(r.headers()["last-event-id"] ?? "");
    });
    try {
      // run by another process on the same store (the CLI, a second replica): it goes on while the server
      // restarts, its 23 steps of 150 ms lasting past the page's second try to reconnect, 1.5 s after the drop
      const id = (await c.runElsewhere("cn-shanghai", "up", 150)).id;
      await page.goto(`${c.url}/jobs/${id}`);
      await page.waitForFunction(() => Number(document.querySelector(".event-list")?.getAttribute("data-count")) >= 6);
      const restarting = c.restart();
      await page.getByText("Connection lost; resuming from the last event…").waitFor();
      await restarting;
      await appears(page, '.connection[data-state="ended"]');
      await page.getByText("Stream ended: the job has finished").waitFor({ timeout: 30_000 });
      const record = (await c.api.call("GET", `/v1/jobs/${id}`)).json;
      assert.equal(record.state, "succeeded");
      await page.locator("h1 .badge", { hasText: "succeeded" }).waitFor();
      const events = await c.api.jobs.events(id, 0, 10_000);
      const seqs = await listedSeqs(page);
      assert.deepEqual(
        seqs,
        events.map((e) => e.seq),
        "every event once, in order",
      );
      assert.equal(Number(await page.locator(".event-list").getAttribute("data-count")), events.length, "no duplicate held");
      assert.equal(lastEventIds[0], "", "the first request starts from the beginning");
      const resumed = lastEventIds.slice(1).map(Number);
      assert.ok(resumed.length >= 1 && resumed.every((n) => n >= 6), JSON.stringify(lastEventIds));
    } finally {
      await context.close();
      await c.close();
    }
  });
});
