/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * Finding one's way in the console, in Debian's Chromium over the real API on loopback: the mesh graph's
 * nodes and edges take focus and have names, the keyboard alone reaches every action on every page, a
 * deep link survives a reload, times are in the viewer's zone, and the Chinese locale comes from the
 * browser's preference and can be switched.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { appears, axe, describeViolations, keyboardReach, launchBrowser, noBrowser, screenshot } from "./fixtures/chromium";
import { consolePages, meshSettled, startConsole, type ConsoleServer } from "./fixtures/console-server";

const skip = noBrowser();
let c: ConsoleServer;
let browser: Browser;
let upId: string;
let verifyId: string;
let convergeId: string;

describe("finding one's way in the console", { skip }, () => {
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

  it("the mesh page draws every cluster, service, trust edge and link as a focusable element with a name", async () => {
    const { context, page } = await c.open(browser);
    try {
      await page.goto(`${c.url}/mesh`);
      await appears(page, ".react-flow__node");
      await page.locator(".react-flow__node").first().waitFor();
      await meshSettled(page, 5);
      const nodes = await page
        .locator(".react-flow__node")
        .evaluateAll((els) => els.map((e) => [e.getAttribute("tabindex"), e.getAttribute("aria-label")]));
      const edges = await page
        .locator(".react-flow__edge")
        .evaluateAll((els) => els.map((e) => [e.getAttribute("tabindex"), e.getAttribute("aria-label")]));
      // the root, two clusters and helloworld in each
      assert.equal(nodes.length, 5);
      assert.ok(
        nodes.every(([tab]) => tab === "0"),
        JSON.stringify(nodes),
      );
      assert.ok(
        nodes.some(([, l]) =>
          /^Cluster cn-shanghai, network network-cn-shanghai, gateway LoadBalancer .*, istiod default@1\.30\.3, tags —, API outputs read, verified$/.test(
            l ?? "",
          ),
        ),
        JSON.stringify(nodes),
      );
      assert.ok(
        nodes.some(
          ([, l]) =>
            l ===
            "Cluster wuxi, network network-wuxi, gateway NodePort 10.18.10.196:30880, istiod default@1.30.3, tags —, API outputs read, verified",
        ),
        JSON.stringify(nodes),
      );
      assert.ok(
        nodes.some(([, l]) => l === "Service helloworld.dev.svc.cluster.local port 5000 in wuxi: verified"),
        JSON.stringify(nodes),
      );
      // two trust edges, two catalog edges, the two remote-secret links
      assert.equal(edges.length, 6);
      assert.ok(
        edges.every(([tab]) => tab === "0"),
        JSON.stringify(edges),
      );
      assert.deepEqual(
        edges
          .map(([, l]) => l)
          .filter((l) => l?.startsWith("istiod of"))
          .sort(),
        ["istiod of cn-shanghai reads the API server of wuxi: linked", "istiod of wuxi reads the API server of cn-shanghai: linked"].sort(),
      );
      await page.locator(".react-flow__node").first().focus();
      assert.equal(await page.evaluate(() => document.activeElement?.classList.contains("react-flow__node")), true);
    } finally {
      await context.close();
    }
  });

  it("the keyboard alone reaches every action on every page", async () => {
    const { context, page } = await c.open(browser);
    try {
      for (const p of pages()) {
        await page.goto(`${c.url}${p.path}`);
        await appears(page, "h1");
        await page.getByRole("heading", { level: 1, name: p.heading }).waitFor();
        await page.waitForFunction(() => !document.querySelector('[role="status"].muted'));
        const r = await keyboardReach(page);
        assert.deepEqual(r.missed, [], `${p.path}: Tab never reached these`);
        assert.ok(r.reached >= 8, `${p.path}: ${r.reached}`);
      }
    } finally {
      await context.close();
    }
  });

  it("a deep link survives a reload: the filtered job list and a job's page", async () => {
    const { context, page } = await c.open(browser);
    try {
      await page.goto(`${c.url}/jobs`);
      await page.getByLabel("Stack").selectOption("cn-shanghai");
      await page.getByLabel("Kind").selectOption("up");
      await page.waitForURL(/\/jobs\?stack=cn-shanghai&kind=up$/);
      await page.reload();
      // the stacks' options arrive with GET /v1/stacks
      await page.locator('select option[value="cn-shanghai"]').waitFor({ state: "attached" });
      assert.equal(await page.getByLabel("Stack").inputValue(), "cn-shanghai");
      assert.equal(await page.getByLabel("Kind").inputValue(), "up");
      const rows = page.locator("table.jobs tbody tr");
      await rows.first().waitFor();
      const kinds = await rows.locator("td:nth-child(2)").allTextContents();
      const stacks = await rows.locator("td:nth-child(3)").allTextContents();
      const api = (await c.api.call("GET", "/v1/jobs?stack=cn-shanghai&kind=up&limit=25")).json.jobs;
      assert.equal(kinds.length, api.length);
      assert.ok(kinds.every((k) => k === "up") && stacks.every((s) => s === "cn-shanghai"));
      await page.goto(`${c.url}/jobs/${upId}`);
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "up of cn-shanghai" }).waitFor();
      assert.equal(await page.locator("dl.meta code").first().textContent(), upId);
    } finally {
      await context.close();
    }
  });

  it("times are in the viewer's zone: the same job reads 8 hours ahead in Shanghai of London", async () => {
    const created: Record<string, string> = {};
    for (const tz of ["Asia/Shanghai", "Europe/London"]) {
      const { context, page } = await c.open(browser, { timezoneId: tz });
      try {
        await page.goto(`${c.url}/jobs/${upId}`);
        created[tz] = (await page.locator(`dl.meta time`).first().textContent()) ?? "";
      } finally {
        await context.close();
      }
    }
    const record = (await c.api.call("GET", `/v1/jobs/${upId}`)).json;
    const expect = (tz: string) =>
      new Intl.DateTimeFormat("en", {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        timeZoneName: "short",
        timeZone: tz,
      }).format(new Date(record.createdAt));
    assert.equal(created["Asia/Shanghai"], expect("Asia/Shanghai"));
    assert.equal(created["Europe/London"], expect("Europe/London"));
    assert.match(created["Asia/Shanghai"], /GMT\+8$/);
  });

  it("speaks Simplified Chinese to a browser that prefers it, and switches to English and back", async () => {
    const { context, page, errors } = await c.open(browser, { locale: "zh-CN" });
    try {
      await page.goto(`${c.url}/stacks/cn-shanghai`);
      await page.getByRole("heading", { level: 1, name: "栈 cn-shanghai" }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
      assert.deepEqual(await page.getByRole("navigation", { name: "页面" }).getByRole("link").allTextContents(), [
        "网格",
        "作业",
        "收敛",
        "校验",
        "控制平面",
        "审计",
      ]);
      assert.ok(await page.getByRole("button", { name: "部署 (up)" }).isEnabled());
      const violations = await axe(page);
      assert.deepEqual(
        violations.map((v) => v.id),
        [],
        describeViolations(violations),
      );
      await screenshot(page, "stack-zh");
      await page.getByRole("combobox", { name: "语言" }).selectOption("en");
      await page.getByRole("heading", { level: 1, name: "Stack cn-shanghai" }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Stack cn-shanghai" }).waitFor();
      await page.getByRole("combobox", { name: "Language" }).selectOption("zh-CN");
      await page.getByRole("heading", { level: 1, name: "栈 cn-shanghai" }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
