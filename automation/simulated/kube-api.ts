/**
 * A stand-in Kubernetes API server on 127.0.0.1, serving exactly the requests `mesh verify` makes: gets
 * and label-selected lists (pods also across namespaces), and exec over WebSocket with the
 * `v4.channel.k8s.io` framing (one channel byte, then data; the exec Status on channel 3). Bearer tokens
 * are checked; answers are Kubernetes Status objects. The pod proxy answers as istiod's debug endpoints
 * answer a proxied caller: 401. Over HTTPS with the certificate
 * given (the tests' CA), else plain HTTP on loopback (the demo's simulated clusters).
 */
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";

type Obj = {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
};

/** What one cluster holds. */
export interface ClusterWorld {
  namespaces: Obj[];
  deployments: Obj[];
  pods: Obj[];
  secrets: Obj[];
  services: Obj[];
  configmaps: Obj[];
  gateways: Obj[];
  /** `ns/pod` → stdout of `pilot-agent request GET clusters?format=json` in istio-proxy. */
  envoy: Record<string, string>;
  /** Any other exec: `ns/pod/container: command` → its stdout (e.g. istiod's `pilot-discovery request GET /debug/syncz`). */
  exec?: Record<string, string>;
}

export interface StandInOptions {
  readonly token: string;
  /** PEM certificate and key to serve HTTPS with. @default plain HTTP */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Added to every answer (the benchmark's 20 ms). */
  readonly latencyMs?: number;
  /** `verb resource` pairs answered 403, e.g. `list secrets`; `list pods at the cluster scope` leaves each namespace's list allowed. */
  readonly deny?: readonly string[];
  /** Accept connections but never answer. */
  readonly silent?: boolean;
  /** A 403's message quotes the request's bearer token, as a careless proxy in front of an API server might (the tests' redaction). */
  readonly echoToken?: boolean;
}

export interface StandIn {
  readonly url: string;
  readonly world: ClusterWorld;
  /** Every request, as `METHOD path` (query included). */
  readonly requests: string[];
  /** Most requests open at once. */
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code,
});

function selects(o: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return o.metadata?.labels?.[k!] === v;
  });
}

const list = (kind: string, items: Obj[]) => ({ kind: `${kind}List`, apiVersion: "v1", metadata: { resourceVersion: "1" }, items });

/** The answer to one read: a Kubernetes object or list, a proxied body, or a Status. */
function answer(
  world: ClusterWorld,
  denied: (verb: string, resource: string) => boolean,
  method: string,
  url: URL,
): { code: number; body: unknown; raw?: string } {
  const p = url.pathname.split("/").map(decodeURIComponent);
  const sel = url.searchParams.get("labelSelector");
  const forbidden = (verb: string, res: string, ns?: string) => ({
    code: 403,
    body: status(
      403,
      "Forbidden",
      `${res} is forbidden: User "system:serviceaccount:ops:mesh-verify" cannot ${verb} resource "${res}" in API group ""${ns ? ` in the namespace "${ns}"` : " at the cluster scope"}`,
    ),
  });
  const named = (kind: string, items: Obj[], ns: string, name: string) => {
    const f = items.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
    return f ? { code: 200, body: f } : { code: 404, body: status(404, "NotFound", `${kind} "${name}" not found`) };
  };
  if (method !== "GET") return { code: 405, body: status(405, "MethodNotAllowed", "the stand-in only reads") };
  // /api/v1/namespaces/{ns}
  if (p[1] === "api" && p[3] === "namespaces" && p.length === 5) {
    if (denied("get", "namespaces")) return forbidden("get", "namespaces");
    const n = world.namespaces.find((x) => x.metadata?.name === p[4]);
    return n ? { code: 200, body: n } : { code: 404, body: status(404, "NotFound", `namespaces "${p[4]}" not found`) };
  }
  if (p[1] === "api" && p[3] === "pods" && p.length === 4) {
    if (denied("list", "pods") || denied("list", "pods at the cluster scope")) return forbidden("list", "pods");
    return {
      code: 200,
      body: list(
        "Pod",
        world.pods.filter((x) => selects(x, sel)),
      ),
    };
  }
  if (p[1] === "api" && p[3] === "services" && p.length === 4) {
    if (denied("list", "services")) return forbidden("list", "services");
    return {
      code: 200,
      body: list(
        "Service",
        world.services.filter((x) => selects(x, sel)),
      ),
    };
  }
  if (p[1] === "api" && p[3] === "namespaces" && p.length >= 6) {
    const ns = p[4]!;
    const res = p[5]!;
    const items: Record<string, Obj[]> = {
      pods: world.pods,
      secrets: world.secrets,
      services: world.services,
      configmaps: world.configmaps,
    };
    if (res === "pods" && p[7] === "proxy") {
      if (denied("get", "pods/proxy")) return forbidden("get", "pods/proxy", ns);
      // what istiod's debug endpoints answer a caller that is neither localhost nor an authenticated proxy
      // (`allowAuthenticatedOrLocalhost`, pilot/pkg/xds/debug.go): the pod proxy arrives without the caller's token
      return { code: 401, body: null, raw: "authentication failure\n" };
    }
    if (!items[res]) return { code: 404, body: status(404, "NotFound", "the server could not find the requested resource") };
    if (p.length === 6) {
      if (denied("list", res)) return forbidden("list", res, ns);
      return {
        code: 200,
        body: list(
          res,
          items[res].filter((x) => x.metadata?.namespace === ns && selects(x, sel)),
        ),
      };
    }
    if (denied("get", res)) return forbidden("get", res, ns);
    return named(res, items[res], ns, p[6]!);
  }
  if (p[1] === "apis" && p[2] === "apps" && p[4] === "namespaces" && p[6] === "deployments") {
    if (denied("list", "deployments")) return forbidden("list", "deployments", p[5]);
    return {
      code: 200,
      body: list(
        "Deployment",
        world.deployments.filter((x) => x.metadata?.namespace === p[5] && selects(x, sel)),
      ),
    };
  }
  if (p[1] === "apis" && p[2] === "networking.istio.io" && p[4] === "namespaces" && p[6] === "gateways") {
    if (denied("get", "gateways")) return forbidden("get", "gateways", p[5]);
    return named("gateways.networking.istio.io", world.gateways, p[5]!, p[7]!);
  }
  return { code: 404, body: status(404, "NotFound", "the server could not find the requested resource") };
}

