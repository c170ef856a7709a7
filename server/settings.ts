/**
 * The service's settings from the environment. Without any authentication it refuses to start, unless
 * explicitly started insecure, and then only on loopback.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseDuration, waitProblem } from "../verify/wait";
import { parseTokens, readTokensFile, type AuthSettings, type StaticToken } from "./auth";

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly auth: AuthSettings;
  readonly limits: Limits;
  readonly verify: VerifySettings;
  /** Browser sign-in; absent in the insecure mode, and where no public URL is known (a non-loopback address without MESH_PUBLIC_URL). */
  readonly browser?: BrowserSettings;
  /** The built web console (MESH_CONSOLE_DIR); the caller defaults it to the project's console/dist. */
  readonly consoleDir?: string;
}

/** How browsers sign in and how long they stay signed in. */
export interface BrowserSettings {
  /** The portal's address as browsers reach it (MESH_PUBLIC_URL): the OIDC redirect URI's base and the one origin allowed. Unset: loopback at the server's port. */
  readonly publicUrl?: string;
  /** A session ends this long after sign-in, ms. @default 28800000 (8 h) */
  readonly maxAgeMs: number;
  /** A session unused for this long ends, ms. @default 1800000 (30 min) */
  readonly idleMs: number;
  /** Seals the sign-in's state cookie (MESH_SESSION_SECRET); random per process when not set. Never logged or returned. */
  readonly secret: Buffer;
  /** OIDC sign-in (the authorization code flow with PKCE); without it only the token sign-in form. */
  readonly oidc?: OidcSignInSettings;
}

export interface OidcSignInSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Absent: a public client (PKCE alone). Never logged or returned. */
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
  /** The claim holding the role, as for bearer tokens. @default "mesh_role" */
  readonly roleClaim?: string;
}

/** How POST /v1/verify reads the clusters, beyond what the stack files and outputs say (as mesh verify's options). */
export interface VerifySettings {
  /** `<stack>=<file>`, from MESH_VERIFY_KUBECONFIGS (comma-separated). */
  readonly kubeconfig: readonly string[];
  /** `<stack>=<context>`, from MESH_VERIFY_CONTEXTS. */
  readonly context: readonly string[];
  /** MESH_VERIFY_WAIT: check again until everything passes or this time is up (90s, 10m). @default one round */
  readonly wait?: string;
}

