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

/** Hosts of every Envoy cluster, by cluster name (`outbound|5000||helloworld.dev.svc.cluster.local`). */
export function parseClusters(body: string): Map<string, EnvoyHost[]> {
  const v: unknown = JSON.parse(body);
  const statuses = Array.isArray(v) ? v : pick(v, "cluster_statuses", "clusterStatuses");
  if (!Array.isArray(statuses)) throw new Error("no cluster_statuses");
  const out = new Map<string, EnvoyHost[]>();
  for (const cs of statuses) {
    const name = pick(cs, "name", "name");
    if (typeof name !== "string") continue;
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
