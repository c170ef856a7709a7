/**
 * The mesh page's graph, from API facts only: the plan's clusters, links, trust and services, each
 * stack's outputs (`peers` linked or pending, `outputsError` when they could not be read) and the last
 * verify's results. Pure: nodes and edges with the accessible names the page gives them.
 */
import type { MeshPlan, PlannedCluster, RoutingRow, StackStatus, VerifyCheck } from "./types";
import { worst, worstResult } from "./job-view";

export type Health = "pass" | "fail" | "warn" | "error" | "unknown";

export interface ClusterFacts {
  readonly cluster: PlannedCluster;
  readonly status: StackStatus | undefined;
  /** Worst result of the last verify's checks on this cluster. */
  readonly health: Health;
  readonly services: readonly { readonly host: string; readonly ports: readonly number[]; readonly health: Health }[];
}

export interface LinkFacts {
  readonly id: string;
  /** The cluster whose istiod reads... */
  readonly reader: string;
  /** ...this one's API server. */
  readonly reads: string;
  readonly status: "linked" | "pending" | "unknown";
  /** The command that fixes a pending link, as the stack's `peers` output gives it. */
  readonly next?: string;
  readonly missing?: string;
}

interface PeerOutput {
  readonly stack?: string;
  readonly cluster?: string;
  readonly status?: string;
  readonly next?: string;
  readonly missing?: string;
}

const peersOf = (s: StackStatus | undefined): PeerOutput[] =>
  Array.isArray(s?.outputs?.peers)
    ? (s.outputs.peers as unknown[]).filter((p): p is PeerOutput => typeof p === "object" && p !== null)
    : [];

/**
 * Each cluster with its stack's status and the last verify's verdicts: the cluster's worst check, and per
 * catalog service the worst of its routing rows from this cluster and the endpoint checks that name it
 * (`helloworld.dev:5000`, as mesh verify names a service port).
 */
export function clusterFacts(
  plan: MeshPlan,
  stacks: readonly StackStatus[],
  checks: readonly VerifyCheck[],
  routes: readonly RoutingRow[] = [],
): ClusterFacts[] {
  return plan.clusters.map((c) => {
    const status = stacks.find((s) => s.stack === c.stack);
    const mine = checks.filter((k) => k.cluster === c.name || k.of === c.stack);
    const services = plan.services.map((svc) => {
      const key = `${svc.name}.${svc.namespace}:`;
      const about = [
        ...mine.filter((k) => k.category === "endpoints" && k.name.startsWith(key)).map((k) => k.result),
        ...routes.filter((r) => r.service === svc.host && r.caller === c.name).map((r) => r.result),
      ];
      // a service no check was about is verified only when every check of its cluster passed
      const health: Health = worstResult(about) ?? (mine.length > 0 && mine.every((k) => k.result === "pass") ? "pass" : "unknown");
      return { host: svc.host, ports: svc.ports, health };
    });
    return { cluster: c, status, health: worst(mine) ?? "unknown", services };
  });
}

/** Each remote-secret link of the plan, linked or pending as the reader's own `peers` output says. */
export function linkFacts(plan: MeshPlan, stacks: readonly StackStatus[]): LinkFacts[] {
  const clusterOfStack = new Map(plan.clusters.map((c) => [c.stack, c.name]));
  const out: LinkFacts[] = [];
  for (const reader of plan.clusters) {
    for (const readsStack of reader.reads) {
      const reads = clusterOfStack.get(readsStack) ?? readsStack;
      const peer = peersOf(stacks.find((s) => s.stack === reader.stack)).find((p) => p.stack === readsStack || p.cluster === reads);
      const status = peer?.status === "linked" ? "linked" : peer?.status === "pending" ? "pending" : "unknown";
      out.push({
        id: `${reader.name}->${reads}`,
        reader: reader.name,
        reads,
        status,
        ...(peer?.next ? { next: peer.next } : {}),
        ...(peer?.missing ? { missing: peer.missing } : {}),
      });
    }
  }
  return out;
}
