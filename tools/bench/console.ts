/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: their code is typed against the DOM
/**
 * The console's figures, on loopback in Debian's Chromium: the gzipped size of the built assets (what
 * the first page load fetches, and the mesh page's lazily loaded graph), the first load of the mesh page
 * (navigation to first contentful paint, and to the topology drawn) with an empty cache, and the time to
 * render a job of ten thousand events (navigation to every event held and listed, then a jump to the
 * last). Needs `npm run build` (npm ci runs it) and the chromium package.
 *
 *   npm run bench -- console
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { BrowserContext } from "playwright-core";
import { TOKENS } from "../../test/fixtures/api";
import { launchBrowser, noBrowser } from "../../test/fixtures/chromium";
import { DIST, startConsole } from "../../test/fixtures/console-server";

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, ${xs.length} runs)`;

/** Gzipped sizes (level 9, as a proxy's gzip would at best) of what index.html loads, and of the rest. */
function bundle(): void {
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const assets = readdirSync(join(DIST, "assets"));
  let initial = 0;
  let lazy = 0;
  console.log("bundle (console/dist/assets), gzip -9:");
  for (const f of assets.sort()) {
    const raw = readFileSync(join(DIST, "assets", f));
    const gz = gzipSync(raw, { level: 9 }).length;
    const first = html.includes(`/assets/${f}`);
    if (first) initial += gz;
    else lazy += gz;
    console.log(
      `  ${f.padEnd(32)} ${kib(raw.length).padStart(10)} raw ${kib(gz).padStart(10)} gzipped${first ? "  (first load)" : "  (mesh page, loaded with it)"}`,
    );
  }
  const htmlGz = gzipSync(Buffer.from(html), { level: 9 }).length;
  console.log(
    `  first load: ${kib(initial + htmlGz)} gzipped (index.html included); with the mesh page's graph: ${kib(initial + lazy + htmlGz)}`,
  );
}

async function main(): Promise<void> {
  bundle();
  const why = noBrowser();
  if (why) return void console.log(`browser figures skipped: ${why}`);
  const browser = await launchBrowser();
  const c = await startConsole({ role: "viewer", stepMs: 1, baseResources: 3334 });
  // a session cookie from the server's token sign-in, without loading a page: the cache stays empty
  const signIn = async (context: BrowserContext) => {
    const r = await context.request.post(`${c.url}/auth/token`, { data: { token: TOKENS.viewer } });
    if (r.status() !== 200) throw new Error(`token sign-in: ${r.status()} ${await r.text()}`);
  };
  try {
    await c.api.jobs.wait((await c.api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator })).json.id);
    await c.verify();
    const fcp: number[] = [];
    const drawn: number[] = [];
    for (let i = 0; i < 7; i++) {
      // a new context each time: an empty cache, a first visit
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await signIn(context);
      const page = await context.newPage();
      await page.goto(`${c.url}/mesh`);
      await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length >= 5);
      const t = await page.evaluate(() => ({
        fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
        drawn: performance.now(),
      }));
      fcp.push(t.fcp);
      drawn.push(t.drawn);
      await context.close();
    }
    console.log(`mesh page, first load on loopback: first contentful paint ${spread(fcp)}; topology drawn ${spread(drawn)}`);

    const big = await c.api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    await c.api.jobs.wait(big.json.id);
    const total = (await c.api.jobs.events(big.json.id, 0, 100_000)).length;
    const rendered: number[] = [];
    const jump: number[] = [];
    let rows = 0;
    for (let i = 0; i < 3; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await signIn(context);
      const page = await context.newPage();
      await page.goto(`${c.url}/jobs/${big.json.id}`);
      await page.waitForFunction((n) => Number(document.querySelector(".event-list")?.getAttribute("data-count")) === n, total, {
        timeout: 120_000,
      });
      rendered.push(await page.evaluate(() => performance.now()));
      rows = await page.locator("li.event").count();
      jump.push(
        await page.evaluate(async (n) => {
          // no named function here: tsx's keepNames would wrap it in a __name call the page does not have
          const list = document.querySelector<HTMLElement>(".event-list")!;
          list.scrollTop = 0;
          while (document.querySelector(`li.event[data-seq="${n}"]`)) await new Promise((r) => requestAnimationFrame(r));
          const t = performance.now();
          list.scrollTop = list.scrollHeight;
          while (!document.querySelector(`li.event[data-seq="${n}"]`)) await new Promise((r) => requestAnimationFrame(r));
          return performance.now() - t;
        }, total),
      );
      await context.close();
    }
    console.log(
      `a job of ${total} events: navigation to all of them listed ${spread(rendered)}; ${rows} rows in the DOM; a jump to the last event ${spread(jump)}`,
    );
  } finally {
    await browser.close();
    await c.close();
  }
}

export const benchConsole = main;
