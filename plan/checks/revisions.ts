/**
 * Version skew across clusters, as this project's own policy: while an upgrade runs, every revision
 * installed in any cluster stays within one minor of every other cluster's oldest. Istio documents no
 * skew policy between the clusters of one mesh (istio/istio.io#12971; within one cluster a canary may
 * span two minors, istio.io docs/setup/upgrade/canary), so the limit is ours: one minor is what the
 * upgrade flow needs, and what it tests.
 */
import { controlPlane, majorMinor, minorOf } from "../../model/revisions";
import type { Add, CrossStack } from "./context";

/** The policy and where it comes from, for every message that applies it. */
export const CLUSTER_SKEW_POLICY =
  "the clusters of one mesh stay within one minor of each other while an upgrade runs: this project's policy (Istio documents no skew limit between the clusters of a mesh, istio/istio.io#12971)";

export function revisionFindings(ctx: CrossStack, add: Add): void {
  const all = ctx.valid.flatMap((v) => controlPlane(v.mesh).revisions.map((r) => ({ stack: v.stack, ...r })));
  if (all.length === 0) return;
  const lowest = all.reduce((a, b) => (minorOf(b.version) < minorOf(a.version) ? b : a));
  for (const r of all) {
    if (minorOf(r.version) - minorOf(lowest.version) <= 1 || r.stack === lowest.stack) continue;
    add(
      "error",
      r.stack,
      "mesh:revisions",
      `revision ${r.name} runs Istio ${r.version}, more than one minor ahead of ${lowest.stack}'s ${lowest.name} (${lowest.version}): ${CLUSTER_SKEW_POLICY}`,
      `upgrade ${lowest.stack} to ${majorMinor(lowest.version).replace(/\d+$/, (m) => String(Number(m) + 1))} first (mesh upgrade --to)`,
    );
  }
}
