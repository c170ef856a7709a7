/**
 * Two istiod revisions rendered with real Helm from Istio 1.30.3's charts, with exactly the releases and
 * values the plan gives, beside the program's own objects: before, during and after the upgrade of the
 * fixture project's stacks. No two objects of a cluster share kind, namespace and name, and every catalog
 * namespace (and the east-west gateway's pods) is injected by exactly the istiod its tag names, as the
 * API server would choose among every rendered webhook. (The 1.31.0 revision is rendered from the 1.30.3
 * chart: only the image tag depends on the version.)
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { controlPlane, istiodServiceName, resolveRevision, revisionTagWebhook } from "../model/revisions";
import { plannedObjects, validStacks } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { writeStackEdits } from "../plan/stack-edit";
import { planUpgrade } from "../plan/upgrade";

import { helmBinary, helmTemplate, type Rendered } from "./fixtures/helm";
import { FIXTURE_PROJECT } from "./fixtures/project";

type Expr = { key: string; operator: string; values?: string[] };
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Expr[] } | undefined;
function matches(sel: Selector, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === "In") return has && e.values!.includes(labels[e.key]!);
    if (e.operator === "NotIn") return !has || !e.values!.includes(labels[e.key]!);
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    throw new Error(`operator ${e.operator}`);
  });
}
type Hook = { namespaceSelector?: Selector; objectSelector?: Selector; clientConfig: { service: { name: string } } };
/** The istiod Services whose injector a pod with these labels, in a namespace with these, is sent to. */
function injectors(all: readonly Rendered[], nsLabels: Record<string, string>, podLabels: Record<string, string>): string[] {
  const hooks = all.filter((o) => o.kind === "MutatingWebhookConfiguration").flatMap((o) => o.webhooks as Hook[]);
  return [
    ...new Set(
      hooks
        .filter((h) => matches(h.namespaceSelector, nsLabels) && matches(h.objectSelector, podLabels))
        .map((h) => h.clientConfig.service.name),
    ),
  ];
}

function projectAt(stepsDone: (phase: number) => boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-helm-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(FIXTURE_PROJECT, f), join(dir, f));
  for (;;) {
    const next = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps[0];
    if (!next || !stepsDone(next.phase)) return dir;
    writeStackEdits(dir, next.edits);
  }
}

const STATES = {
  "before the upgrade": () => FIXTURE_PROJECT,
  "both revisions, the canary tag on the new one": () => projectAt((phase) => phase <= 3),
  "after the upgrade": () => projectAt(() => true),
} as const;

before(() => void helmBinary());

for (const [state, dirOf] of Object.entries(STATES)) {
  describe(`Helm renders of the fixture project's stacks, ${state}`, () => {
    const files = readProject(dirOf());
    const valid = validStacks(files);
    for (const [stack, planned] of plannedObjects(files)) {
      const mesh = valid.get(stack)!;
      const cp = controlPlane(mesh);
      const rendered = planned.releases.flatMap((r) => helmTemplate(r.name, r.chart, r.namespace, r.values));
      const all: Rendered[] = [...rendered, ...(planned.objects as Rendered[])];

      it(`${stack}: no two objects share kind, namespace and name`, () => {
        const keys = all.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`);
        assert.deepEqual(
          keys.filter((k, i) => keys.indexOf(k) !== i),
          [],
        );
        // each revision has its reader ClusterRole and binding, which peers' remote secrets rely on
        for (const r of cp.revisions) {
          const name = `istio-reader-clusterrole-${r.chartRevision ? `${r.chartRevision}-` : ""}istio-system`;
          assert.ok(keys.includes(`ClusterRole /${name}`) && keys.includes(`ClusterRoleBinding /${name}`), name);
        }
      });

      it(`${stack}: each namespace is injected by exactly the istiod its tag names, the gateway by the one it follows`, () => {
        for (const ns of planned.objects.filter((o) => o.kind === "Namespace" && o.metadata.name !== "istio-system")) {
          const n = cp.namespaces.find((x) => x.namespace === ns.metadata.name)!;
          const labels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": ns.metadata.name };
          assert.deepEqual(injectors(all, labels, {}), [istiodServiceName(resolveRevision(cp, n.tag ?? n.revision)!)], ns.metadata.name);
        }
        const gateway = rendered.find((o) => o.kind === "Deployment" && o.metadata.name === "istio-eastwestgateway")!;
        const podLabels = (gateway.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        const istioSystem = {
          ...planned.objects.find((o) => o.metadata.name === "istio-system")!.metadata.labels,
          "kubernetes.io/metadata.name": "istio-system",
        };
        assert.deepEqual(injectors(all, istioSystem, podLabels), [
          istiodServiceName(resolveRevision(cp, cp.gateway.tag ?? cp.gateway.revision)!),
        ]);
      });
    }
  });
}

describe("a revision tag's webhook", () => {
  for (const chartRevision of ["", "1-31-0"]) {
    it(`is what the istiod chart renders for revisionTags (revision ${JSON.stringify(chartRevision)})`, () => {
      const [helm] = helmTemplate(
        chartRevision ? `istiod-${chartRevision}` : "istiod",
        "istiod",
        "istio-system",
        { revision: chartRevision, revisionTags: ["prod-canary"] },
        ["templates/revision-tags-mwc.yaml"],
      );
      const ours = revisionTagWebhook("prod-canary", { chartRevision });
      assert.equal(helm!.metadata.name, ours.metadata.name);
      for (const [k, v] of Object.entries(ours.metadata.labels!)) assert.equal(helm!.metadata.labels![k], v, k);
      assert.deepEqual(ours.webhooks, helm!.webhooks);
    });
  }
});
