/**
 * The Kubernetes reads `mesh verify` makes, through `@kubernetes/client-node` (1.4.x: 2.x does not load
 * on Node 20). Every read answers a value or a typed failure, never throws; at most `inFlight` requests
 * are open per cluster, each with a deadline; messages carry the API's reason, never a credential.
 */
import { Writable } from "node:stream";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Exec,
  Observable,
  type RequestContext,
  type ResponseContext,
  type KubeConfig,
  type V1Deployment,
  type V1Namespace,
  type V1Pod,
  type V1Secret,
  type V1Service,
  type V1Status,
} from "@kubernetes/client-node";
import { pooledConnections } from "./kube-pool";

export type FailureKind = "unreachable" | "unauthorized" | "forbidden" | "not-found" | "timeout" | "invalid";

export interface ReadFailure {
  readonly kind: FailureKind;
  /** What was being read, e.g. `list secrets in istio-system`. */
  readonly what: string;
  readonly message: string;
}

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ReadFailure };

/** The reads, as an interface: the checks never see the client library. */
export interface KubeReader {
  /** The API server's address (no credential), for messages. */
  readonly server: string;
  readonly requests: () => number;
  getNamespace(name: string): Promise<Read<V1Namespace>>;
  listDeployments(namespace: string, labelSelector: string): Promise<Read<V1Deployment[]>>;
  listPods(namespace: string, labelSelector?: string): Promise<Read<V1Pod[]>>;
  /** Every pod of the cluster (the data plane: which revision injected each). */
  listAllPods(): Promise<Read<V1Pod[]>>;
  listSecrets(namespace: string, labelSelector: string): Promise<Read<V1Secret[]>>;
  /** null when it does not exist. */
  getService(namespace: string, name: string): Promise<Read<V1Service | null>>;
  listAllServices(): Promise<Read<V1Service[]>>;
  getConfigMapKey(namespace: string, name: string, key: string): Promise<Read<string | null>>;
  getCustomObject(group: string, version: string, namespace: string, plural: string, name: string): Promise<Read<unknown>>;
  /** Runs a command in a container by exec (WebSocket) and returns its stdout. */
  exec(namespace: string, pod: string, container: string, command: readonly string[]): Promise<Read<string>>;
}

export interface ReaderOptions {
  /** @default 8 */
  readonly inFlight?: number;
  /** Deadline of one request. @default 15000 */
  readonly timeoutMs?: number;
  /** Largest exec output read (an Envoy dump of a big mesh is a few MiB). @default 64 MiB */
  readonly maxOutputBytes?: number;
}

