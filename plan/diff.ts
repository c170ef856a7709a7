/**
 * `mesh plan --diff <base>`: what a change to the stack files does to the mesh, computed from two
 * plans — the base (a git ref or another project folder) and the working tree. Per stack: Kubernetes
 * objects and Helm values added, changed and removed, field by field, secrets as `[secret]`; routing per
 * caller, links, trust, and checks that appear or are resolved. At the top: what disrupts or destroys.
 */
import { ackPlan, type AckPlan } from "../model/ack";
import { ackChanges, kubernetesVersionProblem } from "../model/ack-changes";
import type { KubeObject, ReleaseSpec } from "../model/istio";
import { controlPlane, DEFAULT_REVISION, revisionUsers } from "../model/revisions";
import type { MeshConfig } from "../model/types";
import { planMesh, plannedObjects, validStacks, type Finding, type MeshPlan } from "./plan";
import type { ProjectFiles } from "./stack-files";
import { trustDiff } from "./diff-trust";
import { fieldDiff, itemDiff, type Disruption, type FieldChange, type ItemChange } from "./diff-items";

export { fieldDiff, type Disruption, type FieldChange, type ItemChange };

export interface StackDiff {
  readonly stack: string;
  readonly change: "added" | "removed" | "changed" | "unchanged";
  readonly objects: readonly ItemChange[];
  readonly releases: readonly ItemChange[];
  /** The ACK resources (VPC, vSwitches, cluster, node pools) this stack provisions, field by field. */
  readonly cloud: readonly ItemChange[];
  /** The trust resources (root and intermediate CA: keys, request, certificates), each with its effect. */
  readonly certificates: readonly ItemChange[];
}

/** The JSON diff's schema version (docs/plan.md): fields are only added within it. */
export const DIFF_SCHEMA_VERSION = 1;

export interface MeshDiff {
  readonly schemaVersion: number;
  readonly base: string;
  readonly disruptions: readonly Disruption[];
  readonly stacks: readonly StackDiff[];
  readonly routing: readonly { readonly change: "added" | "removed"; readonly line: string }[];
  readonly links: readonly { readonly change: "added" | "removed"; readonly link: string }[];
  readonly trust: readonly { readonly change: "added" | "removed"; readonly line: string }[];
  readonly checks: readonly { readonly change: "appeared" | "resolved"; readonly finding: Finding }[];
  /** The working tree's plan has errors, or a change is refused. */
  readonly errors: number;
}

const objectKey = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
const releaseBody = (r: ReleaseSpec) => ({
  chart: r.chart,
  version: r.version,
  repo: r.repo,
  timeoutSeconds: r.timeoutSeconds,
  atomic: r.atomic,
  values: r.values,
});

/** The ACK resources of a plan as items: what `plan --diff` compares field by field. */
function cloudItems(p: AckPlan | undefined): { key: string; body: unknown }[] {
  if (!p) return [];
  return [
    { key: `VPC ${p.vpc.vpcName}`, body: p.vpc },
    ...p.vswitches.map((v) => ({ key: `vSwitch ${v.vswitchName}`, body: { zoneId: v.zoneId, cidrBlock: v.cidrBlock } })),
    { key: `ACK cluster ${p.cluster.name}`, body: { ...p.cluster, protect: p.protect } },
    ...p.nodePools.map(({ key: _, ...pool }) => ({ key: `node pool ${pool.nodePoolName}`, body: pool })),
  ];
}

/**
 * A revision's version changed under the same name: its istiod and every proxy it injects restart on
 * the new version at once (in place). A revision removed while the base still sent a tag, namespace or
 * the gateway to it: the pods it injected keep its proxies and lose their control plane. Adding a
 * revision is neither: it runs beside the old one until tags move.
 */
