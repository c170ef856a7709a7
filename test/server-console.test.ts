/**
 * The web console served by the API server, from a fixture build (test/fixtures/console-dist): strict
 * headers on every page, hashed assets cached as immutable, index.html (never cached) for deep links,
 * the API's paths never answered with the console, no file outside the folder or hidden in it, and a
 * plain page that says how to build the console when it is not there. And 405 with Allow for a method
 * a path does not take, and GET /v1/converge.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CONSOLE_CSP } from "../server/static";
import { startApi, TOKENS, type Api } from "./fixtures/api";

const DIST = join(__dirname, "fixtures", "console-dist");
const INDEX = readFileSync(join(DIST, "index.html"), "utf8");

describe("the web console", () => {
  let api: Api;
  before(async () => {
    api = await startApi({ consoleDir: DIST });
  });
  after(() => api.close());
  const get = (path: string) => fetch(`${api.url}${path}`);

  it("serves index.html at / and for deep links, never cached, with a strict policy", async () => {
    assert.equal(
      CONSOLE_CSP,
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    for (const path of ["/", "/jobs/mwz0000000-0000abcd", "/stacks/wuxi?tab=outputs", "/audit/"]) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.equal(await r.text(), INDEX);
      assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(r.headers.get("cache-control"), "no-cache");
      assert.equal(r.headers.get("content-security-policy"), CONSOLE_CSP);
      assert.equal(r.headers.get("x-frame-options"), "DENY");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.equal(r.headers.get("referrer-policy"), "no-referrer");
    }
  });

  it("serves hashed assets as immutable for a year, and root files uncached", async () => {
    const js = await get("/assets/app-3f2a1b9c.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "application/javascript; charset=utf-8");
    assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(await js.text(), readFileSync(join(DIST, "assets", "app-3f2a1b9c.js"), "utf8"));
    const css = await get("/assets/app-9c8d7e6f.css");
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(css.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const robots = await get("/robots.txt");
    assert.equal(robots.status, 200);
    assert.equal(robots.headers.get("cache-control"), "no-cache");
  });

  it("keeps the API's answers: an unknown /v1 or /auth path is a JSON 404, never the console", async () => {
    for (const path of [
      "/v1",
      "/v1/",
      "/v1/nope",
      "/v1/jobs/x/y/z",
      "/auth/nope",
      "/assets/missing-0000.js",
      "/favicon.ico",
      // however the path is spelled
      "/v1%2fnope",
      "/v1%2Fnope",
      "//v1/nope",
      "///auth/nope",
      "/V1/jobs",
      "/Auth/Nope",
      "/%76%31/nope",
      "/%2576%2531/nope",
      "/v1%5cnope",
      "/x/../v1/nope",
      "/./v1/nope",
      "/%2e%2e/v1/nope",
      "/V1",
    ]) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8", path);
      assert.equal(((await r.json()) as { detail: string }).detail, "no such route");
      assert.equal(r.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
    }
    assert.deepEqual(await (await get("/healthz")).json(), { status: "ok" });
    assert.equal((await get("/openapi.json")).headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await api.call("GET", "/v1/stacks", { token: null })).status, 401);
  });

  it("serves nothing outside its folder, and no hidden file", async () => {
    for (const path of [
      "/assets/..%2f..%2fapi.ts",
      "/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/api.ts",
      "/.env",
      "/assets/../../api.ts",
    ]) {
      const r = await get(path);
      const text = await r.text();
      assert.ok(
        !text.includes("startApi") && !text.includes('"dependencies"') && !text.includes("do-not-serve"),
        `${path}: ${r.status} ${text.slice(0, 80)}`,
      );
      assert.ok(r.status === 404 || r.status === 403 || (r.status === 200 && text === INDEX), `${path}: ${r.status}`);
    }
  });

  it("answers a method a path does not take with 405 and Allow (the console's pages only take GET)", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", "/v1/converge", "GET, HEAD, POST"],
      ["PUT", "/v1/jobs/mwz0000000-0000abcd", "GET, HEAD"],
      ["GET", "/v1/stacks/wuxi/up", "POST"],
      ["POST", "/healthz", "GET, HEAD"],
      ["PATCH", "/v1/audit", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const r = await api.call(method, path, { token: TOKENS.admin });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get("allow"), allow);
      assert.equal(r.json.title, "Method Not Allowed");
      assert.equal(r.json.detail, `${method} is not answered here; this path takes ${allow}`);
    }
    assert.equal((await api.call("POST", "/jobs/x", { token: TOKENS.admin })).status, 404);
    assert.ok(
      api.audit.some((l) => l.status === 405 && l.path === "/v1/converge"),
      "audited as a refusal",
    );
  });
});

describe("a server without a built console", () => {
  it("says how to build it, in plain text, at / and every page; the API works", async () => {
    const api = await startApi({ consoleDir: join(DIST, "not-built") });
    try {
      for (const path of ["/", "/jobs/1"]) {
        const r = await fetch(`${api.url}${path}`);
        assert.equal(r.status, 404);
        assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
        const text = await r.text();
        assert.ok(
          text.startsWith(`The mesh portal's web console is not built: ${join(DIST, "not-built", "index.html")} is missing.`),
          text,
        );
        assert.match(text, /MESH_CONSOLE_DIR/);
      }
      assert.equal((await api.call("GET", "/v1/stacks", { token: TOKENS.viewer })).status, 200);
    } finally {
      await api.close();
    }
  });
});

describe("GET /v1/converge", () => {
  it("lists the runs newest first, as many as asked (at most 100 a page)", async () => {
    const api = await startApi({ engine: { stepMs: 0 } });
    try {
      assert.deepEqual((await api.call("GET", "/v1/converge", { token: TOKENS.viewer })).json, { runs: [] });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator });
        assert.equal(r.status, 202);
        ids.push(r.json.id);
        const end = Date.now() + 30_000;
        while ((await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json.state === "running") {
          if (Date.now() > end) throw new Error("converge did not finish");
          await new Promise((res) => setTimeout(res, 20));
        }
      }
      const list = await api.call("GET", "/v1/converge", { token: TOKENS.viewer });
      assert.deepEqual(
        list.json.runs.map((r: { id: string }) => r.id),
        [...ids].reverse(),
      );
      assert.equal(list.json.runs[0].state, "settled");
      assert.deepEqual(
        (await api.call("GET", "/v1/converge?limit=1", { token: TOKENS.viewer })).json.runs.map((r: { id: string }) => r.id),
        [ids[2]],
      );
      const bad = await api.call("GET", "/v1/converge?limit=101", { token: TOKENS.viewer });
      assert.equal(bad.status, 400);
      assert.equal((await api.call("GET", "/v1/converge", { token: null })).status, 401);
    } finally {
      await api.close();
    }
  });
});
