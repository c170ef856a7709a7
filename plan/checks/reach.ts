/** Whether peers can reach what they read: the API server address, a NodePort gateway's addresses. */
import * as ipaddr from "ipaddr.js";
import { exportsRemoteAccess } from "../../model/cluster-objects";
import type { MeshConfig } from "../../model/types";
import type { Add, CrossStack } from "./context";

/** API servers peers cannot reach or do not know, and NodePort gateways peers have no address for. */
export function reachFindings({ valid }: CrossStack, add: Add): void {
  for (const v of valid) {
    const api = v.mesh.cluster.apiServer;
    const peersOfV = valid.filter((o) => o.mesh.peers.includes(v.fq));
    if (api) {
      const host = new URL(api).hostname.replace(/^\[|\]$/g, "");
      const isPrivate = isPrivateHost(host);
      const privatePeers = peersOfV.filter((o) => clusterIsPrivate(o.mesh));
      if (isPrivate === false && privatePeers.length > 0) {
        add(
          "warning",
          v.stack,
          "mesh:cluster.apiServer",
          `${api} is a public address, but ${privatePeers.map((o) => o.stack).join(", ")} ${privatePeers.length === 1 ? "is" : "are"} on a private network and may not reach it: istiod would time out reading this cluster`,
          "use the address the other clusters reach over the private line",
        );
      }
    } else if (!exportsRemoteAccess(v.mesh) && peersOfV.length > 0) {
      add(
        "error",
        v.stack,
        "mesh:cluster.apiServer",
        `${peersOfV.map((o) => o.stack).join(", ")} read this cluster, but its API server address is not set`,
        "set mesh:cluster.apiServer to the address the other clusters reach",
      );
    }
    const gw = v.mesh.eastWestGateway;
    if (gw.type === "NodePort" && gw.externalIPs.length === 0) {
      add(
        "warning",
        v.stack,
        "mesh:eastWestGateway.service.externalIPs",
        "a NodePort gateway without externalIPs: istiod offers peers only the selected nodes' ExternalIP addresses, which on-prem nodes usually lack",
        "list the node IPs the other clusters reach in externalIPs",
      );
    }
  }
}

/** A cluster on a private network: ACK without an internet API server, or a private API server address. */
function clusterIsPrivate(m: MeshConfig): boolean {
  if (m.cluster.source.kind === "ack") return !m.cluster.source.apiServerInternet;
  if (!m.cluster.apiServer) return false;
  return isPrivateHost(new URL(m.cluster.apiServer).hostname) === true;
}

function isPrivateHost(host: string): boolean | undefined {
  if (!ipaddr.isValid(host)) return undefined;
  return ipaddr.parse(host).range() !== "unicast";
}
