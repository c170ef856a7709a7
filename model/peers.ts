/**
 * Whether a peer stack belongs to this mesh, from the outputs it exported. A peer that has not
 * exported yet is the normal first bring-up: pending, with the next command to run.
 */
import { parseRemoteKubeconfig } from "./remote";
import { DNS1123_LABEL, LABEL_VALUE } from "./istio-facts";
import { sameRoot } from "./trust";

/** The outputs of a peer stack this program reads (absent ones are undefined). */
export interface PeerOutputs {
  readonly clusterName?: unknown;
  readonly network?: unknown;
  readonly meshId?: unknown;
  readonly trustRoot?: unknown;
  readonly remoteSecret?: unknown;
  readonly peers?: unknown;
}

export interface LocalIdentity {
  /** Fully qualified, e.g. organization/mesh/wuxi. */
  readonly stack: string;
  readonly clusterName: string;
  readonly network: string;
  readonly meshId: string;
  /** The mesh root this stack trusts, when known before deploy (not for the anchor, which makes it). */
  readonly trustRoot?: string;
}

export type PeerState =
  | {
      readonly stack: string;
      readonly status: "linked";
      readonly cluster: string;
      readonly network: string;
      readonly server: string;
      readonly trustRoot: string;
    }
  | { readonly stack: string; readonly status: "pending"; readonly missing: readonly string[]; readonly next: string };

export interface PeerAssessment {
  readonly state: PeerState;
  /** Reasons the peer cannot be linked: each stops the run. */
  readonly problems: readonly string[];
  /** Allowed but worth saying. */
  readonly warnings: readonly string[];
}

/** The peer trusts another root than ours. */
export function trustRootProblem(stack: string): string {
  return `peer ${stack}: its trust root differs from ours: cross-cluster mTLS would fail with CERTIFICATE_VERIFY_FAILED
    fix: issue every intermediate from one root: mesh:trust.rootStack must name the same anchor in every stack; after changing it run pulumi up -s ${stackShortName(stack)}`;
}

/**
 * A stack that lists a peer which does not list it back: the peer's istiod does not read it, so calls
 * from the peer's cluster do not reach this one. A warning, in `pulumi up` and in `mesh plan` alike:
 * it is the normal state while a cluster is being added (its stack names the existing peers before
 * they name it back), and the link it lacks is made by the peer's next run.
 */
export const ONE_SIDED_PEER_SEVERITY = "warning" as const;

export function oneSidedPeer(o: {
  /** The stack that lists the other, fully qualified. */
  readonly lister: string;
  readonly listerCluster: string;
  /** The stack that does not list it back, fully qualified. */
  readonly unlisted: string;
}): { readonly message: string; readonly fix: string } {
  const other = stackShortName(o.unlisted);
  return {
    message: `${o.unlisted} does not list ${o.lister} in mesh:peers: its istiod does not read ${o.listerCluster}, so calls from ${other} do not reach ${o.listerCluster} (expected while ${stackShortName(o.lister)} is being added)`,
    fix: `add ${o.lister} to mesh:peers in Pulumi.${other}.yaml, then run pulumi up -s ${other}`,
  };
}

const REQUIRED = ["clusterName", "network", "meshId", "trustRoot", "remoteSecret"] as const;

export const stackShortName = (stack: string): string => stack.split("/").pop() ?? stack;

