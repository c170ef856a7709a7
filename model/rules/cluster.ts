/** Rules for mesh:cluster: where the cluster comes from, its ACK settings, the names derived from it. */
import { ACK_NODE_POOL_NAME_MAX } from "../istio-facts";
import { ackNodePoolName } from "../ack";
import { AckSchema, ClusterSchema, type AckInput } from "../schema";
import { NS, type Add, part, exactlyOne, cidrOverlaps, cidrContains } from "./shared";

export function checkClusterSource(rawCluster: Record<string, unknown>, region: string | undefined, peerCount: number, add: Add): void {
  const sources = exactlyOne(
    rawCluster,
    ["ack", "kubeContext", "kubeconfig"] as const,
    `${NS}:cluster`,
    "cluster source",
    "set exactly one of ack (this stack provisions ACK), kubeContext (a context of your kubeconfig) or kubeconfig (secret: pulumi config set --secret --path 'mesh:cluster.kubeconfig')",
    add,
  );
  const ack = part(AckSchema, rawCluster.ack);
  if (ack) checkAck(ack, region, add);
  if (rawCluster.ack !== undefined && !region) {
    add("alicloud:region", "missing: the ACK cluster's region", "pulumi config set alicloud:region cn-shanghai");
  }
  if (rawCluster.apiServer === undefined && sources.length === 1 && sources[0] !== "ack" && peerCount > 0) {
    add(
      `${NS}:cluster.apiServer`,
      "missing: peers need the address of this cluster's API server as they reach it",
      "set mesh:cluster.apiServer, e.g. https://10.18.10.10:6443 (not 127.0.0.1 and not an address only your workstation reaches)",
    );
  }
}

/** `vswitch_ids` of `alicloud_cs_managed_kubernetes`: MinItems 1, MaxItems 5. */
export const MAX_ACK_ZONES = 5;

export function checkAck(ack: AckInput, region: string | undefined, add: Add): void {
  const at = `${NS}:cluster.ack`;
  if (ack.zones.length < 2) {
    add(
      `${at}.zones`,
      `${ack.zones.length} zone(s): a managed cluster's control plane and nodes need at least two`,
      'list two or more zones, e.g. ["cn-shanghai-e", "cn-shanghai-f"]',
    );
  }
  // the provider's vswitch_ids takes 1 to 5 (resource_alicloud_cs_managed_kubernetes.go, its schema)
  if (ack.zones.length > MAX_ACK_ZONES) {
    add(
      `${at}.zones`,
      `${ack.zones.length} zones: the cluster's control plane takes one vSwitch per zone, and at most ${MAX_ACK_ZONES}`,
      `list at most ${MAX_ACK_ZONES} zones (and as many vswitchCidrs)`,
    );
  }
  const zones = new Set<string>();
  ack.zones.forEach((z, i) => {
    if (zones.has(z)) add(`${at}.zones[${i}]`, `${z} is listed twice`, "list each zone once");
    zones.add(z);
    if (region && !z.startsWith(`${region}-`))
      add(`${at}.zones[${i}]`, `${z} is not a zone of region ${region}`, `use a zone of ${region}, e.g. ${region}-e`);
  });
  if (ack.vswitchCidrs.length !== ack.zones.length) {
    add(
      `${at}.vswitchCidrs`,
      `${ack.vswitchCidrs.length} vSwitch CIDRs for ${ack.zones.length} zones`,
      "give one vSwitch CIDR per zone, in the same order",
    );
  }
  ack.vswitchCidrs.forEach((c, i) => {
    if (!cidrContains(ack.vpcCidr, c))
      add(`${at}.vswitchCidrs[${i}]`, `${c} is not inside the VPC ${ack.vpcCidr}`, "choose a block inside vpcCidr");
    ack.vswitchCidrs.slice(0, i).forEach((d, j) => {
      if (cidrOverlaps(c, d)) add(`${at}.vswitchCidrs[${i}]`, `${c} overlaps vswitchCidrs[${j}] ${d}`, "give each vSwitch its own block");
    });
  });
  if ((ack.podCidr === undefined) === (ack.podVswitchIds === undefined)) {
    add(
      `${at}`,
      ack.podCidr ? "both podCidr and podVswitchIds" : "neither podCidr nor podVswitchIds",
      "set podCidr for Flannel, or podVswitchIds for Terway",
    );
  }
  const networks: [string, string][] = [
    ["vpcCidr", ack.vpcCidr],
    ["serviceCidr", ack.serviceCidr],
  ];
  if (ack.podCidr) networks.push(["podCidr", ack.podCidr]);
  networks.forEach(([name, c], i) =>
    networks.slice(0, i).forEach(([other, d]) => {
      if (cidrOverlaps(c, d))
        add(`${at}.${name}`, `${c} overlaps ${other} ${d}`, "ACK needs the VPC, pod and service networks to be disjoint");
    }),
  );
  const pools = new Set<string>();
  ack.nodePools.forEach((p, i) => {
    if (pools.has(p.name)) add(`${at}.nodePools[${i}].name`, `node pool ${p.name} is defined twice`, "give every node pool a unique name");
    pools.add(p.name);
  });
}

/** Names the program derives from the cluster's name, checked against the limits where they land. */
export function checkDerivedClusterNames(rawCluster: Record<string, unknown>, add: Add): void {
  const name = part(ClusterSchema.shape.name, rawCluster.name);
  if (name === undefined) return;
  if (rawCluster.network === undefined && `network-${name}`.length > 63) {
    add(
      `${NS}:cluster.network`,
      `the default network network-${name} is longer than a label value's 63 characters`,
      "set mesh:cluster.network to a label value of at most 63 characters, or shorten the cluster name",
    );
  }
  const ack = part(AckSchema, rawCluster.ack);
  ack?.nodePools.forEach((p, i) => {
    const poolName = ackNodePoolName(name, p.name);
    if (poolName.length > ACK_NODE_POOL_NAME_MAX) {
      add(
        `${NS}:cluster.ack.nodePools[${i}].name`,
        `the ACK node pool name ${poolName} is longer than ACK's ${ACK_NODE_POOL_NAME_MAX} characters`,
        `shorten the pool name to at most ${ACK_NODE_POOL_NAME_MAX - name.length - 1} characters`,
      );
    }
  });
}
