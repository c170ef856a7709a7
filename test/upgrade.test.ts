/**
 * `mesh upgrade` on a two-cluster project (test/fixtures/upgrade), 1.30.3 → 1.31.0: the printed plan
 * (golden), then every step written into a copy of the stack files as `--write` does, with the plan, the
 * diff against the step before (golden) and the policy pack checked after each; the skew gate; the texts that
 * say where a fix goes and what a rollback does; a revision removed while still in use, refused.
 */
import assert from "node:assert/strict";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { controlPlane } from "../model/revisions";
import { diffMesh } from "../plan/diff";
import { renderDiffText } from "../plan/diff-render";
import { istioLine } from "../plan/istio-summary";
import { meshTopology, planMesh, plannedObjects, validStacks } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { editStackText, writeStackEdits } from "../plan/stack-edit";
import { applyEdits, PHASE_NAMES, planUpgrade, PROJECT_FILE, skewRefusals } from "../plan/upgrade";
import { runUpgrade } from "../plan/upgrade-command";
import { renderUpgradeText } from "../plan/upgrade-render";
import { POLICIES, type ResourceView } from "../policy/policies";
import { helmBinary, helmTemplate } from "./fixtures/helm";
import { beforeRemoval, upgradeProject, writeEveryStep } from "./fixtures/upgrade";

const FIXTURE = join(__dirname, "fixtures", "upgrade", "two-clusters");
const golden = (file: string, text: string) => {
  const path = join(__dirname, "golden", file);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, text);
  assert.equal(text, readFileSync(path, "utf8"), `regenerate with: UPDATE_GOLDEN=1 node --import tsx --test test/upgrade.test.ts`);
};
/** The pinned-releases policy over the releases a stack's plan installs. */
function releasePolicy(dir: string): string[] {
  const p = POLICIES.find((x) => x.name === "istio-releases-pinned")!;
  return [...plannedObjects(readProject(dir))].flatMap(([stack, o]) =>
    p.stack!(
      o.releases.map((r): ResourceView => ({
        type: "kubernetes:helm.sh/v3:Release",
        name: `${stack}-${r.name}`,
        props: { chart: r.chart, version: r.version, values: r.values },
      })),
      {},
    ),
  );
}
const write = (file: string, stack: string, edits: { path: string[]; value?: unknown }[]) =>
  writeFileSync(
    file,
    editStackText(
      readFileSync(file, "utf8"),
      edits.map((e) => ({ stack, ...e })),
    ),
  );

