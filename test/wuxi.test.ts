/**
 * The wuxi stack from the fixture project's stack files, after the cn-shanghai anchor has run: an existing
 * cluster by kube context, NodePort gateway, an intermediate from the anchor's root, linked.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { fromYaml } from "../model/yaml";
import { isSecretValue, pem, providerRef, runProgram, unwrapSecret, type ProgramRun } from "../tools/engine/mock-run";
import { CN_SHANGHAI_KUBECONFIG, cnShanghaiOutputs, MESH_ROOT, MESH_ROOT_KEY } from "./fixtures/stacks";
import { gatewayValuesProblems, istioObjectProblems } from "./istio-schemas";
import { FIXTURE_PROJECT } from "./fixtures/project";

const RELEASE = "kubernetes:helm.sh/v3:Release";
let run: ProgramRun;

before(async () => {
  run = await runProgram({
    projectDir: FIXTURE_PROJECT,
    stack: "wuxi",
    peerOutputs: { "organization/mesh/cn-shanghai": cnShanghaiOutputs() },
  });
});

describe("wuxi: cluster", () => {
  it("provisions nothing in a cloud: providers for the existing cluster, its trust, Istio primary, links and services", () => {
    assert.deepEqual(run.registrations.map((r) => `${r.read ? "read " : ""}${r.type} ${r.name}`).sort(), [
      "kubernetes:core/v1:Namespace wuxi-istio-system",
      "kubernetes:core/v1:Namespace wuxi-ns-dev",
      "kubernetes:core/v1:Secret wuxi-cacerts",
      "kubernetes:core/v1:Secret wuxi-cn-shanghai-remote-secret",
      "kubernetes:core/v1:Secret wuxi-reader-token-g1",
      "kubernetes:core/v1:Service wuxi-svc-dev-helloworld",
      "kubernetes:helm.sh/v3:Release wuxi-istio-base",
      "kubernetes:helm.sh/v3:Release wuxi-istio-eastwestgateway",
      "kubernetes:helm.sh/v3:Release wuxi-istiod",
      "kubernetes:networking.istio.io/v1:DestinationRule wuxi-dr-dev-helloworld",
      "kubernetes:networking.istio.io/v1:Gateway wuxi-cross-network-gateway",
      "mesh:cluster:ExistingCluster wuxi",
      "mesh:istio:IstioControlPlane wuxi",
      "mesh:remote:PeerLink wuxi-cn-shanghai",
      "mesh:remote:RemoteAccess wuxi",
      "mesh:services:MeshServices wuxi",
      "mesh:trust:MeshTrust wuxi",
      "pulumi:providers:kubernetes wuxi-k8s",
      "pulumi:providers:kubernetes wuxi-k8s-adopting",
      "random:index/randomId:RandomId wuxi-reader-token-g1-suffix",
      "read kubernetes:core/v1:Service wuxi-istio-eastwestgateway-service",
      // one reference to cn-shanghai, though it is both the trust anchor and a peer
      "read pulumi:pulumi:StackReference organization/mesh/cn-shanghai",
      "tls:index/certRequest:CertRequest wuxi-intermediate-csr",
      "tls:index/locallySignedCert:LocallySignedCert wuxi-intermediate",
      "tls:index/privateKey:PrivateKey wuxi-intermediate-key",
    ]);
    assert.deepEqual(run.calls, []);
  });

  it("uses the operator's kube context `wuxi` and no kubeconfig of its own", () => {
    const provider = run.one("pulumi:providers:kubernetes", "wuxi-k8s");
    assert.equal(provider.inputs.context, "wuxi");
    assert.equal(provider.inputs.kubeconfig, undefined);
    assert.equal(provider.parent, run.urnOf("mesh:cluster:ExistingCluster", "wuxi"));
  });

  it("creates every Kubernetes object with the context's providers; only the catalog's objects are adopted", () => {
    const strict = providerRef(run.one("pulumi:providers:kubernetes", "wuxi-k8s"));
    const adopting = run.one("pulumi:providers:kubernetes", "wuxi-k8s-adopting");
    assert.deepEqual(adopting.inputs, { context: "wuxi", upsertExistingObjects: "true" });
    const shared = new Set(["wuxi-ns-dev", "wuxi-svc-dev-helloworld", "wuxi-dr-dev-helloworld"]);
    const kube = run.registrations.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(kube.length, 12);
    for (const r of kube) assert.equal(r.provider, shared.has(r.name) ? providerRef(adopting) : strict, `${r.type} ${r.name}`);
  });
});

describe("wuxi: Istio primary", () => {
  it("labels istio-system with network-wuxi", () => {
    const ns = run.one("kubernetes:core/v1:Namespace", "wuxi-istio-system");
    assert.deepEqual(ns.inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-wuxi" } });
  });

  it("gives istiod the mesh id, cluster name and network", () => {
    const values = run.one(RELEASE, "wuxi-istiod").inputs.values;
    assert.deepEqual(values, {
      global: {
        meshID: "mesh1",
        multiCluster: { clusterName: "wuxi" },
        network: "network-wuxi",
        hub: "harbor.wuxi.internal/istio",
        tag: "1.30.3",
      },
    });
  });

  it("renders the gateway without networkGateway so the tls node port can be fixed, setting what that mode sets", () => {
    const gw = run.one(RELEASE, "wuxi-istio-eastwestgateway");
    assert.equal(gw.inputs.timeout, 600);
    assert.equal(gw.inputs.skipAwait, false, "a NodePort Service has no address to wait for, so Helm's wait cannot hang on it");
    assert.deepEqual(gw.inputs.values, {
      name: "istio-eastwestgateway",
      autoscaling: { minReplicas: 2, maxReplicas: 5 },
      labels: { "topology.istio.io/network": "network-wuxi" },
      env: { ISTIO_META_REQUESTED_NETWORK_VIEW: "network-wuxi" },
      service: {
        type: "NodePort",
        // istiod parses the selector as JSON; {} with externalIPs is the on-prem workaround
        annotations: { "traffic.istio.io/nodeSelector": "{}" },
        externalIPs: ["10.18.10.196"],
        ports: [
          { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
          { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP", nodePort: 30880 },
          { name: "tls-istiod", port: 15012, targetPort: 15012, protocol: "TCP" },
          { name: "tls-webhook", port: 15017, targetPort: 15017, protocol: "TCP" },
        ],
      },
    });
    assert.deepEqual(gatewayValuesProblems(gw.inputs.values), []);
    assert.deepEqual(unknownChartValuePaths("gateway", "1.30.3", gw.inputs.values), []);
  });

  it("creates the cross-network Gateway after the gateway release", () => {
    const gw = run.one("kubernetes:networking.istio.io/v1:Gateway", "wuxi-cross-network-gateway");
    assert.deepEqual(istioObjectProblems(gw.inputs as any), []);
    assert.ok(gw.dependencies.includes(run.urnOf(RELEASE, "wuxi-istio-eastwestgateway")));
  });
});

describe("wuxi: trust and links", () => {
  it("issues its intermediate from the anchor's root, read from cn-shanghai's outputs", () => {
    const cert = run.one("tls:index/locallySignedCert:LocallySignedCert", "wuxi-intermediate");
    assert.equal(cert.inputs.caCertPem, MESH_ROOT);
    assert.ok(isSecretValue(cert.inputs.caPrivateKeyPem), "the root key read from the anchor stays secret");
    assert.equal(unwrapSecret(cert.inputs.caPrivateKeyPem), MESH_ROOT_KEY);
    assert.deepEqual(run.one("tls:index/certRequest:CertRequest", "wuxi-intermediate-csr").inputs.subject, {
      organization: "mesh1",
      commonName: "mesh1 intermediate CA wuxi",
      locality: "wuxi",
    });
    assert.deepEqual(run.byType("tls:index/selfSignedCert:SelfSignedCert"), [], "only the anchor makes a root");
    const cacerts = unwrapSecret(run.one("kubernetes:core/v1:Secret", "wuxi-cacerts").inputs.stringData) as Record<string, string>;
    assert.equal(cacerts["root-cert.pem"], MESH_ROOT);
    assert.equal(cacerts["cert-chain.pem"], pem("CERTIFICATE", "wuxi-intermediate") + MESH_ROOT);
  });

  it("installs cn-shanghai's remote secret", () => {
    const secret = run.one("kubernetes:core/v1:Secret", "wuxi-cn-shanghai-remote-secret");
    assert.equal(secret.inputs.metadata.name, "istio-remote-secret-cn-shanghai");
    assert.deepEqual(secret.inputs.metadata.annotations, { "networking.istio.io/cluster": "cn-shanghai" });
    assert.deepEqual(unwrapSecret(secret.inputs.stringData), { "cn-shanghai": CN_SHANGHAI_KUBECONFIG });
    assert.deepEqual(run.outputs.peers, [{ stack: "organization/mesh/cn-shanghai", cluster: "cn-shanghai", status: "linked" }]);
    assert.deepEqual(run.warnings, []);
  });

  it("exports a remote kubeconfig with the data-centre API server and a bearer token only", () => {
    const kc = fromYaml(run.outputs.remoteSecret as string) as any;
    assert.equal(kc.clusters[0].name, "wuxi");
    assert.equal(kc.clusters[0].cluster.server, "https://10.18.10.10:6443");
    assert.deepEqual(kc.users, [
      { name: "wuxi", user: { token: "token-of-istio-reader-service-account-istio-remote-secret-token-g1-a1b2c3" } },
    ]);
    assert.equal(kc["current-context"], "wuxi");
  });
});

describe("wuxi: outputs", () => {
  it("exports the data-centre API server address and the gateway as peers will dial it", () => {
    assert.equal(run.outputs.apiServer, "https://10.18.10.10:6443");
    assert.deepEqual(run.outputs.eastWestGateway, {
      type: "NodePort",
      addresses: ["10.18.10.196"],
      ports: [
        { name: "status-port", port: 15021, nodePort: 31000 },
        { name: "tls", port: 15443, nodePort: 30880 },
        { name: "tls-istiod", port: 15012, nodePort: 31002 },
        { name: "tls-webhook", port: 15017, nodePort: 31003 },
      ],
      peerPort: 30880,
    });
  });

  it("exports no kubeconfig: the operator's own credentials never enter the stack's state", () => {
    assert.equal(run.outputs.kubeconfig, undefined);
    assert.equal(run.outputs.trustRootKey, undefined, "only the anchor holds the root key");
    assert.equal(run.outputs.trustRoot, MESH_ROOT);
    assert.deepEqual([...run.secretOutputs], ["remoteSecret"]);
    assert.deepEqual(
      [run.outputs.clusterName, run.outputs.network, run.outputs.meshId, run.outputs.istioVersion],
      ["wuxi", "network-wuxi", "mesh1", "1.30.3"],
    );
  });
});
