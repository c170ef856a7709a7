import * as alicloud from "@pulumi/alicloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AckPlan } from "../model/ack";
import type { MeshCluster } from "./cluster";

export interface AckClusterArgs {
  /** What to create, computed by `ackPlan`. */
  readonly plan: AckPlan;
  /**
   * API server URL as the other clusters reach it.
   * @default the cluster's intranet endpoint (the clusters are joined by a private line)
   */
  readonly apiServer?: string;
}

/** A managed ACK cluster with its own VPC, one vSwitch per zone, and node pools. */
export class AckCluster extends pulumi.ComponentResource implements MeshCluster {
  readonly provider: k8s.Provider;
  readonly adoptingProvider: k8s.Provider;
  readonly apiServer: pulumi.Output<string | undefined>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterId: pulumi.Output<string>;
  readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: AckClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:cluster:AckCluster", name, {}, opts);
    const { plan } = args;
    const vpc = new alicloud.vpc.Network(`${name}-vpc`, plan.vpc, { parent: this, protect: plan.protect });
    const vswitches = plan.vswitches.map(
      (v) =>
        new alicloud.vpc.Switch(
          `${name}-${v.key}`,
          { vpcId: vpc.id, cidrBlock: v.cidrBlock, zoneId: v.zoneId, vswitchName: v.vswitchName },
          { parent: this },
        ),
    );
    const vswitchIds = vswitches.map((s) => s.id);
    const cluster = new alicloud.cs.ManagedKubernetes(
      name,
      {
        ...plan.cluster,
        podVswitchIds: plan.cluster.podVswitchIds ? [...plan.cluster.podVswitchIds] : undefined,
        addons: [...plan.cluster.addons],
        // control plane ENIs; workers get theirs from the node pools (workerVswitchIds is deprecated)
        vswitchIds,
      },
      // serviceCidr and slbInternetEnabled cannot change after creation: a diff must not replace the cluster silently
      { parent: this, protect: plan.protect },
    );
    const pools = plan.nodePools.map(
      (p) =>
        new alicloud.cs.NodePool(
          `${name}-${p.key}`,
          {
            clusterId: cluster.id,
            nodePoolName: p.nodePoolName,
            vswitchIds,
            instanceTypes: [...p.instanceTypes],
            desiredSize: p.desiredSize,
            systemDiskCategory: p.systemDiskCategory,
            systemDiskSize: p.systemDiskSize,
            labels: p.labels.map((l) => ({ ...l })),
            taints: p.taints.map((t) => ({ ...t })),
          },
          { parent: this },
        ),
    );
    this.clusterId = cluster.id;
    const credential = alicloud.cs.getClusterCredentialOutput({ clusterId: cluster.id }, { parent: this });
    this.kubeconfig = pulumi.secret(credential.kubeConfig);
    // a re-issued credential is an update of the provider, not a replacement of every object on it
    const connection: k8s.ProviderArgs = { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.id };
    this.provider = new k8s.Provider(`${name}-k8s`, connection, { parent: this });
    this.adoptingProvider = new k8s.Provider(`${name}-k8s-adopting`, { ...connection, upsertExistingObjects: true }, { parent: this });
    this.apiServer = args.apiServer !== undefined ? pulumi.output(args.apiServer) : cluster.connections.apiServerIntranet;
    this.ready = pools;
    this.registerOutputs({ clusterId: this.clusterId, apiServer: this.apiServer, kubeconfig: this.kubeconfig });
  }
}
