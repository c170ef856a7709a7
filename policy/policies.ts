/**
 * The mesh's guardrails as pure checks over what a resource or stack registers, reusing the program's
 * own facts and rules (model/). Each decides only on values known at `pulumi preview` — Helm values,
 * names, labels, annotations and dependencies all come from config — so a mandatory policy is
 * enforced at preview as at up (a policy that met an unknown value would only be advisory at preview).
 * The pack (index.ts) wraps them; tests call them directly.
 */
import {
  ACK_INTRANET_SLB_ANNOTATION,
  CLUSTER_ANNOTATION,
  EAST_WEST_GATEWAY_NAME,
  ISTIO_NAMESPACE,
  MULTICLUSTER_SECRET_LABEL,
  NETWORK_LABEL,
  remoteSecretName,
} from "../model/istio-facts";
import { CACERTS_SECRET } from "../model/trust";

/** What a policy sees of a resource: its type, name, inputs and what it depends on. */
export interface ResourceView {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly dependencies?: readonly ResourceView[];
}

export interface PolicyConfig {
  /** Allow the ACK gateway's SLB to be public (not `intranet`). @default false */
  readonly allowPublicGatewaySlb?: boolean;
}

export interface MeshPolicy {
  readonly name: string;
  readonly description: string;
  /** Inputs the check reads, all known at preview. */
  readonly reads: string;
  readonly resource?: (r: ResourceView, config: PolicyConfig) => string[];
  readonly stack?: (rs: readonly ResourceView[], config: PolicyConfig) => string[];
}

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const DESTINATION_RULE = "kubernetes:networking.istio.io/v1:DestinationRule";
const MUTATING_WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";

