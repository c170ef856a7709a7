/**
 * Remote secrets: one `istio/multiCluster=true` Secret per peer, its data key the peer's cluster name
 * (istiod takes every key as a cluster id), its kubeconfig pointing at the API server the peer publishes.
 * Only the kubeconfig's `server` and the kinds of its credentials are read (an exec plugin, a file or a
 * proxy in it is a finding); the token in it is never looked at or shown.
 */
import { load } from "js-yaml";
import { untrustedKubeconfigProblems } from "../model/kubeconfig-policy";
import type { ClusterSnapshot } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, plannedCluster, plannedPeers, stackOfCluster, unreadable, type MeshView } from "./view";

const CAT = "remote-secrets" as const;

/** The `server` of a kubeconfig's current context (or its only cluster); undefined when there is none. */
export function kubeconfigServer(text: string): string | undefined {
  try {
    const kc = load(text) as {
      "current-context"?: string;
      contexts?: { name?: string; context?: { cluster?: string } }[];
      clusters?: { name?: string; cluster?: { server?: string } }[];
    };
    const ctx = kc?.contexts?.find((x) => x.name === kc["current-context"])?.context?.cluster;
    const cl = kc?.clusters?.find((x) => x.name === ctx) ?? (kc?.clusters?.length === 1 ? kc.clusters[0] : undefined);
    return typeof cl?.cluster?.server === "string" ? cl.cluster.server : undefined;
  } catch {
    return undefined;
  }
}

export function remoteSecretChecks(v: MeshView, s: ClusterSnapshot): Check[] {
  const c = s.cluster;
  if (!s.remoteSecrets.ok) return [unreadable("MV0301", CAT, c, "remote secrets", s.remoteSecrets.failure, s.stack)];
  const secrets = s.remoteSecrets.value;
  const out: Check[] = [];
  for (const peer of plannedPeers(v, s.stack)) {
    const name = `secret for ${peer}`;
    const holding = secrets.filter((x) => x.data?.[peer] !== undefined);
    if (holding.length === 0) {
      const misnamed = secrets.find((x) => x.metadata?.name === `istio-remote-secret-${peer}`);
      out.push(
        fail(
          "MV0301",
          CAT,
          c,
          name,
          misnamed
            ? `istio-remote-secret-${peer} exists but has no data key named ${peer} (keys: ${Object.keys(misnamed.data ?? {}).join(", ") || "none"}): istiod takes the key as the cluster's name`
            : `no Secret labelled istio/multiCluster=true in istio-system holds a key named ${peer}`,
          `run mesh converge (or pulumi up -s ${s.stack} once ${peer} has exported remoteSecret); by hand: istioctl create-remote-secret --name=${peer} in ${peer}, applied here`,
        ),
      );
      continue;
    }
    if (holding.length > 1) {
      out.push(
        fail(
          "MV0301",
          CAT,
          c,
          name,
          `${holding.map((x) => x.metadata?.name).join(", ")} all hold a key ${peer}: istiod reads one of them`,
          `keep istio-remote-secret-${peer} and delete the others`,
        ),
      );
      continue;
    }
    const secret = holding[0]!;
    const text = Buffer.from(secret.data![peer]!, "base64").toString("utf8");
    const server = kubeconfigServer(text);
    const peerStack = stackOfCluster(v, peer) ?? "";
    const published = plannedCluster(v, peerStack)?.apiServer ?? v.published.get(peerStack)?.apiServer;
    const sname = secret.metadata?.name ?? "?";
    // istiod loads it: nothing in it may run a command, read a file, use a proxy or skip TLS checks
    const refused = server ? untrustedKubeconfigProblems(text) : [];
    if (!server)
      out.push(
        fail("MV0302", CAT, c, name, `${sname}: key ${peer} is not a kubeconfig with a server`, `run mesh converge to rewrite ${sname}`),
      );
    else if (refused.length > 0)
      out.push(
        fail(
          "MV0302",
          CAT,
          c,
          name,
          `${sname}: its kubeconfig ${refused.join("; ")}: a remote secret may carry only an inline token or client certificate`,
          `run mesh converge (pulumi up -s ${s.stack}) to install the token kubeconfig ${peer} exports in its place`,
        ),
      );
    else if (published && server !== published)
      out.push(
        fail(
          "MV0302",
          CAT,
          c,
          name,
          `${sname} points at ${server}; ${peer} publishes ${published}`,
          `the secret is stale or was made with another --server: run mesh converge (pulumi up -s ${s.stack}) to install the one ${peer} exports`,
        ),
      );
    else
      out.push(
        pass("MV0302", CAT, c, name, `${sname} points at ${server}${published ? "" : ` (${peer} publishes no address to compare)`}`),
      );
  }
  return out;
}
