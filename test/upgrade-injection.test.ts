/**
 * Injection at every step of `mesh upgrade --write`, over what the API server would hold: the istiod and
 * gateway releases rendered by real Helm from Istio 1.30.3's charts with exactly the values the plan gives
 * (istio-base renders no mutating webhook), plus the program's own objects (the tag webhooks, the catalog
 * namespaces). For each shape of pod a cluster may hold, exactly one webhook matches, and it calls the istiod
 * the plan says; in particular the default selectors (`istio-injection=enabled` namespaces and
 * `sidecar.istio.io/inject=true` pods, istio-discovery `templates/mutatingwebhook.yaml`) are served by the
 * unrevisioned istiod until the step that removes it, and by a `default` tag (`templates/revision-tags-mwc.yaml`)
 * from that same step on, as `istioctl tag set default` hands them over (istioctl/pkg/tag/generate.go).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { controlPlane, DEFAULT_REVISION, istiodServiceName, resolveRevision, type ControlPlane } from "../model/revisions";
import { plannedObjects, validStacks } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { helmBinary, helmTemplate, type Rendered } from "./fixtures/helm";
import { matchingWebhooks } from "./fixtures/injection";
import { upgradeProject, writeEveryStep, type UpgradeFixture } from "./fixtures/upgrade";

/** A release as Helm renders it (helmTemplate renders each distinct one once: most steps change no release). */
const rendered = (r: { name: string; chart: "base" | "istiod" | "gateway"; namespace: string; values: unknown }): Rendered[] =>
  helmTemplate(r.name, r.chart, r.namespace, r.values);

/** The istiod a tag or revision sends pods to (when the plan has none, a text the table's diff shows). */
const service = (cp: ControlPlane, ref: string) => {
  const r = resolveRevision(cp, ref);
  return r ? istiodServiceName(r) : `no istiod: ${ref} is neither a tag nor an installed revision`;
};

/** Every shape: the istiod Services of the webhooks that match it, and the one it must be. */
function injectionTable(dir: string): { got: Record<string, string[]>; want: Record<string, string[]> } {
  const files = readProject(dir);
  const valid = validStacks(files);
  const got: Record<string, string[]> = {};
  const want: Record<string, string[]> = {};
  for (const [stack, planned] of plannedObjects(files)) {
    const cp = controlPlane(valid.get(stack)!);
    const helm = planned.releases.filter((r) => r.chart !== "base").flatMap(rendered);
    const all = [...helm, ...(planned.objects as Rendered[])];
    const add = (shape: string, ns: string, nsLabels: Record<string, string>, podLabels: Record<string, string>, to: string[]) => {
      got[`${stack}: ${shape}`] = matchingWebhooks(all, ns, nsLabels, podLabels).map((w) => w.split(" → ")[1]!);
      want[`${stack}: ${shape}`] = to;
    };
    for (const ns of planned.objects.filter((o) => o.kind === "Namespace" && o.metadata.name !== "istio-system")) {
      const n = cp.namespaces.find((x) => x.namespace === ns.metadata.name)!;
      add(`catalog namespace ${ns.metadata.name}`, ns.metadata.name, { ...ns.metadata.labels }, {}, [service(cp, n.tag ?? n.revision)]);
    }
    const gateway = helm.find((o) => o.kind === "Deployment" && o.metadata.name === "istio-eastwestgateway")!;
    const istioSystem = planned.objects.find((o) => o.kind === "Namespace" && o.metadata.name === "istio-system")!;
    add(
      "the east-west gateway's pods",
      "istio-system",
      { ...istioSystem.metadata.labels },
      (gateway.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels,
      [service(cp, cp.gateway.tag ?? cp.gateway.revision)],
    );
    // one istiod of a named revision (mesh:istio.revision), as the user had it before the adopt step: nothing
    // serves the default selectors, as nothing did before mesh upgrade
    const byDefault = resolveRevision(cp, DEFAULT_REVISION) || cp.declared ? [service(cp, DEFAULT_REVISION)] : [];
    add("a namespace labelled istio-injection=enabled", "team-a", { "istio-injection": "enabled" }, {}, byDefault);
    add("a sidecar.istio.io/inject=true pod in an unlabelled namespace", "team-b", {}, { "sidecar.istio.io/inject": "true" }, byDefault);
    for (const t of cp.tags)
      add(`a namespace labelled istio.io/rev=${t.tag}`, "team-c", { "istio.io/rev": t.tag }, {}, [service(cp, t.tag)]);
  }
  return { got, want };
}

/** Exactly the one planned webhook for every shape (none for the default selectors only where the user had none). */
function assertOneEach(dir: string, when: string): void {
  const { got, want } = injectionTable(dir);
  assert.deepEqual(got, want, when);
}

before(() => void helmBinary());

const walks: { name: string; fixture: UpgradeFixture; canary?: string; steps: number }[] = [
  { name: "from the unrevisioned istiod", fixture: "two-clusters", steps: 12 },
  { name: "from the unrevisioned istiod, with --canary dev", fixture: "two-clusters", canary: "dev", steps: 12 },
  { name: "from revision 1-30-3 with a default tag", fixture: "default-tag", steps: 10 },
  { name: "from one istiod of revision 1-30-3 (mesh:istio.revision), no tag yet", fixture: "revisioned", steps: 12 },
];

describe("mesh upgrade --to 1.31.0 --write, every step: exactly one webhook injects each shape of pod", () => {
  for (const w of walks)
    it(w.name, async () => {
      const dir = upgradeProject(w.fixture);
      assertOneEach(dir, "before the upgrade");
      const n = await writeEveryStep(dir, { to: "1.31.0", ...(w.canary ? { canary: w.canary } : {}) }, (printed) =>
        assertOneEach(dir, printed.split("\n")[0]!),
      );
      assert.equal(n, w.steps);
      // and at the end the default selectors belong to a default tag on the new revision
      for (const m of validStacks(readProject(dir)).values()) {
        const cp = controlPlane(m);
        assert.deepEqual(
          cp.revisions.map((r) => r.name),
          ["1-31-0"],
        );
        assert.equal(cp.tags.find((t) => t.tag === DEFAULT_REVISION)?.revision, "1-31-0");
      }
    });
});
