/** Pure rules behind the cross-cluster links, trust files, and the catalog's objects. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromYaml } from "../model/yaml";
import { assessPeer, type LocalIdentity } from "../model/peers";
import { parseRemoteKubeconfig, remoteSecret, renderRemoteKubeconfig, tokenGenerations } from "../model/remote";
import { localityDestinationRule, meshNamespaces, mirroredService } from "../model/services";
import { ServiceSchema } from "../model/schema";
import { cacertsData, isPem } from "../model/trust";
import { b64, pem } from "../automation/simulated/stand-in";
import { MESH_ROOT, remoteKubeconfig, WUXI_KUBECONFIG, wuxiOutputs } from "./fixtures/stacks";
import { istioObjectProblems } from "./istio-schemas";

const LOCAL: LocalIdentity = {
  stack: "organization/mesh/cn-shanghai",
  clusterName: "cn-shanghai",
  network: "network-cn-shanghai",
  meshId: "mesh1",
  trustRoot: MESH_ROOT,
};
const WUXI = "organization/mesh/wuxi";

describe("assessing a peer", () => {
  it("links a peer of the same mesh", () => {
    const a = assessPeer(LOCAL, WUXI, wuxiOutputs());
    assert.deepEqual(a, {
      state: {
        stack: WUXI,
        status: "linked",
        cluster: "wuxi",
        network: "network-wuxi",
        server: "https://10.18.10.10:6443",
        trustRoot: MESH_ROOT,
      },
      problems: [],
      warnings: [],
    });
  });

  it("waits for a peer that has exported only part of its outputs", () => {
    const { remoteSecret: _, ...partial } = wuxiOutputs();
    const a = assessPeer(LOCAL, WUXI, partial);
    assert.deepEqual(a.state, {
      stack: WUXI,
      status: "pending",
      missing: ["remoteSecret"],
      next: "pulumi up -s wuxi, then pulumi up -s cn-shanghai again",
    });
    assert.deepEqual(a.problems, []);
  });

  const problems: [string, Record<string, unknown>, RegExp][] = [
    ["another mesh id", { meshId: "mesh2" }, /its mesh id is "mesh2", ours is "mesh1"/],
    [
      "our cluster name",
      { clusterName: "cn-shanghai", remoteSecret: remoteKubeconfig("cn-shanghai", "https://10.18.10.10:6443", "t") },
      /its cluster name "cn-shanghai" is ours too/,
    ],
    ["our network", { network: "network-cn-shanghai" }, /its network "network-cn-shanghai" is ours too/],
    ["another root", { trustRoot: pem("CERTIFICATE", "x") }, /its trust root differs from ours/],
    [
      "a placeholder secret",
      { remoteSecret: "ciphertext" },
      /its remoteSecret is not a kubeconfig istiod can use \(it is not a kubeconfig\)/,
    ],
    [
      "a kubeconfig for another cluster",
      { remoteSecret: remoteKubeconfig("hangzhou", "https://10.30.0.10:6443", "t") },
      /its remoteSecret is for cluster "hangzhou", not "wuxi"/,
    ],
    [
      "a kubeconfig with exec auth",
      { remoteSecret: WUXI_KUBECONFIG.replace(/token: .*/, "token: t\n      exec: { command: aliyun }") },
      /its user has exec, which a remote secret of this mesh may not carry \(only a bearer token\)/,
    ],
    [
      "a kubeconfig that sends its token through a proxy",
      { remoteSecret: WUXI_KUBECONFIG.replace(/server: (.*)/, "server: $1\n      proxy-url: http://10.0.0.9:3128") },
      /its remoteSecret is not a kubeconfig istiod can use \(cluster wuxi has proxy-url, which sends the connection, and its credentials, through a proxy it names\)/,
    ],
    [
      "a kubeconfig that skips TLS checks",
      { remoteSecret: WUXI_KUBECONFIG.replace(/server: (.*)/, "server: $1\n      insecure-skip-tls-verify: true") },
      /\(cluster wuxi has insecure-skip-tls-verify, which turns off the check of the server's certificate\)/,
    ],
  ];
  for (const [name, change, pattern] of problems) {
    it(`refuses ${name}, naming the peer and the fix`, () => {
      const a = assessPeer(LOCAL, WUXI, { ...wuxiOutputs(), ...change });
      assert.equal(a.problems.length, 1, a.problems.join("\n"));
      assert.match(a.problems[0]!, pattern);
      assert.match(a.problems[0]!, /^peer organization\/mesh\/wuxi: .*\n {4}fix: /);
      assert.equal(a.state.status, "pending");
    });
  }

  it("warns when the peer does not list us back", () => {
    const a = assessPeer(LOCAL, WUXI, wuxiOutputs(["hangzhou"]));
    assert.deepEqual(a.warnings, [
      "organization/mesh/wuxi does not list organization/mesh/cn-shanghai in mesh:peers: its istiod does not read cn-shanghai, so calls from wuxi do not reach cn-shanghai (expected while cn-shanghai is being added)\n    fix: add organization/mesh/cn-shanghai to mesh:peers in Pulumi.wuxi.yaml, then run pulumi up -s wuxi",
    ]);
  });

  it("skips the root comparison when ours is made during the run (the anchor)", () => {
    const { trustRoot: _, ...anchor } = LOCAL;
    assert.deepEqual(assessPeer(anchor, WUXI, { ...wuxiOutputs(), trustRoot: pem("CERTIFICATE", "x") }).problems, []);
  });
});

