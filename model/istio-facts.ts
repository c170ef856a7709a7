/**
 * Fixed names, labels, annotations and ports that Istio itself defines. Each is set where Istio
 * expects it; changing one silently breaks multi-cluster discovery, so they live in one place.
 */

/** Namespace of the control plane; created by the program so it can carry the network label. */
export const ISTIO_NAMESPACE = "istio-system";

/** Official Helm repository; chart versions equal Istio versions. */
export const ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";

/** istiod reads an endpoint's network from this label on the pod, then on istio-system. */
export const NETWORK_LABEL = "topology.istio.io/network";
/** Endpoint label usable in `failoverPriority` to prefer the caller's own cluster. */
export const CLUSTER_LABEL = "topology.istio.io/cluster";

/** Release and Service name of the east-west gateway; the chart derives `istio: eastwestgateway` from it. */
export const EAST_WEST_GATEWAY_NAME = "istio-eastwestgateway";
/** Selector label the chart derives from the release name (name minus `istio-`). */
export const EAST_WEST_GATEWAY_SELECTOR = { istio: "eastwestgateway" } as const;
/** The cross-network Gateway resource that lets peers reach local services by SNI on 15443. */
export const CROSS_NETWORK_GATEWAY_NAME = "cross-network-gateway";

/**
 * The four ports the gateway chart renders in `networkGateway` mode (`networkGatewayPorts`).
 * Only `tls` (15443) carries cross-network traffic; 15012/15017 are for primary-remote.
 */
export const NETWORK_GATEWAY_PORTS = [
  { name: "status-port", port: 15021 },
  { name: "tls", port: 15443 },
  { name: "tls-istiod", port: 15012 },
  { name: "tls-webhook", port: 15017 },
] as const;
export type NetworkGatewayPortName = (typeof NETWORK_GATEWAY_PORTS)[number]["name"];
export const CROSS_NETWORK_PORT = 15443;

/** istiod finds a NodePort gateway only with this annotation; its value is parsed as JSON. */
export const NODE_SELECTOR_ANNOTATION = "traffic.istio.io/nodeSelector";
/** Alibaba Cloud CCM: an internal (VPC) SLB instead of a public one. */
export const ACK_INTRANET_SLB_ANNOTATION = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type";

/** Remote secrets (what `istioctl create-remote-secret` makes). */
export const MULTICLUSTER_SECRET_LABEL = "istio/multiCluster";
export const CLUSTER_ANNOTATION = "networking.istio.io/cluster";
export const READER_SERVICE_ACCOUNT = "istio-reader-service-account";
export const remoteSecretName = (cluster: string): string => `istio-remote-secret-${cluster}`;

/** Kubernetes NodePort range (kube-apiserver default `--service-node-port-range`). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** Name patterns Kubernetes enforces. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** A named container port (`IANA_SVC_NAME`): at most 15 characters; also needs a letter and no `--`. */
export const IANA_SVC_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
/** Helm's limit on a release name (53) less `istiod-`: the longest revision istiod's release can carry. */
export const ISTIOD_REVISION_MAX = 53 - "istiod-".length;
/** Namespaces the catalog may not use: the control plane's own, and Kubernetes' system namespaces. */
export const RESERVED_NAMESPACES = ["istio-system", "kube-system", "kube-public", "kube-node-lease"] as const;
/** ACK's limit on a node pool name (console and API: 1 to 63 characters). */
export const ACK_NODE_POOL_NAME_MAX = 63;
/** A label value (what `topology.istio.io/network` must be). */
export const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