/** `world` may be a function: each request reads what it returns then (the demo's mesh follows the stack files). */
export async function startStandIn(worldOf: ClusterWorld | (() => ClusterWorld), o: StandInOptions): Promise<StandIn> {
  const current = typeof worldOf === "function" ? worldOf : () => worldOf;
  const requests: string[] = [];
  let inFlight = 0;
  let max = 0;
  const sockets = new Set<Socket>();
  const delay = () => new Promise((r) => setTimeout(r, o.latencyMs ?? 0));
  const denied = (verb: string, resource: string) => o.deny?.includes(`${verb} ${resource}`) ?? false;
  const expected = Buffer.from(`Bearer ${o.token}`);
  const authorized = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? "");
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (o.silent) return;
    inFlight++;
    max = Math.max(max, inFlight);
    void delay().then(() => {
      inFlight--;
      const send = (code: number, body: string) => void res.writeHead(code, { "content-type": "application/json" }).end(body);
      if (!authorized(req)) return send(401, JSON.stringify(status(401, "Unauthorized", "Unauthorized")));
      const r = answer(current(), denied, req.method ?? "GET", new URL(req.url ?? "/", "https://127.0.0.1"));
      if (r.code === 403 && o.echoToken)
        return send(403, JSON.stringify(status(403, "Forbidden", `token ${o.token} may not do this (${req.method} ${req.url})`)));
      return send(r.code, r.raw ?? JSON.stringify(r.body));
    });
  };
  const server: Server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handle) : createHttpServer(handle);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  // exec: the upgrade is authorized like any request, then the command's stdout goes out on channel 1
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false),
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    requests.push(`${req.method} ${req.url}`);
    if (o.silent) return;
    inFlight++;
    max = Math.max(max, inFlight);
    const refuse = (code: number, text: string) => {
      inFlight--;
      socket.end(
        `HTTP/1.1 ${code} ${text}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify(status(code, text, text))}`,
      );
    };
    void delay().then(() => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      const p = url.pathname.split("/").map(decodeURIComponent);
      if (!authorized(req)) return refuse(401, "Unauthorized");
      if (p[5] !== "pods" || p[7] !== "exec") return refuse(404, "Not Found");
      if (denied("create", "pods/exec")) return refuse(403, "Forbidden");
      const command = url.searchParams.getAll("command").join(" ");
      const container = url.searchParams.get("container");
      wss.handleUpgrade(req, socket, head, (ws) => {
        inFlight--;
        const world = current();
        const out =
          container === "istio-proxy" && command === "pilot-agent request GET clusters?format=json"
            ? world.envoy[`${p[4]}/${p[6]}`]
            : world.exec?.[`${p[4]}/${p[6]}/${container}: ${command}`];
        const frame = (channel: number, data: Buffer | string) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
        if (out === undefined) {
          frame(2, `error: no such pod, container or command\n`);
          frame(
            3,
            JSON.stringify({
              metadata: {},
              status: "Failure",
              message: "command terminated with non-zero exit code: exit status 1",
              reason: "NonZeroExitCode",
            }),
          );
        } else {
          const buf = Buffer.from(out);
          for (let i = 0; i < buf.length; i += 64 * 1024) frame(1, buf.subarray(i, i + 64 * 1024));
          frame(3, JSON.stringify({ metadata: {}, status: "Success" }));
        }
        ws.close(1000);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${o.tls ? "https" : "http"}://127.0.0.1:${port}`,
    get world() {
      return current();
    },
    requests,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        wss.close();
        server.close(() => r());
      }),
  };
}
