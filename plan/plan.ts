/**
 * The whole mesh, planned offline from the project's stack files: every cluster, the links between
 * them, the routing of every catalog service from every cluster, and the mistakes that only show
 * across stacks. Built from the same model/ functions the program applies.
 */
import { clusterObjects, exportsRemoteAccess, type ClusterObjects } from "../model/cluster-objects";
import { gatewayEndpoint, gatewayExposure } from "../model/istio";
import { stackShortName } from "../model/peers";
import { controlPlane } from "../model/revisions";
import { istioSummary, type IstioSummary } from "./istio-summary";
import { DEFAULT_OUTLIER_DETECTION, serviceHost } from "../model/services";
import type { CatalogService } from "../model/types";
import { baseRelease, gatewayRelease, istiodReleases } from "../model/istio";
import {
  chartHost,
  clusterSupply,
  imageHost,
  isMainlandChinaRegion,
  unreachableInMainlandChina,
  type ClusterSupply,
} from "../model/supply";
import type { ProjectFiles } from "./stack-files";
import { crossStackFindings } from "./checks/cross-stack";
import { loadStack } from "./stack-load";

export { validStacks } from "./stack-load";
import type { Finding, ValidStack } from "./checks/context";

export type { Finding } from "./checks/context";
export { crossStackFindings } from "./checks/cross-stack";

export const PLAN_SCHEMA_VERSION = 1;

export interface PlannedCluster {
  readonly stack: string;
  readonly name: string;
  readonly network: string;
  readonly region: string | null;
  readonly source: "ack" | "kubeContext" | "kubeconfig";
  /** e.g. `ACK ack.pro.small 1.33.3-aliyun.1 in cn-shanghai-e, cn-shanghai-f` or `kube context wuxi`. */
  readonly sourceDetail: string;
  /** The API server address peers will use; null when only known after deploy. */
  readonly apiServer: string | null;
  readonly apiServerNote: string;
  readonly gateway: {
    readonly type: "LoadBalancer" | "NodePort";
    /** `address:port` peers are sent to, as far as config tells. */
    readonly endpoints: readonly string[];
    /** Where peers are sent, in words when the address is only known after deploy. */
    readonly peersSendTo: string;
    readonly note: string;
  };
  readonly trust: { readonly mode: "anchor" | "rootStack" | "pki" | "none"; readonly issuer: string | null };
  /** Short names of the stacks whose clusters this istiod reads. */
  readonly reads: readonly string[];
  /** Its istiod revisions with their versions, where each revision tag points, what the east-west gateway follows. */
  readonly istio: IstioSummary;
  /** Each catalog namespace's injection label (`istio.io/rev=prod-stable`), the tag it names and the revision that injects it. */
  readonly injection: readonly { readonly namespace: string; readonly label: string; readonly tag?: string; readonly revision: string }[];
}

export interface PlannedLink {
  /** The cluster whose istiod reads... */
  readonly reader: string;
  /** ...this cluster's API server, through `istio-remote-secret-<reads>`. */
  readonly reads: string;
  /** `one-way` when the other stack does not list the reader back. */
  readonly status: "mutual" | "one-way";
}

export interface RouteStep {
  readonly priority: number;
  readonly cluster: string;
  /** `local endpoints`, or the east-west gateway the traffic enters. */
  readonly via: string;
}

/** How calls to a service move between clusters; services with the same settings share one. */
export interface RoutingPolicy {
  readonly id: string;
  readonly locality: "preferLocal" | "failover" | "distribute";
  readonly outlierDetection: Readonly<Record<string, string | number>>;
  /** For each calling cluster, where its calls go, in order. */
  readonly routes: readonly { readonly caller: string; readonly steps: readonly RouteStep[]; readonly words: string }[];
}

export interface PlannedService {
  readonly host: string;
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly number[];
  /** The id of its routing policy. */
  readonly routing: string;
}

/** What one cluster pulls: the three charts and every image, with where each comes from. */
export interface PlannedSupply {
  readonly stack: string;
  readonly cluster: string;
  readonly region: string | null;
  readonly charts: ClusterSupply["charts"];
  readonly images: ClusterSupply["images"];
}

