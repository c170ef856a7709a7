/**
 * Which resource inputs derive from config stored as a secret. A resource input is plain text in the
 * state unless it is a Pulumi secret, so whatever the program computes from a secret key is wrapped
 * again where it becomes an input: `pulumi config set --secret mesh:istio ...` keeps the Helm values
 * secret, `mesh:eastWestGateway` the gateway's values (its Service annotations among them).
 */
import type { ReleaseSpec } from "./istio";
import type { MeshConfig } from "./types";

/**
 * The config keys each release's values are computed from. `mesh:cluster` and `mesh:trust` are left
 * out on purpose: they are stored as secrets for their credentials (`kubeconfig`, `pki`), which the
 * program keeps secret field by field, while the rest of them (the cluster's name and network) is the
 * cluster's public identity, exported as plain stack outputs for peers to read.
 */
const RELEASE_SOURCES: Readonly<Record<ReleaseSpec["chart"], readonly string[]>> = {
  base: ["istio"],
  istiod: ["istio", "meshId"],
  gateway: ["istio", "eastWestGateway"],
};

export function releaseValuesSecret(mesh: MeshConfig, chart: ReleaseSpec["chart"]): boolean {
  return RELEASE_SOURCES[chart].some((k) => mesh.secretKeys.has(k));
}

/** The release's repository (an `mesh:istio.repo` stored as a secret). */
export const releaseRepoSecret = (mesh: MeshConfig): boolean => mesh.secretKeys.has("istio");

/** The catalog's Services and DestinationRules (`mesh:services` stored as a secret). */
export const catalogSecret = (mesh: MeshConfig): boolean => mesh.secretKeys.has("services");
