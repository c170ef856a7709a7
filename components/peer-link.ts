import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { runError } from "./run-error";
import { remoteSecret } from "../model/remote";
import { rootMismatch } from "../model/trust";

export interface PeerLinkArgs {
  /** The peer's cluster name: the remote secret's name and its one data key. */
  readonly peerCluster: string;
  /** The peer's `remoteSecret` output. */
  readonly kubeconfig: pulumi.Input<string>;
  readonly provider: k8s.Provider;
  /** What istiod must have before it reads another cluster (the cross-network Gateway). */
  readonly dependsOn: readonly pulumi.Resource[];
  /**
   * The anchor's own root, known only once made, and the peer's: a mismatch fails the update
   * before the secret is written.
   */
  readonly trustCheck?: { readonly ours: pulumi.Output<string>; readonly theirs: string; readonly problem: string };
}

/** `istio-remote-secret-<peer>`: lets this cluster's istiod read the peer's API server. */
export class PeerLink extends pulumi.ComponentResource {
  readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: PeerLinkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:remote:PeerLink", name, {}, opts);
    const obj = remoteSecret(args.peerCluster, pulumi.secret(checkedKubeconfig(args.kubeconfig, args.trustCheck)));
    // a fixed name: a new server or token is an update in place, so istiod never sees the cluster vanish
    this.secret = new k8s.core.v1.Secret(
      `${name}-remote-secret`,
      { metadata: obj.metadata, stringData: obj.stringData },
      { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] },
    );
    this.registerOutputs({});
  }
}

/** The peer's kubeconfig, failing (and so never written) when the peer trusts another root than ours. */
export function checkedKubeconfig(kubeconfig: pulumi.Input<string>, check: PeerLinkArgs["trustCheck"]): pulumi.Output<string> {
  if (!check) return pulumi.output(kubeconfig);
  return pulumi.all([check.ours, kubeconfig]).apply(([ours, kc]) => {
    const problem = rootMismatch(ours, check.theirs, check.problem);
    if (problem) throw runError(problem);
    return kc;
  });
}
