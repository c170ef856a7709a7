/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * Verify from the console, in Debian's Chromium over the real API, against stand-in clusters where
 * cn-shanghai's sidecar lost wuxi's endpoints: a viewer starts a verify; the failing check comes first
 * with its code, detail and fix; the grid puts its row on top; the mesh page colours cn-shanghai as
 * failing; the control-plane page shows verify's revision checks beside each cluster.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { appears, axe, describeViolations, launchBrowser, noBrowser, screenshot } from "./fixtures/chromium";
import { meshSettled, startConsole, type ConsoleServer } from "./fixtures/console-server";

const skip = noBrowser();
let c: ConsoleServer;
let browser: Browser;

describe("verify in the console", { skip }, () => {
  before(async () => {
    c = await startConsole({ role: "viewer", failingVerify: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await c?.close();
  });

  it("a viewer starts a verify; the failing check is first, with its code, detail and fix; the grid agrees", async () => {
    const { context, page, errors } = await c.open(browser);
    try {
      await page.goto(`${c.url}/verify`);
      await page.getByText("No verify has run yet.").waitFor();
      await page.getByRole("button", { name: "Verify the mesh now" }).click();
      await page.waitForURL(/\/verify\/[a-z0-9]+-[0-9a-f]+$/);
      const id = page.url().split("/").at(-1)!;
      await page.locator("#run-title .badge", { hasText: "failed" }).waitFor({ timeout: 30_000 });
      const events = (await c.api.jobs.events(id, 0, 10_000)).filter((e) => e.type === "verify.check");
      const failing = events.filter((e) => e.type === "verify.check" && e.result !== "pass");
      assert.equal(failing.length, 1);
      const f = failing[0]!;
      assert.ok(f.type === "verify.check" && f.code === "MV0704" && f.fix);
      const first = page.locator("ul.findings li").first();
      assert.equal(await first.locator("code").textContent(), "MV0704");
      assert.equal(await first.locator(".badge").textContent(), "fail");
      assert.equal(await first.locator("p").nth(1).textContent(), f.detail);
      assert.equal(await first.locator("p.fix").textContent(), `Fix: ${f.fix}`);
      assert.equal(await page.locator("ul.findings li").count(), 1);
      // the grid: a row per check code, failures on top, a column per cluster
      const head = await page.locator("table.checks thead th").allTextContents();
      assert.deepEqual(head, ["Check", "cn-shanghai", "wuxi"]);
      const top = page.locator("table.checks tbody tr").first();
      assert.match((await top.locator("th").textContent()) ?? "", /^MV0704 endpoints/);
      assert.equal(await top.locator("td").first().textContent(), "fail");
      const codes = new Set(events.map((e) => (e.type === "verify.check" ? e.code : "")));
      assert.equal(await page.locator("table.checks tbody tr").count(), codes.size);
      const record = (await c.api.call("GET", `/v1/jobs/${id}`)).json;
      assert.equal(
        await page.locator(".counts-line").textContent(),
        `${record.verify.passed} passed, 1 failed, 0 warnings, 0 unreadable — ${record.verify.meaning}`,
      );
      const violations = await axe(page);
      assert.deepEqual(
        violations.map((v) => v.id),
        [],
        describeViolations(violations),
      );
      await screenshot(page, "verify-failing");
      // the mesh is coloured by it: cn-shanghai failing, wuxi verified
      await page.getByRole("link", { name: "Mesh" }).click();
      await appears(page, ".react-flow__node");
      await page.locator(".react-flow__node").first().waitFor();
      await meshSettled(page, 5);
      const labels = await page.locator(".react-flow__node").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
      assert.ok(
        labels.some((l) => l.startsWith("Cluster cn-shanghai,") && l.endsWith(", failing")),
        JSON.stringify(labels),
      );
      assert.ok(
        labels.some((l) => l.startsWith("Cluster wuxi,") && l.endsWith(", verified")),
        JSON.stringify(labels),
      );
      assert.ok(labels.includes("Service helloworld.dev.svc.cluster.local port 5000 in cn-shanghai: failing"), JSON.stringify(labels));
      // the control plane: verify's control-plane checks beside each cluster, and the command for the next step
      await page.getByRole("link", { name: "Control plane" }).click();
      await page.getByRole("heading", { level: 1, name: "Control plane" }).waitFor();
      assert.equal(await page.locator(".note code").textContent(), "npm run -s mesh -- upgrade --to <version> --write");
      const cp = events.filter((e) => e.type === "verify.check" && e.category === "control-plane" && e.cluster === "wuxi");
      assert.ok(cp.length > 0);
      await page.locator("section[aria-labelledby='cp-wuxi'] ul.findings li").first().waitFor();
      assert.equal(await page.locator("section[aria-labelledby='cp-wuxi'] ul.findings li").count(), cp.length);
      assert.deepEqual(await page.locator("section[aria-labelledby='cp-wuxi'] table").last().locator("tbody tr").allTextContents(), [
        "devistio-injection=enableddefault",
      ]);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
