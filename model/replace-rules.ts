/**
 * Which input changes make a provider replace a resource rather than update it, for the resource types
 * this program registers: the providers' own rules, as `mesh plan --diff` applies them to the ACK plan
 * (ack-changes.ts) and the simulated engine to every step it plans.
 *
 * - Kubernetes (pulumi-kubernetes provider/pkg/provider/diff.go, `forceNewProperties`): `metadata.name`
 *   and `metadata.namespace` of every kind, plus per kind (a Secret's `type`, `data`, `stringData`; a
 *   ConfigMap's `data`; a Service's `spec.clusterIP`); a Helm release's `name` and `namespace`
 *   (helm_release.go, `forceNewFields`).
 * - The Kubernetes provider itself (`DiffConfig`): its `clusterIdentifier` when set, else any change of
 *   the kubeconfig or context — and every resource on a replaced provider is replaced with it.
 * - tls (terraform-provider-tls): every attribute is `RequiresReplace` but a certificate's `earlyRenewalHours`.
 * - random (terraform-provider-random): every attribute of `random_id` is `RequiresReplace`.
 * - alicloud (terraform-provider-alicloud): the cluster's ForceNew fields (ack-changes.ts), a vSwitch's
 *   `vpcId`, `zoneId` and `cidrBlock`, a node pool's `clusterId`.
 */
import { CLUSTER_FORCE_NEW } from "./ack-changes";

/** The properties whose change replaces, or every property but some. */
export type ReplaceRule = { readonly paths: readonly string[] } | { readonly allBut: readonly string[] };

const KUBE_METADATA = ["metadata.name", "metadata.namespace"];

const RULES: Readonly<Record<string, ReplaceRule>> = {
  "kubernetes:core/v1:Secret": { paths: [...KUBE_METADATA, "type", "data", "stringData"] },
  "kubernetes:core/v1:ConfigMap": { paths: [...KUBE_METADATA, "data", "binaryData"] },
  "kubernetes:core/v1:Service": { paths: [...KUBE_METADATA, "spec.clusterIP"] },
  "kubernetes:helm.sh/v3:Release": { paths: ["name", "namespace"] },
  "tls:index/privateKey:PrivateKey": { allBut: [] },
  "tls:index/certRequest:CertRequest": { allBut: [] },
  "tls:index/selfSignedCert:SelfSignedCert": { allBut: ["earlyRenewalHours"] },
  "tls:index/locallySignedCert:LocallySignedCert": { allBut: ["earlyRenewalHours"] },
  "random:index/randomId:RandomId": { allBut: [] },
  "alicloud:cs/managedKubernetes:ManagedKubernetes": { paths: [...CLUSTER_FORCE_NEW] },
  "alicloud:vpc/switch:Switch": { paths: ["vpcId", "zoneId", "cidrBlock"] },
  "alicloud:cs/nodePool:NodePool": { paths: ["clusterId"] },
};

const KUBERNETES_PROVIDER = "pulumi:providers:kubernetes";

/** `spec.ports[0].port` is under `spec.ports` and `spec`; `metadata.labels["a"]` under `metadata.labels`. */
const under = (path: string, rule: string): boolean => path === rule || path.startsWith(`${rule}.`) || path.startsWith(`${rule}[`);

/** The rule for a resource type, given its new inputs (the Kubernetes provider's depends on them). */
export function replaceRule(type: string, inputs: Readonly<Record<string, unknown>>): ReplaceRule {
  if (type === KUBERNETES_PROVIDER)
    return { paths: inputs.clusterIdentifier !== undefined ? ["clusterIdentifier"] : ["kubeconfig", "context", "cluster"] };
  if (RULES[type]) return RULES[type];
  // any other Kubernetes kind: its identity
  if (type.startsWith("kubernetes:")) return { paths: KUBE_METADATA };
  return { paths: [] };
}

/** Whether a change of the property at `path` replaces the resource. */
export function replacesOn(rule: ReplaceRule, path: string): boolean {
  if ("allBut" in rule) return !rule.allBut.some((p) => under(path, p));
  return rule.paths.some((p) => under(path, p));
}
