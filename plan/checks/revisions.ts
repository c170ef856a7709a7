/**
 * Version skew across clusters: during an upgrade the clusters run different revisions, and a proxy
 * talks to peers' gateways and istiods; Istio supports one minor of skew, so every revision installed
 * anywhere stays within one minor of every other.
 */
import { controlPlane, majorMinor, minorOf } from "../../model/revisions";
import type { Add, CrossStack } from "./context";

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
      `revision ${r.name} runs Istio ${r.version}, more than one minor ahead of ${lowest.stack}'s ${lowest.name} (${lowest.version}): clusters of one mesh stay within one minor of each other while an upgrade runs`,
      `upgrade ${lowest.stack} to ${majorMinor(lowest.version).replace(/\d+$/, (m) => String(Number(m) + 1))} first (mesh upgrade --to)`,
    );
  }
}
