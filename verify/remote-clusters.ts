/**
 * Remote clusters: istiod's `/debug/clusterz`, asked of every revision (as `istioctl remote-clusters
 * --revision` does one at a time), lists every peer `synced`; the other states with Istio's causes.
 */
import type { ClusterSnapshot } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, plannedCluster, plannedPeers, stackOfCluster, unreadable, type MeshView } from "./view";
import { ask } from "./fix-words";

const CAT = "remote-clusters" as const;

function cause(status: string, me: string, peer: string, apiServer: string, rev: string): { detail: string; fix: string } {
  const secret = `istio-remote-secret-${peer}`;
  switch (status) {
    case "timeout":
      return {
        detail: `${peer}: timeout: istiod's first sync of ${peer} did not finish within PILOT_REMOTE_CLUSTER_TIMEOUT (30 s)`,
        fix: `from ${me}, ${peer}'s API server ${apiServer} is unreachable, or it refuses the reader token in ${secret} (revoked, or the ClusterRole istio-reader-clusterrole-${rev === "default" ? "" : `${rev}-`}istio-system missing in ${peer}); check istiod's log for "${peer}" and the route across the private line`,
      };
    case "syncing":
      return {
        detail: `${peer}: syncing: istiod is still reading ${peer}'s objects`,
        fix: `a fresh link takes a while: ${ask("wait")}; if it stays syncing, istiod's log names the watch that fails`,
      };
    case "closed":
      return {
        detail: `${peer}: closed: istiod stopped watching ${peer}`,
        fix: `${secret} was removed or replaced and not re-read (istiod may ignore rotated secrets until restarted): run mesh converge, then kubectl -n istio-system rollout restart deployment/istiod`,
      };
    default:
      return {
        detail: `${peer}: ${status || "no status"}`,
        fix: `check istiod's log for "${peer}"`,
      };
  }
}

export function remoteClusterChecks(v: MeshView, s: ClusterSnapshot): Check[] {
  const c = s.cluster;
  if (!s.istiodPods.ok) return [unreadable("MV0201", CAT, c, "istiod pods", s.istiodPods.failure, s.stack)];
  if (s.clusterz.size === 0)
    return [
      fail(
        "MV0201",
        CAT,
        c,
        "istiod /debug/clusterz",
        "no ready istiod pod to ask",
        "see the control plane checks: istiod must run before it can read its peers",
      ),
    ];
  const peers = plannedPeers(v, s.stack);
  const out: Check[] = [];
  for (const [rev, { pod, read }] of [...s.clusterz].sort(([a], [b]) => a.localeCompare(b))) {
    const who = `istiod (revision ${rev})`;
    if (!read.ok) {
      out.push(unreadable("MV0201", CAT, c, `${who} /debug/clusterz`, read.failure, s.stack));
      continue;
    }
    const entries = new Map(read.value.map((e) => [e.id, e]));
    for (const peer of peers) {
      const e = entries.get(peer);
      const api =
        plannedCluster(v, stackOfCluster(v, peer) ?? "")?.apiServer ??
        v.published.get(stackOfCluster(v, peer) ?? "")?.apiServer ??
        "its API server";
      const name = `${who} reads ${peer}`;
      if (!e) {
        out.push(
          fail(
            "MV0202",
            CAT,
            c,
            name,
            `${peer} is missing from ${pod}'s /debug/clusterz`,
            `no Secret labelled istio/multiCluster=true in ${c}'s istio-system has a data key named ${peer} (the secret is missing, or its cluster name differs): see the remote secrets checks; mesh converge installs it`,
          ),
        );
      } else if (e.syncStatus === "synced") out.push(pass("MV0202", CAT, c, name, `${peer}: synced (secret ${e.secretName})`));
      else {
        const { detail, fix } = cause(e.syncStatus, c, peer, api, rev);
        out.push(fail("MV0202", CAT, c, name, `${detail} (secret ${e.secretName || "-"})`, fix));
      }
    }
    for (const e of read.value) {
      if (e.id === c || e.secretName === "" || peers.includes(e.id)) continue;
      out.push(
        fail(
          "MV0203",
          CAT,
          c,
          `${who} reads ${e.id}`,
          `${e.id} (secret ${e.secretName}, ${e.syncStatus}) is not a planned peer of ${c}`,
          `a stale remote secret: delete ${e.secretName} from istio-system, or add the stack to mesh:peers`,
          "warn",
        ),
      );
    }
  }
  return out;
}
