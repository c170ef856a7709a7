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

function hostsOf(cs: unknown): EnvoyHost[] {
  const out: EnvoyHost[] = [];
  for (const h of (pick(cs, "host_statuses", "hostStatuses") as unknown[] | undefined) ?? []) {
    const sa = pick(pick(h, "address", "address"), "socket_address", "socketAddress");
    const ip = pick(sa, "address", "address");
    if (typeof ip !== "string") continue;
    const port = Number(pick(sa, "port_value", "portValue") ?? 0);
    const health = pick(pick(h, "health_status", "healthStatus"), "eds_health_status", "edsHealthStatus");
    out.push({
      address: `${ip}:${port}`,
      ip,
      priority: Number(pick(h, "priority", "priority") ?? 0),
      health: typeof health === "string" ? health : "UNKNOWN",
    });
  }
  return out;
}

/**
 * One sidecar's dump, indexed once: the hosts of each Envoy cluster asked for, by cluster name
 * (`outbound|5000||helloworld.dev.svc.cluster.local`). A big mesh's dump holds every service with
 * every peer's gateway (megabytes); a namespace's checks need their own few, so only those are kept
 * and the text can go as soon as it is indexed.
 */
export class EnvoyClusters {
  private constructor(private readonly byName: ReadonlyMap<string, readonly EnvoyHost[]>) {}

  /** The clusters named in `wanted` (all when absent) of one dump; throws when it is not Envoy's admin JSON. */
  static index(body: string, wanted?: ReadonlySet<string>): EnvoyClusters {
    let statuses: unknown = wanted ? wantedStatuses(body, wanted) : undefined;
    if (!statuses) {
      const v: unknown = JSON.parse(body);
      statuses = Array.isArray(v) ? v : pick(v, "cluster_statuses", "clusterStatuses");
    }
    if (!Array.isArray(statuses)) throw new Error("no cluster_statuses");
    const byName = new Map<string, EnvoyHost[]>();
    for (const cs of statuses as unknown[]) {
      const name = pick(cs, "name", "name");
      if (typeof name === "string" && (!wanted || wanted.has(name))) byName.set(name, hostsOf(cs));
    }
    return new EnvoyClusters(byName);
  }

  /** The cluster's hosts; undefined when the sidecar has no such cluster. */
  hosts(name: string): readonly EnvoyHost[] | undefined {
    return this.byName.get(name);
  }

  /** How many of the clusters asked for the sidecar has. */
  get size(): number {
    return this.byName.size;
  }
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

/** JSON's insignificant whitespace: space, tab, line feed, carriage return. */
const isSpace = (ch: number) => ch === 32 || ch === 9 || ch === 10 || ch === 13;

const STATUSES_KEY = /"(cluster_statuses|clusterStatuses)"\s*:\s*\[/;

/**
 * Only the wanted cluster statuses, cut out of the dump in one pass without parsing the rest. Envoy
 * writes `name` first in each ClusterStatus (its field 1); any other layout falls back to a full parse.
 */
function wantedStatuses(body: string, wanted: ReadonlySet<string>): unknown[] | undefined {
  if (!STATUSES_KEY.test(body.slice(0, 4096))) return undefined;
  const out: unknown[] = [];
  const key = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = key.exec(body); m; m = key.exec(body)) {
    // the name as JSON writes it: its escapes read only when it has any
    const name = m[1]!.includes("\\") ? (JSON.parse(`"${m[1]}"`) as string) : m[1]!;
    if (!wanted.has(name)) continue;
    let open = m.index - 1;
    while (open >= 0 && isSpace(body.charCodeAt(open))) open--;
    if (body.charCodeAt(open) !== 123 /* { */) return undefined;
    const end = objectEnd(body, open);
    if (end < 0) return undefined;
    out.push(JSON.parse(body.slice(open, end)));
    key.lastIndex = end;
  }
  return out;
}