function revisionDisruptions(stack: string, b: MeshConfig, h: MeshConfig): Disruption[] {
  const bc = controlPlane(b);
  const hc = controlPlane(h);
  const out: Disruption[] = [];
  for (const r of bc.revisions) {
    const now = hc.revisions.find((x) => x.name === r.name);
    if (now && now.version !== r.version)
      out.push({
        severity: "disrupts",
        stack,
        what: `Istio ${r.version} → ${now.version} in place${r.name === DEFAULT_REVISION ? "" : ` (revision ${r.name})`}`,
        advice: `upgrade with a canary instead: keep ${r.name} at ${r.version} and add a revision beside it (mesh upgrade --to ${now.version}, docs/upgrade.md); setting mesh:istio.revision alone renames the control plane in one step`,
      });
    if (!now) {
      const users = revisionUsers(bc, r.name);
      if (users.length > 0)
        out.push({
          severity: "destroys",
          stack,
          what: `revision ${r.name} (Istio ${r.version}) removed while ${users.join(", ")} used it`,
          advice:
            "the pods it injected keep its proxies with no istiod to serve them, and peers lose its reader ClusterRole: move every tag, namespace and the gateway first, restart their workloads, then remove it in a later change",
        });
    }
  }
  return out;
}

const EFFECT_SEVERITY = { replaces: "destroys", "in-place": "disrupts", "no-effect": "no-effect" } as const;

function disruptions(base: Map<string, MeshConfig>, head: Map<string, MeshConfig>): Disruption[] {
  const out: Disruption[] = [];
  for (const [stack, h] of head) {
    const b = base.get(stack);
    if (!b) continue;
    const untilPeers = "until every peer has run pulumi up again to re-read it (mesh converge)";
    if (b.meshId !== h.meshId)
      out.push({
        severity: "disrupts",
        stack,
        what: `mesh id ${b.meshId} → ${h.meshId}`,
        advice: `cross-cluster traffic stops ${untilPeers}`,
      });
    if (b.cluster.name !== h.cluster.name)
      out.push({
        severity: "disrupts",
        stack,
        what: `cluster name ${b.cluster.name} → ${h.cluster.name}`,
        advice: `peers' remote secrets name the old cluster ${untilPeers}`,
      });
    if (b.cluster.network !== h.cluster.network)
      out.push({
        severity: "disrupts",
        stack,
        what: `network ${b.cluster.network} → ${h.cluster.network}`,
        advice: `istiod re-labels every endpoint; cross-network routing breaks ${untilPeers}`,
      });
    if (JSON.stringify(b.trust) !== JSON.stringify(h.trust)) {
      out.push({
        severity: "disrupts",
        stack,
        what: `trust ${b.trust.kind} → ${h.trust.kind}`,
        advice:
          "a new root: cross-cluster mTLS fails (CERTIFICATE_VERIFY_FAILED) until every cluster has re-issued its intermediate and restarted istiod",
      });
    }
    out.push(...revisionDisruptions(stack, b, h));
    const ba = ackPlan(b.cluster, b.meshId);
    const ha = ackPlan(h.cluster, h.meshId);
    if (ba && ha) {
      const refused = kubernetesVersionProblem(ba.cluster.version, ha.cluster.version);
      if (refused)
        out.push({ severity: "refused", stack, what: refused, advice: `keep mesh:cluster.ack.version at ${ba.cluster.version} or later` });
      for (const c of ackChanges(ba, ha)) out.push({ severity: EFFECT_SEVERITY[c.effect], stack, what: c.what, advice: c.advice });
    }
    const bs = new Set(b.services.map((s) => `${s.namespace}/${s.name}`));
    const hs = new Set(h.services.map((s) => `${s.namespace}/${s.name}`));
    for (const s of bs)
      if (!hs.has(s))
        out.push({
          severity: "destroys",
          stack,
          what: `catalog service ${s} removed`,
          advice: "its DestinationRule is deleted (the Service is kept: retainOnDelete); callers from other clusters lose failover",
        });
    for (const p of b.peers)
      if (!h.peers.includes(p))
        out.push({
          severity: "destroys",
          stack,
          what: `peer ${p} removed`,
          advice: "its remote secret is deleted: this istiod stops reading that cluster",
        });
  }
  for (const stack of base.keys())
    if (!head.has(stack))
      out.push({
        severity: "destroys",
        stack,
        what: "stack file removed (or its config now invalid)",
        advice: "its resources stay until pulumi destroy; its peers keep its remote secret",
      });
  return out;
}

