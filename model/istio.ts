/**
 * The Istio primary of one cluster as data: the labelled namespace, the three Helm releases with
 * their values, and the cross-network Gateway. Components apply exactly this.
 */
import {
  ACK_INTRANET_SLB_ANNOTATION,
  CROSS_NETWORK_GATEWAY_NAME,
  CROSS_NETWORK_PORT,
  EAST_WEST_GATEWAY_NAME,
  EAST_WEST_GATEWAY_SELECTOR,
  ISTIO_NAMESPACE,
  NETWORK_GATEWAY_PORTS,
  NETWORK_LABEL,
  NODE_SELECTOR_ANNOTATION,
} from "./istio-facts";
import type { BaseValues, GatewayValues, IstiodValues } from "./chart-values-types";
import { deepMerge } from "./merge";
import type { MeshConfig } from "./types";
import type { KubeObject, ReleaseSpec } from "./kube-types";
import { controlPlane, istiodReleaseName, resolveRevision, type Revision } from "./revisions";

export type { KubeObject, ReleaseSpec } from "./kube-types";

export interface NamespaceSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** istio-system, labelled with the network: istiod's fallback for every pod's network (istio/istio `pilot/pkg/serviceregistry/kube/controller/network.go`). */
export function istioNamespace(cfg: MeshConfig): NamespaceSpec {
  return { name: ISTIO_NAMESPACE, labels: { [NETWORK_LABEL]: cfg.cluster.network } };
}

function release(
  cfg: MeshConfig,
  chart: ReleaseSpec["chart"],
  name: string,
  own: BaseValues | IstiodValues | GatewayValues,
  timeoutSeconds: number,
  version = cfg.istio.version,
): ReleaseSpec {
  return {
    name,
    chart,
    version,
    repo: cfg.istio.repo,
    namespace: ISTIO_NAMESPACE,
    // the user's values are an escape hatch: merged last, over ours
    values: deepMerge({ ...own }, cfg.istio.values[chart]),
    timeoutSeconds,
    // atomic on every release: the provider passes only `atomic` to a first install, and
    // `cleanupOnFail`/`maxHistory` only to upgrades (pulumi-kubernetes helm_release.go, helmCreate
    // and helmUpdate); without it a failed first install leaves a failed release the next run trips on
    atomic: true,
  };
}

/**
 * CRDs and the reader service account, shared by every revision, at `mesh:istio.version` (the newest
 * revision's: older istiods read newer CRDs). `defaultRevision` already defaults to `default`.
 */
export function baseRelease(cfg: MeshConfig): ReleaseSpec {
  const rev = controlPlane(cfg).baseDefaultRevision;
  const own: BaseValues = rev ? { defaultRevision: rev } : {};
  // atomic too: its CRDs carry helm.sh/resource-policy: keep, so neither an uninstall nor a rollback deletes them
  return release(cfg, "base", "istio-base", own, 300);
}

/** One revision's istiod: `istiod` for the default revision, `istiod-<revision>` beside it. */
export function istiodRevisionRelease(cfg: MeshConfig, rev: Revision): ReleaseSpec {
  const own: IstiodValues = {
    ...(rev.chartRevision ? { revision: rev.chartRevision } : {}),
    global: {
      meshID: cfg.meshId,
      multiCluster: { clusterName: cfg.cluster.name },
      network: cfg.cluster.network,
      // set even when they are the chart's defaults: what runs is what the plan's Supply lists
      hub: cfg.istio.hub,
      tag: rev.imageTag,
      ...(cfg.istio.imagePullSecrets.length > 0 ? { imagePullSecrets: [...cfg.istio.imagePullSecrets] } : {}),
    },
  };
  return release(cfg, "istiod", istiodReleaseName(rev), own, 600, rev.version);
}

/** Every installed revision's istiod, oldest first. */
export function istiodReleases(cfg: MeshConfig): ReleaseSpec[] {
  return controlPlane(cfg).revisions.map((r) => istiodRevisionRelease(cfg, r));
}

/** The one istiod of a single-revision cluster (the first, with mesh:revisions). */
export function istiodRelease(cfg: MeshConfig): ReleaseSpec {
  return istiodReleases(cfg)[0]!;
}

/** Annotations of the gateway Service: ours first, the user's win. */
export function gatewayServiceAnnotations(cfg: MeshConfig): Record<string, string> {
  const gw = cfg.eastWestGateway;
  const own: Record<string, string> = {};
  if (gw.type === "LoadBalancer" && cfg.cluster.source.kind === "ack") {
    // peers reach this gateway over the private line: an internal SLB, never a public one
    own[ACK_INTRANET_SLB_ANNOTATION] = "intranet";
  }
  if (gw.nodeSelector !== undefined) {
    // istiod parses this value as JSON, not key=value (istio/istio `pilot/pkg/serviceregistry/kube/conversion.go`)
    own[NODE_SELECTOR_ANNOTATION] = JSON.stringify(gw.nodeSelector);
  }
  return { ...own, ...gw.annotations };
}

/** Whether fixed node ports force the gateway out of the chart's `networkGateway` mode (the gateway chart's `networkGateway` and `networkGatewayPorts`). */
export function gatewayUsesFixedNodePorts(cfg: MeshConfig): boolean {
  return Object.keys(cfg.eastWestGateway.nodePorts).length > 0;
}

