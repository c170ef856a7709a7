/**
 * `mesh plan` on the fixture project (test/fixtures/project: the documented two-cluster mesh), in its
 * formats. The golden files are the reviewed output: a change to them shows in review.
 * `UPDATE_GOLDEN=1 npm run test:unit` rewrites them. A user's own stack files change none of them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli, EXIT, runPlan } from "../cli/mesh";
import { planMesh } from "../plan/plan";
import { DEFAULT_TEXT_WIDTH, renderText } from "../plan/render";
import { readProject } from "../plan/stack-files";
import type { MeshPlan } from "../plan/plan";
import { FIXTURE_PROJECT } from "./fixtures/project";

function render(format: "text" | "markdown" | "json" | "mirror", dir = FIXTURE_PROJECT): { code: number; printed: string } {
  let printed = "";
  const code = runPlan({ dir, format }, (s) => (printed += s));
  return { code, printed };
}

describe("mesh plan on the fixture project", () => {
  for (const [format, file] of [
    ["text", "plan.txt"],
    ["markdown", "plan.md"],
    ["json", "plan.json"],
    ["mirror", "mirror.sh"],
  ] as const) {
    it(`prints the ${format} golden output and exits 0`, () => {
      const { code, printed } = render(format);
      const path = join(__dirname, "golden", file);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(path, printed);
      assert.equal(code, EXIT.ok);
      assert.equal(printed, readFileSync(path, "utf8"));
    });
  }

  it("writes code spans literally: GitHub shows an HTML entity inside one as typed", () => {
    const md = render("markdown").printed;
    const spans = [...md.matchAll(/`[^`\n]+`/g)].map((m) => m[0]);
    assert.ok(spans.includes("`istio-remote-secret-<cluster>`"), spans.join(" "));
    assert.deepEqual(
      spans.filter((c) => /&(lt|gt|amp);/.test(c)),
      [],
    );
  });

  it("lists what each cluster pulls, every chart and image from its own mirror", () => {
    const plan = JSON.parse(render("json").printed) as MeshPlan;
    assert.deepEqual(
      plan.supply.map((s) => [s.stack, s.region, s.charts.map((c) => c.ref), s.images.map((i) => i.ref)]),
      [
        [
          "cn-shanghai",
          "cn-shanghai",
          ["base", "istiod", "gateway"].map((c) => `oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts/${c}`),
          ["pilot", "proxyv2"].map((i) => `mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio/${i}:1.30.3`),
        ],
        [
          "wuxi",
          "cn-wuxi",
          ["base", "istiod", "gateway"].map((c) => `oci://harbor.wuxi.internal/istio-charts/${c}`),
          ["pilot", "proxyv2"].map((i) => `harbor.wuxi.internal/istio/${i}:1.30.3`),
        ],
      ],
    );
  });

  it("prints a mirror script that bash parses", () => {
    const path = join(tmpdir(), `mesh-mirror-${process.pid}.sh`);
    writeFileSync(path, render("mirror").printed);
    execFileSync("bash", ["-n", path]);
  });

  it("plans the documented mesh: wuxi reached at 10.18.10.196:30880, cn-shanghai on an internal SLB, helloworld local first", () => {
    const plan = JSON.parse(render("json").printed) as MeshPlan;
    assert.equal(plan.schemaVersion, 1);
    assert.deepEqual(plan.stacks, ["cn-shanghai", "wuxi"]);
    const wuxi = plan.clusters.find((c) => c.stack === "wuxi")!;
    assert.deepEqual(wuxi.gateway.endpoints, ["10.18.10.196:30880"]);
    assert.equal(wuxi.apiServer, "https://10.18.10.10:6443");
    const sh = plan.clusters.find((c) => c.stack === "cn-shanghai")!;
    assert.equal(sh.gateway.peersSendTo, "<internal SLB address, known after deploy>:15443");
    assert.equal(sh.apiServer, null);
    assert.deepEqual(plan.links, [
      { reader: "cn-shanghai", reads: "wuxi", status: "mutual" },
      { reader: "wuxi", reads: "cn-shanghai", status: "mutual" },
    ]);
    assert.deepEqual(plan.trust, {
      anchor: "cn-shanghai",
      issuers: [
        { stack: "cn-shanghai", from: "its own root (anchor)" },
        { stack: "wuxi", from: "cn-shanghai" },
      ],
    });
    const hello = plan.services.find((s) => s.host === "helloworld.dev.svc.cluster.local")!;
    assert.deepEqual(hello.ports, [5000]);
    const routing = plan.routing.find((r) => r.id === hello.routing)!;
    assert.equal(routing.locality, "preferLocal");
    assert.deepEqual(routing.routes.find((r) => r.caller === "cn-shanghai")!.steps, [
      { priority: 0, cluster: "cn-shanghai", via: "local endpoints" },
      { priority: 1, cluster: "wuxi", via: "east-west gateway 10.18.10.196:30880" },
    ]);
    assert.deepEqual(routing.routes.find((r) => r.caller === "wuxi")!.steps, [
      { priority: 0, cluster: "wuxi", via: "local endpoints" },
      { priority: 1, cluster: "cn-shanghai", via: "east-west gateway <internal SLB address, known after deploy>:15443" },
    ]);
    assert.deepEqual(routing.outlierDetection, {
      consecutive5xxErrors: 1,
      interval: "1s",
      baseEjectionTime: "1m",
      maxEjectionPercent: 100,
    });
    assert.deepEqual(plan.summary, { errors: 0, warnings: 0 });
  });

  it("fits the text to the terminal: wider tables laid out vertically, prose wrapped", () => {
    const plan = planMesh(readProject(FIXTURE_PROJECT));
    const narrow = renderText(plan, 100);
    assert.deepEqual(
      narrow.split("\n").filter((l) => l.length > 100),
      [],
    );
    assert.match(narrow, /\nClusters\n {2}cn-shanghai\n {4}cluster {32}cn-shanghai\n {4}network {32}network-cn-shanghai\n/);
    const wide = renderText(plan, 300);
    assert.match(wide, /\nClusters\n {2}stack {8}cluster {6}network {14}source {2,}API server \(peers use\) {2,}east-west gateway/);
    assert.equal(renderText(plan), renderText(plan, DEFAULT_TEXT_WIDTH));
  });

  it("mesh plan takes the width from COLUMNS when its output is not a terminal", async () => {
    const saved = process.env.COLUMNS;
    let out = "";
    try {
      process.env.COLUMNS = "300";
      assert.equal(await cli(["plan", "--dir", FIXTURE_PROJECT], undefined, { out: (s) => (out += s), err: (s) => (out += s) }), 0);
    } finally {
      if (saved === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = saved;
    }
    assert.equal(out, renderText(planMesh(readProject(FIXTURE_PROJECT)), 300));
  });

  it("draws the clusters, links and trust in Mermaid inside the Markdown", () => {
    const md = render("markdown").printed;
    const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(md)![1]!;
    assert.match(diagram, /^flowchart LR\n/);
    assert.equal((diagram.match(/^\s+subgraph /gm) ?? []).length, 2);
    assert.equal((diagram.match(/^\s+end$/gm) ?? []).length, 2);
    assert.match(diagram, /c_cn_shanghai_istiod -- reads --> c_wuxi_api/);
    assert.match(diagram, /c_wuxi_istiod -- reads --> c_cn_shanghai_api/);
    assert.match(diagram, /root -\. intermediate CA \.-> c_wuxi_istiod/);
    // a caller's sidecars dial the other cluster's gateway: wuxi's node port, the ACK load balancer's 15443
    assert.match(diagram, /\n {2}c_cn_shanghai -- "sidecars: mTLS, SNI → :30880" --> c_wuxi_gw\n/);
    assert.match(diagram, /\n {2}c_wuxi -- "sidecars: mTLS, SNI → :15443" --> c_cn_shanghai_gw(\n|$)/);
    assert.doesNotMatch(diagram, /_gw <--/);
  });
});