describe("mesh upgrade --to 1.31.0 on two clusters", () => {
  it("prints the whole plan: the gate, the order, twelve steps numbered by phase as docs/upgrade.md numbers them (golden)", () => {
    const plan = planUpgrade(readProject(FIXTURE), "1.31.0", { canary: ["dev"] });
    assert.deepEqual(plan.refusals, []);
    assert.deepEqual(plan.order, ["wuxi", "cn-shanghai"]);
    assert.deepEqual(
      plan.steps.map((s) => `${s.id} ${s.stack}`),
      [
        "2a wuxi",
        "2b cn-shanghai",
        "3a wuxi",
        "3b cn-shanghai",
        "4a wuxi",
        "4b cn-shanghai",
        "5a wuxi",
        "5b wuxi",
        "5c cn-shanghai",
        "5d cn-shanghai",
        "6a wuxi",
        "6b cn-shanghai",
      ],
    );
    golden("upgrade.txt", renderUpgradeText(plan));
  });

  it("docs/upgrade.md numbers the phases as the output does", () => {
    const doc = readFileSync(join(__dirname, "..", "docs", "upgrade.md"), "utf8");
    const steps = doc.slice(doc.indexOf("### The steps"), doc.indexOf("## What the diff"));
    const numbered = [...steps.matchAll(/^(\d)\. \*\*([^*]+)\*\*/gm)].map((m) => `${m[1]} ${m[2]!.toLowerCase()}`);
    assert.deepEqual(
      numbered,
      Object.entries(PHASE_NAMES).map(([n, name]) => `${n} ${name}`),
    );
    const text = readFileSync(join(__dirname, "golden", "upgrade.txt"), "utf8");
    assert.deepEqual(
      [...new Set([...text.matchAll(/^Step (\d)[a-z]* (?:\[)?([a-z ]+?)(?:\]|:)/gm)].map((m) => `${m[1]} ${m[2]}`))],
      Object.entries(PHASE_NAMES).map(([n, name]) => `${n} ${name}`),
    );
  });

  it("every printed pulumi up carries the policy pack, as docs/running.md runs it", () => {
    const ups = planUpgrade(readProject(FIXTURE), "1.31.0")
      .steps.flatMap((s) => s.commands)
      .filter((c) => c.startsWith("pulumi up"));
    assert.equal(ups.length, 12);
    for (const c of ups) assert.match(c, /^pulumi up --stack [a-z-]+ --policy-pack policy {3}# or: npm run -s mesh -- converge$/);
  });

  it("a step keeps its id from one run to the next", () => {
    const dir = upgradeProject("two-clusters");
    const all = planUpgrade(readProject(dir), "1.31.0").steps;
    writeStackEdits(
      dir,
      all.slice(0, 7).flatMap((s) => s.edits),
    );
    assert.deepEqual(
      planUpgrade(readProject(dir), "1.31.0").steps.map((s) => s.id),
      all.slice(7).map((s) => s.id),
    );
  });

  it("every step, written with --write: a valid plan, the diff against the step before, the policy pack", async () => {
    const dir = upgradeProject("two-clusters");
    const full = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] });
    const diffs: string[] = [];
    let before = readProject(dir);
    const n = await writeEveryStep(dir, { to: "1.31.0", canary: "dev" }, (printed, i) => {
      const after = readProject(dir);
      assert.deepEqual(
        planMesh(after).findings.filter((f) => f.severity === "error"),
        [],
        printed,
      );
      const d = diffMesh(before, after, "the step before");
      // adding a revision, moving a tag, the gateway, removing an unused revision: never destructive or in place
      assert.deepEqual(d.disruptions, [], renderDiffText(d));
      assert.deepEqual(releasePolicy(dir), []);
      // what --write did is the printed plan's next step
      const step = full.steps[i - 1]!;
      assert.equal(printed.split("\n")[0], `wrote: step ${step.id} ${step.stack}: ${step.title}`);
      diffs.push(`# ${printed.split("\n")[0]}\n${renderDiffText(d)}`);
      before = after;
    });
    assert.equal(n, 12);
    golden("upgrade-diffs.txt", diffs.join("\n"));
    const end = readProject(dir);
    for (const m of validStacks(end).values()) {
      const cp = controlPlane(m);
      assert.deepEqual(
        cp.revisions.map((r) => `${r.name}@${r.version}`),
        ["1-31-0@1.31.0"],
      );
      assert.deepEqual(cp.tags, [
        { tag: "default", revision: "1-31-0" },
        { tag: "prod-canary", revision: "1-31-0" },
        { tag: "prod-stable", revision: "1-31-0" },
      ]);
      assert.equal(m.istio.version, "1.31.0");
    }
    // the last step moved every new cluster's default; cn-shanghai's copy, now the same, is gone: it inherits again
    assert.equal((end.projectConfig["mesh:istio"] as { version: string }).version, "1.31.0");
    assert.equal(end.stacks["cn-shanghai"]!["mesh:istio"], undefined);
    assert.deepEqual(end.stacks.wuxi!["mesh:istio"], {
      version: "1.31.0",
      repo: "oci://harbor.wuxi.internal/istio-charts",
      hub: "harbor.wuxi.internal/istio",
    });
    // the comments of the files are kept
    const wuxi = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    assert.match(wuxi, /# no cloud load balancer on-prem: a fixed node port on a node IP peers can reach/);
    assert.match(wuxi, /# the API server as cn-shanghai's istiod reaches it over the private line/);
    assert.match(readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8"), /# disjoint from the wuxi data centre/);
    assert.match(
      readFileSync(join(dir, "Pulumi.yaml"), "utf8"),
      /# Charts are pulled where `pulumi up` runs; images by the nodes, over the VPC endpoint.\n {6}repo: /,
    );
  });
});

describe("from one istiod of revision 1-30-3 (mesh:istio.revision, inherited from Pulumi.yaml by cn-shanghai)", () => {
  it("adopts mesh:revisions with a default tag on 1-30-3 and the stack's own mesh:istio without the revision; upgrades to the end", () => {
    const dir = upgradeProject("revisioned");
    const plan = planUpgrade(readProject(dir), "1.31.0");
    assert.deepEqual(plan.from, [
      { stack: "wuxi", revisions: ["1-30-3@1.30.3"] },
      { stack: "cn-shanghai", revisions: ["1-30-3@1.30.3"] },
    ]);
    assert.deepEqual(plan.steps[0]!.edits[0]!.value, {
      installed: { "1-30-3": "1.30.3" },
      // a revisioned istiod injects nothing by the default selectors: the default tag makes it the default revision
      tags: { "prod-stable": "1-30-3", "prod-canary": "1-30-3", default: "1-30-3" },
      namespaces: { dev: "prod-stable" },
      gateway: "1-30-3",
      defaultRevision: "1-30-3",
    });
    assert.deepEqual(plan.steps[1]!.edits[1], {
      stack: "cn-shanghai",
      path: ["mesh:istio"],
      value: {
        version: "1.30.3",
        repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts",
        hub: "mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
      },
    });
    // the default tag moves with the stable one, and the removal adds none
    assert.deepEqual(
      plan.steps.filter((s) => s.phase === 5 && s.id.endsWith("a")).map((s) => s.edits.map((e) => e.path.join("."))),
      [["mesh:revisions.tags.default", "mesh:revisions.tags.prod-stable"]],
    );
    assert.ok(
      plan.steps.filter((s) => s.phase === 6).every((s) => !s.edits.some((e) => e.path.join(".") === "mesh:revisions.tags.default")),
    );
    for (const step of plan.steps) {
      writeStackEdits(dir, step.edits);
      assert.deepEqual(
        planMesh(readProject(dir)).findings.filter((f) => f.severity === "error"),
        [],
        step.title,
      );
    }
    for (const m of validStacks(readProject(dir)).values())
      assert.deepEqual(
        controlPlane(m).revisions.map((r) => r.name),
        ["1-31-0"],
      );
  });
});

describe("mesh status during the upgrade", () => {
  it("shows each cluster's revisions, where each tag points and what the gateway follows", () => {
    const dir = upgradeProject("two-clusters");
    for (const step of planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps.slice(0, 5)) writeStackEdits(dir, step.edits);
    assert.deepEqual(
      meshTopology(readProject(dir)).stacks.map((s) => `${s.name}: ${istioLine(s.istio)}`),
      [
        "cn-shanghai: istiod default@1.30.3, 1-31-0@1.31.0; tags prod-canary → default, prod-stable → default; gateway → default",
        "wuxi: istiod default@1.30.3, 1-31-0@1.31.0; tags prod-canary → 1-31-0, prod-stable → default; gateway → default",
      ],
    );
  });
});

describe("what a cluster pulls during the upgrade", () => {
  it("both revisions' charts and images, each once: the mirror script copies the new version before it is installed", () => {
    const dir = upgradeProject("two-clusters");
    for (const step of planUpgrade(readProject(dir), "1.31.0").steps.slice(0, 3)) writeStackEdits(dir, step.edits);
    const wuxi = planMesh(readProject(dir)).supply.find((s) => s.stack === "wuxi")!;
    assert.deepEqual(
      wuxi.charts.map((c) => `${c.name}@${c.version}`),
      ["base@1.31.0", "istiod@1.30.3", "istiod@1.31.0", "gateway@1.30.3"],
    );
    assert.deepEqual(
      wuxi.images.map((i) => i.ref),
      ["pilot:1.30.3", "proxyv2:1.30.3", "pilot:1.31.0", "proxyv2:1.31.0"].map((i) => `harbor.wuxi.internal/istio/${i}`),
    );
  });
});

describe("the skew gate", () => {
  const valid = validStacks(readProject(FIXTURE));
  /** The same project with one cluster: wuxi gone, cn-shanghai peerless. */
  function oneCluster() {
    const dir = upgradeProject("two-clusters");
    unlinkSync(join(dir, "Pulumi.wuxi.yaml"));
    write(join(dir, "Pulumi.cn-shanghai.yaml"), "cn-shanghai", [{ path: ["mesh:peers"], value: [] }]);
    return validStacks(readProject(dir));
  }

  it("refuses the installed version: the steps would point tags at a revision that is never installed", () => {
    assert.deepEqual(skewRefusals(valid, "1.30.3"), [
      "cn-shanghai: default already runs Istio 1.30.3: there is nothing to upgrade to; name a newer version",
      "wuxi: default already runs Istio 1.30.3: there is nothing to upgrade to; name a newer version",
    ]);
  });

  // istio.io docs/setup/upgrade/canary: "jumping across two minor versions is supported" with revisions
  it("lets one cluster jump two minors, as Istio's canary upgrades may; refuses three", () => {
    const one = oneCluster();
    assert.deepEqual(skewRefusals(one, "1.32.0"), []);
    assert.deepEqual(skewRefusals(one, "1.33.0"), [
      "cn-shanghai: default runs Istio 1.30.3: Istio supports a canary upgrade across at most two minors (istio.io docs/setup/upgrade/canary); upgrade to 1.32 at most first",
    ]);
  });

  // Istio documents no version skew between the clusters of a mesh (istio/istio.io#12971): the limit is this project's
  it("refuses two minors across two clusters as this project's policy, saying so", () => {
    assert.deepEqual(skewRefusals(valid, "1.32.0"), [
      "cn-shanghai runs Istio 1.30.3: while the upgrade runs, 1.32.0 in one cluster and 1.30.3 in another would be more than one minor apart, and the clusters of one mesh stay within one minor of each other while an upgrade runs: this project's policy (Istio documents no skew limit between the clusters of a mesh, istio/istio.io#12971); upgrade every cluster to 1.31 first",
    ]);
    for (const r of [...skewRefusals(valid, "1.32.0"), ...skewRefusals(valid, "1.29.9")])
      assert.doesNotMatch(r, /data plane|control plane/);
  });

  it("refuses going back, another major version, a non-version", () => {
    assert.deepEqual(skewRefusals(valid, "1.29.9"), [
      "cn-shanghai: default runs Istio 1.30.3, newer than 1.29.9: mesh upgrade only moves forward (going back is each step's rollback, docs/upgrade.md)",
      "wuxi: default runs Istio 1.30.3, newer than 1.29.9: mesh upgrade only moves forward (going back is each step's rollback, docs/upgrade.md)",
    ]);
    assert.deepEqual(skewRefusals(valid, "2.0.0")[0], "cn-shanghai: default runs Istio 1.30.3, another major version than 2.0.0");
    assert.deepEqual(skewRefusals(valid, "v1.31"), ['"v1.31" is not an Istio release version (write e.g. 1.31.0)']);
  });

  it("prints the refusal and exits 1, writing nothing", async () => {
    const dir = upgradeProject("two-clusters");
    let printed = "";
    assert.equal(await runUpgrade({ dir, to: "1.30.3", write: true }, (s) => (printed += s)), 1);
    assert.match(printed, /Step 1 skew gate: REFUSED/);
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), readFileSync(join(FIXTURE, "Pulumi.wuxi.yaml"), "utf8"));
  });
});

