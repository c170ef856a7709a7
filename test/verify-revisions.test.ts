/**
 * mesh verify during a canary upgrade, against stand-in Kubernetes APIs: the stack files declare two
 * revisions (as `mesh upgrade` writes them), both istiods run in each cluster, each at its own version; every
 * declared revision's istiod is checked against its own version and reads every peer; and the data plane, read
 * from istiod's `/debug/syncz` (pilot/pkg/xds/debug.go, by `pilot-discovery request` in its `discovery`
 * container) and every pod's `istio.io/rev` annotation (istio-discovery files/injection-template.yaml), finds a
 * classic sidecar and a native one (istio-proxy as a restartable init container, ENABLE_NATIVE_SIDECARS in
 * pilot/pkg/features/pilot.go) still on the old revision alike.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readProject } from "../plan/stack-files";
import { writeStackEdits } from "../plan/stack-edit";
import { planUpgrade } from "../plan/upgrade";
import type { Check } from "../verify/types";
import { verifyMesh } from "../verify/verify";
import { revisionInUse } from "../verify/revision-in-use";
import { startStandIn, writeKubeconfig, type ClusterWorld } from "./fixtures/kube-api";
import { clusterzExec, shanghaiOutputs, shanghaiWorld, synczExec, synczOf, wuxiOutputs, wuxiWorld } from "./fixtures/mesh-worlds";
import { upgradeProject } from "./fixtures/upgrade";

/** The fixture project with the upgrade's steps written up to (not including) the first of a phase. */
function upgradedUntil(phase: number): string {
  const dir = upgradeProject("two-clusters");
  for (;;) {
    const next = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps[0];
    if (!next || next.phase >= phase) return dir;
    writeStackEdits(dir, next.edits);
  }
}

const NEW_ISTIOD = "istiod-1-31-0-6c9f8d7b5-k2m4p";
const CLASSIC = "orders-7d9c6b5f4-abcde";
const NATIVE = "orders-7d9c6b5f4-fghij";
const GATEWAY = "istio-eastwestgateway-6f8b9c7d5-q2w3e";

/** A second istiod, `istiod-1-31-0`, beside the default one; `version` is the image it runs. */
function addRevision(w: ClusterWorld, self: string, peer: string, version: string): void {
  const labels = { app: "istiod", "istio.io/rev": "1-31-0" };
  const image = (w.deployments[0]!.spec as any).template.spec.containers[0].image.replace(/:[^:]+$/, `:${version}`);
  const d = structuredClone(w.deployments[0]!) as any;
  d.metadata = { name: "istiod-1-31-0", namespace: "istio-system", labels };
  d.spec.template.spec.containers[0].image = image;
  w.deployments.push(d);
  const pod = structuredClone(w.pods[0]!) as any;
  pod.metadata = { ...pod.metadata, name: NEW_ISTIOD, labels };
  pod.spec.containers[0].image = image;
  w.pods.push(pod);
  w.exec![clusterzExec(NEW_ISTIOD)] = JSON.stringify([
    { id: self, secretName: "", syncStatus: "synced" },
    { id: peer, secretName: `istio-system/istio-remote-secret-${peer}`, syncStatus: "synced" },
  ]);
  w.exec![synczExec(NEW_ISTIOD)] = synczOf(self, version, []);
}

