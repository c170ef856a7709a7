/**
 * The web console, served from its built folder: `/assets/*` (hashed file names, so cached for a year as
 * immutable), files at the folder's root, and `index.html` (never cached) for every other path, so a deep
 * link opens the console on its page. The API keeps its own: an unknown `/v1/...` or `/auth/...` path
 * stays a JSON 404. Every page carries a Content-Security-Policy with no inline script or style, no
 * framing. Without a built console, a short plain page says how to build one.
 */
import { existsSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const NOT_BUILT = (dir: string) =>
  `The mesh portal's web console is not built: ${join(dir, "index.html")} is missing.\n\n` +
  `Build the console (its folder's README says how) so that it writes that folder, or set MESH_CONSOLE_DIR to a built console.\n` +
  `The API is served meanwhile: /v1 (described at /openapi.json), /auth, /healthz, /readyz.\n`;

/** API prefixes the console's catch-all must leave alone (of a path decoded, its slashes collapsed, any case). */
const API = /^\/(v1|auth)(\/|$)/i;

/**
 * Whether a request's path is the API's, however it is spelled: `/v1%2fnope`, `//v1/nope`, `/V1/jobs`,
 * `/%2576%31/x` are no page of the console. Percent-escapes are undone until none is left (or the path is
 * not valid UTF-8, which no page's is), backslashes read as slashes, runs of slashes as one, and `.` and
 * `..` segments resolved.
 */
export function isApiPath(rawPath: string): boolean {
  let path = rawPath;
  for (let i = 0; i < 5 && path.includes("%"); i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      return true;
    }
  }
  return API.test(posix.normalize(path.replaceAll("\\", "/")));
}

export async function serveConsole(app: FastifyInstance, dir: string): Promise<void> {
  const root = resolve(dir);
  await app.register(fastifyStatic, { root, serve: false, dotfiles: "ignore", index: false });
  const page = (reply: FastifyReply) => reply.header("content-security-policy", CONSOLE_CSP).header("x-frame-options", "DENY");
  const config = { fallback: true };
  const schema = { hide: true };

  app.get("/assets/*", { config, schema }, (req, reply) => {
    const file = (req.params as { "*": string })["*"];
    return page(reply).sendFile(join("assets", file), root, { immutable: true, maxAge: "365d", cacheControl: true });
  });
  app.get("/*", { config, schema }, (req, reply) => {
    const path = req.url.split("?")[0]!;
    if (isApiPath(path)) return reply.callNotFound();
    if (!existsSync(join(root, "index.html")))
      return page(reply).code(404).type("text/plain; charset=utf-8").header("cache-control", "no-cache").send(NOT_BUILT(root));
    const file = (req.params as { "*": string })["*"];
    // a file at the console's root (favicon.ico, robots.txt) is served as it is; a path without an extension is a page
    if (/\.[A-Za-z0-9]{1,10}$/.test(file))
      return page(reply).header("cache-control", "no-cache").sendFile(file, root, { cacheControl: false });
    return page(reply).header("cache-control", "no-cache").sendFile("index.html", root, { cacheControl: false });
  });
}
