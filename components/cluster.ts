import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** What every cluster source gives the rest of the program. */
export interface MeshCluster {
  /** The provider every Kubernetes object of this cluster is created with. */
  readonly provider: k8s.Provider;
  /**
   * The same cluster, adopting objects that already exist (`upsertExistingObjects`): for the
   * namespaces and Services an application pipeline may have created first.
   */
  readonly adoptingProvider: k8s.Provider;
  /** API server URL as the other clusters reach it (undefined when not known). */
  readonly apiServer: pulumi.Output<string | undefined>;
  /** Admin kubeconfig, secret; undefined when the operator's own kubeconfig is used. */
  readonly kubeconfig?: pulumi.Output<string>;
  /** Resources Kubernetes workloads must wait for (node pools). */
  readonly ready: readonly pulumi.Resource[];
}
