/**
 * mesh verify at scale: 10 clusters (every one a peer of every other) × 1000 catalog services in 20
 * namespaces, each cluster a stand-in Kubernetes API on loopback answering every request after 20 ms.
 * Prints the wall time, the requests made and the most requests in flight per cluster.
 *
 *   npm run bench -- verify [clusters] [services]
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { readProject } from "../../plan/stack-files";
import { startStandIn, writeKubeconfig, type ClusterWorld, type StandIn } from "../../test/fixtures/kube-api";
import { ROOT_PEM } from "../../test/fixtures/mesh-worlds";
import { verifyMesh } from "../../verify/verify";
import { apiServer, gatewayIp as gwIp, generate, NAMESPACES, serviceNamespace } from "./mesh";

const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };
const podIp = (i: number, s: number) => `10.${100 + i}.${Math.floor(s / 250)}.${(s % 250) + 2}`;

function world(i: number, clusters: number, services: number): ClusterWorld {
  const peers = Array.from({ length: clusters }, (_, j) => j).filter((j) => j !== i);
  const net = `network-c${i}`;
  const host = (ip: string, port: number, priority: number) => ({
    address: { socket_address: { address: ip, port_value: port } },
    health_status: { eds_health_status: "HEALTHY" },
    weight: 1,
    ...(priority ? { priority } : {}),
  });
  // the sidecar of every namespace sees every service: its own pod at 0, each peer's gateway at 1
  const dump = JSON.stringify({
    cluster_statuses: Array.from({ length: services }, (_, s) => ({
      name: `outbound|8080||svc-${s}.${serviceNamespace(s)}.svc.cluster.local`,
      host_statuses: [host(podIp(i, s), 8080, 0), ...peers.map((j) => host(gwIp(j), 30880, 1))],
    })),
  });
  const pods = Array.from({ length: services }, (_, s) => ({
    metadata: {
      name: `svc-${s}-0`,
      namespace: `${serviceNamespace(s)}`,
      labels: { app: `svc-${s}` },
      annotations: { "istio.io/rev": "default" },
    },
    spec: { containers: [{ name: "app" }, { name: "istio-proxy" }] },
    status: { ...ready, podIP: podIp(i, s) },
  }));
  return {
    namespaces: [{ metadata: { name: "istio-system", labels: { "topology.istio.io/network": net } } }],
    deployments: [
      {
        metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod" } },
        spec: { replicas: 1, template: { spec: { containers: [{ name: "discovery", image: "docker.io/istio/pilot:1.30.3" }] } } },
        status: { availableReplicas: 1 },
      },
    ],
    pods: [{ metadata: { name: "istiod-0", namespace: "istio-system", labels: { app: "istiod" } }, status: ready }, ...pods],
    secrets: peers.map((j) => ({
      metadata: { name: `istio-remote-secret-c${j}`, namespace: "istio-system", labels: { "istio/multiCluster": "true" } },
      data: { [`c${j}`]: Buffer.from(`clusters:\n- name: c${j}\n  cluster:\n    server: ${apiServer(j)}\n`).toString("base64") },
    })),
    services: [
      {
        metadata: {
          name: "istio-eastwestgateway",
          namespace: "istio-system",
          labels: { "topology.istio.io/network": net },
          annotations: { "traffic.istio.io/nodeSelector": "{}" },
        },
        spec: { type: "NodePort", externalIPs: [gwIp(i)], ports: [{ name: "tls", port: 15443, nodePort: 30880 }] },
      },
      ...Array.from({ length: services }, (_, s) => ({
        metadata: { name: `svc-${s}`, namespace: `${serviceNamespace(s)}` },
        spec: {
          type: "ClusterIP",
          selector: { app: `svc-${s}` },
          ports: [{ name: "http", port: 8080, targetPort: 8080, protocol: "TCP" }],
        },
      })),
    ],
    configmaps: [{ metadata: { name: "istio-ca-root-cert", namespace: "istio-system" }, data: { "root-cert.pem": ROOT_PEM } }],
    gateways: [
      {
        metadata: { name: "cross-network-gateway", namespace: "istio-system" },
        spec: { servers: [{ port: { number: 15443 }, tls: { mode: "AUTO_PASSTHROUGH" } }] },
      },
    ],
    envoy: Object.fromEntries(Array.from({ length: NAMESPACES }, (_, n) => [`${serviceNamespace(n)}/svc-${n}-0`, dump])),
    // istiod's /debug/syncz: every pod's proxy connected to it
    exec: {
      "istio-system/istiod-0/discovery: pilot-discovery request GET /debug/clusterz": JSON.stringify([
        { id: `c${i}`, secretName: "", syncStatus: "synced" },
        ...peers.map((j) => ({ id: `c${j}`, secretName: `istio-system/istio-remote-secret-c${j}`, syncStatus: "synced" })),
      ]),
      "istio-system/istiod-0/discovery: pilot-discovery request GET /debug/syncz": JSON.stringify(
        pods.map((p) => ({ proxy: `${p.metadata.name}.${p.metadata.namespace}`, proxy_type: "sidecar", istio_version: "1.30.3" })),
      ),
    },
  };
}

export async function benchVerify(clusters = 10, services = 1000, latencyMs = 20, inFlight = 8): Promise<void> {
  // one port per service, every cluster on a kube context (verify reads each through a stand-in)
  const dir = generate(clusters, services, { ackAnchor: false, ports: [{ name: "http", port: 8080 }] });
  const standIns: StandIn[] = [];
  try {
    for (let i = 0; i < clusters; i++) standIns.push(await startStandIn(world(i, clusters, services), { token: `t${i}`, latencyMs }));
    const kubeconfig = writeKubeconfig(
      join(dir, "kubeconfig"),
      standIns.map((s, i) => ({ context: `c${i}`, url: s.url, token: `t${i}` })),
    );
    const files = readProject(dir);
    const t = performance.now();
    const r = await verifyMesh(files, { loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfig), inFlight, timeoutMs: 30_000 });
    const ms = Math.round(performance.now() - t);
    const requests = standIns.map((s) => s.requests.length);
    const maxInFlight = Math.max(...standIns.map((s) => s.maxInFlight()));
    console.log(
      `verify: ${clusters} clusters × ${services} services (${NAMESPACES} namespaces), ${latencyMs} ms per request: ${ms} ms; ` +
        `${requests.reduce((a, b) => a + b, 0)} requests (${Math.min(...requests)}–${Math.max(...requests)} per cluster), at most ${maxInFlight} in flight per cluster (limit ${inFlight}); ` +
        `${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.errors} unreadable; ${r.routing.length} routing rows; exit ${r.exitCode}`,
    );
    if (r.exitCode !== 0)
      for (const c of r.clusters
        .flatMap((x) => x.checks)
        .filter((x) => x.result !== "pass")
        .slice(0, 5))
        console.log(`  ${c.cluster} ${c.code} ${c.name}: ${c.detail}`);
  } finally {
    await Promise.all(standIns.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
