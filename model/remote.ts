/**
 * Remote access between primaries, shaped as `istioctl create-remote-secret` shapes it
 * (istio/istio `istioctl/pkg/multicluster/remote_secret.go`): a reader token in the cluster being read, and in the reading cluster a
 * Secret `istio-remote-secret-<cluster>` holding a token kubeconfig.
 */
import { untrustedKubeconfigProblems } from "./kubeconfig-policy";
import { fromYaml, toYaml } from "./yaml";
import { CLUSTER_ANNOTATION, ISTIO_NAMESPACE, MULTICLUSTER_SECRET_LABEL, READER_SERVICE_ACCOUNT, remoteSecretName } from "./istio-facts";
import type { KubeObject } from "./istio";

/** istioctl's name for the reader token Secret; the program adds the generation and a random suffix. */
export const READER_TOKEN_PREFIX = `${READER_SERVICE_ACCOUNT}-istio-remote-secret-token`;

/** The generations whose tokens exist: the current one and the one before, so peers that have not re-run keep access. */
export function tokenGenerations(current: number): number[] {
  return current > 1 ? [current - 1, current] : [current];
}

/** A new name per generation and random suffix, so a bump always mints a new token. */
export const readerTokenName = (generation: number, suffix: string): string => `${READER_TOKEN_PREFIX}-g${generation}-${suffix}`;

export function readerTokenSecret(name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: ISTIO_NAMESPACE,
      annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT },
    },
    // the token controller fills data.token and data["ca.crt"]
    type: "kubernetes.io/service-account-token",
  };
}

export interface RemoteKubeconfigInput {
  readonly cluster: string;
  /** API server URL as the reading cluster reaches it. */
  readonly server: string;
  /** `data["ca.crt"]` of the token Secret: base64 of the CA bundle, as the kubeconfig wants it. */
  readonly caData: string;
  /** `data.token` of the token Secret, base64-encoded as Kubernetes stores it. */
  readonly tokenData: string;
}

/** The kubeconfig a peer's istiod uses to read this cluster: one cluster, context and user, all named after it. */
export function renderRemoteKubeconfig(i: RemoteKubeconfigInput): string {
  const token = Buffer.from(i.tokenData, "base64").toString("utf8");
  if (!i.caData || !token) {
    throw new Error(
      `the reader token Secret of ${i.cluster} has no ${!token ? "token" : "ca.crt"} yet: the service-account token controller has not filled it; run the update again`,
    );
  }
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: i.cluster, cluster: { "certificate-authority-data": i.caData, server: i.server } }],
    contexts: [{ name: i.cluster, context: { cluster: i.cluster, user: i.cluster } }],
    "current-context": i.cluster,
    preferences: {},
    // a bearer token only: istiod refuses exec, auth-provider, client-certificate and tokenFile by default
    users: [{ name: i.cluster, user: { token } }],
  });
}

export interface ParsedRemoteKubeconfig {
  readonly cluster: string;
  readonly server: string;
}

/** The parts of a kubeconfig istiod looks at. */
interface KubeconfigDoc {
  readonly kind?: unknown;
  readonly clusters?: readonly { readonly name?: unknown; readonly cluster?: { readonly server?: unknown } }[];
  readonly users?: readonly { readonly user?: Readonly<Record<string, unknown>> }[];
}

/** Reads back a remote kubeconfig, or says why it is not one istiod would accept. */
export function parseRemoteKubeconfig(text: unknown): ParsedRemoteKubeconfig | { readonly problem: string } {
  if (typeof text !== "string" || text.trim() === "") return { problem: "it is empty or not a string" };
  let doc: KubeconfigDoc | null;
  try {
    doc = fromYaml(text) as KubeconfigDoc | null;
  } catch {
    return { problem: "it is not YAML" };
  }
  const clusters: KubeconfigDoc["clusters"] = Array.isArray(doc?.clusters) ? doc.clusters : undefined;
  const users: KubeconfigDoc["users"] = Array.isArray(doc?.users) ? doc.users : undefined;
  if (doc?.kind !== "Config" || !clusters || !users) return { problem: "it is not a kubeconfig" };
  const cluster = clusters[0];
  const user = users[0]?.user;
  if (typeof cluster?.name !== "string" || typeof cluster.cluster?.server !== "string") return { problem: "it names no cluster server" };
  if (typeof user?.token !== "string" || user.token === "") return { problem: "it carries no bearer token" };
  for (const k of ["exec", "auth-provider", "client-certificate", "client-certificate-data", "tokenFile"]) {
    if (user[k] !== undefined)
      return { problem: `its user has ${k}, which a remote secret of this mesh may not carry (only a bearer token)` };
  }
  // installed where istiod reads it: nothing in it may run, read a file, use a proxy or skip TLS checks
  const refused = untrustedKubeconfigProblems(text);
  if (refused.length > 0) return { problem: refused.join("; ") };
  return { cluster: cluster.name, server: cluster.cluster.server };
}

/** Secret `istio-remote-secret-<peer>` in istio-system: istiod treats every data key as a cluster id. */
export function remoteSecret<K>(peerCluster: string, kubeconfig: K): KubeObject & { readonly stringData: Record<string, K> } {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: remoteSecretName(peerCluster),
      namespace: ISTIO_NAMESPACE,
      labels: { [MULTICLUSTER_SECRET_LABEL]: "true" },
      annotations: { [CLUSTER_ANNOTATION]: peerCluster },
    },
    stringData: { [peerCluster]: kubeconfig },
  };
}