describe("what a step says", () => {
  const steps = planUpgrade(readProject(FIXTURE), "1.31.0", { canary: ["dev"] }).steps;
  before(() => void helmBinary());

  // istio-discovery files/injection-template.yaml: istio-proxy sits in .spec.initContainers with native sidecars
  // (ENABLE_NATIVE_SIDECARS auto on Kubernetes ≥ 1.33, pilot/pkg/features/pilot.go); both shapes carry the
  // istio.io/rev annotation the injector writes
  it("finds a proxy by the istio.io/rev annotation, never by .spec.containers, and restarts every kind of workload", () => {
    const printed = steps.flatMap((s) => [...s.commands, ...s.checks]).filter((c) => c.includes("kubectl"));
    assert.deepEqual(
      printed.filter((c) => c.includes("containers")),
      [],
    );
    assert.ok(printed.filter((c) => c.includes("get pods")).every((c) => c.includes("istio\\.io/rev")));
    const restarts = printed.filter((c) => c.includes("rollout restart"));
    assert.equal(restarts.length, 2);
    for (const r of restarts) assert.match(r, /rollout restart deployment,statefulset,daemonset$/);
    for (const s of steps.filter((x) => x.commands.some((c) => c.includes("rollout restart"))))
      assert.ok(s.changes.some((c) => c.startsWith("Jobs, CronJobs and pods without a controller are not restarted")));
  });

  // the base chart renders its CRDs as ordinary templates (base templates/crds.yaml): a rollback of istio-base
  // re-applies the older ones; helm.sh/resource-policy: keep only stops their deletion
  it("the install step's rollback says that Helm re-applies the old CRDs, as the base chart renders them", () => {
    const crds = helmTemplate("istio-base", "base", "istio-system", {}).filter((o) => o.kind === "CustomResourceDefinition");
    assert.ok(crds.length > 10);
    assert.ok(
      crds.every((c) => (c.metadata as { annotations?: Record<string, string> }).annotations?.["helm.sh/resource-policy"] === "keep"),
    );
    const install = steps.find((s) => s.id === "3a")!;
    assert.equal(
      install.rollback.doesNotUndo,
      "istio-base goes back to the 1.30.3 chart, whose CRDs are ordinary templates: Helm re-applies 1.30.3's CRDs over 1.31.0's (helm.sh/resource-policy: keep only stops Helm deleting them), so a field or API version only 1.31.0 defines leaves the schemas, and Istio resources that use such a field lose it when next written",
    );
  });

  it("names what each moved tag injects, in a sentence", () => {
    assert.deepEqual(
      steps.find((s) => s.id === "5a")!.changes[0],
      "istio-revision-tag-prod-stable now calls istiod-1-31-0: new pods of namespaces labelled istio.io/rev=prod-stable (none of the catalog's) get 1.31.0 proxies",
    );
    const dt = planUpgrade(readProject(join(__dirname, "fixtures", "upgrade", "default-tag")), "1.31.0").steps.find((s) => s.id === "5a")!;
    assert.deepEqual(dt.changes.slice(0, 2), [
      "istio-revision-tag-default now calls istiod-1-31-0: new pods of namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true get 1.31.0 proxies",
      "istio-revision-tag-prod-stable now calls istiod-1-31-0: new pods of namespaces dev get 1.31.0 proxies",
    ]);
  });

  it("the removal step hands the default selectors to a default tag on the new revision, in the same update", () => {
    const remove = steps.find((s) => s.id === "6a")!;
    assert.deepEqual(remove.removes, { revision: "default", version: "1.30.3" });
    assert.deepEqual(remove.edits, [
      { stack: "wuxi", path: ["mesh:revisions", "installed", "default"] },
      { stack: "wuxi", path: ["mesh:revisions", "defaultRevision"], value: "1-31-0" },
      { stack: "wuxi", path: ["mesh:revisions", "tags", "default"], value: "1-31-0" },
    ]);
    assert.equal(
      remove.commands[0],
      `kubectl --context wuxi get pods -A -o custom-columns='NAMESPACE:.metadata.namespace,POD:.metadata.name,REVISION:.metadata.annotations.istio\\.io/rev' --no-headers | awk '$3 == "default"'   # prints nothing: no pod injected by default is left`,
    );
    // only the last cluster's removal moves Pulumi.yaml's version
    assert.deepEqual(
      steps.find((s) => s.id === "6b")!.edits.filter((e) => e.stack === PROJECT_FILE || e.path[0] === "mesh:istio"),
      [
        { stack: PROJECT_FILE, path: ["mesh:istio", "version"], value: "1.31.0" },
        { stack: "cn-shanghai", path: ["mesh:istio"] },
      ],
    );
  });
});

