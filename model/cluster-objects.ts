/**
 * Everything one stack creates in its cluster, as data: the Helm releases and every Kubernetes
 * object, built by the same functions the components apply. The offline plan writes these out;
 * a test checks they equal what the program registers.
 */
import {
  baseRelease,
  crossNetworkGateway,
  gatewayRelease,
  istioNamespace,
  istiodReleases,
  type KubeObject,
  type ReleaseSpec,
} from "./istio";
import { readerTokenName, readerTokenSecret, remoteSecret, tokenGenerations } from "./remote";
import { revisionTags } from "./revision-tags";
import { controlPlane, injectionNamespaces } from "./revisions";
import { localityDestinationRule, mirroredService } from "./services";
import { cacertsSecret } from "./trust";
import type { MeshConfig } from "./types";

/** Stands for a secret value: the plan never has, and never prints, one. */
export const SECRET = "[secret]";
/** Stands for the random suffix of a reader token's name. */
export const RANDOM = "<random>";

/** Whether peers can be given a kubeconfig for this cluster: its API server address is known. */
export const exportsRemoteAccess = (mesh: MeshConfig): boolean =>
  mesh.cluster.source.kind === "ack" || mesh.cluster.apiServer !== undefined;

export interface ClusterState {
  /** The mesh root is available (always, for the anchor and PKI); otherwise istiod waits. */
  readonly trustReady: boolean;
  /** Cluster names of the peers whose remote secrets are installed. */
  readonly linkedPeers: readonly string[];
}

export interface ClusterObjects {
  readonly releases: readonly ReleaseSpec[];
  readonly objects: readonly KubeObject[];
}

export function clusterObjects(mesh: MeshConfig, state: ClusterState): ClusterObjects {
  const ns = istioNamespace(mesh);
  const objects: KubeObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels } }];
  const releases: ReleaseSpec[] = [baseRelease(mesh)];
  if (mesh.trust.kind !== "none" && state.trustReady) {
    objects.push(cacertsSecret({ "ca-cert.pem": SECRET, "ca-key.pem": SECRET, "root-cert.pem": SECRET, "cert-chain.pem": SECRET }));
  }
  if (exportsRemoteAccess(mesh)) {
    for (const g of tokenGenerations(mesh.cluster.readerTokenGeneration)) objects.push(readerTokenSecret(readerTokenName(g, RANDOM)));
  }
  if (mesh.trust.kind === "rootStack" && !state.trustReady) return { releases, objects };

  const cp = controlPlane(mesh);
  releases.push(...istiodReleases(mesh), gatewayRelease(mesh));
  objects.push(...revisionTags(mesh).map((t) => t.webhook), crossNetworkGateway());
  for (const peer of state.linkedPeers) objects.push(remoteSecret(peer, SECRET));
  for (const n of injectionNamespaces(cp)) {
    objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: n.labels } });
  }
  for (const s of mesh.services) objects.push(mirroredService(s), localityDestinationRule(s));
  return { releases, objects };
}