/** `a=b,c=d` → each pair, or a message naming the variable and the fix. */
function pairs(env: NodeJS.ProcessEnv, key: string, what: string): string[] {
  const list = (env[key] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const bad = list.filter((p) => !/^[A-Za-z0-9_.-]{1,100}=.+$/.test(p));
  if (bad.length > 0) throw new Error(`${key}: ${bad.join(", ")}: write <stack>=<${what}>, comma-separated`);
  return list;
}

export function verifySettingsFromEnv(env: NodeJS.ProcessEnv): VerifySettings {
  const wait = env.MESH_VERIFY_WAIT;
  if (wait !== undefined && parseDuration(wait) === undefined) throw new Error(waitProblem(wait, "MESH_VERIFY_WAIT"));
  return {
    kubeconfig: pairs(env, "MESH_VERIFY_KUBECONFIGS", "kubeconfig file"),
    context: pairs(env, "MESH_VERIFY_CONTEXTS", "context"),
    ...(wait !== undefined ? { wait } : {}),
  };
}

export interface Limits {
  /** Request body, bytes. @default 16384 */
  readonly bodyBytes: number;
  /** Jobs queued or running at once, all stacks. @default 32 */
  readonly jobs: number;
  /** Event streams open on one job. @default 200 */
  readonly streamsPerJob: number;
  /** Event streams open in all, replays included. @default 1000 */
  readonly streams: number;
  /** Event streams one caller (one token, one OIDC subject) has open at once. @default 50 */
  readonly streamsPerCaller: number;
  /** Event pages written to streams and not yet taken by the kernel, in all, bytes: no stream reads another page past this. @default 33554432 */
  readonly replayBytes: number;
  /** A job that ended without its last events in the store (it failed on the store): how long a stream waits for them before `stream.end`, ms. @default 5000 */
  readonly storeWaitMs: number;
  /** Comment line on an idle event stream, ms. @default 15000 */
  readonly heartbeatMs: number;
  /** An event stream ends after this (with `stream.end`; the client resumes with Last-Event-ID), ms. @default 3600000 */
  readonly streamMaxMs: number;
  /** An event stream whose client takes nothing for this long is dropped, ms. @default 30000 */
  readonly streamStallMs: number;
  /** The whole request, headers and body, arrives within this or the connection is closed (408), ms. @default 10000 */
  readonly requestMs: number;
  /** The request's headers arrive within this, ms. @default 5000 */
  readonly headersMs: number;
  /** A connection with no traffic either way is closed after this, ms. @default 60000 */
  readonly idleMs: number;
  /** An idle keep-alive connection is closed after this, ms. @default 5000 */
  readonly keepAliveMs: number;
  /** Requests on one connection before it is closed. @default 1000 */
  readonly requestsPerSocket: number;
  /** How often the request and header deadlines are checked, ms. @default 1000 */
  readonly deadlineCheckMs: number;
  /** Stack outputs are reused for this long (and until a job on the stack ends), ms. @default 5000 */
  readonly outputsTtlMs: number;
  /** Engine (CLI) reads of stack outputs at once. @default 2 */
  readonly engineReads: number;
  /** On shutdown, how long cancelled jobs get to stop before the process exits anyway, ms. @default 30000 */
  readonly shutdownGraceMs: number;
  /** Unauthenticated refusals: the audit table's window, ms. @default 60000 */
  readonly auditNoiseWindowMs: number;
  /** ... recorded one by one per client address and window; the rest are counted. @default 10 */
  readonly auditNoisePerAddress: number;
  /** ... recorded one by one per window, all addresses. @default 100 */
  readonly auditNoisePerWindow: number;
  /** Failed token sign-ins (POST /auth/token) an address may make per window before it waits. @default 10 */
  readonly signInFailures: number;
  /** ... the window, ms. @default 60000 */
  readonly signInWindowMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 16_384,
  jobs: 32,
  streamsPerJob: 200,
  streams: 1000,
  streamsPerCaller: 50,
  replayBytes: 32 * 1024 * 1024,
  storeWaitMs: 5_000,
  heartbeatMs: 15_000,
  streamMaxMs: 3_600_000,
  streamStallMs: 30_000,
  requestMs: 10_000,
  headersMs: 5_000,
  idleMs: 60_000,
  keepAliveMs: 5_000,
  requestsPerSocket: 1000,
  deadlineCheckMs: 1000,
  outputsTtlMs: 5_000,
  engineReads: 2,
  shutdownGraceMs: 30_000,
  auditNoiseWindowMs: 60_000,
  auditNoisePerAddress: 10,
  auditNoisePerWindow: 100,
  signInFailures: 10,
  signInWindowMs: 60_000,
};

export const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function settingsFromEnv(env: NodeJS.ProcessEnv): ServerSettings {
  const tokens: StaticToken[] = [];
  // one name (and one token) across both sources
  const taken = new Map<string, string>();
  if (env.MESH_API_TOKENS) tokens.push(...parseTokens(env.MESH_API_TOKENS, "MESH_API_TOKENS", taken));
  if (env.MESH_API_TOKENS_FILE) tokens.push(...readTokensFile(env.MESH_API_TOKENS_FILE, taken));
  // bearer tokens from the provider unless only browser sign-in is asked for (a client id and no audience or JWKS)
  const signInOnly = Boolean(env.MESH_OIDC_CLIENT_ID) && !env.MESH_OIDC_JWKS_URL && !env.MESH_OIDC_AUDIENCE;
  const oidc =
    (env.MESH_OIDC_ISSUER || env.MESH_OIDC_JWKS_URL || env.MESH_OIDC_AUDIENCE) && !signInOnly
      ? {
          issuer: required(env, "MESH_OIDC_ISSUER"),
          audience: required(env, "MESH_OIDC_AUDIENCE"),
          jwksUrl: required(env, "MESH_OIDC_JWKS_URL"),
          ...(env.MESH_OIDC_ROLE_CLAIM ? { roleClaim: env.MESH_OIDC_ROLE_CLAIM } : {}),
          ...(env.MESH_OIDC_MAX_TOKEN_AGE ? { maxTokenAgeMs: duration(env, "MESH_OIDC_MAX_TOKEN_AGE") } : {}),
        }
      : undefined;
  const signIn = env.MESH_OIDC_CLIENT_ID ? oidcSignInFromEnv(env) : undefined;
  const insecureValue = env.MESH_API_INSECURE ?? "";
  if (insecureValue !== "" && insecureValue !== "loopback-only")
    throw new Error(
      `MESH_API_INSECURE is ${JSON.stringify(insecureValue.slice(0, 40))}, not loopback-only, the one value it takes: set MESH_API_INSECURE=loopback-only (a developer machine only: no authentication), or unset it and configure tokens or OIDC`,
    );
  const insecure = insecureValue === "loopback-only";
  const host = env.MESH_API_HOST ?? "127.0.0.1";
  if (tokens.length === 0 && !oidc && !signIn && !insecure) {
    throw new Error(
      "no authentication is configured: set MESH_API_TOKENS or MESH_API_TOKENS_FILE, or MESH_OIDC_ISSUER, MESH_OIDC_AUDIENCE and MESH_OIDC_JWKS_URL, or MESH_OIDC_ISSUER and MESH_OIDC_CLIENT_ID (or, on a developer machine only, MESH_API_INSECURE=loopback-only)",
    );
  }
  if (insecure && (tokens.length > 0 || oidc || signIn))
    throw new Error("MESH_API_INSECURE=loopback-only cannot be combined with tokens or OIDC");
  if (insecure && !LOOPBACK.has(host)) throw new Error(`MESH_API_INSECURE=loopback-only binds to loopback only, not ${host}`);
  if (!LOOPBACK.has(host) && isIP(host) === 0 && host !== "0.0.0.0" && host !== "::")
    throw new Error(`MESH_API_HOST: ${host} is not an address`);
  const port = Number(env.MESH_API_PORT ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("MESH_API_PORT: not a port");
  const browser = insecure || (tokens.length === 0 && !signIn) ? undefined : browserFromEnv(env, host, signIn);
  return {
    host,
    port,
    auth: { tokens, ...(oidc ? { oidc } : {}), insecure },
    limits: { ...DEFAULT_LIMITS, ...streamDurations(env) },
    verify: verifySettingsFromEnv(env),
    ...(browser ? { browser } : {}),
    ...(env.MESH_CONSOLE_DIR ? { consoleDir: env.MESH_CONSOLE_DIR } : {}),
  };
}

/** A secret from `KEY` or from the file `KEY_FILE` (its trailing newline dropped); never both. */
function secretFromEnv(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const file = env[`${key}_FILE`];
  if (env[key] && file) throw new Error(`set ${key} or ${key}_FILE, not both`);
  if (!file) return env[key] || undefined;
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (e) {
    throw new Error(`${key}_FILE: ${file} cannot be read (${(e as { code?: string }).code ?? "error"})`);
  }
}

function duration(env: NodeJS.ProcessEnv, key: string): number {
  const ms = parseDuration(env[key]!);
  if (ms === undefined) throw new Error(waitProblem(env[key]!, key));
  return ms;
}

function oidcSignInFromEnv(env: NodeJS.ProcessEnv): OidcSignInSettings {
  const issuer = required(env, "MESH_OIDC_ISSUER");
  const u = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (!u || !(u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.has(u.hostname.replace(/^\[|\]$/g, "")))))
    throw new Error(`MESH_OIDC_ISSUER: ${issuer.slice(0, 100)} is not an https URL (http is for a provider on loopback)`);
  const clientSecret = secretFromEnv(env, "MESH_OIDC_CLIENT_SECRET");
  const scopes = (env.MESH_OIDC_SCOPES ?? "openid profile email").split(/\s+/).filter(Boolean);
  if (!scopes.includes("openid")) throw new Error(`MESH_OIDC_SCOPES: ${scopes.join(" ")} lacks openid, which sign-in needs`);
  return {
    issuer,
    clientId: env.MESH_OIDC_CLIENT_ID!,
    ...(clientSecret ? { clientSecret } : {}),
    scopes,
    ...(env.MESH_OIDC_ROLE_CLAIM ? { roleClaim: env.MESH_OIDC_ROLE_CLAIM } : {}),
  };
}

/** The portal's public origin, checked: http only on loopback, no path (the console and API are served at /). */
function publicUrlFromEnv(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(
      `MESH_PUBLIC_URL: ${value.slice(0, 100)} is not a URL; write the portal's address as browsers reach it, e.g. https://mesh.example.com`,
    );
  }
  if (u.protocol !== "https:" && !(u.protocol === "http:" && LOOPBACK.has(u.hostname.replace(/^\[|\]$/g, ""))))
    throw new Error(`MESH_PUBLIC_URL: ${u.origin} is not https; session cookies travel over https only (http is for loopback)`);
  if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash || u.username)
    throw new Error(`MESH_PUBLIC_URL: give the origin only (${u.origin}); the portal is served at its root`);
  return u.origin;
}

