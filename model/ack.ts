/** The ACK cluster of a stack as data: VPC, one vSwitch per zone, the managed cluster, node pools. */
import type { ClusterConfig, ClusterSource } from "./types";

type AckSource = Extract<ClusterSource, { kind: "ack" }>;

export interface AckPlan {
  readonly vpc: { readonly vpcName: string; readonly cidrBlock: string };
  readonly vswitches: readonly {
    readonly key: string;
    readonly vswitchName: string;
    readonly zoneId: string;
    readonly cidrBlock: string;
  }[];
  /** `cs.ManagedKubernetes` arguments except the vSwitch ids, which come from the created vSwitches. */
  readonly cluster: {
    readonly name: string;
    readonly clusterSpec: string;
    readonly version: string;
    readonly serviceCidr: string;
    readonly podCidr?: string;
    readonly podVswitchIds?: readonly string[];
    readonly proxyMode: string;
    readonly newNatGateway: boolean;
    readonly slbInternetEnabled: boolean;
    readonly deletionProtection: boolean;
    readonly addons: readonly { readonly name: string }[];
    readonly tags: Readonly<Record<string, string>>;
  };
  readonly nodePools: readonly {
    readonly key: string;
    readonly nodePoolName: string;
    readonly instanceTypes: readonly string[];
    /** The provider types it as a string. */
    readonly desiredSize: string;
    readonly systemDiskCategory: string;
    readonly systemDiskSize: number;
    readonly labels: readonly { readonly key: string; readonly value: string }[];
    readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
  }[];
  /** Pulumi `protect` on the cluster and its VPC. */
  readonly protect: boolean;
}

/** ACK's name of a node pool: the cluster's name, then the pool's. */
export const ackNodePoolName = (cluster: string, pool: string): string => `${cluster}-${pool}`;

export function ackPlan(cluster: ClusterConfig, meshId: string): AckPlan | undefined {
  const src = cluster.source;
  if (src.kind !== "ack") return undefined;
  const ack: AckSource = src;
  const tags = { "mesh-id": meshId, "mesh-cluster": cluster.name };
  return {
    vpc: { vpcName: `${cluster.name}-vpc`, cidrBlock: ack.vpcCidr },
    vswitches: ack.zones.map((zoneId, i) => ({
      key: zoneId,
      vswitchName: `${cluster.name}-${zoneId}`,
      zoneId,
      cidrBlock: ack.vswitchCidrs[i]!,
    })),
    cluster: {
      name: cluster.name,
      clusterSpec: ack.clusterSpec,
      version: ack.version,
      serviceCidr: ack.serviceCidr,
      ...(ack.podCidr ? { podCidr: ack.podCidr } : { podVswitchIds: ack.podVswitchIds }),
      proxyMode: ack.proxyMode,
      // nodes pull Istio's images from outside the VPC
      newNatGateway: true,
      slbInternetEnabled: ack.apiServerInternet,
      deletionProtection: ack.deletionProtection,
      addons: [{ name: ack.podCidr ? "flannel" : "terway-eniip" }],
      tags,
    },
    nodePools: ack.nodePools.map((p) => ({
      key: p.name,
      nodePoolName: ackNodePoolName(cluster.name, p.name),
      instanceTypes: p.instanceTypes,
      desiredSize: String(p.desiredSize),
      systemDiskCategory: p.systemDiskCategory,
      systemDiskSize: p.systemDiskSize,
      labels: Object.entries(p.labels).map(([key, value]) => ({ key, value })),
      taints: p.taints,
    })),
    protect: ack.deletionProtection,
  };
}