/** The chart a release installs, whatever its source: a name, an oci:// reference or a vendored path. */
export function istioChart(props: Record<string, unknown>): "base" | "istiod" | "gateway" | undefined {
  const chart = typeof props.chart === "string" ? props.chart : "";
  const m = /(?:^|\/)(base|istiod|gateway)(?:-\d+\.\d+\.\d+\.tgz)?$/.exec(chart);
  return m ? (m[1] as "base" | "istiod" | "gateway") : undefined;
}
const istioChartRef = (r: ResourceView): string => (typeof r.props.chart === "string" ? r.props.chart : "");
const isIstioRelease = (r: ResourceView) => r.type === RELEASE && istioChart(r.props) !== undefined;
const get = (o: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((a, k) => (a !== null && typeof a === "object" ? (a as Record<string, unknown>)[k] : undefined), o);

export const POLICIES: readonly MeshPolicy[] = [
  {
    name: "istio-releases-pinned",
    description: "Every Istio release installs one exact version; at most two revisions, at most two minors apart, during an upgrade",
    reads: "the releases' chart and version (from mesh:istio and mesh:revisions)",
    stack: (rs) => {
      const releases = rs.filter(isIstioRelease);
      const out: string[] = [];
      for (const r of releases) {
        const v = r.props.version;
        // a vendored chart carries its own version (the program checked it before registering)
        if (v === undefined && !istioChartRef(r).startsWith("oci://") && r.props.repositoryOpts === undefined) continue;
        if (typeof v !== "string" || !/^\d+\.\d+\.\d+$/.test(v))
          out.push(`${r.name}: version ${JSON.stringify(v)} is not one exact release (pin e.g. "1.30.3" in mesh:istio.version)`);
      }
      // a canary upgrade runs two revisions side by side, at most two minors apart (istio.io docs/setup/upgrade/canary)
      const versions = [...new Set(releases.map((r) => r.props.version).filter((v): v is string => typeof v === "string"))];
      const minors = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).map((v) => v.split(".").slice(0, 2).map(Number));
      const spread =
        minors.length > 1 &&
        (new Set(minors.map(([major]) => major)).size > 1 ||
          Math.max(...minors.map(([, m]) => m!)) - Math.min(...minors.map(([, m]) => m!)) > 2);
      if (versions.length > 2 || spread)
        out.push(
          `the Istio releases install ${versions.map((v) => JSON.stringify(v)).join(", ")}: during an upgrade at most two versions, at most two minors apart`,
        );
      const istiods = releases.filter((r) => istioChart(r.props) === "istiod");
      if (istiods.length > 2)
        out.push(`${istiods.length} istiod revisions (${istiods.map((r) => r.name).join(", ")}): an upgrade runs at most two side by side`);
      return out;
    },
  },
  {
    name: "tag-webhooks-before-namespaces",
    description: "A namespace labelled istio.io/rev=<tag> is changed only after the tag's webhook istio-revision-tag-<tag> exists",
    reads: "the namespaces' labels and dependencies, the tag webhooks' names (from mesh:revisions)",
    stack: (rs) => {
      const tags = new Map(
        rs.filter((r) => r.type === MUTATING_WEBHOOK).map((r) => [String(get(r.props, ["metadata", "name"])), r] as const),
      );
      return rs
        .filter((r) => r.type === NAMESPACE)
        .flatMap((r) => {
          const tag = get(r.props, ["metadata", "labels", "istio.io/rev"]);
          const hook = tags.get(`istio-revision-tag-${String(tag)}`);
          if (typeof tag !== "string" || !hook || (r.dependencies ?? []).some((d) => d.type === hook.type && d.name === hook.name))
            return [];
          return [
            `${r.name}: labelled istio.io/rev=${tag} without depending on ${hook.name}: both are applied at once, and pods created in between get no sidecar`,
          ];
        });
    },
  },
  {
    name: "istiod-identity",
    description: "istiod carries the mesh id, the cluster name and the network",
    reads: "istiod's values.global (from mesh:meshId and mesh:cluster)",
    resource: (r) => {
      if (r.type !== RELEASE || istioChart(r.props) !== "istiod") return [];
      const g = get(r.props.values, ["global"]);
      const missing = [
        ["meshID", get(g, ["meshID"])],
        ["multiCluster.clusterName", get(g, ["multiCluster", "clusterName"])],
        ["network", get(g, ["network"])],
      ].filter(([, v]) => typeof v !== "string" || v === "");
      return missing.map(([k]) => `${r.name}: values.global.${String(k)} is not set: cross-cluster discovery needs it in every cluster`);
    },
  },
  {
    name: "istio-system-network-label",
    description: `${ISTIO_NAMESPACE} is labelled with its network (${NETWORK_LABEL})`,
    reads: "the namespace's labels (from mesh:cluster.network)",
    resource: (r) => {
      if (r.type !== NAMESPACE || get(r.props, ["metadata", "name"]) !== ISTIO_NAMESPACE) return [];
      const v = get(r.props, ["metadata", "labels", NETWORK_LABEL]);
      return typeof v === "string" && v !== ""
        ? []
        : [`${r.name}: ${ISTIO_NAMESPACE} has no ${NETWORK_LABEL} label: istiod falls back to it for every pod's network`];
    },
  },
  {
    name: "cacerts-before-istiod",
    description: "istiod waits for the cacerts Secret (it mounts it optionally and self-signs without it)",
    reads: "the dependencies of the istiod release",
    stack: (rs) => {
      const cacerts = rs.find(
        (r) =>
          r.type === SECRET &&
          get(r.props, ["metadata", "name"]) === CACERTS_SECRET &&
          get(r.props, ["metadata", "namespace"]) === ISTIO_NAMESPACE,
      );
      if (!cacerts) return [];
      return rs
        .filter((r) => r.type === RELEASE && istioChart(r.props) === "istiod")
        .filter((r) => !(r.dependencies ?? []).some((d) => d.name === cacerts.name && d.type === SECRET))
        .map(
          (r) =>
            `${r.name}: does not depend on ${cacerts.name}: istiod could start with a self-signed root, and cross-cluster mTLS would fail until it restarts`,
        );
    },
  },
  {
    name: "locality-failover-has-outlier-detection",
    description: "Every DestinationRule with a locality setting has outlier detection (without it Istio does no failover)",
    reads: "the DestinationRule's spec (from mesh:services)",
    resource: (r) => {
      if (r.type !== DESTINATION_RULE) return [];
      const policy = get(r.props, ["spec", "trafficPolicy"]);
      if (get(policy, ["loadBalancer", "localityLbSetting"]) === undefined) return [];
      return get(policy, ["outlierDetection"]) === undefined
        ? [`${r.name}: localityLbSetting without outlierDetection: Istio applies no locality failover`]
        : [];
    },
  },
  {
    name: "remote-secret-shape",
    description:
      "A remote secret is what istioctl create-remote-secret makes: its name, label, annotation and one key agree on the cluster",
    reads: "the Secret's name, label, annotation and data keys (not the kubeconfig, which is secret)",
    resource: (r) => {
      if (r.type !== SECRET || get(r.props, ["metadata", "labels", MULTICLUSTER_SECRET_LABEL]) !== "true") return [];
      const cluster = get(r.props, ["metadata", "annotations", CLUSTER_ANNOTATION]);
      if (typeof cluster !== "string" || cluster === "")
        return [`${r.name}: no ${CLUSTER_ANNOTATION} annotation naming the cluster it reads`];
      const out: string[] = [];
      if (get(r.props, ["metadata", "name"]) !== remoteSecretName(cluster))
        out.push(`${r.name}: named ${JSON.stringify(get(r.props, ["metadata", "name"]))}, not ${remoteSecretName(cluster)}`);
      if (get(r.props, ["metadata", "namespace"]) !== ISTIO_NAMESPACE)
        out.push(`${r.name}: not in ${ISTIO_NAMESPACE}: istiod does not watch other namespaces for remote secrets`);
      const keys = Object.keys(r.props.stringData ?? r.props.data ?? {});
      if (keys.length !== 1 || keys[0] !== cluster)
        out.push(
          `${r.name}: data keys ${JSON.stringify(keys)}; istiod takes every key as a cluster id, so there must be exactly one, ${JSON.stringify(cluster)}`,
        );
      return out;
    },
  },
  {
    name: "ack-gateway-internal-slb",
    description: "On ACK the east-west gateway's SLB is internal, unless allowed (allowPublicGatewaySlb)",
    reads: "the gateway release's values.service (from mesh:eastWestGateway); the ACK cluster in the stack",
    stack: (rs, config) => {
      if (config.allowPublicGatewaySlb || !rs.some((r) => r.type === "alicloud:cs/managedKubernetes:ManagedKubernetes")) return [];
      return rs
        .filter((r) => r.type === RELEASE && istioChart(r.props) === "gateway")
        .filter((r) => (get(r.props.values, ["service", "type"]) ?? "LoadBalancer") === "LoadBalancer")
        .filter((r) => get(r.props.values, ["service", "annotations", ACK_INTRANET_SLB_ANNOTATION]) !== "intranet")
        .map(
          (r) =>
            `${r.name}: the ${EAST_WEST_GATEWAY_NAME} Service would get a public SLB: set the ${ACK_INTRANET_SLB_ANNOTATION}: intranet annotation, or allow it with allowPublicGatewaySlb`,
        );
    },
  },
  {
    name: "mirrored-services-cluster-ip",
    description: "A catalog Service mirrored into every cluster is ClusterIP, never LoadBalancer or NodePort",
    reads: "the Service's spec.type (from mesh:services)",
    resource: (r) => {
      if (r.type !== SERVICE || get(r.props, ["metadata", "namespace"]) === ISTIO_NAMESPACE) return [];
      const type = get(r.props, ["spec", "type"]) ?? "ClusterIP";
      return type === "LoadBalancer" || type === "NodePort"
        ? [`${r.name}: a mirrored Service of type ${String(type)} would expose the service in every cluster`]
        : [];
    },
  },
];
