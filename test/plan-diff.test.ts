/**
 * `mesh plan --diff`: field-level changes per stack, what disrupts or destroys at the top, secrets as
 * [secret], a git ref read without a checkout, and a Markdown comment that always fits GitHub's limit.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EXIT, runPlan } from "../cli/mesh";
import { fromYaml, toYaml } from "../model/yaml";
import { diffMesh, FAIL_ON, failingDisruptions, fieldDiff, type MeshDiff } from "../plan/diff";
import { parseDiffJson } from "../plan/diff-json";
import { replaces, trustResources } from "../plan/diff-trust";
import { validStacks } from "../plan/plan";
import { kubernetesVersionProblem } from "../model/ack-changes";
import { DIFF_MARKER, GITHUB_COMMENT_LIMIT, renderDiffMarkdown, renderDiffText } from "../plan/diff-render";
import { readProject } from "../plan/stack-files";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { FIXTURE_PROJECT } from "./fixtures/project";

type Doc = { config: Record<string, any> };
function project(change: (files: Record<string, Doc>) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-diff-"));
  const files: Record<string, Doc> = {};
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"])
    files[f] = fromYaml(readFileSync(join(FIXTURE_PROJECT, f), "utf8")) as Doc;
  change(files);
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(dir, f), toYaml(doc));
  return dir;
}
const diff = (change: (files: Record<string, Doc>) => void): MeshDiff =>
  diffMesh(readProject(project()), readProject(project(change)), "base");

describe("field-level differences", () => {
  it("names each changed path, with values before and after", () => {
    assert.deepEqual(fieldDiff({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { b: 2, c: [1, 3] }, e: "y" }), [
      { path: "a.b", before: 1, after: 2 },
      { path: "a.c[1]", before: 2, after: 3 },
      { path: "d", before: "x" },
      { path: "e", after: "y" },
    ]);
  });
});

describe("what the change does", () => {
  it("an unchanged mesh: nothing", () => {
    const d = diff(() => {});
    assert.deepEqual([d.disruptions, d.routing, d.links, d.trust, d.checks], [[], [], [], [], []]);
    assert.deepEqual(
      d.stacks.map((s) => s.change),
      ["unchanged", "unchanged"],
    );
  });

  it("a new catalog service: its Service and DestinationRule in every cluster, routing per caller", () => {
    const d = diff((f) =>
      f["Pulumi.yaml"]!.config["mesh:services"].value.push({ name: "ratings", namespace: "dev", ports: [{ name: "http", port: 9080 }] }),
    );
    for (const s of d.stacks)
      assert.deepEqual(
        s.objects.map((o) => [o.change, o.item]),
        [
          ["added", "Service dev/ratings"],
          ["added", "DestinationRule dev/ratings-locality"],
        ],
      );
    assert.deepEqual(d.disruptions, []);
    assert.ok(d.routing.every((r) => r.change === "added") && d.routing.length === 2);
  });

  it("flags what destroys or disrupts at the top: a removed peer and service, an identity change, an ACK field that replaces the cluster, an Istio upgrade in place", () => {
    const d = diff((f) => {
      f["Pulumi.wuxi.yaml"]!.config["mesh:peers"] = [];
      f["Pulumi.yaml"]!.config["mesh:services"].value = [];
      f["Pulumi.yaml"]!.config["mesh:meshId"] = { type: "string", default: "mesh2" };
      f["Pulumi.cn-shanghai.yaml"]!.config["mesh:cluster"].ack.serviceCidr = "172.22.0.0/20";
      f["Pulumi.wuxi.yaml"]!.config["mesh:istio"].version = "1.31.0";
    });
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      [
        "disrupts cn-shanghai: mesh id mesh1 → mesh2",
        'destroys cn-shanghai: ACK serviceCidr "172.21.0.0/20" → "172.22.0.0/20"',
        "destroys cn-shanghai: catalog service dev/helloworld removed",
        "disrupts wuxi: mesh id mesh1 → mesh2",
        "disrupts wuxi: Istio 1.30.3 → 1.31.0 in place",
        "destroys wuxi: catalog service dev/helloworld removed",
        "destroys wuxi: peer organization/mesh/cn-shanghai removed",
        // the root's subject carries the mesh id: a new root for the whole mesh
        "disrupts cn-shanghai: mesh root CA re-issued (subject.commonName mesh1 root CA → mesh2 root CA, subject.organization mesh1 → mesh2)",
      ],
    );
    assert.match(d.disruptions.find((x) => x.what.startsWith("Istio"))!.advice, /mesh upgrade --to 1\.31\.0/);
    assert.ok(
      d.stacks
        .find((s) => s.stack === "wuxi")!
        .objects.some((o) => o.change === "removed" && o.item === "Secret istio-system/istio-remote-secret-cn-shanghai"),
    );
  });

  it("never shows a secret: a changed secure value is [secret] on both sides", () => {
    const secure = (v: string) => (f: Record<string, Doc>) =>
      (f["Pulumi.wuxi.yaml"]!.config["mesh:cluster"] = {
        name: "wuxi",
        kubeconfig: { secure: v },
        apiServer: "https://10.18.10.10:6443",
        network: "network-wuxi",
      });
    const d = diffMesh(readProject(project(secure("v1:AAAAold"))), readProject(project(secure("v1:BBBBnew"))), "base");
    const text = JSON.stringify(d);
    assert.ok(!text.includes("AAAAold") && !text.includes("BBBBnew"));
  });
});

const trustOf = (f: Record<string, Doc>, stack: string) => f[`Pulumi.${stack}.yaml`]!.config["mesh:trust"] as Record<string, unknown>;
const CN_ROOT = "tls.SelfSignedCert cn-shanghai-root";

describe("the trust resources: every input, and what its change does", () => {
  it("a root validity change re-issues the mesh root: every stack's intermediate follows, no stack shown unchanged", () => {
    const d = diff((f) => (trustOf(f, "cn-shanghai").rootValidityHours = 43800));
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["disrupts cn-shanghai: mesh root CA re-issued (validityPeriodHours 87600 → 43800)"],
    );
    assert.match(d.disruptions[0]!.advice, /^a mesh-wide trust change: every stack re-issues its intermediate .*\(mesh converge\)/);
    assert.deepEqual(
      d.stacks.map((s) => [s.stack, s.change, s.objects.length + s.releases.length + s.cloud.length]),
      [
        ["cn-shanghai", "changed", 0],
        ["wuxi", "changed", 0],
      ],
    );
    assert.deepEqual(d.stacks.find((s) => s.stack === "cn-shanghai")!.certificates, [
      { item: CN_ROOT, change: "changed", fields: [{ path: "validityPeriodHours", before: 87600, after: 43800 }], effect: "replaced" },
      {
        item: "tls.LocallySignedCert cn-shanghai-intermediate",
        change: "changed",
        fields: [{ path: "caCertPem", before: "cn-shanghai-root", after: "cn-shanghai-root (re-issued)" }],
        effect: "replaced",
      },
    ]);
    assert.deepEqual(d.stacks.find((s) => s.stack === "wuxi")!.certificates, [
      {
        item: "tls.LocallySignedCert wuxi-intermediate",
        change: "changed",
        fields: [{ path: "caCertPem", before: "trustRoot of cn-shanghai", after: "trustRoot of cn-shanghai (re-issued)" }],
        effect: "replaced",
      },
    ]);
    assert.match(renderDiffText(d), /^Mesh change against base: cn-shanghai, wuxi changed; 0 destructive, 1 disruptive\n/);
    assert.match(renderDiffText(d), /\n {2}~ tls\.SelfSignedCert cn-shanghai-root \(replaced\)\n {6}validityPeriodHours: 87600 → 43800\n/);
  });

  it("an intermediate validity change re-issues that stack's intermediate only", () => {
    const d = diff((f) => (trustOf(f, "wuxi").intermediateValidityHours = 8760));
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["disrupts wuxi: intermediate CA re-issued (validityPeriodHours 17520 → 8760)"],
    );
    assert.match(d.disruptions[0]!.advice, /istiod reloads it \(AUTO_RELOAD_PLUGIN_CERTS, on by default since Istio 1\.18\)/);
    assert.deepEqual(
      d.stacks.map((s) => [s.stack, s.change, s.certificates.map((c) => `${c.item} ${c.effect}`)]),
      [
        ["cn-shanghai", "unchanged", []],
        ["wuxi", "changed", ["tls.LocallySignedCert wuxi-intermediate replaced"]],
      ],
    );
  });

  it("moving the trust anchor: the old anchor's root removed, the new one's made, both stacks changed", () => {
    const d = diff((f) => {
      f["Pulumi.cn-shanghai.yaml"]!.config["mesh:trust"] = { rootStack: "organization/mesh/wuxi" };
      f["Pulumi.wuxi.yaml"]!.config["mesh:trust"] = { anchor: true };
    });
    assert.deepEqual(
      d.disruptions.map((x) => `${x.severity} ${x.stack}: ${x.what}`),
      ["disrupts cn-shanghai: trust anchor → rootStack", "disrupts wuxi: trust rootStack → anchor"],
    );
    assert.deepEqual(
      d.stacks.map((s) => [s.stack, s.change, s.certificates.map((c) => `${c.change} ${c.item}${c.effect ? ` ${c.effect}` : ""}`)]),
      [
        [
          "cn-shanghai",
          "changed",
          [
            "removed tls.PrivateKey cn-shanghai-root-key",
            "removed tls.SelfSignedCert cn-shanghai-root",
            "changed tls.LocallySignedCert cn-shanghai-intermediate replaced",
          ],
        ],
        [
          "wuxi",
          "changed",
          [
            "added tls.PrivateKey wuxi-root-key",
            "added tls.SelfSignedCert wuxi-root",
            "changed tls.LocallySignedCert wuxi-intermediate replaced",
          ],
        ],
      ],
    );
  });

  it("a stack named by a disruption is never shown unchanged", () => {
    for (const change of [
      (f: Record<string, Doc>) => (trustOf(f, "cn-shanghai").rootValidityHours = 43800),
      (f: Record<string, Doc>) => (trustOf(f, "wuxi").intermediateValidityHours = 8760),
      (f: Record<string, Doc>) => (f["Pulumi.yaml"]!.config["mesh:meshId"] = { type: "string", default: "mesh2" }),
      (f: Record<string, Doc>) => (f["Pulumi.wuxi.yaml"]!.config["mesh:cluster"].network = "network-wuxi-2"),
    ]) {
      const d = diff(change);
      assert.ok(d.disruptions.length > 0);
      for (const x of d.disruptions) assert.notEqual(d.stacks.find((s) => s.stack === x.stack)?.change, "unchanged", x.what);
    }
  });

  it("trustResources names every input the program gives its tls resources", () => {
    const files = readProject(FIXTURE_PROJECT);
    const cn = trustResources(validStacks(files).get("cn-shanghai")!);
    assert.deepEqual(
      cn.map((r) => [r.key, Object.keys(r.body).sort()]),
      [
        ["tls.PrivateKey cn-shanghai-root-key", ["algorithm", "rsaBits"]],
        ["tls.SelfSignedCert cn-shanghai-root", ["allowedUses", "isCaCertificate", "privateKeyPem", "subject", "validityPeriodHours"]],
        ["tls.PrivateKey cn-shanghai-intermediate-key", ["algorithm", "rsaBits"]],
        ["tls.CertRequest cn-shanghai-intermediate-csr", ["privateKeyPem", "subject"]],
        [
          "tls.LocallySignedCert cn-shanghai-intermediate",
          [
            "allowedUses",
            "caCertPem",
            "caPrivateKeyPem",
            "certRequestPem",
            "earlyRenewalHours",
            "isCaCertificate",
            "maxPathLength",
            "validityPeriodHours",
          ],
        ],
      ],
    );
    // only the early renewal window is changed in place; every other input is a new certificate or key
    assert.equal(replaces(["earlyRenewalHours"]), false);
    for (const path of ["validityPeriodHours", "subject.organization", "allowedUses[0]", "rsaBits", "maxPathLength", "caCertPem"])
      assert.equal(replaces([path]), true, path);
  });
});

describe("--fail-on: what fails CI", () => {
  const run = (change: (f: Record<string, Doc>) => void, failOn?: "refused" | "destroys" | "disrupts") => {
    let out = "";
    let err = "";
    const code = runPlan(
      { dir: project(change), format: "json", diff: project(), ...(failOn ? { failOn } : {}) },
      (s) => (out += s),
      (s) => (err += s),
    );
    return { code, err, diff: JSON.parse(out) as MeshDiff };
  };
  const disrupting = (f: Record<string, Doc>) => (trustOf(f, "cn-shanghai").rootValidityHours = 43800);
  const destroying = (f: Record<string, Doc>) => (f["Pulumi.wuxi.yaml"]!.config["mesh:peers"] = []);

  it("by default only a refused change exits 1; the JSON on stdout stays JSON", () => {
    const r = run(disrupting);
    assert.deepEqual([r.code, r.err, r.diff.schemaVersion], [EXIT.ok, "", 1]);
    assert.equal(run(destroying).code, EXIT.ok);
  });

  it("destroys: a destructive change exits 1, a disruptive one does not", () => {
    const r = run(destroying, "destroys");
    assert.equal(r.code, EXIT.findings);
    assert.equal(
      r.err,
      "mesh plan: exit 1: 1 change at or above --fail-on destroys: destroys wuxi: peer organization/mesh/cn-shanghai removed\n",
    );
    assert.equal(run(disrupting, "destroys").code, EXIT.ok);
  });

  it("disrupts: a disruptive change exits 1, and so does a destructive one", () => {
    const r = run(disrupting, "disrupts");
    assert.equal(r.code, EXIT.findings);
    assert.match(r.err, /^mesh plan: exit 1: 1 change at or above --fail-on disrupts: disrupts cn-shanghai: mesh root CA re-issued/);
    assert.equal(run(destroying, "disrupts").code, EXIT.findings);
    assert.equal(run(() => {}, "disrupts").code, EXIT.ok);
  });

  it("failingDisruptions takes each level with the ones above it", () => {
    const d = {
      disruptions: (["refused", "destroys", "disrupts", "no-effect"] as const).map((severity) => ({ severity })),
    } as unknown as MeshDiff;
    assert.deepEqual(
      FAIL_ON.map((level) => failingDisruptions(d, level).map((x) => x.severity)),
      [["refused"], ["refused", "destroys"], ["refused", "destroys", "disrupts"]],
    );
  });
});

describe("the JSON diff's schema", () => {
  const DIFF_DOC = readFileSync(join(PROJECT_DIR, "docs", "plan.md"), "utf8")
    .split("## Diff JSON format")[1]!
    .split("\n## ")[0]!;
  const documented = (table: string) =>
    [
      ...DIFF_DOC.split(table)[1]!
        .split("\n\n")[0]!
        .matchAll(/^\| `([A-Za-z]+)`/gm),
    ].map((m) => m[1]!);

  it("carries schemaVersion 1, and docs/plan.md documents every field of the diff and of a stack", () => {
    const d = diff((f) => (trustOf(f, "cn-shanghai").rootValidityHours = 43800));
    assert.equal(d.schemaVersion, 1);
    assert.deepEqual(documented("| field | what |").sort(), Object.keys(d).sort());
    assert.deepEqual(documented("| stack field | what |").sort(), Object.keys(d.stacks[0]!).sort());
  });

  it("mesh pr-comment refuses another schema version, saying how to make one it reads", () => {
    const d = { ...diff(() => {}), schemaVersion: 2 };
    assert.throws(() => parseDiffJson(JSON.stringify(d), "plan-diff.json"), {
      message:
        "plan-diff.json is a mesh plan diff of schemaVersion 2; this mesh reads schemaVersion 1: make it with mesh plan --diff <base> --format json > plan-diff.json, with this checkout",
    });
    const { certificates: _, ...noCertificates } = d.stacks[0]!;
    assert.throws(
      () => parseDiffJson(JSON.stringify({ ...d, schemaVersion: 1, stacks: [noCertificates] }), "plan-diff.json"),
      /stacks\.0\.certificates: required/,
    );
  });
});

describe("the command", () => {
  it("reads the base at a git ref with git show, without a checkout", () => {
    const dir = project();
    execFileSync("git", ["init", "-q", dir]);
    execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "."]);
    execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base"]);
    const wuxi = join(dir, "Pulumi.wuxi.yaml");
    writeFileSync(wuxi, readFileSync(wuxi, "utf8").replace("tls: 30880", "tls: 30990"));
    let out = "";
    const code = runPlan({ dir, format: "json", diff: "HEAD" }, (s) => (out += s));
    assert.equal(code, EXIT.ok);
    const d = JSON.parse(out) as MeshDiff;
    const gw = d.stacks.find((s) => s.stack === "wuxi")!.releases.find((r) => r.item === "release istio-eastwestgateway")!;
    assert.deepEqual(gw.fields, [{ path: "values.service.ports[1].nodePort", before: 30880, after: 30990 }]);
    assert.equal(execFileSync("git", ["-C", dir, "status", "--porcelain"], { encoding: "utf8" }), " M Pulumi.wuxi.yaml\n");
  });

  it("refuses a ref that git could take for an option, or one that does not exist", () => {
    for (const ref of ["--output=/tmp/x", "no-such-branch"]) {
      let out = "";
      assert.equal(
        runPlan({ dir: PROJECT_DIR, format: "text", diff: ref }, (s) => (out += s)),
        EXIT.unreadable,
      );
      assert.match(out, /^mesh plan: /);
    }
  });

  it("says a base that is neither a project folder nor a git ref is neither", () => {
    const file = join(project(), "Pulumi.yaml");
    writeFileSync(file, "name: mesh\n");
    const notFound = `no such commit in the repository of ${PROJECT_DIR}); if it is a ref, fetch it first, e.g. git fetch origin main`;
    for (const [base, message] of [
      [join(PROJECT_DIR, "..", "nonexist"), `neither a project folder (no such folder) nor a git ref (${notFound}`],
      [join(PROJECT_DIR, "docs"), `neither a project folder (no Pulumi.yaml in it) nor a git ref (${notFound}`],
      [file, `neither a project folder (a file, not a folder) nor a git ref (${notFound}`],
      ["--output=/tmp/x", "neither a project folder (no such folder) nor a git ref (not a git ref)"],
    ] as const) {
      let out = "";
      assert.equal(
        runPlan({ dir: PROJECT_DIR, format: "text", diff: base }, (s) => (out += s)),
        EXIT.unreadable,
      );
      assert.equal(out, `mesh plan: ${base}: ${message}`);
    }
  });

  it("copies a base folder too", () => {
    const base = project();
    copyFileSync(join(FIXTURE_PROJECT, "Pulumi.yaml"), join(base, "Pulumi.yaml"));
    let out = "";
    assert.equal(
      runPlan({ dir: FIXTURE_PROJECT, format: "text", diff: base }, (s) => (out += s)),
      EXIT.ok,
    );
    assert.match(out, /^Mesh change against .*: no stack changes; 0 destructive, 0 disruptive\n/);
  });
});

/**
 * What the provider does with each ACK field, from aliyun/terraform-provider-alicloud:
 * resource_alicloud_cs_managed_kubernetes.go (the schema's ForceNew flags;
 * resourceAlicloudCSManagedKubernetesUpdate, which sends only some fields; UpgradeAlicloudKubernetesCluster),
 * resource_alicloud_cs_kubernetes.go `migrateCluster` (ack.standard → ack.pro.* only) and
 * resource_alicloud_vswitch.go (cidr_block and zone_id ForceNew).
 */
