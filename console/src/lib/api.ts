/**
 * Typed calls to the portal API, the only place the console speaks HTTP. A refusal becomes an ApiError
 * carrying the server's problem document (its detail, its errors, the running job of a 409), so a page
 * shows the server's own words. Mutating requests carry the session's CSRF proof and X-Requested-By.
 */
import type {
  AuditList,
  AuditQuery,
  ConvergeList,
  ConvergeRun,
  DestroyBody,
  Job,
  JobList,
  JobsQuery,
  Me,
  MeshPlan,
  Problem,
  SignInMethods,
  StackList,
  StackStatus,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = "ApiError";
  }
}

let csrfToken: string | undefined;
/** The session's CSRF proof, sent on every request that changes something. */
export const setCsrfToken = (token: string | undefined): void => {
  csrfToken = token;
};

async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    headers["x-requested-by"] = "mesh-console";
    if (csrfToken) headers["x-csrf-token"] = csrfToken;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    cache: "no-store",
    ...(method !== "GET" ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, json as Problem | undefined);
  return json as T;
}

const q = (params: Record<string, string | number | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : "";
};
const seg = encodeURIComponent;

/** Exchanges a static token for a session cookie; the token is sent once, in the body, and not kept. */
export const signInWithToken = (token: string): Promise<unknown> => request<unknown>("POST", "/auth/token", { token });

export const api = {
  me: () => request<Me>("GET", "/v1/me"),
  methods: () => request<SignInMethods>("GET", "/auth/methods"),
  audit: (query: AuditQuery) =>
    request<AuditList>(
      "GET",
      `/v1/audit${q({ actor: query.actor, action: query.action, status: query.status, since: query.since, limit: query.limit, cursor: query.cursor })}`,
    ),
  converges: () => request<ConvergeList>("GET", "/v1/converge?limit=20"),
  logout: () => request<unknown>("POST", "/auth/logout"),
  mesh: () => request<MeshPlan>("GET", "/v1/mesh"),
  stacks: () => request<StackList>("GET", "/v1/stacks"),
  stack: (stack: string) => request<StackStatus>("GET", `/v1/stacks/${seg(stack)}`),
  jobs: (query: JobsQuery) =>
    request<JobList>(
      "GET",
      `/v1/jobs${q({ stack: query.stack, state: query.state, kind: query.kind, limit: query.limit, cursor: query.cursor })}`,
    ),
  job: (id: string) => request<Job>("GET", `/v1/jobs/${seg(id)}`),
  start: (stack: string, kind: "preview" | "up" | "refresh") => request<Job>("POST", `/v1/stacks/${seg(stack)}/${kind}`),
  destroy: (stack: string, body: DestroyBody) => request<Job>("POST", `/v1/stacks/${seg(stack)}/destroy`, body),
  cancel: (id: string) => request<Job>("POST", `/v1/jobs/${seg(id)}/cancel`),
  verify: (stacks?: readonly string[]) => request<Job>("POST", "/v1/verify", stacks && stacks.length > 0 ? { stacks } : {}),
  converge: (verify: boolean) => request<ConvergeRun>("POST", "/v1/converge", verify ? { verify: true } : {}),
  convergeRun: (id: string) => request<ConvergeRun>("GET", `/v1/converge/${seg(id)}`),
};