const set = (xs: readonly string[]) => new Set(xs);
function lines(before: readonly string[], after: readonly string[]): { change: "added" | "removed"; line: string }[] {
  const b = set(before);
  const a = set(after);
  return [
    ...after.filter((l) => !b.has(l)).map((line) => ({ change: "added" as const, line })),
    ...before.filter((l) => !a.has(l)).map((line) => ({ change: "removed" as const, line })),
  ];
}
/** One line per service and calling cluster: where its calls go. */
const routingLines = (p: MeshPlan) =>
  p.services.flatMap((s) => p.routing.find((r) => r.id === s.routing)?.routes.map((x) => `${s.host}: ${x.words}`) ?? []);
const findingKey = (f: Finding) => `${f.severity} ${f.stack} ${f.path} ${f.message}`;

/** `--fail-on`: the least severe disruption that fails the diff; each level includes the more severe ones. */
export const FAIL_ON = ["refused", "destroys", "disrupts"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** The disruptions at or above `level`: what makes `mesh plan --diff --fail-on <level>` exit 1. */
export function failingDisruptions(d: MeshDiff, level: FailOn): Disruption[] {
  const upTo = FAIL_ON.slice(0, FAIL_ON.indexOf(level) + 1) as readonly string[];
  return d.disruptions.filter((x) => upTo.includes(x.severity));
}

export function diffMesh(base: ProjectFiles, head: ProjectFiles, baseLabel: string): MeshDiff {
  const bp = planMesh(base);
  const hp = planMesh(head);
  const bo = plannedObjects(base);
  const ho = plannedObjects(head);
  const bv = validStacks(base);
  const hv = validStacks(head);
  const ack = (m: MeshConfig | undefined) => (m ? ackPlan(m.cluster, m.meshId) : undefined);
  const trust = trustDiff(bv, hv);
  const found = [...disruptions(bv, hv), ...trust.disruptions];
  const stacks: StackDiff[] = [];
  for (const stack of [...new Set([...bo.keys(), ...ho.keys()])].sort()) {
    const b = bo.get(stack);
    const h = ho.get(stack);
    const objects = itemDiff(b?.objects ?? [], h?.objects ?? [], objectKey, (o) => o);
    const releases = itemDiff(b?.releases ?? [], h?.releases ?? [], (r) => `release ${r.name}`, releaseBody);
    const cloud = itemDiff(
      cloudItems(ack(bv.get(stack))),
      cloudItems(ack(hv.get(stack))),
      (x) => x.key,
      (x) => x.body,
    );
    const certificates = trust.items.get(stack) ?? [];
    // a stack with a disruptive change is changed, whatever its objects say
    const touched = objects.length + releases.length + cloud.length + certificates.length > 0 || found.some((x) => x.stack === stack);
    stacks.push({
      stack,
      change: !b ? "added" : !h ? "removed" : touched ? "changed" : "unchanged",
      objects,
      releases,
      cloud,
      certificates,
    });
  }
  const bf = new Map(bp.findings.map((f) => [findingKey(f), f]));
  const hf = new Map(hp.findings.map((f) => [findingKey(f), f]));
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    base: baseLabel,
    disruptions: found,
    stacks,
    routing: lines(routingLines(bp), routingLines(hp)),
    links: lines(
      bp.links.map((l) => `${l.reader} reads ${l.reads} (${l.status})`),
      hp.links.map((l) => `${l.reader} reads ${l.reads} (${l.status})`),
    ).map(({ change, line }) => ({ change, link: line })),
    trust: lines(
      [`anchor: ${bp.trust.anchor ?? "none"}`, ...bp.trust.issuers.map((i) => `${i.stack} issues from ${i.from}`)],
      [`anchor: ${hp.trust.anchor ?? "none"}`, ...hp.trust.issuers.map((i) => `${i.stack} issues from ${i.from}`)],
    ),
    checks: [
      ...[...hf].filter(([k]) => !bf.has(k)).map(([, finding]) => ({ change: "appeared" as const, finding })),
      ...[...bf].filter(([k]) => !hf.has(k)).map(([, finding]) => ({ change: "resolved" as const, finding })),
    ],
    errors: hp.summary.errors + found.filter((x) => x.severity === "refused").length,
  };
}