export interface MeshPlan {
  readonly schemaVersion: number;
  readonly project: string;
  readonly meshId: string | null;
  readonly istioVersion: string | null;
  readonly stacks: readonly string[];
  readonly clusters: readonly PlannedCluster[];
  readonly links: readonly PlannedLink[];
  readonly trust: { readonly anchor: string | null; readonly issuers: readonly { readonly stack: string; readonly from: string }[] };
  readonly routing: readonly RoutingPolicy[];
  readonly services: readonly PlannedService[];
  readonly supply: readonly PlannedSupply[];
  readonly findings: readonly Finding[];
  readonly summary: { readonly errors: number; readonly warnings: number };
}

/** The stacks of this project that `v` lists as peers, in its order. */
function peerStacks(v: ValidStack, byFq: ReadonlyMap<string, ValidStack>): ValidStack[] {
  return v.mesh.peers.map((p) => byFq.get(p)).filter((p): p is ValidStack => p !== undefined);
}

/** A stack in mainland China that pulls from a host often blocked there: one warning per host and key. */
export function supplyFindings(supply: readonly PlannedSupply[]): Finding[] {
  const out: Finding[] = [];
  for (const s of supply) {
    if (!isMainlandChinaRegion(s.region ?? undefined)) continue;
    const pulls = [
      ...s.charts.map((c) => ({ host: chartHost(c.source), what: `the ${c.name} chart`, path: "mesh:istio.repo" })),
      ...s.images.map((i) => ({ host: imageHost(i.ref), what: `the image ${i.ref}`, path: "mesh:istio.hub" })),
    ];
    const seen = new Set<string>();
    for (const p of pulls) {
      if (p.host === undefined || !unreachableInMainlandChina(p.host) || seen.has(`${p.host} ${p.path}`)) continue;
      seen.add(`${p.host} ${p.path}`);
      const all = pulls.filter((q) => q.host === p.host && q.path === p.path).map((q) => q.what);
      out.push({
        severity: "warning",
        stack: s.stack,
        path: p.path,
        message: `region ${s.region} pulls ${all.join(", ")} from ${p.host}, which is often unreachable or throttled from mainland China`,
        fix: `mirror them (npm run -s plan -- --format mirror) and set ${p.path} to the mirror: an ACR Enterprise Edition instance or the site's own registry (docs/mirrors.md)`,
      });
    }
  }
  return out;
}

export function planMesh(files: ProjectFiles): MeshPlan {
  const findings: Finding[] = [];
  const stacks = Object.keys(files.stacks);
  for (const p of files.projectConfigProblems) {
    findings.push({
      severity: "error",
      stack: "*",
      path: "Pulumi.yaml",
      message: p,
      fix: "write the entry as the Pulumi CLI accepts it (docs/configuration.md)",
    });
  }
  const valid: ValidStack[] = [];
  for (const stack of stacks) {
    const { valid: v, issues } = loadStack(files, stack);
    for (const i of issues) findings.push({ severity: "error", stack, path: i.path, message: i.message, fix: i.fix });
    if (v) valid.push(v);
  }
  const byFq = new Map(valid.map((v) => [v.fq, v]));
  findings.push(...crossStackFindings(valid, stacks, files.project));

  const clusters = valid.map((v) => planCluster(v, byFq));
  const supply = valid.map((v, i) => ({
    stack: v.stack,
    cluster: v.mesh.cluster.name,
    region: clusters[i]!.region,
    ...clusterSupply([baseRelease(v.mesh), ...istiodReleases(v.mesh), gatewayRelease(v.mesh)]),
  }));
  findings.push(...supplyFindings(supply));
  const links: PlannedLink[] = [];
  for (const v of valid) {
    for (const other of peerStacks(v, byFq)) {
      links.push({
        reader: v.mesh.cluster.name,
        reads: other.mesh.cluster.name,
        status: other.mesh.peers.includes(v.fq) ? "mutual" : "one-way",
      });
    }
  }
  const anchor = valid.find((v) => v.mesh.trust.kind === "anchor");
  const issuers = valid.flatMap((v) =>
    v.mesh.trust.kind === "anchor"
      ? [{ stack: v.stack, from: "its own root (anchor)" }]
      : v.mesh.trust.kind === "rootStack"
        ? [{ stack: v.stack, from: stackShortName(v.mesh.trust.stack) }]
        : v.mesh.trust.kind === "pki"
          ? [{ stack: v.stack, from: "the team's PKI" }]
          : [],
  );
  const first = valid[0]?.mesh;
  const errors = findings.filter((f) => f.severity === "error").length;
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    project: files.project,
    meshId: first?.meshId ?? null,
    istioVersion: first?.istio.version ?? null,
    stacks,
    clusters,
    links,
    trust: { anchor: anchor?.stack ?? null, issuers },
    ...planServices(valid, byFq, clusters),
    supply,
    findings,
    summary: { errors, warnings: findings.length - errors },
  };
}