export function gatewayRelease(cfg: MeshConfig): ReleaseSpec {
  const gw = cfg.eastWestGateway;
  const network = cfg.cluster.network;
  const cp = controlPlane(cfg);
  // the gateway's proxies come from the revision it follows: its chart is that revision's version
  const follows = resolveRevision(cp, cp.gateway.tag ?? cp.gateway.revision);
  const service: GatewayValues["service"] = {
    type: gw.type,
    annotations: gatewayServiceAnnotations(cfg),
    ...(gw.externalIPs.length > 0 ? { externalIPs: [...gw.externalIPs] } : {}),
  };
  const own: GatewayValues = {
    // the chart derives the selector `istio: eastwestgateway` from this name
    name: EAST_WEST_GATEWAY_NAME,
    ...(cp.gateway.chartRevision ? { revision: cp.gateway.chartRevision } : {}),
    autoscaling: { minReplicas: gw.replicas, maxReplicas: Math.max(5, gw.replicas) },
    ...(cfg.istio.imagePullSecrets.length > 0 ? { imagePullSecrets: cfg.istio.imagePullSecrets.map((name) => ({ name })) } : {}),
    service,
  };
  if (gatewayUsesFixedNodePorts(cfg)) {
    // networkGateway mode renders its four ports without nodePort; set by hand what it would set
    own.labels = { [NETWORK_LABEL]: network };
    own.env = { ISTIO_META_REQUESTED_NETWORK_VIEW: network };
    service.ports = NETWORK_GATEWAY_PORTS.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: p.port,
      protocol: "TCP",
      ...(gw.nodePorts[p.name] !== undefined ? { nodePort: gw.nodePorts[p.name] } : {}),
    }));
  } else {
    own.networkGateway = network;
  }
  // an SLB takes minutes to allocate and Helm waits for its address; a NodePort has none to wait for
  return release(cfg, "gateway", EAST_WEST_GATEWAY_NAME, own, gw.type === "LoadBalancer" ? 900 : 600, follows?.version);
}

/** Lets peers reach every `*.local` service here by SNI through the east-west gateway (Istio's `samples/multicluster/expose-services.yaml`). */
export function crossNetworkGateway(): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: CROSS_NETWORK_GATEWAY_NAME, namespace: ISTIO_NAMESPACE },
    spec: {
      selector: { ...EAST_WEST_GATEWAY_SELECTOR },
      servers: [
        {
          port: { number: CROSS_NETWORK_PORT, name: "tls", protocol: "TLS" },
          tls: { mode: "AUTO_PASSTHROUGH" },
          hosts: ["*.local"],
        },
      ],
    },
  };
}

export interface GatewayExposure {
  readonly type: "LoadBalancer" | "NodePort";
  /** Addresses known from config; a LoadBalancer's own address is known only after deploy. */
  readonly externalIPs: readonly string[];
  readonly ports: readonly { readonly name: string; readonly port: number; readonly nodePort?: number }[];
}

/** How peers will reach this cluster's gateway, as far as config alone tells. */
export function gatewayExposure(cfg: MeshConfig): GatewayExposure {
  const gw = cfg.eastWestGateway;
  return {
    type: gw.type,
    externalIPs: gw.externalIPs,
    ports: NETWORK_GATEWAY_PORTS.map((p) => ({
      name: p.name,
      port: p.port,
      ...(gw.nodePorts[p.name] !== undefined ? { nodePort: gw.nodePorts[p.name] } : {}),
    })),
  };
}

/** The fields of the deployed gateway Service that tell where peers are sent. */
export interface ObservedService {
  readonly spec?: {
    readonly externalIPs?: readonly string[];
    readonly ports?: readonly { readonly name?: string; readonly port: number; readonly nodePort?: number }[];
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] } };
}

export interface GatewayEndpoint {
  readonly type: "LoadBalancer" | "NodePort";
  /**
   * What istiod hands peers: a LoadBalancer's ingress plus `externalIPs` (added); a NodePort's `externalIPs`, or
   * only when there are none its selected nodes' ExternalIPs (pilot/pkg/serviceregistry/kube/conversion.go,
   * controller/controller.go `addOrUpdateService`).
   */
  readonly addresses: readonly string[];
  readonly ports: readonly { readonly name: string; readonly port: number; readonly nodePort?: number }[];
  /** The port peers dial for cross-network traffic: 15443, or its node port for a NodePort gateway. */
  readonly peerPort?: number;
}

/** Where peers reach this gateway, from config and (after deploy) the Service itself (istio/istio `pilot/pkg/serviceregistry/kube/conversion.go`). */
export function gatewayEndpoint(exposure: GatewayExposure, observed?: ObservedService): GatewayEndpoint {
  const ingress = (observed?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter((a) => a !== "");
  const externalIPs = observed?.spec?.externalIPs ?? exposure.externalIPs;
  const addresses = [...new Set([...(exposure.type === "LoadBalancer" ? ingress : []), ...externalIPs])];
  const ports = exposure.ports.map((p) => {
    const nodePort = observed?.spec?.ports?.find((o) => o.name === p.name)?.nodePort ?? p.nodePort;
    return { name: p.name, port: p.port, ...(exposure.type === "NodePort" && nodePort !== undefined ? { nodePort } : {}) };
  });
  const tls = ports.find((p) => p.port === CROSS_NETWORK_PORT)!;
  return {
    type: exposure.type,
    addresses,
    ports,
    ...(exposure.type === "NodePort" ? (tls.nodePort !== undefined ? { peerPort: tls.nodePort } : {}) : { peerPort: CROSS_NETWORK_PORT }),
  };
}