describe("remote kubeconfig", () => {
  const input = { cluster: "wuxi", server: "https://10.18.10.10:6443", caData: b64(pem("CERTIFICATE", "ca")), tokenData: b64("jwt") };

  it("renders one cluster, context and user named after the cluster, with the decoded token", () => {
    const kc = fromYaml(renderRemoteKubeconfig(input)) as any;
    assert.deepEqual(kc.clusters, [{ name: "wuxi", cluster: { "certificate-authority-data": input.caData, server: input.server } }]);
    assert.deepEqual(kc.contexts, [{ name: "wuxi", context: { cluster: "wuxi", user: "wuxi" } }]);
    assert.deepEqual(kc.users, [{ name: "wuxi", user: { token: "jwt" } }]);
    assert.equal(kc["current-context"], "wuxi");
    assert.deepEqual(parseRemoteKubeconfig(renderRemoteKubeconfig(input)), { cluster: "wuxi", server: input.server });
  });

  it("refuses to render before the token controller has filled the Secret", () => {
    assert.throws(() => renderRemoteKubeconfig({ ...input, tokenData: "" }), /has no token yet/);
    assert.throws(() => renderRemoteKubeconfig({ ...input, caData: "" }), /has no ca.crt yet/);
  });

  it("keeps the current and the previous token generation", () => {
    assert.deepEqual(tokenGenerations(1), [1]);
    assert.deepEqual(tokenGenerations(2), [1, 2]);
    assert.deepEqual(tokenGenerations(7), [6, 7]);
  });

  it("shapes the remote secret as istioctl does", () => {
    assert.deepEqual(remoteSecret("wuxi", "KC"), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "istio-remote-secret-wuxi",
        namespace: "istio-system",
        labels: { "istio/multiCluster": "true" },
        annotations: { "networking.istio.io/cluster": "wuxi" },
      },
      stringData: { wuxi: "KC" },
    });
  });
});

describe("trust files", () => {
  it("chains the intermediate to the root unless the PKI gives its own chain", () => {
    const m = { intermediateCert: "I", intermediateKey: "K", rootCert: "R\n" };
    assert.deepEqual(cacertsData(m), { "ca-cert.pem": "I\n", "ca-key.pem": "K\n", "root-cert.pem": "R\n", "cert-chain.pem": "I\nR\n" });
    assert.equal(cacertsData({ ...m, certChain: "I\nX\nR" })["cert-chain.pem"], "I\nX\nR\n");
  });
  it("tells PEM from a placeholder", () => {
    assert.ok(isPem(MESH_ROOT, "CERTIFICATE"));
    assert.ok(isPem("-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----", "PRIVATE KEY"));
    assert.ok(!isPem("[secret]", "CERTIFICATE"));
    assert.ok(!isPem(undefined, "PRIVATE KEY"));
  });
});

describe("catalog objects", () => {
  const svc = (extra: Record<string, unknown> = {}) =>
    ServiceSchema.parse({ name: "helloworld", namespace: "dev", ports: [{ name: "http", port: 5000 }], ...extra });

  it("opts each namespace in once", () => {
    const services = [svc(), svc({ name: "ratings" }), svc({ namespace: "prod" })];
    assert.deepEqual(meshNamespaces(services), [
      { name: "dev", labels: { "istio-injection": "enabled" } },
      { name: "prod", labels: { "istio-injection": "enabled" } },
    ]);
    assert.deepEqual(meshNamespaces(services, "1-30")[0], { name: "dev", labels: { "istio.io/rev": "1-30" } });
  });

  it("mirrors ports with their target ports, protocols and app protocols", () => {
    const s = svc({
      selector: { app: "hello", version: "v1" },
      ports: [
        { name: "grpc", port: 9000, targetPort: "grpc", appProtocol: "grpc" },
        { name: "dns", port: 53, protocol: "UDP" },
      ],
    });
    assert.deepEqual(mirroredService(s).spec, {
      type: "ClusterIP",
      selector: { app: "hello", version: "v1" },
      ports: [
        { name: "grpc", port: 9000, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" },
        { name: "dns", port: 53, targetPort: 53, protocol: "UDP" },
      ],
    });
  });

  const rules: [string, Record<string, unknown>, unknown][] = [
    ["preferLocal", {}, { enabled: true, failoverPriority: ["topology.istio.io/cluster"] }],
    [
      "failover between regions",
      { locality: { mode: "failover", failover: [{ from: "cn-shanghai", to: "cn-wuxi" }] } },
      { enabled: true, failover: [{ from: "cn-shanghai", to: "cn-wuxi" }], failoverPriority: ["topology.istio.io/cluster"] },
    ],
    [
      "weighted distribution",
      { locality: { mode: "distribute", distribute: [{ from: "cn-shanghai/*", to: { "cn-shanghai/*": 80, "cn-wuxi/*": 20 } }] } },
      { enabled: true, distribute: [{ from: "cn-shanghai/*", to: { "cn-shanghai/*": 80, "cn-wuxi/*": 20 } }] },
    ],
  ];
  for (const [name, extra, expected] of rules) {
    it(`writes a valid DestinationRule for ${name}`, () => {
      const dr = localityDestinationRule(svc(extra));
      assert.deepEqual((dr.spec as any).trafficPolicy.loadBalancer.localityLbSetting, expected);
      assert.deepEqual(istioObjectProblems(dr as any), []);
    });
  }

  it("lets a service tune outlier detection over the fast defaults", () => {
    const dr = localityDestinationRule(svc({ outlierDetection: { consecutive5xxErrors: 3, baseEjectionTime: "30s" } }));
    assert.deepEqual((dr.spec as any).trafficPolicy.outlierDetection, {
      consecutive5xxErrors: 3,
      interval: "1s",
      baseEjectionTime: "30s",
      maxEjectionPercent: 100,
    });
  });
});
