/**
 * Envoy's admin `clusters?format=json` (envoy.admin.v3.Clusters): raw Envoy JSON is snake_case and
 * omits zero values (`priority` is absent at 0); istioctl's `-o json` re-marshals it to camelCase.
 * Both are read.
 */

export interface EnvoyHost {
  /** `ip:port` */
  readonly address: string;
  readonly ip: string;
  readonly priority: number;
  readonly health: string;
}

type Obj = Record<string, unknown>;
const pick = (o: unknown, snake: string, camel: string): unknown =>
  o && typeof o === "object" ? ((o as Obj)[snake] ?? (o as Obj)[camel]) : undefined;

/**
 * Hosts of the Envoy clusters asked for (all when `wanted` is absent), by cluster name
 * (`outbound|5000||helloworld.dev.svc.cluster.local`): a big mesh's dump holds every service, a
 * namespace's check needs its own.
 */
export function parseClusters(body: string, wanted?: ReadonlySet<string>): Map<string, EnvoyHost[]> {
  const fast = wanted ? wantedStatuses(body, wanted) : undefined;
  let statuses: unknown;
  if (fast) statuses = fast;
  else {
    const v: unknown = JSON.parse(body);
    statuses = Array.isArray(v) ? v : pick(v, "cluster_statuses", "clusterStatuses");
  }
  if (!Array.isArray(statuses)) throw new Error("no cluster_statuses");
  const out = new Map<string, EnvoyHost[]>();
  for (const cs of statuses as unknown[]) {
    const name = pick(cs, "name", "name");
    if (typeof name !== "string" || (wanted && !wanted.has(name))) continue;
    const hosts = (pick(cs, "host_statuses", "hostStatuses") as unknown[] | undefined) ?? [];
    out.set(
      name,
      hosts.flatMap((h) => {
        const sa = pick(pick(h, "address", "address"), "socket_address", "socketAddress");
        const ip = pick(sa, "address", "address");
        if (typeof ip !== "string") return [];
        const port = Number(pick(sa, "port_value", "portValue") ?? 0);
        const health = pick(pick(h, "health_status", "healthStatus"), "eds_health_status", "edsHealthStatus");
        return [
          {
            address: `${ip}:${port}`,
            ip,
            priority: Number(pick(h, "priority", "priority") ?? 0),
            health: typeof health === "string" ? health : "UNKNOWN",
          },
        ];
      }),
    );
  }
  return out;
}

export const outboundCluster = (port: number, host: string): string => `outbound|${port}||${host}`;

/** The end of the JSON object that starts at `start` (its `{`), strings and escapes respected. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
    } else if (ch === 123 /* { */) depth++;
    else if (ch === 125 /* } */ && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Only the wanted cluster statuses, cut out of the dump without parsing the rest: a sidecar of a big
 * mesh reports every service with every peer's gateway (megabytes), a namespace's check needs a few.
 * Envoy writes `name` first in each ClusterStatus; any other layout falls back to a full parse.
 */
function wantedStatuses(body: string, wanted: ReadonlySet<string>): unknown[] | undefined {
  if (!/"(cluster_statuses|clusterStatuses)"\s*:\s*\[/.test(body.slice(0, 4096))) return undefined;
  const out: unknown[] = [];
  const key = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = key.exec(body); m; m = key.exec(body)) {
    if (!wanted.has(m[1]!)) continue;
    let open = m.index - 1;
    while (open >= 0 && /\s/.test(body[open]!)) open--;
    if (body[open] !== "{") return undefined;
    const end = objectEnd(body, open);
    if (end < 0) return undefined;
    out.push(JSON.parse(body.slice(open, end)));
    key.lastIndex = end;
  }
  return out;
}
