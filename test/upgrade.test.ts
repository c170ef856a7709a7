/**
 * `mesh upgrade` on the fixture project's stacks, 1.30.3 → 1.31.0: the printed plan (golden), then every
 * step written into a copy of the stack files as `--write` does, with the plan, the diff against the
 * step before (golden) and the policy pack checked after each; the skew gate's refusals; a revision
 * removed while still in use, refused.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { controlPlane } from "../model/revisions";
import { diffMesh } from "../plan/diff";
import { renderDiffText } from "../plan/diff-render";
import { istioLine } from "../plan/istio-summary";
import { meshTopology, planMesh, plannedObjects, validStacks } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { editStackText, writeStackEdits } from "../plan/stack-edit";
import { planUpgrade, skewRefusals } from "../plan/upgrade";
import { runUpgrade } from "../plan/upgrade-command";
import { renderUpgradeText } from "../plan/upgrade-render";
import { POLICIES, type ResourceView } from "../policy/policies";
import { FIXTURE_PROJECT } from "./fixtures/project";

const golden = (file: string, text: string) => {
  const path = join(__dirname, "golden", file);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, text);
  assert.equal(text, readFileSync(path, "utf8"));
};
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-upgrade-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(FIXTURE_PROJECT, f), join(dir, f));
  return dir;
}
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

describe("mesh upgrade --to 1.31.0 on the fixture project's stacks", () => {
  it("prints the whole plan: the gate, the order, twelve steps with their checks and rollbacks (golden)", () => {
    const plan = planUpgrade(readProject(FIXTURE_PROJECT), "1.31.0", { canary: ["dev"] });
    assert.deepEqual(plan.refusals, []);
    assert.deepEqual(plan.order, ["wuxi", "cn-shanghai"]);
    assert.deepEqual(
      plan.steps.map((s) => `${s.phase} ${s.stack}`),
      [
        "0 wuxi",
        "0 cn-shanghai",
        "2 wuxi",
        "2 cn-shanghai",
        "3 wuxi",
        "3 cn-shanghai",
        "4 wuxi",
        "4 wuxi",
        "4 cn-shanghai",
        "4 cn-shanghai",
        "5 wuxi",
        "5 cn-shanghai",
      ],
    );
    golden("upgrade.txt", renderUpgradeText(plan));
  });

  it("every step, written with --write: a valid plan, the diff against the step before, the policy pack", () => {
    const dir = copyProject();
    const full = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] });
    const diffs: string[] = [];
    const seen: string[] = [];
    for (let i = 0; ; i++) {
      const before = readProject(dir);
      let printed = "";
      assert.equal(
        runUpgrade({ dir, to: "1.31.0", canary: "dev", write: true }, (s) => (printed += s)),
        0,
      );
      if (printed.startsWith("mesh upgrade: nothing left")) break;
      assert.ok(i < 20, "the upgrade ends");
      const after = readProject(dir);
      const plan = planMesh(after);
      assert.deepEqual(
        plan.findings.filter((f) => f.severity === "error"),
        [],
        printed,
      );
      const d = diffMesh(before, after, "the step before");
      // adding a revision, moving a tag, the gateway, removing an unused revision: never destructive or in place
      assert.deepEqual(d.disruptions, [], renderDiffText(d));
      assert.deepEqual(releasePolicy(dir), []);
      seen.push(printed.split("\n")[0]!);
      // what --write did is the printed plan's next step
      assert.equal(printed.split("\n")[0], `wrote: ${full.steps[i]!.stack}: ${full.steps[i]!.title}`);
      diffs.push(`# ${printed.split("\n")[0]}\n${renderDiffText(d)}`);
      // no two objects of a cluster share kind, namespace and name
      for (const [, o] of plannedObjects(after)) {
        const keys = [
          ...o.objects.map((x) => `${x.kind} ${x.metadata.namespace ?? ""}/${x.metadata.name}`),
          ...o.releases.map((r) => `release ${r.name}`),
        ];
        assert.equal(new Set(keys).size, keys.length, keys.join(", "));
      }
    }
    assert.equal(seen.length, 12);
    golden("upgrade-diffs.txt", diffs.join("\n"));
    const end = validStacks(readProject(dir));
    for (const m of end.values()) {
      const cp = controlPlane(m);
      assert.deepEqual(
        cp.revisions.map((r) => `${r.name}@${r.version}`),
        ["1-31-0@1.31.0"],
      );
      assert.deepEqual(cp.tags, [
        { tag: "prod-canary", revision: "1-31-0" },
        { tag: "prod-stable", revision: "1-31-0" },
      ]);
      assert.equal(m.istio.version, "1.31.0");
    }
    // the comments of the stack files are kept
    const wuxi = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    assert.match(wuxi, /# no cloud load balancer on-prem: a fixed node port on a node IP peers can reach/);
    assert.match(wuxi, /# the API server as cn-shanghai's istiod reaches it over the private line/);
    assert.match(readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8"), /# disjoint from the wuxi data centre/);
  });
});

describe("from mesh:istio.revision (one revisioned istiod, inherited from Pulumi.yaml)", () => {
  it("adopts mesh:revisions with the stack's own mesh:istio, without the revision, and upgrades to the end", () => {
    const dir = copyProject();
    const yaml = join(dir, "Pulumi.yaml");
    writeFileSync(
      yaml,
      editStackText(readFileSync(yaml, "utf8"), [{ stack: "*", path: ["mesh:istio", "value", "revision"], value: "1-30-3" }]),
    );
    const wuxi = join(dir, "Pulumi.wuxi.yaml");
    writeFileSync(wuxi, editStackText(readFileSync(wuxi, "utf8"), [{ stack: "wuxi", path: ["mesh:istio", "revision"], value: "1-30-3" }]));
    const plan = planUpgrade(readProject(dir), "1.31.0");
    assert.deepEqual(plan.from, [
      { stack: "wuxi", revisions: ["1-30-3@1.30.3"] },
      { stack: "cn-shanghai", revisions: ["1-30-3@1.30.3"] },
    ]);
    assert.deepEqual(plan.steps[1]!.edits[1], {
      stack: "cn-shanghai",
      path: ["mesh:istio"],
      value: {
        version: "1.30.3",
        repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts",
        hub: "mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
      },
    });
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
    const dir = copyProject();
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
    const dir = copyProject();
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
  const valid = validStacks(readProject(FIXTURE_PROJECT));
  it("refuses two minors at once across clusters, three with a revision, an older version, another major, a non-version", () => {
    assert.deepEqual(skewRefusals(valid, "1.32.0"), [
      "cn-shanghai runs Istio 1.30.3: while the upgrade runs, 1.32.0 in one cluster and 1.30.3 in another would be more than one minor apart (every cluster stays within one minor of the others); upgrade to 1.31 first",
    ]);
    assert.deepEqual(skewRefusals(valid, "1.33.0"), [
      "cn-shanghai: default runs Istio 1.30.3: a revision upgrade skips at most one minor; upgrade to 1.32 at most first",
      "wuxi: default runs Istio 1.30.3: a revision upgrade skips at most one minor; upgrade to 1.32 at most first",
      "cn-shanghai runs Istio 1.30.3: while the upgrade runs, 1.33.0 in one cluster and 1.30.3 in another would be more than one minor apart (every cluster stays within one minor of the others); upgrade to 1.31 first",
    ]);
    assert.deepEqual(skewRefusals(valid, "1.29.9"), [
      "cn-shanghai: default runs Istio 1.30.3, newer than 1.29.9: the data planes it injected would be ahead of their control plane",
      "wuxi: default runs Istio 1.30.3, newer than 1.29.9: the data planes it injected would be ahead of their control plane",
    ]);
    assert.deepEqual(skewRefusals(valid, "2.0.0")[0], "cn-shanghai: default runs Istio 1.30.3, another major version than 2.0.0");
    assert.deepEqual(skewRefusals(valid, "v1.31"), ['"v1.31" is not an Istio release version (write e.g. 1.31.0)']);
  });

  it("prints the refusal and exits 1, writing nothing", () => {
    const dir = copyProject();
    let printed = "";
    assert.equal(
      runUpgrade({ dir, to: "1.32.0", write: true }, (s) => (printed += s)),
      1,
    );
    assert.match(printed, /Step 1 skew gate: REFUSED/);
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), readFileSync(join(FIXTURE_PROJECT, "Pulumi.wuxi.yaml"), "utf8"));
  });
});

describe("removing a revision", () => {
  /** The fixture project's stacks after the upgrade's steps up to (not including) the first removal. */
  function beforeRemoval(): string {
    const dir = copyProject();
    for (;;) {
      const next = planUpgrade(readProject(dir), "1.31.0").steps[0]!;
      if (next.phase === 5) return dir;
      writeStackEdits(dir, next.edits);
    }
  }
  it("still used by a tag, namespace and the gateway: the plan's checks refuse it, every user named", () => {
    const dir = copyProject();
    writeStackEdits(
      dir,
      planUpgrade(readProject(dir), "1.31.0")
        .steps.slice(0, 4)
        .flatMap((s) => s.edits),
    );
    writeStackEdits(dir, [
      { stack: "wuxi", path: ["mesh:revisions", "installed", "default"] },
      { stack: "wuxi", path: ["mesh:revisions", "defaultRevision"], value: "1-31-0" },
    ]);
    const errors = planMesh(readProject(dir))
      .findings.filter((f) => f.severity === "error")
      .map((f) => `${f.path}: ${f.message}`);
    assert.deepEqual(errors, [
      'mesh:revisions.tags["prod-stable"]: points at revision default, which is not installed (installed: 1-31-0): namespaces labelled istio.io/rev=prod-stable would get no sidecar',
      'mesh:revisions.tags["prod-canary"]: points at revision default, which is not installed (installed: 1-31-0): namespaces labelled istio.io/rev=prod-canary would get no sidecar',
      "mesh:revisions.gateway: names default, neither a tag nor an installed revision (installed: 1-31-0)",
    ]);
  });
  it("removed in the same change that moves its users off it: DESTROYS, since their pods still run its proxies", () => {
    const dir = beforeRemoval();
    const base = readProject(dir);
    const early = copyProject();
    writeStackEdits(
      early,
      planUpgrade(readProject(early), "1.31.0")
        .steps.slice(0, 4)
        .flatMap((s) => s.edits),
    );
    const head = readProject(dir);
    writeStackEdits(dir, [
      { stack: "wuxi", path: ["mesh:revisions", "installed", "default"] },
      { stack: "wuxi", path: ["mesh:revisions", "defaultRevision"], value: "1-31-0" },
    ]);
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
    const dir = copyProject();
    writeStackEdits(dir, [
      { stack: "wuxi", path: ["mesh:istio", "version"], value: "1.31.0" },
      { stack: "wuxi", path: ["mesh:istio", "revision"], value: "1-31-0" },
    ]);
    const d = diffMesh(readProject(FIXTURE_PROJECT), readProject(dir), "HEAD");
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["destroys wuxi: revision default (Istio 1.30.3) removed while namespace dev, the east-west gateway used it"],
    );
    assert.match(renderDiffText(d), /^Mesh change against HEAD: wuxi changed; 1 destructive, 0 disruptive\n/);
  });
  it("the version alone: DISRUPTS in place, pointing at mesh upgrade", () => {
    const dir = copyProject();
    writeStackEdits(dir, [{ stack: "wuxi", path: ["mesh:istio", "version"], value: "1.31.0" }]);
    const [x] = diffMesh(readProject(FIXTURE_PROJECT), readProject(dir), "HEAD").disruptions;
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
  it("allows two revisions one minor apart, refuses three, or two minors apart", () => {
    assert.deepEqual(
      pinned.stack!([release("base", "base", "1.31.0"), release("a", "istiod", "1.30.3"), release("b", "istiod", "1.31.0")], {}),
      [],
    );
    assert.deepEqual(pinned.stack!([release("a", "istiod", "1.30.3"), release("b", "istiod", "1.32.0")], {}), [
      'the Istio releases install "1.30.3", "1.32.0": during an upgrade at most two versions, one minor apart',
    ]);
    assert.deepEqual(
      pinned.stack!([release("a", "istiod", "1.30.3"), release("b", "istiod", "1.31.0"), release("c", "istiod", "1.31.1")], {}),
      [
        'the Istio releases install "1.30.3", "1.31.0", "1.31.1": during an upgrade at most two versions, one minor apart',
        "3 istiod revisions (a, b, c): an upgrade runs at most two side by side",
      ],
    );
  });
});

describe("writing a stack file", () => {
  it("leaves every line it does not change as it was: the first step only appends mesh:revisions to Pulumi.wuxi.yaml", () => {
    const original = readFileSync(join(FIXTURE_PROJECT, "Pulumi.wuxi.yaml"), "utf8");
    const step = planUpgrade(readProject(FIXTURE_PROJECT), "1.31.0").steps[0]!;
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
