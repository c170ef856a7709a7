/** What every check reads: the plan, each stack's validated config, the snapshots and the published outputs. */
import { gatewayEndpoint, gatewayExposure } from "../model/istio";
import type { MeshConfig } from "../model/types";
import type { MeshPlan, PlannedCluster } from "../plan/plan";
import type { ReadFailure } from "./kube";
import type { ClusterSnapshot } from "./snapshot";
import type { PublishedOutputs } from "./targets";
import type { Category, Check } from "./types";
import { ask } from "./fix-words";

export interface MeshView {
  readonly plan: MeshPlan;
  /** Every valid stack of the project, by short stack name. */
  readonly meshes: ReadonlyMap<string, MeshConfig>;
  /** The clusters read, by stack. */
  readonly snapshots: ReadonlyMap<string, ClusterSnapshot>;
  readonly published: ReadonlyMap<string, PublishedOutputs>;
}

export const plannedCluster = (v: MeshView, stack: string): PlannedCluster | undefined => v.plan.clusters.find((c) => c.stack === stack);

export const stackOfCluster = (v: MeshView, cluster: string): string | undefined => v.plan.clusters.find((c) => c.name === cluster)?.stack;

/** The clusters this stack's istiod reads, as the plan links them. */
export const plannedPeers = (v: MeshView, stack: string): string[] => {
  const me = plannedCluster(v, stack);
  return me ? v.plan.links.filter((l) => l.reader === me.name).map((l) => l.reads) : [];
};

/** What to do about a read that failed, by why it failed. */
export function failureFix(f: ReadFailure, stack: string): string {
  switch (f.kind) {
    case "forbidden":
      return `give the identity verify uses for ${stack} the mesh-verify ClusterRole (docs/verify.md), or run as a cluster reader`;
    case "unauthorized":
      return `the credentials for ${stack} were refused (expired or revoked token?): renew them, or ${ask("file", stack)}`;
    case "unreachable":
    case "timeout":
      return `check that ${ask("machine")} reaches ${stack}'s API server (VPN, private line, firewall), or ${ask("reachable-file", stack)}`;
    case "not-found":
      return "the object does not exist: run mesh converge (or pulumi up on this stack)";
    case "invalid":
      return "the answer was not what Kubernetes or Istio sends: check the API server and istiod versions";
  }
}

export function unreadable(code: string, category: Category, cluster: string, name: string, f: ReadFailure, stack: string): Check {
  return { code, category, cluster, name, result: "error", detail: `${f.what}: ${f.message}`, fix: failureFix(f, stack) };
}

export const pass = (code: string, category: Category, cluster: string, name: string, detail: string): Check => ({
  code,
  category,
  cluster,
  name,
  result: "pass",
  detail,
});

export const fail = (
  code: string,
  category: Category,
  cluster: string,
  name: string,
  detail: string,
  fix: string,
  result: "fail" | "warn" = "fail",
): Check => ({
  code,
  category,
  cluster,
  name,
  result,
  detail,
  fix,
});

/**
 * `address:port` a peer's sidecars are sent to for this stack's cluster: what istiod derives from the
 * live gateway Service (the model's own rule), what the stack's outputs say, and what config fixes.
 */
export function gatewayAddresses(v: MeshView, stack: string): Set<string> {
  const out = new Set<string>();
  const mesh = v.meshes.get(stack);
  const snap = v.snapshots.get(stack);
  if (mesh && snap?.gateway.ok && snap.gateway.value) {
    const ep = gatewayEndpoint(gatewayExposure(mesh), snap.gateway.value);
    if (ep.peerPort !== undefined) for (const a of ep.addresses) out.add(`${a}:${ep.peerPort}`);
  }
  const pub = v.published.get(stack)?.eastWestGateway;
  if (pub?.peerPort !== undefined) for (const a of pub.addresses) out.add(`${a}:${pub.peerPort}`);
  for (const e of plannedCluster(v, stack)?.gateway.endpoints ?? []) if (!e.includes("<")) out.add(e);
  return out;
}