export function assessPeer(local: LocalIdentity, stack: string, out: PeerOutputs): PeerAssessment {
  const peer = stackShortName(stack);
  const us = stackShortName(local.stack);
  const missing = REQUIRED.filter((k) => out[k] === undefined || out[k] === null || out[k] === "");
  if (missing.length > 0) {
    const next = `pulumi up -s ${peer}, then pulumi up -s ${us} again`;
    return {
      state: { stack, status: "pending", missing, next },
      problems: [],
      warnings: [`peer ${stack} has not exported ${missing.join(", ")} yet, so ${local.clusterName} does not read it: run ${next}`],
    };
  }
  const problems: string[] = [];
  const say = (what: string, fix: string) => problems.push(`peer ${stack}: ${what}\n    fix: ${fix}`);
  const { clusterName, network, meshId, trustRoot } = out as Record<(typeof REQUIRED)[number], unknown>;
  // names this stack will write into its own cluster: the remote secret's name, its data key, labels
  if (typeof clusterName !== "string" || clusterName.length > 63 || !DNS1123_LABEL.test(clusterName)) {
    say(
      "its clusterName is not a DNS-1123 label of at most 63 characters: it would name this cluster's remote secret",
      `correct mesh:cluster.name in Pulumi.${peer}.yaml, then run pulumi up -s ${peer}`,
    );
  }
  if (typeof network !== "string" || network.length > 63 || !LABEL_VALUE.test(network)) {
    say(
      "its network is not a label value of at most 63 characters",
      `correct mesh:cluster.network in Pulumi.${peer}.yaml, then run pulumi up -s ${peer}`,
    );
  }
  if (meshId !== local.meshId) {
    say(
      `its mesh id is ${JSON.stringify(meshId)}, ours is ${JSON.stringify(local.meshId)}`,
      `use one mesh:meshId for every stack (set it in Pulumi.yaml, not in a stack file), then run pulumi up -s ${peer}`,
    );
  }
  if (clusterName === local.clusterName) {
    say(
      `its cluster name ${JSON.stringify(clusterName)} is ours too: istiod would take it for itself`,
      `give every stack its own mesh:cluster.name`,
    );
  }
  if (network === local.network) {
    say(
      `its network ${JSON.stringify(network)} is ours too: traffic would go to its pod IPs instead of its east-west gateway`,
      `give every cluster its own mesh:cluster.network`,
    );
  }
  if (local.trustRoot !== undefined && (typeof trustRoot !== "string" || !sameRoot(trustRoot, local.trustRoot))) {
    problems.push(trustRootProblem(stack));
  }
  const kube = parseRemoteKubeconfig(out.remoteSecret);
  if ("problem" in kube) {
    say(
      `its remoteSecret is not a kubeconfig istiod can use (${kube.problem}); a stack whose secrets were encrypted with another passphrase or secrets provider reads as a placeholder`,
      `use the same PULUMI_CONFIG_PASSPHRASE (or secrets provider) for every stack, then run pulumi up -s ${peer} and this stack again`,
    );
  } else if (kube.cluster !== clusterName) {
    say(
      `its remoteSecret is for cluster ${JSON.stringify(kube.cluster)}, not ${JSON.stringify(clusterName)}`,
      `run pulumi up -s ${peer} to re-export it`,
    );
  }
  const warnings: string[] = [];
  if (Array.isArray(out.peers) && !out.peers.some((p) => (p as { stack?: unknown })?.stack === local.stack)) {
    const { message, fix } = oneSidedPeer({ lister: local.stack, listerCluster: local.clusterName, unlisted: stack });
    warnings.push(`${message}\n    fix: ${fix}`);
  }
  return {
    state:
      problems.length === 0 && !("problem" in kube)
        ? {
            stack,
            status: "linked",
            cluster: clusterName as string,
            network: network as string,
            server: kube.server,
            trustRoot: trustRoot as string,
          }
        : { stack, status: "pending", missing: [], next: "" },
    problems,
    warnings,
  };
}

/** A peer's entry in the stack output `peers`: linked, or pending with what is missing and what to run. */
export function peerOutput(state: PeerState): Record<string, unknown> {
  return state.status === "linked"
    ? { stack: state.stack, cluster: state.cluster, status: "linked" }
    : { stack: state.stack, status: "pending", missing: state.missing, next: state.next };
}

/** The stacks this stack reads (its anchor and its peers), each with the config paths that name it. */
export function referencedStacks(mesh: {
  readonly trust: { readonly kind: string; readonly stack?: string };
  readonly peers: readonly string[];
}): Map<string, string[]> {
  const named = new Map<string, string[]>();
  const add = (stack: string, path: string) => named.set(stack, [...(named.get(stack) ?? []), path]);
  if (mesh.trust.kind === "rootStack" && mesh.trust.stack) add(mesh.trust.stack, "mesh:trust.rootStack");
  mesh.peers.forEach((p, i) => add(p, `mesh:peers[${i}]`));
  return named;
}

/** What to say when a stack named in config cannot be read (it does not exist, or is not this backend's). */
export function unreadableStackReport(stack: string, paths: readonly string[]): string {
  const short = stackShortName(stack);
  return `${paths.join(" and ")} name${paths.length === 1 ? "s" : ""} the stack ${stack}, which cannot be read: it does not exist on this backend, or the name is wrong
    fix: create it (pulumi stack init ${stack}, then pulumi up -s ${short}), or correct the name in this stack's file (pulumi stack ls lists the stacks)`;
}
