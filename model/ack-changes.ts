/**
 * What a change of a stack's ACK plan does at the provider, field by field, as
 * aliyun/terraform-provider-alicloud (under @pulumi/alicloud) treats it: a ForceNew field replaces the
 * resource, a field its Update function never sends is silently kept at its first value, and the
 * Kubernetes version only goes up (`UpgradeCluster`).
 */
import semver from "semver";
import type { AckPlan } from "./ack";

export interface AckChange {
  /**
   * `replaces`: the resource is deleted and created again (the cluster is protected, so the update fails
   * instead); `no-effect`: the provider keeps the old value; `in-place`: updated without a replacement.
   */
  readonly effect: "replaces" | "no-effect" | "in-place";
  readonly what: string;
  readonly advice: string;
}

const show = (v: unknown) => JSON.stringify(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The cluster's ForceNew fields (resource_alicloud_cs_managed_kubernetes.go, its schema). */
export const CLUSTER_FORCE_NEW = ["serviceCidr", "podCidr", "proxyMode"] as const;
/**
 * Neither ForceNew nor sent by `resourceAlicloudCSManagedKubernetesUpdate` (it modifies only name,
 * vswitch_ids, deletion_protection, tags, cluster_spec, version and a few others): set at creation only.
 */
const CLUSTER_CREATE_ONLY = ["slbInternetEnabled", "addons", "podVswitchIds", "newNatGateway"] as const;

/** Why a Kubernetes version change cannot be applied, or undefined: ACK upgrades and never downgrades. */
export function kubernetesVersionProblem(before: string, after: string): string | undefined {
  const b = semver.parse(before);
  const a = semver.parse(after);
  if (!a || !b || semver.compare(a, b) >= 0) return undefined;
  return `Kubernetes ${before} → ${after} is a downgrade: ACK only upgrades a cluster (UpgradeCluster), and the update would fail after the rest of the stack had changed`;
}

export function ackChanges(before: AckPlan, after: AckPlan): AckChange[] {
  const out: AckChange[] = [];
  const b = before.cluster as unknown as Record<string, unknown>;
  const a = after.cluster as unknown as Record<string, unknown>;
  const replaced = "the provider cannot change it in place: the cluster would be replaced (it is protected: the update fails instead)";
  if (b.name !== a.name) {
    out.push({
      effect: "replaces",
      what: `ACK cluster name ${show(b.name)} → ${show(a.name)}`,
      // the provider renames in place (ModifyCluster), but the name is also the Pulumi resource name
      advice:
        "ACK could rename it in place, but the program names the cluster's Pulumi resources (VPC, vSwitches, cluster, node pools) after it: they would all be replaced",
    });
  }
  for (const f of CLUSTER_FORCE_NEW) {
    if (!same(b[f], a[f])) out.push({ effect: "replaces", what: `ACK ${f} ${show(b[f])} → ${show(a[f])}`, advice: replaced });
  }
  for (const f of CLUSTER_CREATE_ONLY) {
    if (!same(b[f], a[f])) {
      out.push({
        effect: "no-effect",
        what: `ACK ${f} ${show(b[f])} → ${show(a[f])}`,
        advice: "has no effect once the cluster exists: the provider sets it at creation only and never updates it",
      });
    }
  }
  if (b.clusterSpec !== a.clusterSpec) {
    // migrateCluster (resource_alicloud_cs_kubernetes.go) migrates ack.standard to a Pro spec, nothing else
    const migrates = b.clusterSpec === "ack.standard" && String(a.clusterSpec).startsWith("ack.pro.");
    out.push({
      effect: migrates ? "in-place" : "no-effect",
      what: `ACK clusterSpec ${show(b.clusterSpec)} → ${show(a.clusterSpec)}`,
      advice: migrates
        ? "migrated to ACK Pro in place (MigrateCluster); it cannot be undone"
        : "has no effect once the cluster exists: the provider only migrates ack.standard to ack.pro.*",
    });
  }
  const vswitchKey = (v: AckPlan["vswitches"][number]) => `${v.zoneId} ${v.cidrBlock}`;
  const gone = before.vswitches.filter((v) => !after.vswitches.some((w) => vswitchKey(w) === vswitchKey(v)));
  if (gone.length > 0) {
    out.push({
      effect: "replaces",
      what: `vSwitch ${gone.map(vswitchKey).join(", ")} replaced or removed (mesh:cluster.ack.zones, vswitchCidrs)`,
      // resource_alicloud_vswitch.go: cidr_block and zone_id are ForceNew
      advice:
        "a vSwitch's zone and CIDR cannot change in place: it is deleted and created again, which fails while the cluster's control plane or nodes use it (DependencyViolation); add a zone instead of changing one",
    });
  }
  return out;
}
