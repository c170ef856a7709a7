/**
 * The service's settings from the environment. Without any authentication it refuses to start, unless
 * explicitly started insecure, and then only on loopback.
 */
import { isIP } from "node:net";
import { parseDuration, waitProblem } from "../verify/wait";
import { parseTokens, readTokensFile, type AuthSettings, type StaticToken } from "./auth";

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly auth: AuthSettings;
  readonly limits: Limits;
  readonly verify: VerifySettings;
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
};

export const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function settingsFromEnv(env: NodeJS.ProcessEnv): ServerSettings {
  const tokens: StaticToken[] = [];
  if (env.MESH_API_TOKENS) tokens.push(...parseTokens(env.MESH_API_TOKENS, "MESH_API_TOKENS"));
  if (env.MESH_API_TOKENS_FILE) tokens.push(...readTokensFile(env.MESH_API_TOKENS_FILE));
  const oidc =
    env.MESH_OIDC_ISSUER || env.MESH_OIDC_JWKS_URL || env.MESH_OIDC_AUDIENCE
      ? {
          issuer: required(env, "MESH_OIDC_ISSUER"),
          audience: required(env, "MESH_OIDC_AUDIENCE"),
          jwksUrl: required(env, "MESH_OIDC_JWKS_URL"),
          ...(env.MESH_OIDC_ROLE_CLAIM ? { roleClaim: env.MESH_OIDC_ROLE_CLAIM } : {}),
        }
      : undefined;
  const insecureValue = env.MESH_API_INSECURE ?? "";
  if (insecureValue !== "" && insecureValue !== "loopback-only")
    throw new Error(
      `MESH_API_INSECURE is ${JSON.stringify(insecureValue.slice(0, 40))}, not loopback-only, the one value it takes: set MESH_API_INSECURE=loopback-only (a developer machine only: no authentication), or unset it and configure tokens or OIDC`,
    );
  const insecure = insecureValue === "loopback-only";
  const host = env.MESH_API_HOST ?? "127.0.0.1";
  if (tokens.length === 0 && !oidc && !insecure) {
    throw new Error(
      "no authentication is configured: set MESH_API_TOKENS or MESH_API_TOKENS_FILE, or MESH_OIDC_ISSUER, MESH_OIDC_AUDIENCE and MESH_OIDC_JWKS_URL (or, on a developer machine only, MESH_API_INSECURE=loopback-only)",
    );
  }
  if (insecure && (tokens.length > 0 || oidc)) throw new Error("MESH_API_INSECURE=loopback-only cannot be combined with tokens or OIDC");
  if (insecure && !LOOPBACK.has(host)) throw new Error(`MESH_API_INSECURE=loopback-only binds to loopback only, not ${host}`);
  if (!LOOPBACK.has(host) && isIP(host) === 0 && host !== "0.0.0.0" && host !== "::")
    throw new Error(`MESH_API_HOST: ${host} is not an address`);
  const port = Number(env.MESH_API_PORT ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("MESH_API_PORT: not a port");
  return {
    host,
    port,
    auth: { tokens, ...(oidc ? { oidc } : {}), insecure },
    limits: { ...DEFAULT_LIMITS, ...streamDurations(env) },
    verify: verifySettingsFromEnv(env),
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