describe("where the fix goes", () => {
  it("a version changed in Pulumi.yaml alone: the warning names the stack file whose own mesh:istio keeps the old one", () => {
    const dir = upgradeProject("two-clusters");
    write(join(dir, "Pulumi.yaml"), PROJECT_FILE, [{ path: ["mesh:istio", "version"], value: "1.31.0" }]);
    const w = planMesh(readProject(dir)).findings.filter((f) => f.path === "mesh:istio.version");
    assert.deepEqual(
      w.map((f) => [f.severity, f.stack, f.message, f.fix]),
      [
        [
          "warning",
          "wuxi",
          "Istio 1.30.3 here (mesh:istio of Pulumi.wuxi.yaml), 1.31.0 in cn-shanghai (mesh:istio of Pulumi.yaml); a stack's own mesh:istio replaces Pulumi.yaml's whole",
          "during mesh upgrade this lasts until its last step; otherwise set the same version in Pulumi.wuxi.yaml or Pulumi.yaml",
        ],
      ],
    );
  });

  it("an edit of Pulumi.yaml goes under the key's value:, and applies to the project's config", () => {
    const text = 'name: mesh\nconfig:\n  # shared\n  mesh:istio:\n    value:\n      version: "1.30.3" # pinned\n';
    const edit = { stack: PROJECT_FILE, path: ["mesh:istio", "version"], value: "1.31.0" };
    assert.equal(
      editStackText(text, [edit]),
      'name: mesh\nconfig:\n  # shared\n  mesh:istio:\n    value:\n      version: "1.31.0" # pinned\n',
    );
    assert.equal(
      editStackText(text.replace("mesh:istio", "istio"), [edit]),
      'name: mesh\nconfig:\n  # shared\n  istio:\n    value:\n      version: "1.31.0" # pinned\n',
    );
    const files = readProject(FIXTURE);
    assert.equal((applyEdits(files, [edit]).projectConfig["mesh:istio"] as { version: string }).version, "1.31.0");
    assert.equal((files.projectConfig["mesh:istio"] as { version: string }).version, "1.30.3");
  });
});

