/** Liveness, readiness (503 while closing or while the job store cannot be written) and the OpenAPI document. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { problem, STORE_RETRY_AFTER_S } from "../problems";
import { Health, Problem } from "../schemas";

export const healthRoutes: FastifyPluginAsyncZod = (app) => {
  const portal = app.portal;
  app.get("/healthz", { schema: { response: { 200: Health } } }, () => ({ status: "ok" }));
  app.get("/readyz", { schema: { response: { 200: Health, 503: Problem } } }, async (_req, reply) => {
    if (portal.closing) return void problem(reply, 503, "shutting down");
    const store = await portal.jobs.store.health();
    if (!store.writable) {
      portal.deps.onStoreUnwritable?.(store.detail ?? "unwritable");
      reply.header("retry-after", String(STORE_RETRY_AFTER_S));
      return void problem(reply, 503, `the ${store.kind} job store cannot be written; jobs cannot start (the server's log says why)`);
    }
    return { status: "ready" };
  });
  app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
  return Promise.resolve();
};
