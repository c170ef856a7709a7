/**
 * Who is calling, and what they may do. Two ways in: static bearer tokens with roles, stored as SHA-256
 * hashes and compared in constant time; and OIDC access tokens from the portal's identity provider,
 * verified against its JWKS (issuer, audience, expiry, a JWT `typ`, an issue time within the maximum
 * token age), the role read from a configurable claim. Browsers sign in to a session instead
 * (session.ts), whose role comes from the same claim.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from "jose";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];
/** viewer: read and preview; operator: also up, refresh, converge, cancel; admin: also destroy. */
export const allows = (have: Role, need: Role): boolean => ROLES.indexOf(have) >= ROLES.indexOf(need);

export interface Principal {
  readonly subject: string;
  readonly role: Role;
  /** A bearer token (static or OIDC), a browser's session cookie, or no authentication at all. */
  readonly via: "token" | "oidc" | "insecure" | "session";
  /** A display name, when the identity provider gives one. */
  readonly name?: string;
  /** A session's: how it signed in, when it ends, and its CSRF token. */
  readonly session?: {
    readonly signedInWith: "oidc" | "token";
    readonly expiresAt: number;
    readonly idleExpiresAt: number;
    readonly csrf: string;
  };
}

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface StaticToken {
  /** Who the token stands for, in the audit log and on the jobs it starts. */
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the token, hex. */
  readonly sha256: string;
}

export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** The claim holding the role (a string, or a list whose highest known role counts). @default "mesh_role" */
  readonly roleClaim?: string;
  /** An access token issued longer ago than this (its `iat`), or valid for longer, is refused, ms. @default 43200000 (12 h) */
  readonly maxTokenAgeMs?: number;
}

