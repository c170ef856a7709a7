/**
 * The sign-in's own state between /auth/login and /auth/callback (OAuth `state`, the OIDC `nonce`, the
 * PKCE verifier, where to return), kept in the browser as a sealed cookie: AES-256-GCM under a key
 * derived from MESH_SESSION_SECRET, so the server keeps nothing for a sign-in that is never finished (a
 * scanner hitting /auth/login fills no table) and any replica with the same secret can finish it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** A path on this portal. */
  readonly returnTo: string;
  /** The store id of the session the browser had when it began (it ends at sign-in; the callback, a navigation from the provider's site, does not carry the SameSite=Strict cookie). */
  readonly previous?: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const AAD = Buffer.from("mesh sign-in state v1");

export class LoginSeal {
  private readonly key: Buffer;
  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), "mesh sign-in state cookie", 32));
  }

  seal(s: LoginState): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(s), "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The state, or undefined for a cookie this server did not seal, that was altered, or that has expired. */
  open(text: string | undefined, now: number): LoginState | undefined {
    if (!text || text.length > 4096) return undefined;
    const raw = Buffer.from(text, "base64url");
    if (raw.length < 29) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12)).setAAD(AAD);
      decipher.setAuthTag(raw.subarray(12, 28));
      const s = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as LoginState;
      return typeof s.expiresAt === "number" && s.expiresAt > now ? s : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Where to go after signing in: a path of this portal, never another site. Anything that would leave
 * the origin once a browser resolves it (`//evil`, `/\evil`, `https://evil`, tabs and newlines that
 * browsers strip) becomes `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== "string" || value === "" || value.length > 2000 || !value.startsWith("/")) return "/";
  const base = "http://portal.invalid";
  let u: URL;
  try {
    u = new URL(value, base);
  } catch {
    return "/";
  }
  if (u.origin !== base) return "/";
  const path = `${u.pathname}${u.search}${u.hash}`;
  // the resolved path may itself start with // after dot segments: a browser would read it as a host
  return path.startsWith("//") || path.startsWith("/\\") ? "/" : path;
}