describe("ACK changes as the provider applies them", () => {
  const ack = (change: (a: Record<string, any>) => void) =>
    diff((f) => change(f["Pulumi.cn-shanghai.yaml"]!.config["mesh:cluster"].ack as Record<string, any>));
  const said = (d: MeshDiff) => d.disruptions.map((x) => `${x.severity}: ${x.what}`);

  it("proxyMode, serviceCidr and podCidr replace the cluster", () => {
    const d = ack((a) => {
      a.proxyMode = "iptables";
      a.podCidr = "172.24.0.0/16";
    });
    assert.deepEqual(said(d), ['destroys: ACK podCidr "172.20.0.0/16" → "172.24.0.0/16"', 'destroys: ACK proxyMode "ipvs" → "iptables"']);
    assert.match(d.disruptions[0]!.advice, /replaced \(it is protected: the update fails instead\)/);
  });

  it("apiServerInternet (slbInternetEnabled) has no effect once the cluster exists, and is not called a replacement", () => {
    const d = ack((a) => (a.apiServerInternet = true));
    assert.deepEqual(said(d), ["no-effect: ACK slbInternetEnabled false → true"]);
    assert.equal(
      d.disruptions[0]!.advice,
      "has no effect once the cluster exists: the provider sets it at creation only and never updates it",
    );
    assert.match(renderDiffText(d), /^ {2}NO EFFECT cn-shanghai: ACK slbInternetEnabled false → true$/m);
  });

  it("clusterSpec: ack.standard → ack.pro.small migrates in place; back has no effect", () => {
    const up = diffMesh(
      readProject(project((f) => (f["Pulumi.cn-shanghai.yaml"]!.config["mesh:cluster"].ack.clusterSpec = "ack.standard"))),
      readProject(project()),
      "base",
    );
    assert.deepEqual(said(up), ['disrupts: ACK clusterSpec "ack.standard" → "ack.pro.small"']);
    assert.deepEqual(said(ack((a) => (a.clusterSpec = "ack.standard"))), ['no-effect: ACK clusterSpec "ack.pro.small" → "ack.standard"']);
  });

  it("a renamed cluster replaces every ACK resource: the program names them after it", () => {
    const d = diff((f) => (f["Pulumi.cn-shanghai.yaml"]!.config["mesh:cluster"].name = "cn-shanghai-2"));
    assert.ok(said(d).includes('destroys: ACK cluster name "cn-shanghai" → "cn-shanghai-2"'), said(d).join("\n"));
    assert.match(d.disruptions.find((x) => x.what.startsWith("ACK cluster name"))!.advice, /Pulumi resources/);
  });

  it("a changed zone or vSwitch CIDR replaces the vSwitch, which fails while it is in use", () => {
    const d = ack((a) => (a.vswitchCidrs[1] = "192.168.32.0/20"));
    assert.deepEqual(said(d), [
      "destroys: vSwitch cn-shanghai-f 192.168.16.0/20 replaced or removed (mesh:cluster.ack.zones, vswitchCidrs)",
    ]);
    assert.match(d.disruptions[0]!.advice, /DependencyViolation/);
  });

  it("refuses a Kubernetes downgrade: the diff has an error", () => {
    const d = ack((a) => (a.version = "1.32.7-aliyun.1"));
    assert.deepEqual(said(d), [
      "refused: Kubernetes 1.33.3-aliyun.1 → 1.32.7-aliyun.1 is a downgrade: ACK only upgrades a cluster (UpgradeCluster), and the update would fail after the rest of the stack had changed",
    ]);
    assert.equal(d.errors, 1);
    assert.equal(kubernetesVersionProblem("1.33.3-aliyun.1", "1.34.1-aliyun.1"), undefined);
  });

  it("lists the ACK resources' changes field by field, as for Helm values", () => {
    const d = ack((a) => {
      a.version = "1.34.1-aliyun.1";
      a.nodePools[0].desiredSize = 5;
    });
    const cn = d.stacks.find((s) => s.stack === "cn-shanghai")!;
    assert.equal(cn.change, "changed");
    assert.deepEqual(cn.cloud, [
      {
        item: "ACK cluster cn-shanghai",
        change: "changed",
        fields: [{ path: "version", before: "1.33.3-aliyun.1", after: "1.34.1-aliyun.1" }],
      },
      { item: "node pool cn-shanghai-system", change: "changed", fields: [{ path: "desiredSize", before: "3", after: "5" }] },
    ]);
    assert.deepEqual(d.disruptions, []);
    assert.match(renderDiffText(d), /^Mesh change against base: cn-shanghai changed;/);
    assert.match(renderDiffMarkdown(d), /\| ~ \| node pool cn-shanghai-system \| `desiredSize` \| `"3"` → `"5"` \|/);
  });
});

