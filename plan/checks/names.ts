/** Cluster names and networks, each of which must be one cluster's own. */
import type { Add, CrossStack } from "./context";

/** Two clusters with one name, or one network. */
export function nameFindings({ valid }: CrossStack, add: Add): void {
  const seenName = new Map<string, string>();
  const seenNet = new Map<string, string>();
  for (const v of valid) {
    const n = v.mesh.cluster.name;
    if (seenName.has(n))
      add("error", v.stack, "mesh:cluster.name", `cluster name ${n} is also ${seenName.get(n)}'s`, "give every cluster its own name");
    else seenName.set(n, v.stack);
    const net = v.mesh.cluster.network;
    if (seenNet.has(net)) {
      add(
        "error",
        v.stack,
        "mesh:cluster.network",
        `network ${net} is also ${seenNet.get(net)}'s: istiod would send traffic to the other cluster's pod IPs, not its gateway`,
        "give every cluster its own network",
      );
    } else seenNet.set(net, v.stack);
  }
}
