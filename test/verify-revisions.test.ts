/**
 * mesh verify during a canary upgrade: the stack files declare two revisions (as `mesh upgrade` writes
 * them), both istiods run in each stand-in cluster, each at its own version; every declared revision's
 * istiod is checked against its own version, and each reads every peer.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readProject } from "../plan/stack-files";
import { writeStackEdits } from "../plan/stack-edit";
import { planUpgrade } from "../plan/upgrade";

import type { Check } from "../verify/types";
import { verifyMesh } from "../verify/verify";
import { startStandIn, writeKubeconfig, type ClusterWorld } from "./fixtures/kube-api";
import { shanghaiOutputs, shanghaiWorld, wuxiOutputs, wuxiWorld } from "./fixtures/mesh-worlds";
import { FIXTURE_PROJECT } from "./fixtures/project";

/** The fixture project's stacks with both revisions installed in every cluster (the upgrade's first four steps). */
function midUpgrade(): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-verify-rev-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(FIXTURE_PROJECT, f), join(dir, f));
  for (const s of planUpgrade(readProject(dir), "1.31.0").steps.slice(0, 4)) writeStackEdits(dir, s.edits);
  return dir;
}

/** A second istiod, `istiod-1-31-0`, beside the default one; `version` is the image it runs. */
function addRevision(w: ClusterWorld, self: string, peer: string, version: string): void {
  const labels = { app: "istiod", "istio.io/rev": "1-31-0" };
  const image = (w.deployments[0]!.spec as any).template.spec.containers[0].image.replace(/:[^:]+$/, `:${version}`);
  const d = structuredClone(w.deployments[0]!) as any;
  d.metadata = { name: "istiod-1-31-0", namespace: "istio-system", labels };
  d.spec.template.spec.containers[0].image = image;
  w.deployments.push(d);
  const pod = structuredClone(w.pods[0]!) as any;
  pod.metadata = { ...pod.metadata, name: "istiod-1-31-0-6c9f8d7b5-k2m4p", labels };
  pod.spec.containers[0].image = image;
  w.pods.push(pod);
  w.proxy["istiod-1-31-0-6c9f8d7b5-k2m4p:15014/debug/clusterz"] = JSON.stringify([
    { id: self, secretName: "", syncStatus: "synced" },
    { id: peer, secretName: `istio-system/istio-remote-secret-${peer}`, syncStatus: "synced" },
  ]);
}

async function verifyBoth(version: string): Promise<Check[]> {
  const shW = shanghaiWorld();
  const wxW = wuxiWorld();
  addRevision(shW, "cn-shanghai", "wuxi", version);
  addRevision(wxW, "wuxi", "cn-shanghai", version);
  const sh = await startStandIn(shW, { token: "sh-token" });
  const wx = await startStandIn(wxW, { token: "wx-token" });
  try {
    const dir = mkdtempSync(join(tmpdir(), "mesh-verify-rev-kc-"));
    const kubeconfig = writeKubeconfig(join(dir, "config"), [{ context: "wuxi", url: wx.url, token: "wx-token" }]);
    const ack = writeKubeconfig(join(dir, "ack"), [{ context: "cn-shanghai", url: sh.url, token: "sh-token" }]);
    const outputs = { cn: shanghaiOutputs(readFileSync(ack, "utf8")), wx: wuxiOutputs() };
    const r = await verifyMesh(readProject(midUpgrade()), {
      outputs: { outputs: (s) => Promise.resolve(s === "cn-shanghai" ? outputs.cn : outputs.wx) },
      loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfig),
      timeoutMs: 2000,
    });
    return r.clusters.flatMap((c) => c.checks.map((x) => ({ ...x, name: `${c.cluster}: ${x.name}` })));
  } finally {
    await sh.close();
    await wx.close();
  }
}

describe("mesh verify with two revisions declared", () => {
  it("each istiod at its own version passes; each reads every peer", async () => {
    const checks = await verifyBoth("1.31.0");
    const of = (code: string) => checks.filter((c) => c.code === code).map((c) => `${c.result} ${c.name}`);
    assert.deepEqual(of("MV0102").sort(), [
      "pass cn-shanghai: istiod (revision 1-31-0)",
      "pass cn-shanghai: istiod (revision default)",
      "pass wuxi: istiod (revision 1-31-0)",
      "pass wuxi: istiod (revision default)",
    ]);
    assert.deepEqual(of("MV0202").sort(), [
      "pass cn-shanghai: istiod (revision 1-31-0) reads wuxi",
      "pass cn-shanghai: istiod (revision default) reads wuxi",
      "pass wuxi: istiod (revision 1-31-0) reads cn-shanghai",
      "pass wuxi: istiod (revision default) reads cn-shanghai",
    ]);
    assert.deepEqual(
      checks.filter((c) => c.code.startsWith("MV01") && c.result !== "pass"),
      [],
    );
  });

  it("a new revision running another version than declared fails, naming its config key", async () => {
    const bad = (await verifyBoth("1.30.3")).filter((c) => c.code === "MV0102" && c.result !== "pass");
    assert.deepEqual(
      bad.map((c) => [c.name, c.detail]),
      [
        ["cn-shanghai: istiod (revision 1-31-0)", "istiod-1-31-0 runs 1.30.3, the plan says 1.31.0 (mesh:revisions.installed.1-31-0)"],
        ["wuxi: istiod (revision 1-31-0)", "istiod-1-31-0 runs 1.30.3, the plan says 1.31.0 (mesh:revisions.installed.1-31-0)"],
      ],
    );
  });
});