function planCluster(v: ValidStack, byFq: Map<string, ValidStack>): PlannedCluster {
  const c = v.mesh.cluster;
  const src = c.source;
  const endpoint = gatewayEndpoint(gatewayExposure(v.mesh));
  const port = endpoint.peerPort !== undefined ? String(endpoint.peerPort) : "<node port assigned at deploy>";
  const gw = v.mesh.eastWestGateway;
  const internalSlb =
    src.kind === "ack" && gw.annotations["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type"] === undefined;
  const endpoints = endpoint.addresses.map((a) => `${a}:${port}`);
  const unknown =
    gw.type === "LoadBalancer"
      ? `<${internalSlb ? "internal SLB" : "load balancer"} address, known after deploy>:${port}`
      : `<selected nodes' ExternalIP>:${port}`;
  return {
    stack: v.stack,
    name: c.name,
    network: c.network,
    region: src.kind === "ack" ? src.region : (c.locality?.region ?? null),
    source: src.kind,
    sourceDetail:
      src.kind === "ack"
        ? `ACK ${src.clusterSpec} ${src.version} in ${src.zones.join(", ")}`
        : src.kind === "kubeContext"
          ? `existing cluster, kube context ${src.context}`
          : "existing cluster, kubeconfig [secret]",
    apiServer: c.apiServer ?? null,
    apiServerNote: c.apiServer
      ? "from mesh:cluster.apiServer"
      : src.kind === "ack"
        ? "the cluster's intranet endpoint, known after deploy"
        : "not set: peers cannot read this cluster",
    gateway: {
      type: gw.type,
      endpoints,
      peersSendTo: gw.type === "LoadBalancer" || endpoints.length === 0 ? [unknown, ...endpoints].join(", ") : endpoints.join(", "),
      note:
        gw.type === "LoadBalancer"
          ? `${internalSlb ? "an internal SLB" : "a load balancer"}; istiod adds any externalIPs to its address`
          : `traffic.istio.io/nodeSelector ${JSON.stringify(gw.nodeSelector ?? {})}; istiod adds externalIPs to the selected nodes' ExternalIPs`,
    },
    trust: {
      mode: v.mesh.trust.kind,
      issuer:
        v.mesh.trust.kind === "rootStack"
          ? stackShortName(v.mesh.trust.stack)
          : v.mesh.trust.kind === "anchor"
            ? v.stack
            : v.mesh.trust.kind === "pki"
              ? "team PKI"
              : null,
    },
    reads: peerStacks(v, byFq).map((p) => p.stack),
    istio: istioSummary(controlPlane(v.mesh)),
    injection: controlPlane(v.mesh).namespaces.map((n) => ({
      namespace: n.namespace,
      label: `${n.label.key}=${n.label.value}`,
      ...(n.tag ? { tag: n.tag } : {}),
      revision: n.revision,
    })),
  };
}

function outlierOf(s: CatalogService): Record<string, string | number> {
  return { ...DEFAULT_OUTLIER_DETECTION, ...(s.outlierDetection ?? {}) };
}

function planServices(
  valid: readonly ValidStack[],
  byFq: Map<string, ValidStack>,
  clusters: readonly PlannedCluster[],
): { routing: RoutingPolicy[]; services: PlannedService[] } {
  const catalog = valid[0]?.mesh.services ?? [];
  const gatewayOf = new Map(clusters.map((c) => [c.stack, c.gateway.peersSendTo]));
  const policies = new Map<string, RoutingPolicy>();
  const services = catalog.map((s) => {
    // the routes depend only on these: 1000 services with the defaults share one policy
    const key = JSON.stringify([s.locality, s.outlierDetection ?? null]);
    let policy = policies.get(key);
    if (!policy) policies.set(key, (policy = routingPolicy(`r${policies.size + 1}`, s, valid, byFq, gatewayOf)));
    return { host: serviceHost(s), name: s.name, namespace: s.namespace, ports: s.ports.map((p) => p.port), routing: policy.id };
  });
  return { routing: [...policies.values()], services };
}

