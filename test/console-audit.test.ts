/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * The audit page, in Debian's Chromium against the portal server, each browser signed in through the
 * OpenID provider: an admin reads the server's audit rows and filters them (the filters in the
 * address); a viewer gets the page's refusal, and the page asks the server nothing it would refuse.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { TOKENS } from "./fixtures/api";
import { launchBrowser, noBrowser, openPage } from "./fixtures/chromium";
import { ACCOUNTS, startConsole, type ConsoleServer } from "./fixtures/console-server";

const skip = noBrowser();
let c: ConsoleServer;
let browser: Browser;

/** The table's rows: who, action, status. */
const rows = (page: Page) =>
  page.locator("table.audit tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll("td")];
      return [cells[1]!.firstChild?.textContent ?? "", cells[2]!.querySelector("code")!.textContent, cells[3]!.textContent];
    }),
  );

describe("the console's audit page", { skip }, () => {
  before(async () => {
    c = await startConsole({ role: "admin", stepMs: 5 });
    assert.equal((await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.viewer })).status, 403);
    const up = await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    assert.equal(up.status, 202);
    await c.api.jobs.wait(up.json.id);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await c?.close();
  });

  it("an admin reads the audit rows, newest first, and filters them by who", async () => {
    const { context, page, errors } = await c.open(browser);
    try {
      await page.goto(`${c.url}/audit`);
      await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
      await page.locator("table.audit tbody tr").first().waitFor();
      assert.deepEqual(await rows(page), [
        [ACCOUNTS.admin.login, "sign-in", "302"],
        ["operator-bot", "up", "202"],
        ["viewer-bot", "up", "403"],
      ]);
      await page.getByRole("textbox", { name: "Who" }).fill("viewer-bot");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(`${c.url}/audit?actor=viewer-bot`);
      await page.waitForFunction(() => document.querySelectorAll("table.audit tbody tr").length === 1);
      assert.deepEqual(await rows(page), [["viewer-bot", "up", "403"]]);
      assert.match((await page.locator("table.audit tbody tr td").last().textContent()) ?? "", /operator/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it("a viewer gets the page's refusal, and the page asks nothing of GET /v1/audit, which the server refuses it", async () => {
    const { context, page } = await openPage(browser);
    const asked: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/v1/audit") asked.push(r.url());
    });
    try {
      await c.signIn(page, "viewer", "/audit");
      await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
      await page.getByText("Needs the admin role; you are viewer.").waitFor();
      assert.equal(await page.locator("table.audit").count(), 0);
      assert.deepEqual(asked, []);
      const status = await page.evaluate(async () => (await fetch("/v1/audit")).status);
      assert.equal(status, 403);
    } finally {
      await context.close();
    }
  });
});
