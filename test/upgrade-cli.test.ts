/**
 * `mesh upgrade` through the command line: the plan printed, `--to` refused as a usage error before any
 * output, `--write` editing only the next step's stack file, and `--apply` running that step as `mesh converge
 * --verify` (the simulated engine stands in for the Pulumi CLI) — except a step that removes a revision while
 * a proxy still uses it, which `--apply` refuses after reading the cluster (a stand-in API server here).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node";
import { cli } from "../cli/mesh";
import type { CommandDeps } from "../automation/commands";
import { MemoryEngine } from "../automation/memory-engine";
import { startStandIn, writeKubeconfig, type ClusterWorld } from "./fixtures/kube-api";
import { synczExec, synczOf, wuxiWorld } from "./fixtures/mesh-worlds";
import { beforeRemoval, upgradeProject } from "./fixtures/upgrade";

async function run(argv: string[], kubeconfig?: string) {
  let out = "";
  let err = "";
  let verified = "";
  const engine = new MemoryEngine({
    stacks: [
      { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
      { name: "wuxi", peers: ["cn-shanghai"] },
    ],
  });
  const database = `sqlite:${join(mkdtempSync(join(tmpdir(), "mesh-upgrade-db-")), "jobs.db")}`;
  const deps = (dir: string): CommandDeps => ({
    projectDir: dir,
    engine: () => engine,
    database,
    out: { write: (s: string) => (out += s) },
    requestedBy: "tester",
  });
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  const code = await cli(argv, deps, io, () => ({
    out: { write: (s: string) => (verified += s) },
    outputs: () => engine,
    options: { timeoutMs: 2000, loadDefaultKubeconfig: (kc: KubeConfig) => (kubeconfig ? kc.loadFromFile(kubeconfig) : undefined) },
  }));
  return { code, out, err, printed: out + err, verified };
}

describe("mesh upgrade on the command line", () => {
  it("prints the plan and exits 0; refuses a skew with exit 1", async () => {
    const dir = upgradeProject("two-clusters");
    const ok = await run(["upgrade", "--to", "1.31.0", "--dir", dir]);
    assert.equal(ok.code, 0, ok.printed);
    assert.match(ok.out, /^Upgrade to Istio 1\.31\.0 \(revision 1-31-0\)\n/);
    const refused = await run(["upgrade", "--to", "1.32.0", "--dir", dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /Step 1 skew gate: REFUSED/);
  });

  it("--to that is not one release is a usage error, exit 2, before any output", async () => {
    const dir = upgradeProject("two-clusters");
    for (const to of ["latest", "v1.31.0", "1.31"]) {
      const r = await run(["upgrade", "--to", to, "--dir", dir]);
      assert.equal(r.code, 2, r.printed);
      assert.equal(r.out, "");
      assert.equal(
        r.err,
        `error: option '--to <version>' argument '${to}' is invalid. "${to}" is not an Istio release: give one exact version, e.g. 1.31.0 (no "latest", "v" or range).\n`,
      );
    }
  });

  it("a wrong --wait is a usage error before any stack file is written", async () => {
    const dir = upgradeProject("two-clusters");
    const before = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    for (const argv of [
      ["--apply", "--wait", "soon"],
      ["--write", "--wait", "10m"],
    ]) {
      const r = await run(["upgrade", "--to", "1.31.0", ...argv, "--dir", dir]);
      assert.equal(r.code, 2, r.printed);
      assert.match(r.err, /^mesh upgrade: /);
    }
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), before);
  });

  it("--apply writes the next step, converges every stack, then runs verify and exits with its code", async () => {
    const dir = upgradeProject("two-clusters");
    const r = await run(["upgrade", "--to", "1.31.0", "--apply", "--dir", dir]);
    assert.match(r.out, /^wrote: step 2a wuxi: adopt mesh:revisions in wuxi/);
    assert.match(r.out, /settled after \d+ rounds?/);
    assert.match(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), /\n {2}mesh:revisions:\n/);
    assert.doesNotMatch(readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8"), /mesh:revisions/);
    // no cluster credentials here: verify reports both clusters unreadable (exit 2), and so does the command
    assert.match(r.verified, /^cn-shanghai \(stack cn-shanghai, 0 requests\)\n[\s\S]*UNREADABLE MV0001[\s\S]*\nwuxi \(stack wuxi/);
    assert.equal(r.code, 2);
  });
});

describe("mesh upgrade --apply at the step that removes the old revision", () => {
  /** wuxi with both istiods; `left` are the pods still on the old one (its syncz, their annotations). */
  function wuxi(left: { pod: string; native: boolean }[]): ClusterWorld {
    const w = wuxiWorld();
    const istiod = (w.pods[0]!.metadata as { name: string }).name;
    const app = w.pods[1] as { metadata: { name: string; annotations: Record<string, string> } };
    app.metadata.annotations["istio.io/rev"] = "1-31-0";
    const fresh = structuredClone(w.pods[0]!) as any;
    fresh.metadata = { ...fresh.metadata, name: "istiod-1-31-0-6c9f8d7b5-k2m4p", labels: { app: "istiod", "istio.io/rev": "1-31-0" } };
    w.pods.push(fresh);
    w.exec![synczExec(istiod)] = synczOf(
      "wuxi",
      "1.30.3",
      left.filter((p) => !p.native).map((p) => ({ pod: p.pod, namespace: "team-a" })),
    );
    w.exec![synczExec("istiod-1-31-0-6c9f8d7b5-k2m4p")] = synczOf("wuxi", "1.31.0", [{ pod: app.metadata.name, namespace: "dev" }]);
    for (const p of left)
      w.pods.push({
        metadata: { name: p.pod, namespace: "team-a", annotations: { "istio.io/rev": "default" } },
        spec: p.native
          ? { initContainers: [{ name: "istio-proxy", restartPolicy: "Always" }], containers: [{ name: "app" }] }
          : { containers: [{ name: "app" }, { name: "istio-proxy" }] },
        status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
      });
    return w;
  }
  async function apply(dir: string, world: ClusterWorld) {
    const api = await startStandIn(world, { token: "wx-token" });
    try {
      const kubeconfig = writeKubeconfig(join(mkdtempSync(join(tmpdir(), "mesh-upgrade-kc-")), "config"), [
        { context: "wuxi", url: api.url, token: "wx-token" },
      ]);
      return { ...(await run(["upgrade", "--to", "1.31.0", "--apply", "--dir", dir], kubeconfig)), requests: api.requests };
    } finally {
      await api.close();
    }
  }

  it("refuses while a classic or a native sidecar is still on it, naming each; writes nothing", async () => {
    const dir = beforeRemoval();
    const before = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    const r = await apply(
      dir,
      wuxi([
        { pod: "batch-5f6d7c8b9-aaaaa", native: false },
        { pod: "batch-5f6d7c8b9-bbbbb", native: true },
      ]),
    );
    assert.equal(r.code, 1, r.printed);
    assert.equal(
      r.out,
      [
        "mesh upgrade: step 6a removes revision default (Istio 1.30.3) from wuxi, but 2 proxies are still on it:",
        "  team-a/batch-5f6d7c8b9-aaaaa: connected to istiod-7d4b9c8f6d-x2x9k, injected by default",
        "  team-a/batch-5f6d7c8b9-bbbbb: injected by default (native sidecar)",
        "restart them onto the revision their namespace names (step 6a's check lists them the same way), then run mesh upgrade --apply again; nothing was written",
        "",
      ].join("\n"),
    );
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), before);
    // read as verify reads: syncz by exec in istiod's discovery container, every pod of the cluster
    assert.ok(r.requests.some((q) => q.startsWith("GET /api/v1/pods")));
    assert.ok(r.requests.some((q) => /\/namespaces\/istio-system\/pods\/istiod-7d4b9c8f6d-x2x9k\/exec\?.*container=discovery/.test(q)));
  });

  it("writes the step once no proxy is left on it", async () => {
    const dir = beforeRemoval();
    const r = await apply(dir, wuxi([]));
    assert.match(r.out, /^wrote: step 6a wuxi: remove default \(Istio 1\.30\.3\) from wuxi/, r.printed);
    assert.doesNotMatch(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), /\n {6}default: "1\.30\.3"/);
  });

  it("refuses with exit 2 when the cluster cannot be read, since nothing would be proven", async () => {
    const dir = beforeRemoval();
    const before = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    const r = await run(["upgrade", "--to", "1.31.0", "--apply", "--dir", dir]);
    assert.equal(r.code, 2, r.printed);
    assert.match(
      r.out,
      /^mesh upgrade: step 6a removes revision default \(Istio 1\.30\.3\) from wuxi, but whether a proxy still uses it could not be read: /,
    );
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), before);
  });
});