export const DEFAULT_MAX_TOKEN_AGE_MS = 12 * 3_600_000;
/** The JWT types an access token may carry (RFC 9068's `at+jwt`, or plain `JWT`), compared as RFC 8725 3.11 says. */
const ACCESS_TOKEN_TYPES = new Set(["at+jwt", "jwt"]);
const normalType = (typ: unknown): string => (typeof typ === "string" ? typ.toLowerCase().replace(/^application\//, "") : "");

/** The highest mesh role in a claim's value (a string or a list), or undefined when it holds none. */
export function roleFromClaim(value: unknown): Role | undefined {
  const candidates = (Array.isArray(value) ? value : [value]).filter((r): r is Role => ROLES.includes(r as Role));
  return candidates.length === 0 ? undefined : candidates.reduce((a, b) => (allows(a, b) ? a : b));
}

export interface AuthSettings {
  readonly tokens: readonly StaticToken[];
  readonly oidc?: OidcSettings;
  /** No authentication at all: only ever bound to loopback (see server/settings.ts). */
  readonly insecure?: boolean;
}

export const sha256 = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/**
 * Tokens from `MESH_API_TOKENS` or a file: a JSON list of `{ name, role, sha256 }`. A name is who the token
 * stands for in the audit log, so two entries may not share one (nor a token); `taken` holds the names
 * and digests of lists read before, by where they were read.
 */
export function parseTokens(json: string, source: string, taken: Map<string, string> = new Map()): StaticToken[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new Error(`${source}: not JSON; give a list of { "name", "role", "sha256" }`);
  }
  if (!Array.isArray(list)) throw new Error(`${source}: not a list`);
  return list.map((t: unknown, i) => {
    const o = t as Partial<StaticToken>;
    if (typeof o.name !== "string" || !ROLES.includes(o.role as Role) || typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(o.sha256)) {
      throw new Error(`${source}[${i}]: needs name, role (${ROLES.join(", ")}) and sha256 (64 hex digits of the token's SHA-256)`);
    }
    const here = `${source}[${i}]`;
    const sameName = taken.get(`name:${o.name}`);
    if (sameName)
      throw new Error(
        `${sameName} and ${here} are both named ${JSON.stringify(o.name)}: a name is who the token stands for in the audit log and on its jobs, so give each token its own (to rotate a token, replace its entry)`,
      );
    const sameToken = taken.get(`sha256:${o.sha256}`);
    if (sameToken) throw new Error(`${sameToken} and ${here} are the same token (one sha256): list each token once, with one role`);
    taken.set(`name:${o.name}`, here).set(`sha256:${o.sha256}`, here);
    return { name: o.name, role: o.role as Role, sha256: o.sha256 };
  });
}

export const readTokensFile = (path: string, taken?: Map<string, string>): StaticToken[] =>
  parseTokens(readFileSync(path, "utf8"), path, taken);

export class Authenticator {
  private readonly hashes: readonly { readonly token: StaticToken; readonly digest: Buffer }[];
  private readonly jwks?: JWTVerifyGetKey;

  constructor(
    private readonly settings: AuthSettings,
    jwks?: JWTVerifyGetKey,
  ) {
    this.hashes = settings.tokens.map((token) => ({ token, digest: Buffer.from(token.sha256, "hex") }));
    this.jwks = settings.oidc
      ? (jwks ?? createRemoteJWKSet(new URL(settings.oidc.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 }))
      : undefined;
  }

  /** Without authentication (loopback only): the server guards against browsers instead (loopback-guard.ts). */
  get insecure(): boolean {
    return this.settings.insecure === true;
  }

  get configured(): boolean {
    return this.hashes.length > 0 || this.jwks !== undefined || this.settings.insecure === true;
  }

  /** The caller behind an Authorization header, or an AuthError (401: who are you; 403: not allowed). */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (this.settings.insecure) return { subject: "anonymous (insecure mode)", role: "admin", via: "insecure" };
    // the scheme is case-insensitive (RFC 7235 2.1): bearer, Bearer and BEARER are one
    const m = /^bearer +([A-Za-z0-9._~+/=-]{1,4096})$/i.exec(header ?? "");
    if (!m) throw new AuthError(401, "a bearer token is required");
    const token = m[1]!;
    // every stored hash is compared, in constant time, whatever matches first
    const found = this.staticToken(token);
    if (found) return { subject: found.name, role: found.role, via: "token" };
    if (this.jwks && this.settings.oidc && token.split(".").length === 3) return this.verifyJwt(token, this.settings.oidc);
    throw new AuthError(401, "the token is not valid");
  }

  /** Whether static tokens are configured (they can be exchanged for a browser session). */
  get hasStaticTokens(): boolean {
    return this.hashes.length > 0;
  }

  /**
   * The static token whose SHA-256 (hex) this is, as the settings say now: a session made from a token
   * keeps its digest, so it has that token's role and ends when that token is removed or rotated.
   */
  tokenWithDigest(digest: string | undefined): StaticToken | undefined {
    return digest === undefined ? undefined : this.settings.tokens.find((t) => t.sha256 === digest);
  }

  /** Whether a string the caller sent is one of the static tokens (constant time over every one). */
  staticToken(token: string): StaticToken | undefined {
    const digest = sha256(token);
    let found: StaticToken | undefined;
    for (const h of this.hashes) if (timingSafeEqual(h.digest, digest) && !found) found = h.token;
    return found;
  }

  private async verifyJwt(token: string, oidc: OidcSettings): Promise<Principal> {
    let payload: Record<string, unknown>;
    let typ: unknown;
    const maxAgeMs = oidc.maxTokenAgeMs ?? DEFAULT_MAX_TOKEN_AGE_MS;
    try {
      ({
        payload,
        protectedHeader: { typ },
      } = await jwtVerify(token, this.jwks!, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
        clockTolerance: 30,
        requiredClaims: ["exp", "iat", "sub"],
        maxTokenAge: Math.floor(maxAgeMs / 1000),
      }));
    } catch (e) {
      // jose reports a token issued too long ago as expired too: its claim says which
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "iat" && e.reason === "missing")
        throw new AuthError(401, "the token carries no iat (when it was issued), which this server needs to bound its age");
      if ((e instanceof joseErrors.JWTClaimValidationFailed || e instanceof joseErrors.JWTExpired) && e.claim === "iat")
        throw new AuthError(401, `the token was issued more than ${maxAgeMs / 60_000} minutes ago, or in the future; get a new one`);
      if (e instanceof joseErrors.JWTExpired) throw new AuthError(401, "the token has expired");
      throw new AuthError(401, "the token is not valid");
    }
    // a token of another type (an ID token, a logout token) signed by the same provider is not an access token
    if (!ACCESS_TOKEN_TYPES.has(normalType(typ)))
      throw new AuthError(401, "the token is not an access token: its typ is neither at+jwt nor JWT");
    // a fresh token valid for a century is as good as a stolen one that never dies
    if (Number(payload.exp) - Number(payload.iat) > maxAgeMs / 1000 + 30)
      throw new AuthError(
        401,
        `the token is valid for longer than ${maxAgeMs / 60_000} minutes; the identity provider must issue shorter-lived tokens`,
      );
    const role = roleFromClaim(payload[oidc.roleClaim ?? "mesh_role"]);
    if (!role) throw new AuthError(403, "the token carries no mesh role");
    return { subject: String(payload.sub), role, via: "oidc" };
  }
}