describe("removing a revision", () => {
  const remove = [
    { stack: "wuxi", path: ["mesh:revisions", "installed", "default"] },
    { stack: "wuxi", path: ["mesh:revisions", "defaultRevision"], value: "1-31-0" },
    { stack: "wuxi", path: ["mesh:revisions", "tags", "default"], value: "1-31-0" },
  ];
  it("still used by a tag, namespace and the gateway: the plan's checks refuse it, every user named", () => {
    const dir = upgradeProject("two-clusters");
    writeStackEdits(
      dir,
      planUpgrade(readProject(dir), "1.31.0")
        .steps.slice(0, 4)
        .flatMap((s) => s.edits),
    );
    writeStackEdits(dir, remove.slice(0, 2));
    const errors = planMesh(readProject(dir))
      .findings.filter((f) => f.severity === "error")
      .map((f) => `${f.path}: ${f.message}`);
    assert.deepEqual(errors, [
      'mesh:revisions.tags["prod-stable"]: points at revision default, which is not installed (installed: 1-31-0): namespaces labelled istio.io/rev=prod-stable would get no sidecar',
      'mesh:revisions.tags["prod-canary"]: points at revision default, which is not installed (installed: 1-31-0): namespaces labelled istio.io/rev=prod-canary would get no sidecar',
      "mesh:revisions.tags: no default revision and no default tag: namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true would get no sidecar",
      "mesh:revisions.gateway: names default, neither a tag nor an installed revision (installed: 1-31-0)",
    ]);
  });
  it("removed in the same change that moves its users off it: DESTROYS, since their pods still run its proxies", () => {
    const dir = beforeRemoval();
    const base = readProject(dir);
    const early = upgradeProject("two-clusters");
    writeStackEdits(
      early,
      planUpgrade(readProject(early), "1.31.0")
        .steps.slice(0, 4)
        .flatMap((s) => s.edits),
    );
    const head = readProject(dir);
    writeStackEdits(dir, remove);
    assert.deepEqual(diffMesh(base, head, "x").disruptions, []);
    const d = diffMesh(readProject(early), readProject(dir), "x");
    assert.deepEqual(
      d.disruptions.filter((x) => x.stack === "wuxi").map((x) => `${x.severity} ${x.what}`),
      [
        "destroys revision default (Istio 1.30.3) removed while tag prod-canary, tag prod-stable, namespace dev, the east-west gateway used it",
      ],
    );
  });
  it("an in-place version change of an installed revision stays DISRUPTS", () => {
    const dir = beforeRemoval();
    const base = readProject(dir);
    writeStackEdits(dir, [
      { stack: "wuxi", path: ["mesh:revisions", "installed", "1-31-0"], value: "1.31.1" },
      { stack: "wuxi", path: ["mesh:istio", "version"], value: "1.31.1" },
    ]);
    assert.deepEqual(
      diffMesh(base, readProject(dir), "x").disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["disrupts wuxi: Istio 1.31.0 → 1.31.1 in place (revision 1-31-0)"],
    );
  });
});

