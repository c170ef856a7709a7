/**
 * What keeps a browser on the same machine from driving an unauthenticated loopback server: a page of
 * another site can neither reach it under another name (DNS rebinding: the `Host` must be a loopback name
 * and the server's port) nor send it requests (cross-origin `Origin` or `Sec-Fetch-Site` are refused, and
 * a POST needs what no HTML form or simple cross-origin request can send: a JSON content type or an
 * `X-Requested-By` header).
 */
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const SAFE = new Set(["GET", "HEAD"]);

/** `host:port` forms a loopback server on `port` answers to (and the bare names on port 80). */
export function loopbackHosts(port: number): Set<string> {
  return new Set(LOOPBACK_NAMES.flatMap((n) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`])));
}

/** Why the request is refused, or undefined when it may go on. */
export function loopbackRefusal(req: IncomingMessage): string | undefined {
  const port = req.socket.localPort ?? 0;
  const hosts = loopbackHosts(port);
  const host = (req.headers.host ?? "").toLowerCase();
  if (!hosts.has(host))
    return `this server runs without authentication and answers only to Host 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`;
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.toLowerCase().startsWith("http://") && hosts.has(origin.toLowerCase().slice(7))))
    return "this server runs without authentication and refuses cross-origin requests";
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return "this server runs without authentication and refuses cross-origin requests";
  if (!SAFE.has(req.method ?? "")) {
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type) && req.headers["x-requested-by"] === undefined)
      return "this server runs without authentication: send a POST with Content-Type: application/json (and a body, {} at least) or an X-Requested-By header";
  }
  return undefined;
}