/** Two pods of dev still on the default revision: one with a classic sidecar, one with a native sidecar. */
function oldProxies(w: ClusterWorld, cluster: string): void {
  const pod = (name: string, native: boolean) => ({
    metadata: { name, namespace: "dev", labels: { app: "orders" }, annotations: { "istio.io/rev": "default" } },
    spec: native
      ? { initContainers: [{ name: "istio-init" }, { name: "istio-proxy", restartPolicy: "Always" }], containers: [{ name: "orders" }] }
      : { initContainers: [{ name: "istio-init" }], containers: [{ name: "orders" }, { name: "istio-proxy" }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  });
  // and a pod of the east-west gateway, injected by the revision the gateway follows before step 5b
  const gateway = {
    ...pod(GATEWAY, false),
    metadata: { name: GATEWAY, namespace: "istio-system", annotations: { "istio.io/rev": "default" } },
  };
  w.pods.push(pod(CLASSIC, false), pod(NATIVE, true), gateway);
  const istiod = (w.pods[0]!.metadata as { name: string }).name;
  const app = (w.pods[1]!.metadata as { name: string }).name;
  w.exec![synczExec(istiod)] = synczOf(cluster, "1.30.3", [
    { pod: app, namespace: "dev" },
    { pod: CLASSIC, namespace: "dev" },
    { pod: NATIVE, namespace: "dev" },
  ]);
}

interface Run {
  readonly checks: Check[];
  readonly inUse: Awaited<ReturnType<typeof revisionInUse>>;
}

async function verifyBoth(dir: string, version: string, edit: (sh: ClusterWorld, wx: ClusterWorld) => void = () => {}): Promise<Run> {
  const shW = shanghaiWorld();
  const wxW = wuxiWorld();
  addRevision(shW, "cn-shanghai", "wuxi", version);
  addRevision(wxW, "wuxi", "cn-shanghai", version);
  edit(shW, wxW);
  const sh = await startStandIn(shW, { token: "sh-token" });
  const wx = await startStandIn(wxW, { token: "wx-token" });
  try {
    const kc = mkdtempSync(join(tmpdir(), "mesh-verify-rev-kc-"));
    const kubeconfig = writeKubeconfig(join(kc, "config"), [{ context: "wuxi", url: wx.url, token: "wx-token" }]);
    const ack = writeKubeconfig(join(kc, "ack"), [{ context: "cn-shanghai", url: sh.url, token: "sh-token" }]);
    const outputs = { cn: shanghaiOutputs(readFileSync(ack, "utf8")), wx: wuxiOutputs() };
    const o = {
      outputs: { outputs: (s: string) => Promise.resolve(s === "cn-shanghai" ? outputs.cn : outputs.wx) },
      loadDefaultKubeconfig: (k: { loadFromFile(f: string): void }) => k.loadFromFile(kubeconfig),
      timeoutMs: 2000,
    };
    const r = await verifyMesh(readProject(dir), o);
    const inUse = await revisionInUse(readProject(dir), "wuxi", "default", o);
    return { checks: r.clusters.flatMap((c) => c.checks.map((x) => ({ ...x, name: `${c.cluster}: ${x.name}` }))), inUse };
  } finally {
    await sh.close();
    await wx.close();
  }
}
const of = (checks: Check[], code: string) => checks.filter((c) => c.code === code).map((c) => `${c.result} ${c.name}: ${c.detail}`);

describe("mesh verify with two revisions declared", () => {
  it("each istiod at its own version passes; each reads every peer", async () => {
    const { checks } = await verifyBoth(upgradedUntil(4), "1.31.0");
    assert.deepEqual(
      of(checks, "MV0102")
        .map((c) => c.split(":").slice(0, 2).join(":"))
        .sort(),
      [
        "pass cn-shanghai: istiod (revision 1-31-0)",
        "pass cn-shanghai: istiod (revision default)",
        "pass wuxi: istiod (revision 1-31-0)",
        "pass wuxi: istiod (revision default)",
      ],
    );
    assert.deepEqual(
      checks
        .filter((c) => c.code === "MV0202")
        .map((c) => `${c.result} ${c.name}`)
        .sort(),
      [
        "pass cn-shanghai: istiod (revision 1-31-0) reads wuxi",
        "pass cn-shanghai: istiod (revision default) reads wuxi",
        "pass wuxi: istiod (revision 1-31-0) reads cn-shanghai",
        "pass wuxi: istiod (revision default) reads cn-shanghai",
      ],
    );
    assert.deepEqual(
      checks.filter((c) => c.code.startsWith("MV01") && c.result !== "pass"),
      [],
    );
  });

  it("a new revision running another version than declared fails, naming its config key", async () => {
    const bad = (await verifyBoth(upgradedUntil(4), "1.30.3")).checks.filter((c) => c.code === "MV0102" && c.result !== "pass");
    assert.deepEqual(
      bad.map((c) => [c.name, c.detail]),
      [
        ["cn-shanghai: istiod (revision 1-31-0)", "istiod-1-31-0 runs 1.30.3, the plan says 1.31.0 (mesh:revisions.installed.1-31-0)"],
        ["wuxi: istiod (revision 1-31-0)", "istiod-1-31-0 runs 1.30.3, the plan says 1.31.0 (mesh:revisions.installed.1-31-0)"],
      ],
    );
  });
});

describe("the data plane: the proxies on each revision, classic and native sidecars alike", () => {
  it("counts the proxies connected to each revision's istiods", async () => {
    const { checks } = await verifyBoth(upgradedUntil(4), "1.31.0", (_, wx) => oldProxies(wx, "wuxi"));
    assert.deepEqual(of(checks, "MV0801").sort(), [
      "pass cn-shanghai: proxies on revision 1-31-0: 0 connected to istiod-1-31-0-6c9f8d7b5-k2m4p",
      "pass cn-shanghai: proxies on revision default: 1 connected to istiod-7d4b9c8f6d-x2x9k (dev 1)",
      "pass wuxi: proxies on revision 1-31-0: 0 connected to istiod-1-31-0-6c9f8d7b5-k2m4p",
      "pass wuxi: proxies on revision default: 3 connected to istiod-7d4b9c8f6d-x2x9k (dev 3)",
    ]);
  });

  it("after the canary tag moved, pods of its namespace still on the old revision are named, to be restarted", async () => {
    // dev is on prod-canary, which now calls 1-31-0
    const { checks } = await verifyBoth(upgradedUntil(5), "1.31.0", (_, wx) => oldProxies(wx, "wuxi"));
    assert.deepEqual(
      checks.filter((c) => c.code === "MV0803").map((c) => [c.result, c.name, c.detail]),
      [
        [
          "warn",
          "cn-shanghai: proxies on revision default",
          "dev/helloworld-v1-6b8c9d7f5-sh4kd: injected by default, while the plan puts dev on 1-31-0",
        ],
        [
          "warn",
          "wuxi: proxies on revision default",
          `dev/helloworld-v1-6b8c9d7f5-wq8zt, dev/${CLASSIC}, dev/${NATIVE}: injected by default, while the plan puts dev on 1-31-0`,
        ],
      ],
    );
  });

  it("after the gateway moved, its pods still on the old revision are named too", async () => {
    const { checks } = await verifyBoth(upgradedUntil(6), "1.31.0", (_, wx) => oldProxies(wx, "wuxi"));
    assert.deepEqual(
      checks.filter((c) => c.code === "MV0803" && c.name.startsWith("wuxi")).map((c) => c.detail),
      [
        `dev/helloworld-v1-6b8c9d7f5-wq8zt, dev/${CLASSIC}, dev/${NATIVE}, istio-system/${GATEWAY}: injected by default, while the plan puts dev on 1-31-0, the gateway on 1-31-0`,
      ],
    );
  });

  it("once the old revision is removed from the plan, every proxy still on it fails, wherever it runs", async () => {
    const dir = upgradedUntil(7);
    const { checks } = await verifyBoth(dir, "1.31.0", (_, wx) => oldProxies(wx, "wuxi"));
    assert.deepEqual(
      checks.filter((c) => c.code === "MV0802" && c.name.startsWith("wuxi")).map((c) => [c.result, c.detail]),
      [
        [
          "fail",
          `4 proxies on default, which the plan does not install (dev 3, istio-system 1): dev/helloworld-v1-6b8c9d7f5-wq8zt, dev/${CLASSIC}, dev/${NATIVE}, istio-system/${GATEWAY}; without their istiod they get no new configuration and their certificates are not renewed`,
        ],
      ],
    );
  });

  it("what mesh upgrade --apply asks before removing a revision: every proxy on it, connected or injected, named", async () => {
    const { inUse } = await verifyBoth(upgradedUntil(6), "1.31.0", (_, wx) => {
      oldProxies(wx, "wuxi");
      // the native one's proxy is down right now: only its annotation tells
      const key = Object.keys(wx.exec!).find((k) => k.includes("istiod-7d4b9c8f6d-x2x9k"))!;
      wx.exec![key] = synczOf("wuxi", "1.30.3", [
        { pod: "helloworld-v1-6b8c9d7f5-wq8zt", namespace: "dev" },
        { pod: CLASSIC, namespace: "dev" },
      ]);
    });
    assert.deepEqual(inUse, {
      ok: true,
      asked: ["istiod-7d4b9c8f6d-x2x9k"],
      proxies: [
        { name: "dev/helloworld-v1-6b8c9d7f5-wq8zt", how: "connected to istiod-7d4b9c8f6d-x2x9k, injected by default" },
        { name: `dev/${CLASSIC}`, how: "connected to istiod-7d4b9c8f6d-x2x9k, injected by default" },
        { name: `dev/${NATIVE}`, how: "injected by default (native sidecar)" },
        { name: `istio-system/${GATEWAY}`, how: "injected by default" },
      ],
    });
  });
});