describe("the one-step change the canary replaces", () => {
  it("mesh:istio.revision and version set at once: the old istiod removed while the namespace and the gateway use it, DESTROYS", () => {
    const dir = upgradeProject("two-clusters");
    writeStackEdits(dir, [
      { stack: "wuxi", path: ["mesh:istio", "version"], value: "1.31.0" },
      { stack: "wuxi", path: ["mesh:istio", "revision"], value: "1-31-0" },
    ]);
    const d = diffMesh(readProject(FIXTURE), readProject(dir), "HEAD");
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["destroys wuxi: revision default (Istio 1.30.3) removed while namespace dev, the east-west gateway used it"],
    );
    assert.match(renderDiffText(d), /^Mesh change against HEAD: wuxi changed; 1 destructive, 0 disruptive\n/);
  });
  it("the version alone: DISRUPTS in place, pointing at mesh upgrade", () => {
    const dir = upgradeProject("two-clusters");
    writeStackEdits(dir, [{ stack: "wuxi", path: ["mesh:istio", "version"], value: "1.31.0" }]);
    const [x] = diffMesh(readProject(FIXTURE), readProject(dir), "HEAD").disruptions;
    assert.equal(`${x!.severity} ${x!.what}`, "disrupts Istio 1.30.3 → 1.31.0 in place");
    assert.match(x!.advice, /mesh upgrade --to 1\.31\.0, docs\/upgrade\.md/);
  });
});

