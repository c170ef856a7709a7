/** Peer lists: every peer a stack of this project, and every link listed on both sides. */
import { ONE_SIDED_PEER_SEVERITY, oneSidedPeer, stackShortName } from "../../model/peers";
import type { Add, CrossStack } from "./context";

/** Peers that are no stack of the project, and links only one side lists. */
export function peerFindings({ valid, stacks, project, fqs, byFq }: CrossStack, add: Add): void {
  for (const v of valid) {
    v.mesh.peers.forEach((p, i) => {
      if (!fqs.has(p)) {
        add(
          "error",
          v.stack,
          `mesh:peers[${i}]`,
          `${p} is not a stack of this project (stacks: ${stacks.join(", ")})`,
          `add Pulumi.${stackShortName(p)}.yaml or correct the name (organization/${project}/<stack>)`,
        );
        return;
      }
      const other = byFq.get(p);
      if (other && !other.mesh.peers.includes(v.fq)) {
        const { message, fix } = oneSidedPeer({ lister: v.fq, listerCluster: v.mesh.cluster.name, unlisted: other.fq });
        add(ONE_SIDED_PEER_SEVERITY, other.stack, "mesh:peers", message, fix);
      }
    });
  }
}
