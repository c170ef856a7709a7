/**
 * The classes of bad input found by mutating the stack configs, each as a table: the change, exactly
 * the paths reported, and (where it matters) the fix. Messages never carry a credential or key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStrings } from "../model/decode";
import { ConfigError, type ConfigIssue } from "../model/errors";
import { X509Certificate } from "node:crypto";
import { assessPeer } from "../model/peers";
import { outlivesRoot } from "../model/trust";
import { IDENTITY_VALUES, MAX_DEPTH, validateConfig } from "../model/validate";
import { ackConfig } from "./fixtures/ack";
import { onPrem } from "./fixtures/on-prem";
import { INTERMEDIATE_CERT, INTERMEDIATE_KEY, LEAF_CERT, LEAF_KEY, OTHER_KEY, OTHER_ROOT_CERT, ROOT_CERT, ROOT_KEY } from "./fixtures/pki";
import { MESH_ROOT, wuxiOutputs } from "./fixtures/stacks";

const PASSWORD = "S3cr3tPa55w0rd";
const KEY_LINE = ROOT_KEY.split("\n")[5]!;

function onAck(): Record<string, any> {
  return {
    ...onPrem(),
    cluster: { name: "cn-shanghai", ack: ackConfig() },
    eastWestGateway: {},
    peers: ["organization/mesh/wuxi"],
    trust: { anchor: true },
  };
}

function issuesOf(mesh: Record<string, unknown>): ConfigIssue[] {
  const ack = (mesh.cluster as { ack?: unknown } | undefined)?.ack !== undefined;
  try {
    validateConfig({
      stack: { organization: "organization", project: "mesh", stack: ack ? "cn-shanghai" : "wuxi" },
      mesh,
      alicloudRegion: ack ? "cn-shanghai" : undefined,
      secretKeys: ["cluster", "trust"],
    });
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    for (const s of [PASSWORD, KEY_LINE]) assert.ok(!e.message.includes(s), `the report echoes a secret:\n${e.message}`);
    return [...e.issues];
  }
}

interface Case {
  readonly name: string;
  readonly base?: () => Record<string, any>;
  readonly change: (m: Record<string, any>) => void;
  readonly paths: readonly string[];
  readonly fix?: string;
}

function table(cases: readonly Case[]): void {
  for (const c of cases) {
    it(c.paths.length === 0 ? `accepts ${c.name}` : `reports ${c.name}`, () => {
      const m = (c.base ?? onPrem)();
      c.change(m);
      const issues = issuesOf(m);
      assert.deepEqual(issues.map((i) => i.path).sort(), [...c.paths].sort(), JSON.stringify(issues, null, 1));
      if (c.fix) assert.ok(issues[0]!.fix.includes(c.fix), `fix ${JSON.stringify(issues[0]!.fix)} should mention ${c.fix}`);
    });
  }
}

const port = (name: string, p: number) => ({ name, port: p });

describe("names the program derives", () => {
  table([
    {
      name: "two services whose resource names collide (dev/a-b and dev-a/b)",
      change: (m) =>
        m.services.push(
          { name: "a-b", namespace: "dev", ports: [port("http", 80)] },
          { name: "b", namespace: "dev-a", ports: [port("http", 80)] },
        ),
      paths: ["mesh:services[2]"],
      fix: "rename one",
    },
    {
      name: "a catalog service in istio-system (it could replace the gateway's Service)",
      change: (m) => m.services.push({ name: "istio-eastwestgateway", namespace: "istio-system", ports: [port("tls", 15443)] }),
      paths: ["mesh:services[1].namespace"],
    },
    ...["kube-system", "kube-public", "kube-node-lease"].map((ns) => ({
      name: `a catalog service in ${ns}`,
      change: (m: Record<string, any>) => m.services.push({ name: "dns", namespace: ns, ports: [port("dns", 53)] }),
      paths: ["mesh:services[1].namespace"],
    })),
    {
      name: "a cluster name whose default network label exceeds 63 characters",
      change: (m) => (m.cluster.name = "a".repeat(56)),
      paths: ["mesh:cluster.network"],
      fix: "mesh:cluster.network",
    },
    { name: "the longest cluster name whose default network still fits", change: (m) => (m.cluster.name = "a".repeat(55)), paths: [] },
    {
      name: "a long cluster name with its own network",
      change: (m) => ((m.cluster.name = "a".repeat(63)), (m.cluster.network = "n1")),
      paths: [],
    },
    {
      name: "a revision making istiod-<revision> longer than Helm's 53",
      change: (m) => (m.istio.revision = "r".repeat(47)),
      paths: ["mesh:istio.revision"],
    },
    { name: "the longest revision Helm takes", change: (m) => (m.istio.revision = "r".repeat(46)), paths: [] },
    ...["abcdefghijklmnop", "--", "a--b", "123", "-a", "Grpc"].map((t) => ({
      name: `targetPort ${JSON.stringify(t)}, not a container port name`,
      change: (m: Record<string, any>) => (m.services[0].ports[0].targetPort = t),
      paths: ["mesh:services[0].ports[0].targetPort"],
    })),
    { name: "a 15-character container port name", change: (m) => (m.services[0].ports[0].targetPort = "abcdefghijklmno"), paths: [] },
    // Kubernetes validates a Service port's name as a DNS label (63); 15 is the limit of named container ports
    { name: "a Service port name of 20 characters", change: (m) => (m.services[0].ports[0].name = "http-" + "a".repeat(15)), paths: [] },
    {
      name: "a Service port name of 64 characters",
      change: (m) => (m.services[0].ports[0].name = "a".repeat(64)),
      paths: ["mesh:services[0].ports[0].name"],
    },
    {
      name: "a selector value that is not a label value",
      change: (m) => (m.services[0].selector = { app: "a".repeat(64) }),
      paths: ["mesh:services[0].selector.app"],
    },
    {
      name: "a node pool whose ACK name (<cluster>-<pool>) exceeds 63",
      base: onAck,
      change: (m) => (m.cluster.ack.nodePools[0].name = "p".repeat(52)),
      paths: ["mesh:cluster.ack.nodePools[0].name"],
    },
    { name: "a node pool name that just fits", base: onAck, change: (m) => (m.cluster.ack.nodePools[0].name = "p".repeat(51)), paths: [] },
  ]);
});

describe("identity through the escape hatch", () => {
  table(
    IDENTITY_VALUES.map(({ chart, path, use }) => ({
      name: `mesh:istio.values.${chart}.${path.join(".")}`,
      change: (m: Record<string, any>) => {
        let at = ((m.istio.values ??= {})[chart] ??= {});
        for (const seg of path.slice(0, -1)) at = at[seg] ??= {};
        at[path[path.length - 1]!] = "x";
      },
      paths: [
        `mesh:istio.values.${chart}.${path
          .map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `["${s}"]`))
          .join(".")
          .replace(/\.\[/g, "[")}`,
      ],
      fix: use.startsWith("mesh:") ? use : undefined,
    })),
  );
});

describe("addresses", () => {
  table([
    ...[
      "127.0.0.1",
      "127.9.9.9",
      "0.0.0.0",
      "::1",
      "::",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "0x0a.0.0.1",
      "1",
      "010.18.10.196",
      "10.1",
      "10.18.10.196 ",
    ].map((ip) => ({
      name: `externalIPs ${JSON.stringify(ip)}`,
      change: (m: Record<string, any>) => (m.eastWestGateway.service.externalIPs = [ip]),
      paths: ["mesh:eastWestGateway.service.externalIPs[0]"],
    })),
    { name: "an IPv6 external IP", change: (m) => (m.eastWestGateway.service.externalIPs = ["fd00::10"]), paths: [] },
    ...[
      "https://127.0.0.1:6443",
      "https://127.1:6443",
      "https://0x7f000001:6443",
      "https://localhost:6443",
      "https://[::1]:6443",
      "https://[::ffff:127.0.0.1]:6443",
      "https://0.0.0.0:6443",
      "https://[::]:6443",
      "https://1:6443",
      "https://0x0a.0.0.1:6443",
    ].map((url) => ({
      name: `apiServer ${url}`,
      change: (m: Record<string, any>) => (m.cluster.apiServer = url),
      paths: ["mesh:cluster.apiServer"],
      fix: "the other clusters reach",
    })),
    {
      name: "apiServer with user:password@",
      change: (m) => (m.cluster.apiServer = `https://admin:${PASSWORD}@10.18.10.10:6443`),
      paths: ["mesh:cluster.apiServer"],
      fix: "without credentials",
    },
    {
      name: "apiServer with a token@",
      change: (m) => (m.cluster.apiServer = `https://${PASSWORD}@10.18.10.10:6443`),
      paths: ["mesh:cluster.apiServer"],
    },
    {
      name: "a chart repository with user:password@",
      change: (m) => (m.istio.repo = `https://u:${PASSWORD}@charts.example.com/istio`),
      paths: ["mesh:istio.repo"],
    },
    {
      name: "an OCI registry with robot:password@",
      change: (m) => (m.istio.repo = `oci://robot:${PASSWORD}@registry.example.com/istio`),
      paths: ["mesh:istio.repo"],
    },
    { name: "an API server by DNS name", change: (m) => (m.cluster.apiServer = "https://api.wuxi.example.internal:6443"), paths: [] },
  ]);
});

describe("trust material and lifetimes", () => {
  const pki = (p: Record<string, string>) => (m: Record<string, any>) => (m.trust = { pki: p });
  table([
    { name: "a root and its key", change: pki({ rootCert: ROOT_CERT, rootKey: ROOT_KEY }), paths: [] },
    {
      name: "a complete intermediate issued by the root",
      change: pki({
        rootCert: ROOT_CERT,
        intermediateCert: INTERMEDIATE_CERT,
        intermediateKey: INTERMEDIATE_KEY,
        certChain: INTERMEDIATE_CERT + ROOT_CERT,
      }),
      paths: [],
    },
    { name: "a private key in rootCert", change: pki({ rootCert: ROOT_KEY, rootKey: ROOT_KEY }), paths: ["mesh:trust.pki.rootCert"] },
    { name: "text that is not PEM in rootCert", change: pki({ rootCert: "root", rootKey: ROOT_KEY }), paths: ["mesh:trust.pki.rootCert"] },
    { name: "a certificate in rootKey", change: pki({ rootCert: ROOT_CERT, rootKey: ROOT_CERT }), paths: ["mesh:trust.pki.rootKey"] },
    {
      name: "a PEM-shaped key that does not parse",
      change: pki({ rootCert: ROOT_CERT, rootKey: `-----BEGIN PRIVATE KEY-----\n${PASSWORD}\n-----END PRIVATE KEY-----\n` }),
      paths: ["mesh:trust.pki.rootKey"],
    },
    { name: "a key of another certificate", change: pki({ rootCert: ROOT_CERT, rootKey: OTHER_KEY }), paths: ["mesh:trust.pki.rootKey"] },
    {
      name: "an intermediate another root issued",
      change: pki({
        rootCert: OTHER_ROOT_CERT,
        intermediateCert: INTERMEDIATE_CERT,
        intermediateKey: INTERMEDIATE_KEY,
        certChain: INTERMEDIATE_CERT,
      }),
      paths: ["mesh:trust.pki.intermediateCert"],
    },
    {
      name: "a workload certificate (CA:FALSE) as root",
      change: pki({ rootCert: LEAF_CERT, rootKey: LEAF_KEY }),
      paths: ["mesh:trust.pki.rootCert"],
    },
    {
      name: "a key in certChain",
      change: pki({ rootCert: ROOT_CERT, intermediateCert: INTERMEDIATE_CERT, intermediateKey: INTERMEDIATE_KEY, certChain: ROOT_KEY }),
      paths: ["mesh:trust.pki.certChain"],
    },
    {
      name: "an intermediate living 24 hours",
      change: (m) => (m.trust = { anchor: true, intermediateValidityHours: 24 }),
      paths: ["mesh:trust.intermediateValidityHours"],
    },
    {
      name: "an intermediate inside its renewal window",
      change: (m) => (m.trust = { anchor: true, intermediateValidityHours: 1439 }),
      paths: ["mesh:trust.intermediateValidityHours"],
    },
    {
      name: "an intermediate outliving its root",
      change: (m) => (m.trust = { anchor: true, rootValidityHours: 8760, intermediateValidityHours: 17520 }),
      paths: ["mesh:trust.intermediateValidityHours"],
    },
    {
      name: "a root living 1e12 hours",
      change: (m) => (m.trust = { anchor: true, rootValidityHours: 1e12 }),
      paths: ["mesh:trust.rootValidityHours"],
    },
    {
      name: "an intermediate living 1e12 hours",
      change: (m) => (m.trust = { rootStack: "organization/mesh/cn-shanghai", intermediateValidityHours: 1e12 }),
      paths: ["mesh:trust.intermediateValidityHours"],
    },
  ]);
});

describe("credentials in plain config", () => {
  const plain = (mesh: Record<string, unknown>) => {
    try {
      validateConfig({ stack: { organization: "organization", project: "mesh", stack: "wuxi" }, mesh });
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.ok(!e.message.includes(KEY_LINE));
      return e.issues.map((i) => i.path);
    }
  };
  it("refuses a kubeconfig that is not stored as a secret", () => {
    const m = onPrem();
    m.cluster = { name: "wuxi", kubeconfig: "apiVersion: v1", apiServer: "https://10.18.10.10:6443" };
    assert.deepEqual(plain(m), ["mesh:cluster.kubeconfig"]);
  });
  it("refuses CA keys that are not stored as secrets", () => {
    const m = onPrem();
    m.trust = { pki: { rootCert: ROOT_CERT, rootKey: ROOT_KEY } };
    assert.deepEqual(plain(m), ["mesh:trust.pki.rootKey"]);
  });
});

describe("an intermediate outliving the anchor's root (known only at run time, from the anchor's output)", () => {
  it("is reported with both dates; a shorter one, or a root Node cannot parse, passes", () => {
    // the test root expires in 2126: from 2120, 30 years would outlive it
    assert.equal(
      outlivesRoot(ROOT_CERT, 262800, new Date("2120-01-01T00:00:00Z")),
      `an intermediate of 262800 hours would end on 2149-12-24, after the mesh root expires on ${new Date(new X509Certificate(ROOT_CERT).validTo).toISOString().slice(0, 10)}`,
    );
    assert.equal(outlivesRoot(ROOT_CERT, 17520, new Date("2026-11-27T00:00:00Z")), undefined);
    assert.equal(outlivesRoot("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", 17520), undefined);
  });
});

describe("depth and size", () => {
  it(`refuses mesh:istio.values nested past ${MAX_DEPTH} levels, at once and with the path`, () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    const m = onPrem();
    m.istio.values = { istiod: { meshConfig: deep } };
    const issues = issuesOf(m);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, `mesh:istio.values.istiod.meshConfig${".a".repeat(MAX_DEPTH - 2)}`);
    assert.match(issues[0]!.message, /nested deeper than 64 levels/);
  });
});

describe("config as the CLI hands it over", () => {
  it("takes a YAML scalar the CLI passes as a string (mesh:meshId: 123), as the program does", () => {
    const strings = {
      meshId: "123",
      istio: JSON.stringify({ version: "1.30.3" }),
      cluster: JSON.stringify({ name: "wuxi", kubeContext: "wuxi" }),
    };
    const m = validateStrings({ stack: { organization: "organization", project: "mesh", stack: "wuxi" }, strings });
    assert.equal(m.meshId, "123");
  });

  it("reports an undecodable key and the other keys' problems together", () => {
    const strings = { istio: "{not json", cluster: JSON.stringify({ name: "Wuxi", kubeContext: "wuxi" }) };
    assert.throws(
      () => validateStrings({ stack: { organization: "organization", project: "mesh", stack: "wuxi" }, strings }),
      (e: unknown) =>
        e instanceof ConfigError &&
        JSON.stringify(e.issues.map((i) => i.path).sort()) === JSON.stringify(["mesh:cluster.name", "mesh:istio"]),
    );
  });
});

describe("peer outputs", () => {
  const local = {
    stack: "organization/mesh/cn-shanghai",
    clusterName: "cn-shanghai",
    network: "network-cn-shanghai",
    meshId: "mesh1",
    trustRoot: MESH_ROOT,
  };
  for (const [what, change, fragment] of [
    ["a clusterName that is not a Kubernetes name", { clusterName: "Wuxi_1" }, "clusterName is not a DNS-1123 label"],
    ["a clusterName of 64 characters", { clusterName: "w".repeat(64) }, "clusterName is not a DNS-1123 label"],
    ["a network that is not a label value", { network: "network wuxi" }, "network is not a label value"],
  ] as const) {
    it(`refuses ${what}`, () => {
      const a = assessPeer(local, "organization/mesh/wuxi", { ...wuxiOutputs(), ...change });
      assert.equal(a.state.status, "pending");
      assert.ok(
        a.problems.some((p) => p.includes(fragment)),
        a.problems.join("\n"),
      );
    });
  }
});