function browserFromEnv(env: NodeJS.ProcessEnv, host: string, oidc: OidcSignInSettings | undefined): BrowserSettings | undefined {
  const publicUrl = env.MESH_PUBLIC_URL ? publicUrlFromEnv(env.MESH_PUBLIC_URL) : undefined;
  if (!publicUrl && oidc)
    throw new Error(
      "MESH_OIDC_CLIENT_ID needs MESH_PUBLIC_URL, the portal's address as browsers reach it: the redirect URI is <it>/auth/callback",
    );
  // without a public URL, browsers can only be told apart from other sites on loopback
  if (!publicUrl && !LOOPBACK.has(host)) return undefined;
  const secret = secretFromEnv(env, "MESH_SESSION_SECRET");
  if (secret !== undefined && Buffer.byteLength(secret) < 32)
    throw new Error("MESH_SESSION_SECRET: at least 32 characters (e.g. openssl rand -hex 32)");
  return {
    ...(publicUrl ? { publicUrl } : {}),
    maxAgeMs: env.MESH_SESSION_MAX_AGE ? duration(env, "MESH_SESSION_MAX_AGE") : 8 * 3_600_000,
    idleMs: env.MESH_SESSION_IDLE ? duration(env, "MESH_SESSION_IDLE") : 30 * 60_000,
    secret: secret !== undefined ? Buffer.from(secret, "utf8") : randomBytes(32),
    ...(oidc ? { oidc } : {}),
  };
}

/** MESH_API_STREAM_LIFETIME (1h) and MESH_API_STREAM_STALL (30s), as durations: how long a stream lasts, and a client may take nothing. */
function streamDurations(env: NodeJS.ProcessEnv): Partial<Limits> {
  const read = (key: string): number | undefined => {
    const text = env[key];
    if (text === undefined || text === "") return undefined;
    const ms = parseDuration(text);
    if (ms === undefined || ms < 100)
      throw new Error(`${key}: ${text.slice(0, 40)} is not a duration from 100ms to 24h, such as 30s or 1h`);
    return ms;
  };
  const lifetime = read("MESH_API_STREAM_LIFETIME");
  const stall = read("MESH_API_STREAM_STALL");
  return { ...(lifetime !== undefined ? { streamMaxMs: lifetime } : {}), ...(stall !== undefined ? { streamStallMs: stall } : {}) };
}

function required(env: NodeJS.ProcessEnv, key: string): string {
  const v = env[key];
  if (!v) throw new Error(`${key} is required with OIDC`);
  return v;
}
