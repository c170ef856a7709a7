/**
 * Two istiod revisions rendered with real Helm from Istio 1.30.3's charts, with exactly the releases and
 * values the plan gives, beside the program's own objects, at every step of the upgrade: no two objects of a
 * cluster share kind, namespace and name, and each revision has the reader ClusterRole peers rely on. The
 * program's revision tag webhooks are what the istiod chart renders for `revisionTags`
 * (istio-discovery `templates/revision-tags-mwc.yaml`), with the injector settings of the revision they point
 * at. (The 1.31.0 revision is rendered from the 1.30.3 chart: only the image tag depends on the version.)
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { injectorSettings, revisionTags, revisionTagWebhook } from "../model/revision-tags";
import { controlPlane } from "../model/revisions";
import { plannedObjects, validStacks } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { editStackText } from "../plan/stack-edit";
import { helmBinary, helmTemplate, type Rendered } from "./fixtures/helm";
import { upgradeProject, writeEveryStep } from "./fixtures/upgrade";

before(() => void helmBinary());

describe("Helm renders and the program's objects at every step of mesh upgrade --to 1.31.0", () => {
  it("no two objects of a cluster share kind, namespace and name; every revision has its reader ClusterRole", async () => {
    const dir = upgradeProject("two-clusters");
    const check = (when: string) => {
      const files = readProject(dir);
      const valid = validStacks(files);
      for (const [stack, planned] of plannedObjects(files)) {
        const all: Rendered[] = [
          ...planned.releases.flatMap((r) => helmTemplate(r.name, r.chart, r.namespace, r.values)),
          ...(planned.objects as Rendered[]),
        ];
        const keys = all.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`);
        assert.deepEqual(
          keys.filter((k, i) => keys.indexOf(k) !== i),
          [],
          `${when}: ${stack}`,
        );
        for (const r of controlPlane(valid.get(stack)!).revisions) {
          const name = `istio-reader-clusterrole-${r.chartRevision ? `${r.chartRevision}-` : ""}istio-system`;
          assert.ok(keys.includes(`ClusterRole /${name}`) && keys.includes(`ClusterRoleBinding /${name}`), `${when}: ${stack}: ${name}`);
        }
      }
    };
    check("before the upgrade");
    assert.equal(await writeEveryStep(dir, { to: "1.31.0", canary: "dev" }, (printed) => check(printed.split("\n")[0]!)), 12);
  });
});

describe("a revision tag's webhook is what the istiod chart renders for revisionTags", () => {
  const injector = {
    sidecarInjectorWebhook: { reinvocationPolicy: "IfNeeded", enableNamespacesByDefault: true },
    sidecarInjectorWebhookAnnotations: { "example.com/owner": "platform" },
    istiodRemote: { injectionPath: "/inject/cluster/wuxi/net/network-wuxi" },
  };
  const cases = [
    { tag: "prod-canary", revision: "", values: {} },
    { tag: "prod-canary", revision: "1-31-0", values: {} },
    // the default tag also renders the namespace. and object. webhooks, which serve the default selectors
    { tag: "default", revision: "1-31-0", values: {} },
    // the injector settings a user may set on the revision, carried into its tags (with auto. on the default tag)
    { tag: "default", revision: "1-31-0", values: injector },
    { tag: "prod-stable", revision: "", values: injector },
    { tag: "prod-stable", revision: "1-31-0", values: { istiodRemote: { injectionURL: "https://istiod.example:15017/inject" } } },
  ];
  for (const c of cases)
    it(`${c.tag} on revision ${JSON.stringify(c.revision)}${Object.keys(c.values).length ? ` with ${JSON.stringify(c.values)}` : ""}`, () => {
      const values = { revision: c.revision, ...c.values };
      const [helm] = helmTemplate(
        c.revision ? `istiod-${c.revision}` : "istiod",
        "istiod",
        "istio-system",
        { ...values, revisionTags: [c.tag] },
        ["templates/revision-tags-mwc.yaml"],
      );
      const ours = revisionTagWebhook(c.tag, injectorSettings(values));
      assert.equal(ours.metadata.name, helm!.metadata.name);
      for (const [k, v] of Object.entries(ours.metadata.labels!)) assert.equal(helm!.metadata.labels![k], v, k);
      assert.deepEqual(ours.metadata.annotations, (helm!.metadata as { annotations?: unknown }).annotations);
      assert.deepEqual(ours.webhooks, helm!.webhooks);
    });

  it("carries mesh:istio.values.istiod's injector settings into the tags of every revision", () => {
    const dir = upgradeProject("default-tag");
    const wuxi = join(dir, "Pulumi.wuxi.yaml");
    writeFileSync(
      wuxi,
      editStackText(readFileSync(wuxi, "utf8"), [
        {
          stack: "wuxi",
          path: ["mesh:istio", "values"],
          value: { istiod: { sidecarInjectorWebhook: { reinvocationPolicy: "IfNeeded" } } },
        },
      ]),
    );
    const tags = revisionTags(validStacks(readProject(dir)).get("wuxi")!);
    assert.deepEqual(
      tags.map((t) => [
        t.tag,
        t.injector,
        [...new Set((t.webhook.webhooks as { reinvocationPolicy: string }[]).map((w) => w.reinvocationPolicy))],
      ]),
      [
        ["default", "istio-sidecar-injector-1-30-3", ["IfNeeded"]],
        ["prod-canary", "istio-sidecar-injector-1-30-3", ["IfNeeded"]],
        ["prod-stable", "istio-sidecar-injector-1-30-3", ["IfNeeded"]],
      ],
    );
    // and the revision's own injector, as Helm renders it from the same values, says the same
    const planned = plannedObjects(readProject(dir)).get("wuxi")!;
    const istiod = planned.releases.find((r) => r.name === "istiod-1-30-3")!;
    const own = helmTemplate(istiod.name, "istiod", istiod.namespace, istiod.values, ["templates/mutatingwebhook.yaml"])[0]!;
    assert.equal(own.metadata.name, "istio-sidecar-injector-1-30-3");
    assert.deepEqual([...new Set((own.webhooks as { reinvocationPolicy: string }[]).map((w) => w.reinvocationPolicy))], ["IfNeeded"]);
  });
});
