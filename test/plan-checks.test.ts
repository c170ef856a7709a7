/**
 * `mesh plan`'s checks across stacks: each fixture project triggers one, and the finding's
 * severity, stack, path and the exit code are asserted. Also: unreadable files and secrets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { toYaml } from "../model/yaml";
import { EXIT, runPlan } from "../cli/mesh";
import { ONE_SIDED_PEER_SEVERITY, oneSidedPeer } from "../model/peers";
import type { MeshPlan } from "../plan/plan";
import { ackConfig } from "./fixtures/ack";

type Config = Record<string, unknown>;

const PROJECT: Config = {
  "mesh:meshId": { type: "string", default: "mesh1" },
  // mirrors, as mainland China needs them: upstream hosts are a check of their own (test/supply.test.ts)
  "mesh:istio": {
    value: {
      version: "1.30.3",
      repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts",
      hub: "mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
    },
  },
  "mesh:services": { value: [{ name: "helloworld", namespace: "dev", ports: [{ name: "http", port: 5000 }] }] },
};

/** The documented two stacks, in a shape each test changes. */
function stacks(): Record<string, Config> {
  return {
    "cn-shanghai": {
      "alicloud:region": "cn-shanghai",
      "mesh:cluster": {
        name: "cn-shanghai",
        ack: ackConfig(),
      },
      "mesh:peers": ["organization/mesh/wuxi"],
      "mesh:trust": { anchor: true },
    },
    wuxi: {
      "mesh:cluster": { name: "wuxi", kubeContext: "wuxi", apiServer: "https://10.18.10.10:6443" },
      "mesh:eastWestGateway": { service: { type: "NodePort", externalIPs: ["10.18.10.196"], nodePorts: { tls: 30880 } } },
      "mesh:peers": ["organization/mesh/cn-shanghai"],
      "mesh:trust": { rootStack: "organization/mesh/cn-shanghai" },
    },
  };
}

function project(stackConfigs: Record<string, Config>, projectConfig: Config = PROJECT): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-plan-"));
  writeFileSync(join(dir, "Pulumi.yaml"), toYaml({ name: "mesh", runtime: "nodejs", config: projectConfig }));
  for (const [s, c] of Object.entries(stackConfigs)) writeFileSync(join(dir, `Pulumi.${s}.yaml`), toYaml({ config: c }));
  return dir;
}

function plan(dir: string): { code: number; plan?: MeshPlan; printed: string } {
  let printed = "";
  const code = runPlan({ dir, format: "json" }, (s) => (printed += s));
  let parsed: MeshPlan | undefined;
  try {
    parsed = JSON.parse(printed) as MeshPlan;
  } catch {
    parsed = undefined;
  }
  return { code, plan: parsed, printed };
}

interface Case {
  readonly name: string;
  readonly change: (s: Record<string, Config>) => void;
  readonly finding: { severity: "error" | "warning"; stack: string; path: string; message: RegExp };
  /** The change fails the stack's validation, so the plan also notes it left the stack out. */
  readonly leftOut?: boolean;
}
const isLeftOutNote = (f: { path: string; message: string }) =>
  f.path === "*" && f.message.startsWith("left out of the checks across stacks");

