/**
 * A route group is a Fastify plugin that runs alone over a `portal` decoration: here the health routes,
 * on a bare instance with a stand-in store, without the edge or any other group.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Portal } from "../server/portal";
import { healthRoutes } from "../server/routes/health";

async function healthOnly(store: { writable: boolean; detail?: string }) {
  const told: string[] = [];
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const portal = {
    closing: false,
    jobs: { store: { health: () => Promise.resolve({ kind: "sqlite", ...store }) } },
    deps: { onStoreUnwritable: (d: string) => told.push(d) },
  } as unknown as Portal;
  app.decorate("portal", portal);
  await app.register(healthRoutes);
  await app.ready();
  return { app, portal, told };
}

describe("the health routes as a plugin of their own", () => {
  it("answers ready while the store is writable, and 503 with the store's kind once it is not, telling the log why", async () => {
    const ok = await healthOnly({ writable: true });
    const ready = await ok.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: "ready" });
    await ok.app.close();

    const full = await healthOnly({ writable: false, detail: "SQLITE_FULL: database or disk is full" });
    const refused = await full.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers["content-type"], "application/problem+json; charset=utf-8");
    assert.equal(refused.json().detail, "the sqlite job store cannot be written; jobs cannot start (the server's log says why)");
    assert.deepEqual(full.told, ["SQLITE_FULL: database or disk is full"]);
    assert.equal((await full.app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    await full.app.close();
  });

  it("answers 503 shutting down once the portal is closing, whatever the store says", async () => {
    const { app, portal } = await healthOnly({ writable: true });
    portal.closing = true;
    const r = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().detail, "shutting down");
    await app.close();
  });
});
