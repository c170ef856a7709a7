/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * Running the mesh from the console, in Debian's Chromium over the real API on loopback: an operator
 * starts up and follows it live to success; a viewer sees the actions its role lacks disabled with the
 * reason; a 409 offers the running job; cancel shows the grace period; destroy needs the stack's name
 * typed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { TOKENS } from "./fixtures/api";
import { listedSeqs } from "./fixtures/console-events";
import { appears, launchBrowser, noBrowser, screenshot } from "./fixtures/chromium";
import { ACCOUNTS, startConsole } from "./fixtures/console-server";

const skip = noBrowser();
let browser: Browser;

describe("running jobs from the console", { skip }, () => {
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it("an operator starts up from the stack page and follows it to success, the count of resources done moving", async () => {
    const c = await startConsole({ role: "operator", stepMs: 60 });
    const { context, page, errors } = await c.open(browser);
    try {
      await page.goto(`${c.url}/stacks/cn-shanghai`);
      await page.getByRole("button", { name: "Up" }).click();
      await page.waitForURL(/\/jobs\/[a-z0-9]+-[0-9a-f]+$/);
      const id = page.url().split("/").at(-1)!;
      await page.getByRole("heading", { level: 1, name: /^up of cn-shanghai/ }).waitFor();
      await page.getByText("Live").waitFor();
      // from here on, every text the progress shows, recorded by the page itself as the text changes
      await page.evaluate(() => {
        const w = window as unknown as { progressSeen: string[] };
        w.progressSeen = [document.querySelector('[data-testid="progress-text"]')?.textContent ?? ""];
        new MutationObserver(() => {
          const text = document.querySelector('[data-testid="progress-text"]')?.textContent ?? "";
          if (w.progressSeen.at(-1) !== text) w.progressSeen.push(text);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      const ended = page.getByText("Stream ended: the job has finished");
      // a picture of the job live: once the count has moved twice, unless the job has ended by then
      await page.waitForFunction(
        () =>
          (window as unknown as { progressSeen: string[] }).progressSeen.length >= 3 || document.body.textContent?.includes("Stream ended"),
        undefined,
        { polling: 20 },
      );
      if (!(await ended.isVisible())) await screenshot(page, "job-live");
      await appears(page, '.connection[data-state="ended"]');
      await ended.waitFor();
      const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
      // the simulated engine knows how many resources the up has before it applies them: a percentage of a total
      const shown = seen.map((s) => /^(\d+) % \((\d+) of (\d+)\)$/.exec(s)).filter((m) => m !== null);
      const counts = shown.map((m) => Number(m[2]));
      assert.ok(counts.length >= 3, `the count moved: ${JSON.stringify(seen)}`);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        "only forward",
      );
      const total = Number(shown[0]![3]);
      assert.deepEqual(new Set(shown.map((m) => Number(m[3]))), new Set([total]), "one total throughout");
      assert.deepEqual(shown.at(-1)!.slice(1), ["100", String(total), String(total)], "ends at every resource done");
      await page.locator("h1 .badge", { hasText: "succeeded" }).waitFor();
      const record = (await c.api.call("GET", `/v1/jobs/${id}`)).json;
      assert.equal(record.state, "succeeded");
      assert.equal(record.requestedBy, ACCOUNTS.operator.login);
      assert.equal(await page.locator(".counts li.create .n").textContent(), String(record.summary.changes.create));
      const events = await c.api.jobs.events(id, 0, 10_000);
      assert.deepEqual(
        await listedSeqs(page),
        events.map((e) => e.seq),
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await c.close();
    }
  });

  it("a viewer sees up, refresh, destroy and cancel disabled with the role they need; preview stays open", async () => {
    const c = await startConsole({ role: "viewer", stepMs: 200 });
    const { context, page } = await c.open(browser);
    try {
      await page.goto(`${c.url}/stacks/wuxi`);
      for (const [name, need] of [
        ["Up", "operator"],
        ["Refresh", "operator"],
        ["Destroy…", "admin"],
      ] as const) {
        const button = page.getByRole("button", { name, exact: true });
        assert.equal(await button.isDisabled(), true, name);
        const reason = await button.evaluate((b) => document.getElementById(b.getAttribute("aria-describedby") ?? "")?.textContent);
        assert.equal(reason, `Needs the ${need} role; you are viewer.`);
      }
      assert.equal(await page.getByRole("button", { name: "Preview" }).isEnabled(), true);
      await screenshot(page, "stack-viewer");
      // the server agrees: a viewer's up is a 403
      assert.equal((await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.viewer })).status, 403);
      const up = await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      await page.goto(`${c.url}/jobs/${up.json.id}`);
      const cancel = page.getByRole("button", { name: "Cancel job" });
      await cancel.waitFor();
      assert.equal(await cancel.isDisabled(), true);
      assert.equal(await page.locator("#reason-cancel").textContent(), "Needs the operator role; you are viewer.");
      await page.getByRole("button", { name: "Preview" }).count();
      await page.goto(`${c.url}/stacks/wuxi`);
      await page.getByRole("button", { name: "Preview" }).click();
      await page.waitForURL(/\/jobs\//);
      await page.getByRole("heading", { level: 1, name: /^preview of wuxi/ }).waitFor();
      // the up was there to be a running job: it is stopped now rather than waited out
      await c.api.jobs.cancel(up.json.id);
      await c.api.jobs.wait(up.json.id);
    } finally {
      await context.close();
      await c.close();
    }
  });

  it("a 409 names the running job and offers to follow it; cancel shows the grace period and ends cancelled", async () => {
    const c = await startConsole({ role: "operator", stepMs: 300 });
    const { context, page } = await c.open(browser);
    try {
      const running = await c.api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
      await page.goto(`${c.url}/stacks/cn-shanghai`);
      await page.getByRole("button", { name: "Up" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.equal(
        await alert.locator("p").textContent(),
        `stack cn-shanghai has an up job running; wait for it or cancel it Follow job ${running.json.id}`,
      );
      await alert.getByRole("link", { name: `Follow job ${running.json.id}` }).click();
      await page.waitForURL(`${c.url}/jobs/${running.json.id}`);
      await page.getByText("Live").waitFor();
      await page.getByRole("button", { name: "Cancel job" }).click();
      await page.getByText("Cancelling: the engine has 0.2 sec to stop cleanly before it is stopped.").waitFor();
      await page.locator("h1 .badge", { hasText: "cancelled" }).waitFor();
      assert.equal((await c.api.call("GET", `/v1/jobs/${running.json.id}`)).json.state, "cancelled");
      assert.ok(c.api.audit.some((l) => l.action === "cancel" && l.status === 202 && l.actor === ACCOUNTS.operator.login));
    } finally {
      await context.close();
      await c.close();
    }
  });

  it("destroy needs the stack's name typed: the button stays disabled until it is, then the job starts", async () => {
    const c = await startConsole({ role: "admin", stepMs: 5 });
    const { context, page } = await c.open(browser);
    try {
      await c.api.jobs.wait((await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id);
      await page.goto(`${c.url}/stacks/wuxi`);
      await page.getByRole("button", { name: "Destroy…" }).click();
      const dialog = page.getByRole("dialog", { name: "Destroy stack wuxi" });
      await dialog.waitFor();
      const confirm = dialog.getByRole("button", { name: "Destroy wuxi" });
      assert.equal(await confirm.isDisabled(), true);
      const input = dialog.getByLabel("Type wuxi to confirm");
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.tagName),
        "INPUT",
        "focus moves into the dialog",
      );
      await input.fill("wux");
      assert.equal(await confirm.isDisabled(), true);
      await input.fill("cn-shanghai");
      assert.equal(await confirm.isDisabled(), true);
      await input.fill("wuxi");
      assert.equal(await confirm.isEnabled(), true);
      await screenshot(page, "destroy");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/jobs\//);
      await page.getByRole("heading", { level: 1, name: /^destroy of wuxi/ }).waitFor();
      const id = page.url().split("/").at(-1)!;
      const record = await c.api.jobs.wait(id);
      assert.equal(record.kind, "destroy");
      assert.equal(record.stack, "wuxi");
      assert.equal(record.options?.includeProtected, undefined, "protected resources stay unless asked");
      // Escape closes it without a job
      await page.goto(`${c.url}/stacks/cn-shanghai`);
      await page.getByRole("button", { name: "Destroy…" }).click();
      await page.keyboard.press("Escape");
      assert.equal(await page.getByRole("dialog").count(), 0);
      assert.equal((await c.api.call("GET", "/v1/jobs?kind=destroy")).json.jobs.length, 1);
    } finally {
      await context.close();
      await c.close();
    }
  });
});