describe("the pull-request comment", () => {
  it("starts with its marker and a summary table, details collapsed", () => {
    const md = renderDiffMarkdown(diff((f) => (f["Pulumi.wuxi.yaml"]!.config["mesh:peers"] = [])));
    assert.ok(
      md.startsWith(`${DIFF_MARKER}\n### Mesh change against base: wuxi changed; 1 destructive, 0 disruptive\n\n| stack | change |`),
    );
    assert.match(md, /> \*\*Destroys\*\* `wuxi`: peer organization\/mesh\/cn-shanghai removed/);
    assert.match(md, /<details><summary>wuxi: 1 item changed \(releases, objects, cloud and trust resources\)<\/summary>/);
  });

  it("always fits GitHub's limit, counting what it left out", () => {
    const d = diff((f) => {
      f["Pulumi.yaml"]!.config["mesh:services"].value = Array.from({ length: 1500 }, (_, i) => ({
        name: `svc-${i}`,
        namespace: `team-${i % 40}`,
        ports: [{ name: "http", port: 8080 }],
      }));
    });
    const md = renderDiffMarkdown(d);
    assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length}`);
    assert.match(md, /_\d+ more sections? did not fit in this comment: see the job summary or the plan-diff artifact\._\n$/);
    assert.ok(md.startsWith(DIFF_MARKER));
  });
});
