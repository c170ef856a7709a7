/**
 * Who is calling, and what they may do. Two ways in: static bearer tokens with roles, stored as SHA-256
 * hashes and compared in constant time; and OIDC access tokens from the portal's identity provider,
 * verified against its JWKS (issuer, audience, expiry), the role read from a configurable claim.
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
  readonly via: "token" | "oidc" | "insecure";
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
}

export interface AuthSettings {
  readonly tokens: readonly StaticToken[];
  readonly oidc?: OidcSettings;
  /** No authentication at all: only ever bound to loopback (see server/settings.ts). */
  readonly insecure?: boolean;
}

export const sha256 = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Tokens from `MESH_API_TOKENS` or a file: a JSON list of `{ name, role, sha256 }`. */
export function parseTokens(json: string, source: string): StaticToken[] {
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
    return { name: o.name, role: o.role as Role, sha256: o.sha256 };
  });
}

export const readTokensFile = (path: string): StaticToken[] => parseTokens(readFileSync(path, "utf8"), path);

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
    const digest = sha256(token);
    let found: StaticToken | undefined;
    for (const h of this.hashes) if (timingSafeEqual(h.digest, digest) && !found) found = h.token;
    if (found) return { subject: found.name, role: found.role, via: "token" };
    if (this.jwks && this.settings.oidc && token.split(".").length === 3) return this.verifyJwt(token, this.settings.oidc);
    throw new AuthError(401, "the token is not valid");
  }

  private async verifyJwt(token: string, oidc: OidcSettings): Promise<Principal> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks!, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
        clockTolerance: 30,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (e) {
      throw new AuthError(401, e instanceof joseErrors.JWTExpired ? "the token has expired" : "the token is not valid");
    }
    const claim = payload[oidc.roleClaim ?? "mesh_role"];
    const candidates = (Array.isArray(claim) ? claim : [claim]).filter((r): r is Role => ROLES.includes(r as Role));
    if (candidates.length === 0) throw new AuthError(403, "the token carries no mesh role");
    const role = candidates.reduce((a, b) => (allows(a, b) ? a : b));
    return { subject: String(payload.sub), role, via: "oidc" };
  }
}
