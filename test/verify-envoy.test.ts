/**
 * An Envoy clusters dump (`clusters?format=json`) indexed once for the clusters a namespace's checks
 * need: the hosts found are those of Envoy's own JSON, whatever its layout (snake or camel case,
 * pretty or compact, per-host stats, names that need escapes), and only the clusters asked for.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EnvoyClusters, type EnvoyHost } from "../verify/envoy";

interface Host {
  ip: string;
  port: number;
  priority?: number;
  health?: string;
}

const A = "outbound|8080||a.team-a.svc.cluster.local";
const B = "outbound|9090||b.team-b.svc.cluster.local";
const C = "outbound|8080||c.team-c.svc.cluster.local";

const CLUSTERS: Record<string, Host[]> = {
  [A]: [
    { ip: "10.0.0.7", port: 8080 },
    { ip: "10.18.10.196", port: 30880, priority: 1 },
  ],
  [B]: [{ ip: "10.0.0.8", port: 9090, health: "UNHEALTHY" }],
  [C]: [],
};

/** What the index must give for a cluster of CLUSTERS. */
const expected = (hosts: Host[]): EnvoyHost[] =>
  hosts.map((h) => ({ address: `${h.ip}:${h.port}`, ip: h.ip, priority: h.priority ?? 0, health: h.health ?? "HEALTHY" }));

/** Envoy's raw admin JSON: snake_case, zero values left out, each host's stats with `name` last (SimpleMetric's field 3). */
function envoyJson(clusters: Record<string, Host[]>, indent?: number): string {
  return JSON.stringify(
    {
      cluster_statuses: [
        { name: "BlackHoleCluster" },
        ...Object.entries(clusters).map(([name, hosts]) => ({
          name,
          added_via_api: true,
          host_statuses: hosts.map((h) => ({
            address: { socket_address: { address: h.ip, port_value: h.port } },
            stats: [
              { value: "3", name: "cx_total" },
              { type: "GAUGE", value: "1", name: "cx_active" },
            ],
            health_status: { eds_health_status: h.health ?? "HEALTHY" },
            weight: 1,
            ...(h.priority ? { priority: h.priority } : {}),
            locality: { region: "cn-shanghai" },
          })),
          circuit_breakers: { thresholds: [{ max_connections: 4294967295 }] },
          observability_name: name,
        })),
      ],
    },
    null,
    indent,
  );
}

/** istioctl proxy-config endpoints -o json: the same, re-marshalled in camelCase. */
function istioctlJson(clusters: Record<string, Host[]>): string {
  return JSON.stringify({
    clusterStatuses: Object.entries(clusters).map(([name, hosts]) => ({
      name,
      addedViaApi: true,
      hostStatuses: hosts.map((h) => ({
        address: { socketAddress: { address: h.ip, portValue: h.port } },
        healthStatus: { edsHealthStatus: h.health ?? "HEALTHY" },
        ...(h.priority ? { priority: h.priority } : {}),
      })),
    })),
  });
}

const found = (i: EnvoyClusters, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, i.hosts(n)]));

describe("an Envoy clusters dump, indexed once", () => {
  for (const [layout, text] of [
    ["Envoy's pretty-printed JSON", envoyJson(CLUSTERS, 1)],
    ["compact JSON", envoyJson(CLUSTERS)],
    ["istioctl's camelCase", istioctlJson(CLUSTERS)],
  ] as const) {
    it(`keeps exactly the clusters asked for, with their hosts: ${layout}`, () => {
      const i = EnvoyClusters.index(text, new Set([A, B, "outbound|80||absent.default.svc.cluster.local"]));
      assert.equal(i.size, 2);
      assert.deepEqual(found(i, [A, B, C, "outbound|80||absent.default.svc.cluster.local"]), {
        [A]: expected(CLUSTERS[A]!),
        [B]: expected(CLUSTERS[B]!),
        [C]: undefined,
        "outbound|80||absent.default.svc.cluster.local": undefined,
      });
    });

    it(`keeps every cluster when none are named: ${layout}`, () => {
      const i = EnvoyClusters.index(text);
      assert.deepEqual(found(i, [A, B, C]), { [A]: expected(CLUSTERS[A]!), [B]: expected(CLUSTERS[B]!), [C]: [] });
    });
  }

  it("finds a cluster whose name JSON escapes, and one in UTF-8, by the name itself", () => {
    const odd = 'outbound|8080||"quoted"\\back.team-a.svc.cluster.local';
    const wide = "outbound|8080||café.team-a.svc.cluster.local";
    const text = envoyJson({ [odd]: CLUSTERS[A]!, [wide]: CLUSTERS[B]!, [C]: [] }, 1);
    assert.ok(text.includes('\\"quoted\\"\\\\back'));
    const i = EnvoyClusters.index(text, new Set([odd, wide]));
    assert.deepEqual(found(i, [odd, wide]), { [odd]: expected(CLUSTERS[A]!), [wide]: expected(CLUSTERS[B]!) });
  });

  it("is not misled by a cluster's name where it is not a ClusterStatus's own: another key, a string, a stat", () => {
    const text = JSON.stringify({
      cluster_statuses: [
        { name: "decoy", observability_name: A, eds_service_name: `"name": "${A}"`, host_statuses: [] },
        {
          name: "stats-first",
          host_statuses: [{ address: { socket_address: { address: "10.9.9.9", port_value: 1 } }, stats: [{ value: "1", name: A }] }],
        },
        { name: A, host_statuses: [{ address: { socket_address: { address: "10.0.0.7", port_value: 8080 } } }] },
      ],
    });
    const i = EnvoyClusters.index(text, new Set([A]));
    assert.deepEqual(i.hosts(A), [{ address: "10.0.0.7:8080", ip: "10.0.0.7", priority: 0, health: "UNKNOWN" }]);
    assert.equal(i.size, 1);
  });

  it("reads a layout where name is not a status's first key by parsing it whole", () => {
    const text = JSON.stringify({
      cluster_statuses: [
        { added_via_api: true, host_statuses: [{ address: { socket_address: { address: "10.0.0.7", port_value: 8080 } } }], name: A },
      ],
    });
    assert.deepEqual(EnvoyClusters.index(text, new Set([A])).hosts(A), [
      { address: "10.0.0.7:8080", ip: "10.0.0.7", priority: 0, health: "UNKNOWN" },
    ]);
  });

  for (const [what, text, message] of [
    ["not JSON", "upstream connect error or disconnect/reset before headers", /Unexpected token/],
    ["JSON without cluster statuses", '{"configs": []}', /no cluster_statuses/],
    ["a dump cut short inside a wanted cluster", envoyJson(CLUSTERS).slice(0, envoyJson(CLUSTERS).indexOf(A) + 80), /JSON/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => EnvoyClusters.index(text, new Set([A])), message);
    });
  }
});
