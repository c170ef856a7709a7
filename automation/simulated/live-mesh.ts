/**
 * A healthy live mesh built from the plan, cluster by cluster, in the formats the clusters answer with
 * (what `mesh verify` reads): the objects the program creates (plannedObjects: namespaces, catalog
 * Services, the cross-network Gateway), what the charts and workloads add (istiod per revision, the
 * east-west gateway Service with the address the stand-in engine gives it, one ready injected pod per
 * catalog service, injected by its namespace's revision), a remote secret per peer pointing at the API
 * server the peer publishes, istiod's `/debug/clusterz` with every peer synced and `/debug/syncz` with
 * every proxy of its revision connected, and each sidecar's Envoy clusters at the planned priorities.
 * The demo's verify reads it through the stand-in Kubernetes API (kube-api.ts).
 */
import { gatewayEndpoint, gatewayExposure, type GatewayEndpoint } from "../../model/istio";
import { NETWORK_LABEL } from "../../model/istio-facts";
import { controlPlane, istiodReleaseName, resolveRevision } from "../../model/revisions";
import { serviceHost } from "../../model/services";
import type { MeshConfig } from "../../model/types";
import { planMesh, plannedObjects, validStacks, type MeshPlan } from "../../plan/plan";
import type { ProjectFiles } from "../../plan/stack-files";
import { SYNCZ_COMMAND } from "../../verify/data-plane";
import { CLUSTERZ_COMMAND, DISCOVERY_CONTAINER } from "../../verify/snapshot";
import { DEMO_ROOT_PEM } from "./demo-root-cert";
import type { ClusterWorld } from "./kube-api";
import { ACK_INTRANET, SLB_ADDRESS } from "./stand-in";

type Obj = ClusterWorld["pods"][number];
const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };

/** The address each stack's LoadBalancer gateway gets: the stand-in's for the first, the next /24 for each further one. */
export function loadBalancerAddresses(files: ProjectFiles): Map<string, string> {
  const lb = [...validStacks(files)].filter(([, m]) => m.eastWestGateway.type === "LoadBalancer").map(([s]) => s);
  const [a, b, , d] = SLB_ADDRESS.split(".");
  return new Map(lb.map((s, i) => [s, `${a}.${b}.${i}.${d}`]));
}

/** The gateway Service the chart renders and the cluster fills in: node ports as the stand-in assigns them. */
function gatewayService(mesh: MeshConfig, lb: string | undefined): Obj {
  const x = gatewayExposure(mesh);
  const nodePorts = x.type === "NodePort";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "istio-eastwestgateway",
      namespace: "istio-system",
      labels: { app: "istio-eastwestgateway", istio: "eastwestgateway", [NETWORK_LABEL]: mesh.cluster.network },
      annotations: mesh.eastWestGateway.nodeSelector
        ? { "traffic.istio.io/nodeSelector": JSON.stringify(mesh.eastWestGateway.nodeSelector) }
        : {},
    },
    spec: {
      type: x.type,
      clusterIP: "10.96.0.40",
      ...(x.externalIPs.length > 0 ? { externalIPs: [...x.externalIPs] } : {}),
      ports: x.ports.map((p, i) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: "TCP",
        ...(nodePorts ? { nodePort: p.nodePort ?? 31000 + i } : {}),
      })),
    },
    status: { loadBalancer: x.type === "LoadBalancer" ? { ingress: [{ ip: lb ?? SLB_ADDRESS }] } : {} },
  };
}