/** At most `n` tasks at once; the others wait in order. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);

/** The Status message an API server answered with, if any (never the request's headers). */
function statusMessage(body: unknown): string {
  if (typeof body === "string") {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  const m = (body as { message?: unknown } | null)?.message;
  return typeof m === "string" ? m.slice(0, 300) : "";
}

export function classify(what: string, server: string, e: unknown): ReadFailure {
  if (e instanceof ApiException) {
    const code = e.code;
    const msg = statusMessage(e.body);
    if (code === 401)
      return { kind: "unauthorized", what, message: `${server} refused the credentials (HTTP 401)${msg ? `: ${msg}` : ""}` };
    if (code === 403) return { kind: "forbidden", what, message: `forbidden (HTTP 403)${msg ? `: ${msg}` : ""}` };
    if (code === 404) return { kind: "not-found", what, message: `not found (HTTP 404)${msg ? `: ${msg}` : ""}` };
    return { kind: "invalid", what, message: `HTTP ${code}${msg ? `: ${msg}` : ""}` };
  }
  const err = e as { name?: string; code?: string; message?: string; type?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const text = String(err.message ?? e);
  if (err.name === "AbortError" || err.type === "aborted" || /timed out|aborted/i.test(text))
    return { kind: "timeout", what, message: `${server} did not answer in time` };
  // the WebSocket upgrade of exec reports the HTTP status in its message
  const ws = /Unexpected server response: (\d+)/.exec(text);
  if (ws) {
    const status = Number(ws[1]);
    if (status === 401) return { kind: "unauthorized", what, message: `${server} refused the credentials (HTTP 401)` };
    if (status === 403) return { kind: "forbidden", what, message: "forbidden (HTTP 403)" };
    if (status === 404) return { kind: "not-found", what, message: "not found (HTTP 404)" };
    return { kind: "invalid", what, message: `HTTP ${status}` };
  }
  if (code && NETWORK_CODES.has(code)) return { kind: "unreachable", what, message: `${server} cannot be reached (${code})` };
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return { kind: "unreachable", what, message: `${server}: its TLS certificate is not trusted by the kubeconfig's CA (${code})` };
  return { kind: "unreachable", what, message: `${server} cannot be reached (${code ?? text.split("\n")[0]!.slice(0, 200)})` };
}

/**
 * What a kubeconfig's users authenticate with (tokens, client keys and certificates as given and decoded,
 * passwords): what the reader's messages, and a job's redactor, must never let through. A token an exec
 * plugin hands out at request time is not known here.
 */
export function credentialsOf(kc: KubeConfig): string[] {
  return kc.getUsers().flatMap((u) => {
    const decoded = [u.keyData, u.certData].filter((d): d is string => !!d).map((d) => Buffer.from(d, "base64").toString("utf8"));
    return [u.token, u.keyData, u.certData, u.password, ...decoded].filter((v): v is string => typeof v === "string" && v.length >= 8);
  });
}

export function clientReader(kc: KubeConfig, opts: ReaderOptions = {}): KubeReader {
  const server = kc.getCurrentCluster()?.server ?? "(no server)";
  // an API server (or a proxy in front of it) may echo the request's credential in its answer
  const own = credentialsOf(kc).sort((a, b) => b.length - a.length);
  const scrub = (f: ReadFailure): ReadFailure => ({ ...f, message: own.reduce((m, c) => m.split(c).join("[secret]"), f.message) });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxOutput = opts.maxOutputBytes ?? 64 << 20;
  const limit = limiter(opts.inFlight ?? 8);
  // one TLS context and connection pool per cluster, not a handshake per request
  const pooled = pooledConnections(kc);
  const core = pooled.makeApiClient(CoreV1Api);
  const apps = pooled.makeApiClient(AppsV1Api);
  const custom = pooled.makeApiClient(CustomObjectsApi);
  const exec = new Exec(pooled);
  let count = 0;
  // every request gets its own deadline, so a cluster that never answers ends as a timeout, not a hang
  const withDeadline = () => ({
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(ctx));
        },
        post: (r: ResponseContext) => new Observable(Promise.resolve(r)),
      },
    ],
    middlewareMergeStrategy: "append" as const,
  });
  const read = <T>(what: string, call: (o: ReturnType<typeof withDeadline>) => Promise<T>, notFound?: T): Promise<Read<T>> =>
    limit(async () => {
      count++;
      try {
        return { ok: true as const, value: await call(withDeadline()) };
      } catch (e) {
        const failure = scrub(classify(what, server, e));
        if (failure.kind === "not-found" && notFound !== undefined) return { ok: true as const, value: notFound };
        return { ok: false as const, failure };
      }
    });

  return {
    server,
    requests: () => count,
    getNamespace: (name) => read(`get namespace ${name}`, (o) => core.readNamespace({ name }, o)),
    listDeployments: (namespace, labelSelector) =>
      read(`list deployments in ${namespace}`, async (o) => (await apps.listNamespacedDeployment({ namespace, labelSelector }, o)).items),
    listPods: (namespace, labelSelector) =>
      read(`list pods in ${namespace}`, async (o) => (await core.listNamespacedPod({ namespace, labelSelector }, o)).items),
    listAllPods: () => read("list pods in all namespaces", async (o) => (await core.listPodForAllNamespaces({}, o)).items),
    listSecrets: (namespace, labelSelector) =>
      read(`list secrets in ${namespace}`, async (o) => (await core.listNamespacedSecret({ namespace, labelSelector }, o)).items),
    getService: (namespace, name) =>
      read<V1Service | null>(`get service ${namespace}/${name}`, (o) => core.readNamespacedService({ namespace, name }, o), null),
    listAllServices: () => read("list services in all namespaces", async (o) => (await core.listServiceForAllNamespaces({}, o)).items),
    getConfigMapKey: (namespace, name, key) =>
      read<string | null>(
        `get configmap ${namespace}/${name}`,
        async (o) => (await core.readNamespacedConfigMap({ namespace, name }, o)).data?.[key] ?? null,
        null,
      ),
    getCustomObject: (group, version, namespace, plural, name) =>
      read<unknown>(
        `get ${plural}.${group} ${namespace}/${name}`,
        (o) => custom.getNamespacedCustomObject({ group, version, namespace, plural, name }, o) as Promise<unknown>,
        null,
      ),
    exec: (namespace, pod, container, command) =>
      limit(async () => {
        count++;
        const what = `exec ${command.join(" ")} in ${namespace}/${pod} (${container})`;
        try {
          return { ok: true as const, value: await execOnce(exec, namespace, pod, container, command, timeoutMs, maxOutput) };
        } catch (e) {
          return {
            ok: false as const,
            failure: scrub(e instanceof ExecFailure ? { kind: e.kind, what, message: e.message } : classify(what, server, e)),
          };
        }
      }),
  };
}

class ExecFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

async function execOnce(
  exec: Exec,
  namespace: string,
  pod: string,
  container: string,
  command: readonly string[],
  timeoutMs: number,
  maxOutput: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let stderr = "";
  let status: V1Status | undefined;
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size <= maxOutput) chunks.push(chunk);
      cb();
    },
  });
  const errOut = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (stderr.length < 2000) stderr += chunk.toString("utf8");
      cb();
    },
  });
  const ws = await exec.exec(namespace, pod, container, [...command], stdout, errOut, null, false, (s) => (status = s));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new ExecFailure("timeout", "the exec stream did not end in time"));
    }, timeoutMs);
    ws.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  if (size > maxOutput) throw new ExecFailure("invalid", `the output is larger than ${maxOutput} bytes`);
  if (status && status.status !== "Success")
    throw new ExecFailure(
      "invalid",
      `the command failed: ${status.message ?? status.reason ?? "non-zero exit"}${stderr ? ` (${stderr.trim().slice(0, 300)})` : ""}`,
    );
  return Buffer.concat(chunks).toString("utf8");
}