const CASES: Case[] = [
  {
    name: "a mainland stack that pulls its images from Docker Hub",
    change: (s) =>
      (s["cn-shanghai"]!["mesh:istio"] = { version: "1.30.3", repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts" }),
    finding: { severity: "warning", stack: "cn-shanghai", path: "mesh:istio.hub", message: /from docker\.io, which is often unreachable/ },
  },
  {
    name: "different mesh ids",
    change: (s) => (s.wuxi!["mesh:meshId"] = "mesh2"),
    finding: { severity: "error", stack: "wuxi", path: "mesh:meshId", message: /mesh id "mesh2" differs from cn-shanghai's "mesh1"/ },
  },
  {
    name: "different Istio versions",
    change: (s) => (s.wuxi!["mesh:istio"] = { version: "1.29.4" }),
    finding: {
      severity: "warning",
      stack: "wuxi",
      path: "mesh:istio.version",
      message: /^Istio 1\.29\.4 here \(mesh:istio of Pulumi\.wuxi\.yaml\), 1\.30\.3 in cn-shanghai \(mesh:istio of Pulumi\.yaml\)/,
    },
  },
  {
    name: "duplicate cluster names",
    change: (s) => Object.assign(s.wuxi!["mesh:cluster"] as Config, { name: "cn-shanghai", network: "network-wuxi" }),
    finding: { severity: "error", stack: "wuxi", path: "mesh:cluster.name", message: /cluster name cn-shanghai is also cn-shanghai's/ },
  },
  {
    name: "duplicate networks",
    change: (s) => ((s.wuxi!["mesh:cluster"] as Config).network = "network-cn-shanghai"),
    finding: {
      severity: "error",
      stack: "wuxi",
      path: "mesh:cluster.network",
      message: /network network-cn-shanghai is also cn-shanghai's/,
    },
  },
  {
    // a warning, as pulumi up says it (model/peers.ts oneSidedPeer): the normal state while a cluster is added
    name: "a peer list that is not symmetric",
    change: (s) => (s.wuxi!["mesh:peers"] = []),
    finding: {
      severity: "warning",
      stack: "wuxi",
      path: "mesh:peers",
      message: /^organization\/mesh\/wuxi does not list organization\/mesh\/cn-shanghai in mesh:peers: /,
    },
  },
  {
    name: "no trust anchor",
    change: (s) => (s["cn-shanghai"]!["mesh:trust"] = { rootStack: "organization/mesh/wuxi" }),
    finding: { severity: "error", stack: "*", path: "mesh:trust", message: /no stack is the trust anchor/ },
  },
  {
    name: "two trust anchors",
    change: (s) => (s.wuxi!["mesh:trust"] = { anchor: true }),
    finding: { severity: "error", stack: "wuxi", path: "mesh:trust.anchor", message: /cn-shanghai is the trust anchor already/ },
  },
  {
    name: "a stack without trust",
    change: (s) => delete s.wuxi!["mesh:trust"],
    finding: { severity: "error", stack: "wuxi", path: "mesh:trust", message: /no trust source/ },
  },
  {
    name: "a peer that is not a stack of this project",
    change: (s) => (s.wuxi!["mesh:peers"] = ["organization/mesh/cn-shanghai", "organization/mesh/hangzhou"]),
    finding: {
      severity: "error",
      stack: "wuxi",
      path: "mesh:peers[1]",
      message: /organization\/mesh\/hangzhou is not a stack of this project/,
    },
  },
  {
    name: "a loopback API server",
    // a validation error: the stack is left out of the checks across stacks, and the plan says so
    leftOut: true,
    change: (s) => ((s.wuxi!["mesh:cluster"] as Config).apiServer = "https://127.0.0.1:6443"),
    finding: { severity: "error", stack: "wuxi", path: "mesh:cluster.apiServer", message: /loopback/ },
  },
  {
    name: "a public API server while the other cluster is on a private network",
    change: (s) => ((s.wuxi!["mesh:cluster"] as Config).apiServer = "https://47.100.20.30:6443"),
    finding: {
      severity: "warning",
      stack: "wuxi",
      path: "mesh:cluster.apiServer",
      message: /public address, but cn-shanghai is on a private network/,
    },
  },
  {
    name: "a NodePort gateway istiod finds no address for",
    // a validation error: the stack is left out of the checks across stacks, and the plan says so
    leftOut: true,
    change: (s) => (s.wuxi!["mesh:eastWestGateway"] = { service: { type: "NodePort" } }),
    finding: { severity: "error", stack: "wuxi", path: "mesh:eastWestGateway.service", message: /neither externalIPs nor nodeSelector/ },
  },
  {
    name: "a NodePort gateway relying on nodes' ExternalIPs",
    change: (s) => (s.wuxi!["mesh:eastWestGateway"] = { service: { type: "NodePort", nodeSelector: { "mesh/gateway": "true" } } }),
    finding: {
      severity: "warning",
      stack: "wuxi",
      path: "mesh:eastWestGateway.service.externalIPs",
      message: /on-prem nodes usually lack/,
    },
  },
  {
    name: "mirrored services that would differ between clusters",
    change: (s) => (s.wuxi!["mesh:services"] = [{ name: "helloworld", namespace: "dev", ports: [{ name: "http", port: 8080 }] }]),
    finding: {
      severity: "error",
      stack: "wuxi",
      path: "mesh:services",
      message: /the mirrored services dev\/helloworld would differ from cn-shanghai's/,
    },
  },
  {
    name: "a rootStack that is not the anchor",
    change: (s) => {
      s.hangzhou = {
        "mesh:cluster": { name: "hangzhou", kubeContext: "hangzhou", apiServer: "https://10.30.0.10:6443" },
        "mesh:peers": [],
        "mesh:trust": { rootStack: "organization/mesh/wuxi" },
      };
    },
    finding: { severity: "error", stack: "hangzhou", path: "mesh:trust.rootStack", message: /wuxi is not the trust anchor/ },
  },
];

describe("mesh plan: checks across stacks", () => {
  it("finds nothing in the repository's topology", () => {
    const r = plan(project(stacks()));
    assert.equal(r.code, EXIT.ok);
    assert.deepEqual(r.plan!.findings, []);
  });

  for (const c of CASES) {
    it(`reports ${c.name}`, () => {
      const s = stacks();
      c.change(s);
      const r = plan(project(s));
      const notes = r.plan!.findings.filter(isLeftOutNote);
      assert.deepEqual(
        notes.map((n) => [n.severity, n.stack]),
        c.leftOut ? [["warning", c.finding.stack]] : [],
      );
      const f = r.plan!.findings.filter((x) => !isLeftOutNote(x));
      assert.equal(f.length, 1, JSON.stringify(f, null, 1));
      assert.deepEqual(
        { severity: f[0]!.severity, stack: f[0]!.stack, path: f[0]!.path },
        { severity: c.finding.severity, stack: c.finding.stack, path: c.finding.path },
      );
      assert.match(f[0]!.message, c.finding.message);
      assert.ok(f[0]!.fix.length > 0);
      assert.equal(r.code, c.finding.severity === "error" ? EXIT.findings : EXIT.ok);
      assert.deepEqual(r.plan!.summary, {
        errors: c.finding.severity === "error" ? 1 : 0,
        warnings: (c.finding.severity === "warning" ? 1 : 0) + notes.length,
      });
    });
  }

  it("says the same as pulumi up about a one-sided peer: one rule, one severity", () => {
    const s = stacks();
    s.wuxi!["mesh:peers"] = [];
    const f = plan(project(s)).plan!.findings[0]!;
    const rule = oneSidedPeer({
      lister: "organization/mesh/cn-shanghai",
      listerCluster: "cn-shanghai",
      unlisted: "organization/mesh/wuxi",
    });
    assert.deepEqual({ severity: f.severity, message: f.message, fix: f.fix }, { severity: ONE_SIDED_PEER_SEVERITY, ...rule });
    assert.equal(ONE_SIDED_PEER_SEVERITY, "warning");
  });

  it("checks across stacks without a stack that failed validation, and says it left it out", () => {
    const s = stacks();
    (s["cn-shanghai"]!["mesh:cluster"] as any).ack.nodePools[0].desiredSize = "three";
    const r = plan(project(s));
    assert.equal(r.code, EXIT.findings);
    // no "no stack is the trust anchor": the anchor is the stack that failed
    assert.deepEqual(
      r.plan!.findings.map((f) => [f.severity, f.stack, f.path]),
      [
        ["error", "cn-shanghai", "mesh:cluster.ack.nodePools[0].desiredSize"],
        ["warning", "cn-shanghai", "*"],
      ],
    );
    assert.equal(
      r.plan!.findings[1]!.message,
      "left out of the checks across stacks (trust anchor, peers, names, networks) because its config has errors: what they would report may only follow from those",
    );
  });

  it("reports a Pulumi.yaml entry the CLI would reject", () => {
    const r = plan(project(stacks(), { ...PROJECT, "mesh:istio": { version: "1.30.3" } }));
    assert.equal(r.code, EXIT.findings);
    assert.equal(r.plan!.findings[0]!.path, "Pulumi.yaml");
  });
});

/** A third stack made as a careless user makes it: Pulumi.wuxi.yaml copied, only `name` and `network` renamed. */
function withCopyOfWuxi(): Record<string, Config> {
  const s = stacks();
  s.suzhou = structuredClone(s.wuxi!);
  Object.assign(s.suzhou["mesh:cluster"] as Config, { name: "suzhou", network: "network-suzhou" });
  s.suzhou["mesh:peers"] = ["organization/mesh/cn-shanghai", "organization/mesh/wuxi"];
  for (const other of ["cn-shanghai", "wuxi"]) (s[other]!["mesh:peers"] as string[]).push("organization/mesh/suzhou");
  return s;
}
const line = (f: { severity: string; stack: string; path: string; message: string; fix: string }) =>
  `${f.severity} ${f.stack} ${f.path}: ${f.message} | ${f.fix}`;
const ONE_CLUSTER = "the two stacks would deploy into one cluster, each overwriting the other's istiod, cacerts and east-west gateway";

describe("mesh plan: two stacks on one cluster", () => {
  it("a copied stack file that kept wuxi's context, API server and gateway: three errors on the copy, naming both stacks", () => {
    const r = plan(project(withCopyOfWuxi()));
    assert.equal(r.code, EXIT.findings);
    const copied = "Pulumi.suzhou.yaml looks copied from Pulumi.wuxi.yaml";
    assert.deepEqual(r.plan!.findings.map(line), [
      `error suzhou mesh:cluster.kubeContext: suzhou and wuxi both name kube context wuxi: ${ONE_CLUSTER} | ${copied}: set mesh:cluster.kubeContext to the context of suzhou's own cluster (kubectl config get-contexts lists them)`,
      `error suzhou mesh:cluster.apiServer: suzhou and wuxi both name API server https://10.18.10.10:6443: ${ONE_CLUSTER} | ${copied}: set mesh:cluster.apiServer to the address of suzhou's own API server, as the other clusters reach it`,
      `error suzhou mesh:eastWestGateway.service.externalIPs: suzhou and wuxi both name east-west gateway 10.18.10.196:30880: ${ONE_CLUSTER} | ${copied}: set mesh:eastWestGateway.service.externalIPs (and nodePorts) to the addresses of suzhou's own east-west gateway`,
    ]);
    assert.deepEqual(r.plan!.summary, { errors: 3, warnings: 0 });
  });

  it("the copy with its own context, API server and gateway is no finding", () => {
    const s = withCopyOfWuxi();
    Object.assign(s.suzhou!["mesh:cluster"] as Config, { kubeContext: "suzhou", apiServer: "https://10.20.10.10:6443" });
    s.suzhou!["mesh:eastWestGateway"] = { service: { type: "NodePort", externalIPs: ["10.20.10.196"], nodePorts: { tls: 30880 } } };
    const r = plan(project(s));
    assert.deepEqual(r.plan!.findings, []);
    assert.equal(r.code, EXIT.ok);
  });

  it("one API server however it is spelled (default port, upper case), one gateway however IPv6 is written", () => {
    const s = withCopyOfWuxi();
    Object.assign(s.wuxi!["mesh:cluster"] as Config, { apiServer: "https://API.wuxi.example:443" });
    Object.assign(s.suzhou!["mesh:cluster"] as Config, { kubeContext: "suzhou", apiServer: "https://api.wuxi.example" });
    s.wuxi!["mesh:eastWestGateway"] = { service: { type: "NodePort", externalIPs: ["fd00:0:0:0::196"], nodePorts: { tls: 30880 } } };
    s.suzhou!["mesh:eastWestGateway"] = { service: { type: "NodePort", externalIPs: ["fd00::196"], nodePorts: { tls: 30880 } } };
    const r = plan(project(s));
    // neither stack is plainly the copy (suzhou's context is its own now): the finding goes to the later one
    assert.deepEqual(
      r.plan!.findings.map((f) => [f.severity, f.stack, f.path, f.message.split(":")[0], f.fix.split(":")[0]]),
      [
        [
          "error",
          "wuxi",
          "mesh:cluster.apiServer",
          "suzhou and wuxi both name API server https",
          "in the stack file copied from the other",
        ],
        [
          "error",
          "wuxi",
          "mesh:eastWestGateway.service.externalIPs",
          "suzhou and wuxi both name east-west gateway fd00",
          "in the stack file copied from the other",
        ],
      ],
    );
  });

  it("the same gateway port on other addresses, or the same address on another node port, is no finding", () => {
    const s = withCopyOfWuxi();
    Object.assign(s.suzhou!["mesh:cluster"] as Config, { kubeContext: "suzhou", apiServer: "https://10.20.10.10:6443" });
    s.suzhou!["mesh:eastWestGateway"] = { service: { type: "NodePort", externalIPs: ["10.18.10.196"], nodePorts: { tls: 30881 } } };
    assert.deepEqual(plan(project(s)).plan!.findings, []);
  });

  it("two LoadBalancer gateways with one external IP", () => {
    const s = stacks();
    s["cn-shanghai"]!["mesh:eastWestGateway"] = { service: { type: "LoadBalancer", externalIPs: ["192.168.0.200"] } };
    s.wuxi!["mesh:eastWestGateway"] = { service: { type: "LoadBalancer", externalIPs: ["192.168.0.200"] } };
    assert.deepEqual(plan(project(s)).plan!.findings.map(line), [
      `error wuxi mesh:eastWestGateway.service.externalIPs: cn-shanghai and wuxi both name east-west gateway 192.168.0.200:15443: ${ONE_CLUSTER} | in the stack file copied from the other: set mesh:eastWestGateway.service.externalIPs (and nodePorts) to the addresses of its own east-west gateway`,
    ]);
  });

  it("two ACK stacks for one ACK cluster (one name, one region)", () => {
    const s = stacks();
    s.hangzhou = structuredClone(s["cn-shanghai"]!);
    s.hangzhou["mesh:trust"] = { rootStack: "organization/mesh/cn-shanghai" };
    Object.assign(s.hangzhou["mesh:cluster"] as Config, { network: "network-hangzhou" });
    s.hangzhou["mesh:peers"] = [];
    const r = plan(project(s));
    assert.deepEqual(
      r.plan!.findings.filter((f) => f.severity === "error").map((f) => [f.stack, f.path, f.message]),
      [
        ["hangzhou", "mesh:cluster.name", "cluster name cn-shanghai is also cn-shanghai's"],
        ["hangzhou", "mesh:cluster.ack", `cn-shanghai and hangzhou both name ACK cluster cn-shanghai in cn-shanghai: ${ONE_CLUSTER}`],
      ],
    );
  });
});

describe("mesh plan: files it cannot read", () => {
  const text = (dir: string) => {
    let printed = "";
    const code = runPlan({ dir, format: "text" }, (s) => (printed += s));
    return { code, printed };
  };

  it("names the file and the YAML problem", () => {
    const dir = project(stacks());
    writeFileSync(join(dir, "Pulumi.wuxi.yaml"), "config:\n  mesh:cluster: {name: wuxi\n");
    const r = text(dir);
    assert.equal(r.code, EXIT.unreadable);
    assert.match(r.printed, /^mesh plan: .*Pulumi\.wuxi\.yaml: not valid YAML: /);
    assert.ok(!r.printed.includes("    at "), "no stack trace");
  });

  it("says when there is no Pulumi.yaml", () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-plan-"));
    assert.deepEqual(text(dir), {
      code: EXIT.unreadable,
      printed: `mesh plan: ${join(dir, "Pulumi.yaml")}: cannot be read (does it exist?)`,
    });
  });

  it("says when there is no stack file", () => {
    const dir = project({});
    assert.deepEqual(text(dir), {
      code: EXIT.unreadable,
      printed: `mesh plan: no Pulumi.<stack>.yaml in ${dir}; create one per cluster (see docs/configuration.md)`,
    });
  });
});

describe("mesh plan: secrets", () => {
  it("keeps secure values opaque", () => {
    const s = stacks();
    s.wuxi!["mesh:cluster"] = { name: "wuxi", kubeconfig: { secure: "v1:CIPHERTEXTabcdef" }, apiServer: "https://10.18.10.10:6443" };
    const dir = project(s);
    for (const format of ["text", "markdown", "json"] as const) {
      let printed = "";
      const code = runPlan({ dir, format }, (x) => (printed += x));
      assert.equal(code, EXIT.ok);
      assert.ok(!printed.includes("CIPHERTEXT"), format);
    }
    const r = plan(dir);
    assert.equal(r.plan!.clusters.find((c) => c.stack === "wuxi")!.sourceDetail, "existing cluster, kubeconfig [secret]");
  });
});
