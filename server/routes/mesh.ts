/** The mesh plan of the project's stack files, as `mesh plan --format json` prints it. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { problems } from "../portal";
import { MeshPlanSchema } from "../schemas";

export const meshRoutes: FastifyPluginAsyncZod = (app) => {
  const { deps } = app.portal;
  app.get(
    "/v1/mesh",
    { config: { role: "viewer" }, schema: { response: { 200: MeshPlanSchema, ...problems } } },
    () => deps.plan() as unknown as Record<string, unknown>,
  );
  return Promise.resolve();
};
