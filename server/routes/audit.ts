/** GET /v1/audit: the audit trail from the job store, newest first, filtered and paged, for admins. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { decodeAuditCursor } from "../../automation/store/audit";
import { AuditList, AuditQuerySchema } from "../auth-schemas";
import { problems } from "../portal";
import { problem } from "../problems";

export const auditRoutes: FastifyPluginAsyncZod = (app) => {
  const { jobs } = app.portal;
  app.get(
    "",
    { config: { role: "admin" }, schema: { querystring: AuditQuerySchema, response: { 200: AuditList, ...problems } } },
    async (req, reply) => {
      if (req.query.cursor !== undefined && !decodeAuditCursor(req.query.cursor))
        return void problem(reply, 400, "the cursor is not one this server gave", {
          errors: [{ path: "querystring/cursor", message: "pass the next of the previous page, or no cursor" }],
        });
      const page = await jobs.store.listAudit(req.query);
      return { entries: page.entries as never, ...(page.next ? { next: page.next } : {}) };
    },
  );
  return Promise.resolve();
};