/** What istioctl create-remote-secret writes for a peer; its token is the stand-in's, read by nobody. */
function remoteSecret(peer: string, server: string): Obj {
  const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${peer}\n  cluster:\n    server: ${server}\n    certificate-authority-data: AAAA\ncontexts:\n- name: ${peer}\n  context:\n    cluster: ${peer}\n    user: ${peer}\ncurrent-context: ${peer}\nusers:\n- name: ${peer}\n  user:\n    token: reader-token-of-${peer}\n`;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `istio-remote-secret-${peer}`,
      namespace: "istio-system",
      labels: { "istio/multiCluster": "true" },
      annotations: { "networking.istio.io/cluster": peer },
    },
    data: { [peer]: Buffer.from(kubeconfig).toString("base64") },
  };
}

/** Envoy's raw admin JSON (`clusters?format=json`): snake_case, `priority` left out at 0. */
function envoyDump(clusters: readonly { name: string; hosts: readonly { ip: string; port: number; priority: number }[] }[]): string {
  return JSON.stringify({
    cluster_statuses: clusters.map((c) => ({
      name: c.name,
      added_via_api: true,
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.ip, port_value: h.port } },
        health_status: { eds_health_status: "HEALTHY" },
        weight: 1,
        ...(h.priority ? { priority: h.priority } : {}),
      })),
    })),
  });
}

interface Cluster {
  readonly stack: string;
  readonly index: number;
  readonly mesh: MeshConfig;
  readonly gateway: Obj;
  readonly endpoint: GatewayEndpoint;
}

/** Each catalog service's pod IP in a cluster: `10.<200+cluster>.<…>` so no two clusters share one. */
const podIp = (cluster: number, n: number) => `10.${200 + cluster}.${1 + Math.floor(n / 250)}.${10 + (n % 250)}`;

function world(c: Cluster, plan: MeshPlan, all: ReadonlyMap<string, Cluster>, planned: Obj[]): ClusterWorld {
  const name = c.mesh.cluster.name;
  const cp = controlPlane(c.mesh);
  const services = c.mesh.services;
  const peers = plan.links.filter((l) => l.reader === name).map((l) => l.reads);
  const byCluster = new Map([...all.values()].map((x) => [x.mesh.cluster.name, x]));
  const hub = c.mesh.istio.hub ?? "docker.io/istio";
  const istiods = cp.revisions.map((r, i) => ({ r, pod: `${istiodReleaseName(r)}-7d4b9c8f6d-${i}x9k` }));
  // each namespace's pods injected by the revision its label (or tag) names
  const injector = new Map(cp.namespaces.map((n) => [n.namespace, resolveRevision(cp, n.tag ?? n.revision)?.name ?? n.revision]));
  const appPods = services.map((s, n) => ({
    s,
    ip: podIp(c.index, n),
    pod: `${s.name}-v1-6b8c9d7f5-${n}`,
    labels: { ...(s.selector ?? { app: s.name }), version: "v1" },
    revision: injector.get(s.namespace) ?? cp.revisions[0]!.name,
  }));
  // one source pod per namespace: it sees every catalog service at the plan's priorities
  const clusters = services.flatMap((s) => {
    const steps =
      plan.routing
        .find((r) => r.id === plan.services.find((x) => x.host === serviceHost(s))?.routing)
        ?.routes.find((r) => r.caller === name)?.steps ?? [];
    const local = appPods.find((p) => p.s === s)!;
    return s.ports.map((port) => ({
      name: `outbound|${port.port}||${serviceHost(s)}`,
      hosts: steps.flatMap((st) => {
        if (st.cluster === name)
          return [{ ip: local.ip, port: typeof port.targetPort === "number" ? port.targetPort : port.port, priority: st.priority }];
        const peer = byCluster.get(st.cluster)?.endpoint;
        return (peer?.addresses ?? []).map((ip) => ({ ip, port: peer!.peerPort ?? 15443, priority: st.priority }));
      }),
    }));
  });
  const dump = envoyDump(clusters);
  const sources = [...new Set(services.map((s) => s.namespace))].map((ns) => appPods.find((p) => p.s.namespace === ns)!);
  const published = (peer: string): string => {
    const p = byCluster.get(peer);
    return (
      plan.clusters.find((x) => x.name === peer)?.apiServer ??
      (p?.mesh.cluster.source.kind === "ack" ? ACK_INTRANET : `https://${peer}.invalid:6443`)
    );
  };
  return {
    namespaces: planned.filter((o) => o.kind === "Namespace"),
    deployments: istiods.map(({ r }) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: istiodReleaseName(r), namespace: "istio-system", labels: { app: "istiod", "istio.io/rev": r.name } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: "discovery", image: `${hub}/pilot:${r.imageTag}` }] } } },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    })),
    pods: [
      ...istiods.map(({ r, pod }, i) => ({
        metadata: {
          name: pod,
          namespace: "istio-system",
          labels: { app: "istiod", "istio.io/rev": r.name },
          annotations: { "prometheus.io/port": "15014", "prometheus.io/scrape": "true" },
        },
        spec: { containers: [{ name: "discovery", image: `${hub}/pilot:${r.imageTag}` }] },
        status: { ...ready, podIP: podIp(c.index, 240 + i) },
      })),
      ...appPods.map((p) => ({
        // the annotations the injector writes (istio-discovery files/injection-template.yaml; pkg/kube/inject/webhook.go)
        metadata: {
          name: p.pod,
          namespace: p.s.namespace,
          labels: p.labels,
          annotations: {
            "istio.io/rev": p.revision,
            "sidecar.istio.io/status": JSON.stringify({
              initContainers: ["istio-init"],
              containers: ["istio-proxy"],
              volumes: ["istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"],
              imagePullSecrets: null,
              revision: p.revision,
            }),
          },
        },
        spec: { containers: [{ name: p.s.name }, { name: "istio-proxy" }] },
        status: { ...ready, podIP: p.ip },
      })),
    ],
    secrets: peers.map((p) => remoteSecret(p, published(p))),
    services: [c.gateway, ...planned.filter((o) => o.kind === "Service")],
    configmaps: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "istio-ca-root-cert", namespace: "istio-system" },
        data: { "root-cert.pem": DEMO_ROOT_PEM },
      },
    ],
    gateways: planned.filter((o) => o.kind === "Gateway"),
    envoy: Object.fromEntries(sources.map((p) => [`${p.s.namespace}/${p.pod}`, dump])),
    // istiod's debug endpoints, read by exec in its discovery container: the peers it reads, the proxies connected to it
    exec: Object.fromEntries(
      istiods.flatMap(({ r, pod }) => [
        [
          `istio-system/${pod}/${DISCOVERY_CONTAINER}: ${CLUSTERZ_COMMAND.join(" ")}`,
          JSON.stringify([
            { id: name, secretName: "", syncStatus: "synced" },
            ...peers.map((p) => ({ id: p, secretName: `istio-system/istio-remote-secret-${p}`, syncStatus: "synced" })),
          ]),
        ],
        [
          `istio-system/${pod}/${DISCOVERY_CONTAINER}: ${SYNCZ_COMMAND.join(" ")}`,
          JSON.stringify(
            appPods
              .filter((p) => p.revision === r.name)
              .map((p) => ({ cluster_id: name, proxy: `${p.pod}.${p.s.namespace}`, proxy_type: "sidecar", istio_version: r.version })),
          ),
        ],
      ]),
    ),
  };
}

/** Every valid stack's cluster, as a healthy converged mesh would answer. */
export function liveMesh(files: ProjectFiles): Map<string, ClusterWorld> {
  const plan = planMesh(files);
  const objects = plannedObjects(files);
  const lb = loadBalancerAddresses(files);
  const clusters = new Map<string, Cluster>();
  [...validStacks(files)].forEach(([stack, mesh], index) => {
    const gateway = gatewayService(mesh, lb.get(stack));
    clusters.set(stack, { stack, index, mesh, gateway, endpoint: gatewayEndpoint(gatewayExposure(mesh), gateway as never) });
  });
  return new Map(
    [...clusters].map(([stack, c]) => [stack, world(c, plan, clusters, (objects.get(stack)?.objects ?? []) as unknown as Obj[])]),
  );
}