function routingPolicy(
  id: string,
  s: CatalogService,
  valid: readonly ValidStack[],
  byFq: Map<string, ValidStack>,
  gatewayOf: Map<string, string>,
): RoutingPolicy {
  const od = outlierOf(s);
  const trigger = `${od.consecutive5xxErrors} consecutive 5xx, checked every ${od.interval}, ejected for ${od.baseEjectionTime}, up to ${od.maxEjectionPercent}% of hosts`;
  const routes = valid.map((caller) => {
    const remote = peerStacks(caller, byFq);
    const steps: RouteStep[] = [
      { priority: 0, cluster: caller.mesh.cluster.name, via: "local endpoints" },
      ...remote.map((r) => ({ priority: 1, cluster: r.mesh.cluster.name, via: `east-west gateway ${gatewayOf.get(r.stack)!}` })),
    ];
    const others = remote.map((r) => `${r.mesh.cluster.name} through ${gatewayOf.get(r.stack)!}`).join(" and ");
    let words: string;
    if (s.locality.mode === "distribute") {
      const weights = s.locality
        .distribute!.map(
          (d) =>
            `${d.from} → ${Object.entries(d.to)
              .map(([k, w]) => `${k} ${w}%`)
              .join(", ")}`,
        )
        .join("; ");
      words = `From ${caller.mesh.cluster.name}: spread by locality weights (${weights}), over local endpoints${others ? ` and ${others}` : ""}.`;
    } else {
      words =
        `From ${caller.mesh.cluster.name}: its own endpoints first (priority 0)` +
        (others
          ? `; when outlier detection (${trigger}) has ejected enough of them, ${others} (priority 1)`
          : "; no other cluster is read, so no failover") +
        (s.locality.mode === "failover" ? `; across regions ${s.locality.failover!.map((f) => `${f.from} → ${f.to}`).join(", ")}` : "") +
        ".";
    }
    return { caller: caller.mesh.cluster.name, steps, words };
  });
  return { id, locality: s.locality.mode, outlierDetection: od, routes };
}

/** Who reads whom, from the stack files: what converge orders its rounds by. Errors first, if any. */
export function meshTopology(files: ProjectFiles): {
  readonly stacks: readonly {
    readonly name: string;
    readonly anchor: boolean;
    readonly peers: readonly string[];
    /** The control planes the stack file declares: revisions, where each tag points, what the gateway follows. */
    readonly istio: IstioSummary;
  }[];
  readonly errors: readonly Finding[];
} {
  const plan = planMesh(files);
  const errors = plan.findings.filter((f) => f.severity === "error");
  const loaded = Object.keys(files.stacks)
    .map((s) => loadStack(files, s).valid)
    .filter((v): v is ValidStack => v !== undefined);
  const byFq = new Map(loaded.map((v) => [v.fq, v]));
  return {
    stacks: loaded.map((v) => ({
      name: v.stack,
      anchor: v.mesh.trust.kind === "anchor",
      peers: peerStacks(v, byFq).map((p) => p.stack),
      istio: istioSummary(controlPlane(v.mesh)),
    })),
    errors,
  };
}

/** Every object each valid stack will create once the mesh has converged (all peers linked). */
export function plannedObjects(files: ProjectFiles): Map<string, ClusterObjects> {
  const out = new Map<string, ClusterObjects>();
  const loaded = Object.keys(files.stacks)
    .map((s) => loadStack(files, s).valid)
    .filter((v): v is ValidStack => v !== undefined);
  const byFq = new Map(loaded.map((v) => [v.fq, v]));
  for (const v of loaded) {
    const linkedPeers = peerStacks(v, byFq)
      .filter((p) => exportsRemoteAccess(p.mesh))
      .map((p) => p.mesh.cluster.name);
    out.set(v.stack, clusterObjects(v.mesh, { trustReady: true, linkedPeers }));
  }
  return out;
}
