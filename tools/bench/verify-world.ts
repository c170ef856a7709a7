/**
 * What each cluster of the verify benchmark holds: istiod synced with every peer, the east-west gateway
 * on its fixed address, one ready injected pod per catalog service, and one source pod per namespace
 * whose Envoy sees every service (its own pod at priority 0, each peer's gateway at 1).
 */
import type { ClusterWorld } from "../../test/fixtures/kube-api";
import { ROOT_PEM } from "../../test/fixtures/mesh-worlds";
import { remoteKubeconfig } from "../../test/fixtures/stacks";
import { apiServer, gatewayIp, NAMESPACES, serviceNamespace } from "./mesh";

const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };
/** The IP of service s's pod in cluster i. */
export const podIp = (i: number, s: number): string => `10.${100 + i}.${Math.floor(s / 250)}.${(s % 250) + 2}`;

export function verifyWorld(i: number, clusters: number, services: number): ClusterWorld {
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
      host_statuses: [host(podIp(i, s), 8080, 0), ...peers.map((j) => host(gatewayIp(j), 30880, 1))],
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
      data: { [`c${j}`]: Buffer.from(remoteKubeconfig(`c${j}`, apiServer(j), `t${j}`)).toString("base64") },
    })),
    services: [
      {
        metadata: {
          name: "istio-eastwestgateway",
          namespace: "istio-system",
          labels: { "topology.istio.io/network": net },
          annotations: { "traffic.istio.io/nodeSelector": "{}" },
        },
        spec: { type: "NodePort", externalIPs: [gatewayIp(i)], ports: [{ name: "tls", port: 15443, nodePort: 30880 }] },
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
    // istiod's debug endpoints, read by exec in its discovery container: every peer synced, every pod's proxy connected
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
