/**
 * What a request authenticated by the session cookie must also show, since a browser attaches the cookie
 * whoever made the page: it comes from the portal's own origin (`Sec-Fetch-Site`, `Origin`), and one that
 * changes anything carries the session's CSRF token in `X-CSRF-Token`, which only the portal's own pages
 * can read (from GET /v1/me). The cookie's SameSite=Strict is the first line; this is the second.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { loopbackHosts } from "./loopback-guard";

const SAFE = new Set(["GET", "HEAD"]);
export const CSRF_HEADER = "x-csrf-token";

/** The origins a browser may call from: the public URL's, or (unset) loopback at the server's port. */
export function allowedOrigins(publicUrl: string | undefined, req: IncomingMessage): Set<string> {
  if (publicUrl) return new Set([publicUrl.toLowerCase()]);
  return new Set([...loopbackHosts(req.socket.localPort ?? 0)].map((h) => `http://${h}`));
}

/** Why a cookie-authenticated request is refused, or undefined. */
export function sessionRefusal(req: IncomingMessage, origins: Set<string>, csrf: string): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `a signed-in browser's request made by another site (Sec-Fetch-Site: ${String(site).slice(0, 20)}) is refused`;
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin.toLowerCase())) return "a signed-in browser's request from another origin is refused";
  if (SAFE.has(req.method ?? "")) return undefined;
  if (origin === undefined && site !== "same-origin")
    return "a signed-in browser's request that changes anything must show where it comes from (Origin or Sec-Fetch-Site)";
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== "string" || !equal(sent, csrf))
    return "a signed-in browser's request that changes anything needs the X-CSRF-Token header: the csrfToken of GET /v1/me";
  return undefined;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
