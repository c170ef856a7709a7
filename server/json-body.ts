/**
 * Request bodies as JSON, refusing what Fastify's own parser refuses (a `__proto__` key anywhere, a
 * `constructor` key holding a `prototype`: prototype poisoning) but saying so, where Fastify's answer is
 * only that the body is not valid JSON.
 */
import { errorCodes, type FastifyInstance } from "fastify";

/** The error code of a body that parses but uses a forbidden key. */
export const FORBIDDEN_KEY = "MESH_BODY_FORBIDDEN_KEY";

const forbidden = (key: string, value: unknown): boolean =>
  key === "__proto__" || (key === "constructor" && typeof value === "object" && value !== null && Object.hasOwn(value, "prototype"));

export function parseJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
    try {
      // JSON.parse makes `__proto__` an own property, harmless here; the reviver refuses it before anyone merges it
      done(
        null,
        JSON.parse(text, (key, value: unknown) => {
          if (forbidden(key, value))
            throw Object.assign(new Error("the body may not use __proto__ or constructor keys"), { code: FORBIDDEN_KEY });
          return value;
        }),
      );
    } catch (e) {
      done((e as { code?: string }).code === FORBIDDEN_KEY ? (e as Error) : new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    }
  });
}