describe("the policy pack during an upgrade", () => {
  const release = (name: string, chart: string, version: string): ResourceView => ({
    type: "kubernetes:helm.sh/v3:Release",
    name,
    props: { chart, version },
  });
  const pinned = POLICIES.find((p) => p.name === "istio-releases-pinned")!;
  // istio.io docs/setup/upgrade/canary: a revision-based upgrade may jump two minors
  it("allows two revisions up to two minors apart, refuses three revisions, or three minors apart", () => {
    assert.deepEqual(
      pinned.stack!([release("base", "base", "1.31.0"), release("a", "istiod", "1.30.3"), release("b", "istiod", "1.31.0")], {}),
      [],
    );
    assert.deepEqual(pinned.stack!([release("a", "istiod", "1.30.3"), release("b", "istiod", "1.32.0")], {}), []);
    assert.deepEqual(pinned.stack!([release("a", "istiod", "1.30.3"), release("b", "istiod", "1.33.0")], {}), [
      'the Istio releases install "1.30.3", "1.33.0": during an upgrade at most two versions, at most two minors apart',
    ]);
    assert.deepEqual(
      pinned.stack!([release("a", "istiod", "1.30.3"), release("b", "istiod", "1.31.0"), release("c", "istiod", "1.31.1")], {}),
      [
        'the Istio releases install "1.30.3", "1.31.0", "1.31.1": during an upgrade at most two versions, at most two minors apart',
        "3 istiod revisions (a, b, c): an upgrade runs at most two side by side",
      ],
    );
  });
});

describe("writing a stack file", () => {
  it("leaves every line it does not change as it was: the first step only appends mesh:revisions to Pulumi.wuxi.yaml", () => {
    const original = readFileSync(join(FIXTURE, "Pulumi.wuxi.yaml"), "utf8");
    const step = planUpgrade(readProject(FIXTURE), "1.31.0").steps[0]!;
    assert.equal(step.stack, "wuxi");
    const written = editStackText(original, step.edits);
    assert.equal(written.slice(0, original.length), original);
    assert.match(written.slice(original.length), /^ {2}mesh:revisions:\n {4}installed:\n {6}default: "1\.30\.3"\n/);
  });

  it("keeps comments and key order; deletes and sets nested keys", () => {
    const text =
      '# top\nconfig:\n  # the cluster\n  mesh:cluster:\n    name: a # inline\n  mesh:revisions:\n    installed:\n      default: "1.30.3"\n';
    assert.equal(
      editStackText(text, [
        { stack: "a", path: ["mesh:revisions", "installed", "1-31-0"], value: "1.31.0" },
        { stack: "a", path: ["mesh:revisions", "installed", "default"] },
      ]),
      '# top\nconfig:\n  # the cluster\n  mesh:cluster:\n    name: a # inline\n  mesh:revisions:\n    installed:\n      1-31-0: "1.31.0"\n',
    );
  });
});
