/**
 * The cn-shanghai stack from the fixture project's stack files, on its second run of a bring-up (wuxi has
 * exported): ACK provisioned, internal-SLB gateway, trust anchor, linked to wuxi.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { fromYaml } from "../model/yaml";
import { b64, FAKE_KUBECONFIG, isSecretValue, pem, providerRef, runProgram, unwrapSecret, type ProgramRun } from "../tools/engine/mock-run";
import { MESH_ROOT, MESH_ROOT_KEY, WUXI_KUBECONFIG, wuxiOutputs } from "./fixtures/stacks";
import { gatewayValuesProblems, istioObjectProblems } from "./istio-schemas";
import { FIXTURE_PROJECT } from "./fixtures/project";

const RELEASE = "kubernetes:helm.sh/v3:Release";
let run: ProgramRun;

before(async () => {
  run = await runProgram({ projectDir: FIXTURE_PROJECT, stack: "cn-shanghai", peerOutputs: { "organization/mesh/wuxi": wuxiOutputs() } });
});

describe("cn-shanghai: resources", () => {
  it("registers exactly the ACK cluster and one Istio primary", () => {
    const counts: Record<string, number> = {};
    for (const r of run.registrations) counts[`${r.read ? "read " : ""}${r.type}`] = (counts[`${r.read ? "read " : ""}${r.type}`] ?? 0) + 1;
    assert.deepEqual(counts, {
      "read pulumi:pulumi:StackReference": 1,
      "mesh:cluster:AckCluster": 1,
      "mesh:trust:MeshTrust": 1,
      "mesh:istio:IstioControlPlane": 1,
      "mesh:remote:RemoteAccess": 1,
      "mesh:remote:PeerLink": 1,
      "mesh:services:MeshServices": 1,
      "alicloud:vpc/network:Network": 1,
      "alicloud:vpc/switch:Switch": 2,
      "alicloud:cs/managedKubernetes:ManagedKubernetes": 1,
      "alicloud:cs/nodePool:NodePool": 1,
      "tls:index/privateKey:PrivateKey": 2,
      "tls:index/selfSignedCert:SelfSignedCert": 1,
      "tls:index/certRequest:CertRequest": 1,
      "tls:index/locallySignedCert:LocallySignedCert": 1,
      "random:index/randomId:RandomId": 1,
      "pulumi:providers:kubernetes": 2,
      "kubernetes:core/v1:Namespace": 2,
      "kubernetes:core/v1:Service": 1,
      "kubernetes:core/v1:Secret": 3,
      [RELEASE]: 3,
      "kubernetes:networking.istio.io/v1:Gateway": 1,
      "kubernetes:networking.istio.io/v1:DestinationRule": 1,
      "read kubernetes:core/v1:Service": 1,
    });
  });

  it("gives every resource a unique type and name (the engine rejects duplicates)", () => {
    const keys = run.registrations.map((r) => `${r.type}::${r.name}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it("creates a protected VPC and one vSwitch per zone inside it", () => {
    const ack = run.one("mesh:cluster:AckCluster", "cn-shanghai");
    const vpc = run.one("alicloud:vpc/network:Network", "cn-shanghai-vpc");
    assert.deepEqual(vpc.inputs, { vpcName: "cn-shanghai-vpc", cidrBlock: "192.168.0.0/16" });
    assert.equal(vpc.protect, true);
    assert.equal(vpc.parent, ack.urn);
    const switches = run.byType("alicloud:vpc/switch:Switch").map((s) => ({ name: s.name, inputs: s.inputs, parent: s.parent }));
    assert.deepEqual(switches, [
      {
        name: "cn-shanghai-cn-shanghai-e",
        inputs: {
          vpcId: "cn-shanghai-vpc-id",
          cidrBlock: "192.168.0.0/20",
          zoneId: "cn-shanghai-e",
          vswitchName: "cn-shanghai-cn-shanghai-e",
        },
        parent: ack.urn,
      },
      {
        name: "cn-shanghai-cn-shanghai-f",
        inputs: {
          vpcId: "cn-shanghai-vpc-id",
          cidrBlock: "192.168.16.0/20",
          zoneId: "cn-shanghai-f",
          vswitchName: "cn-shanghai-cn-shanghai-f",
        },
        parent: ack.urn,
      },
    ]);
  });

  it("creates a protected ACK Pro cluster on the vSwitches (vswitchIds, not the deprecated workerVswitchIds)", () => {
    const cluster = run.one("alicloud:cs/managedKubernetes:ManagedKubernetes", "cn-shanghai");
    assert.deepEqual(cluster.inputs, {
      name: "cn-shanghai",
      clusterSpec: "ack.pro.small",
      version: "1.33.3-aliyun.1",
      serviceCidr: "172.21.0.0/20",
      podCidr: "172.20.0.0/16",
      proxyMode: "ipvs",
      newNatGateway: true,
      slbInternetEnabled: false,
      deletionProtection: true,
      addons: [{ name: "flannel" }],
      tags: { "mesh-id": "mesh1", "mesh-cluster": "cn-shanghai" },
      vswitchIds: ["cn-shanghai-cn-shanghai-e-id", "cn-shanghai-cn-shanghai-f-id"],
    });
    assert.equal(cluster.protect, true);
    assert.ok(!("workerVswitchIds" in cluster.inputs));
  });

  it("adds the node pool on the same vSwitches", () => {
    const pool = run.one("alicloud:cs/nodePool:NodePool", "cn-shanghai-system");
    assert.deepEqual(pool.inputs, {
      clusterId: "cn-shanghai-id",
      nodePoolName: "cn-shanghai-system",
      vswitchIds: ["cn-shanghai-cn-shanghai-e-id", "cn-shanghai-cn-shanghai-f-id"],
      instanceTypes: ["ecs.g7.xlarge", "ecs.g6.xlarge"],
      desiredSize: "3",
      systemDiskCategory: "cloud_essd",
      systemDiskSize: 120,
      labels: [],
      taints: [],
    });
  });

  it("reads the kubeconfig with getClusterCredential and builds a provider keyed on the cluster id", () => {
    assert.deepEqual(
      run.calls.map((c) => [c.token, c.inputs.clusterId]),
      [["alicloud:cs/getClusterCredential:getClusterCredential", "cn-shanghai-id"]],
    );
    const provider = run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s");
    assert.equal(provider.inputs.clusterIdentifier, "cn-shanghai-id");
    assert.ok(isSecretValue(provider.inputs.kubeconfig), "the provider's kubeconfig input must be secret");
    assert.equal(unwrapSecret(provider.inputs.kubeconfig), FAKE_KUBECONFIG);
  });

  it("gives the adopting provider the same cluster, with upsertExistingObjects", () => {
    const adopting = run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s-adopting");
    assert.equal(adopting.inputs.clusterIdentifier, "cn-shanghai-id");
    assert.equal(adopting.inputs.upsertExistingObjects, "true");
    assert.ok(isSecretValue(adopting.inputs.kubeconfig));
    assert.equal(run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s").inputs.upsertExistingObjects, undefined);
  });

  it("creates every Kubernetes object with one of the cluster's providers, never the default one", () => {
    const strict = providerRef(run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s"));
    const adopting = providerRef(run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s-adopting"));
    const kube = run.registrations.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(kube.length, 12);
    // only the catalog's objects, which application pipelines may have created, are adopted
    const shared = new Set(["cn-shanghai-ns-dev", "cn-shanghai-svc-dev-helloworld", "cn-shanghai-dr-dev-helloworld"]);
    for (const r of kube) assert.equal(r.provider, shared.has(r.name) ? adopting : strict, `${r.type} ${r.name}`);
  });
});

describe("cn-shanghai: Istio primary", () => {
  it("labels istio-system with the network, after the node pools exist", () => {
    const ns = run.one("kubernetes:core/v1:Namespace", "cn-shanghai-istio-system");
    assert.deepEqual(ns.inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-cn-shanghai" } });
    assert.ok(ns.dependencies.includes(run.urnOf("alicloud:cs/nodePool:NodePool", "cn-shanghai-system")));
  });

  it("installs istio-base, istiod and the east-west gateway from the ACR mirror (OCI) at the pinned version", () => {
    const releases = run
      .byType(RELEASE)
      .map((r) => [
        r.name,
        r.inputs.name,
        r.inputs.chart,
        r.inputs.version,
        r.inputs.repositoryOpts,
        r.inputs.namespace,
        r.inputs.createNamespace,
        r.inputs.skipAwait,
        r.inputs.timeout,
        r.inputs.atomic,
      ]);
    // an oci:// chart reference carries its registry: no repositoryOpts
    const oci = "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts";
    assert.deepEqual(releases, [
      ["cn-shanghai-istio-base", "istio-base", `${oci}/base`, "1.30.3", undefined, "istio-system", false, false, 300, true],
      ["cn-shanghai-istiod", "istiod", `${oci}/istiod`, "1.30.3", undefined, "istio-system", false, false, 600, true],
      // an SLB takes minutes: Helm waits for its address
      [
        "cn-shanghai-istio-eastwestgateway",
        "istio-eastwestgateway",
        `${oci}/gateway`,
        "1.30.3",
        undefined,
        "istio-system",
        false,
        false,
        900,
        true,
      ],
    ]);
  });

  /**
   * pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go: `helmCreate` (the first install)
   * passes `Atomic` to Helm's install but neither `CleanupOnFail` nor `MaxHistory`, which only
   * `helmUpdate` (the upgrade) passes. So only `atomic` makes a failed first install uninstall itself
   * instead of leaving a failed release that blocks the next `pulumi up`: it is set on every release,
   * istio-base included (its CRDs carry helm.sh/resource-policy: keep, so an uninstall keeps them).
   */
  it("makes every release atomic, so a failed first install removes itself; an upgrade also cleans up and keeps 10 revisions", () => {
    assert.deepEqual(
      run.byType(RELEASE).map((r) => [r.inputs.name, r.inputs.atomic, r.inputs.cleanupOnFail, r.inputs.maxHistory]),
      [
        ["istio-base", true, true, 10],
        ["istiod", true, true, 10],
        ["istio-eastwestgateway", true, true, 10],
      ],
    );
  });

  it("creates cacerts from this cluster's intermediate before istiod starts", () => {
    const cacerts = run.one("kubernetes:core/v1:Secret", "cn-shanghai-cacerts");
    assert.deepEqual(cacerts.inputs.metadata, { name: "cacerts", namespace: "istio-system" });
    assert.equal(cacerts.inputs.type, "Opaque");
    assert.ok(isSecretValue(cacerts.inputs.stringData), "the CA key must reach the engine as a secret");
    const intermediate = pem("CERTIFICATE", "cn-shanghai-intermediate");
    assert.deepEqual(unwrapSecret(cacerts.inputs.stringData), {
      "ca-cert.pem": intermediate,
      "ca-key.pem": pem("PRIVATE KEY", "cn-shanghai-intermediate-key"),
      "root-cert.pem": MESH_ROOT,
      "cert-chain.pem": intermediate + MESH_ROOT,
    });
    assert.ok(run.one(RELEASE, "cn-shanghai-istiod").dependencies.includes(cacerts.urn));
  });

  it("orders namespace → base → istiod → gateway → cross-network Gateway", () => {
    const urn = (n: string) => run.urnOf(RELEASE, n);
    const ns = run.urnOf("kubernetes:core/v1:Namespace", "cn-shanghai-istio-system");
    assert.ok(run.one(RELEASE, "cn-shanghai-istio-base").dependencies.includes(ns));
    assert.ok(run.one(RELEASE, "cn-shanghai-istiod").dependencies.includes(urn("cn-shanghai-istio-base")));
    assert.ok(run.one(RELEASE, "cn-shanghai-istio-eastwestgateway").dependencies.includes(urn("cn-shanghai-istiod")));
    const gw = run.one("kubernetes:networking.istio.io/v1:Gateway", "cn-shanghai-cross-network-gateway");
    assert.ok(gw.dependencies.includes(urn("cn-shanghai-istio-base")), "the Gateway needs base's CRDs");
    assert.ok(gw.dependencies.includes(urn("cn-shanghai-istio-eastwestgateway")));
  });

  it("gives istiod the mesh id, cluster name and network", () => {
    const values = run.one(RELEASE, "cn-shanghai-istiod").inputs.values;
    assert.deepEqual(values, {
      global: {
        meshID: "mesh1",
        multiCluster: { clusterName: "cn-shanghai" },
        network: "network-cn-shanghai",
        hub: "mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
        tag: "1.30.3",
      },
    });
    assert.deepEqual(unknownChartValuePaths("istiod", "1.30.3", values), []);
    assert.deepEqual(run.one(RELEASE, "cn-shanghai-istio-base").inputs.values, {});
  });

  it("runs the east-west gateway in networkGateway mode behind an internal SLB", () => {
    const values = run.one(RELEASE, "cn-shanghai-istio-eastwestgateway").inputs.values;
    assert.deepEqual(values, {
      name: "istio-eastwestgateway",
      networkGateway: "network-cn-shanghai",
      autoscaling: { minReplicas: 2, maxReplicas: 5 },
      service: {
        type: "LoadBalancer",
        annotations: { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet" },
      },
    });
    assert.deepEqual(gatewayValuesProblems(values), []);
    assert.deepEqual(unknownChartValuePaths("gateway", "1.30.3", values), []);
  });

  it("creates the cross-network Gateway: 15443, TLS, AUTO_PASSTHROUGH, *.local, valid against Istio's schema", () => {
    const gw = run.one("kubernetes:networking.istio.io/v1:Gateway", "cn-shanghai-cross-network-gateway");
    const obj = gw.inputs as any;
    assert.equal(obj.apiVersion, "networking.istio.io/v1");
    assert.equal(obj.kind, "Gateway");
    assert.deepEqual(obj.metadata, { name: "cross-network-gateway", namespace: "istio-system" });
    assert.deepEqual(obj.spec, {
      selector: { istio: "eastwestgateway" },
      servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
    });
    assert.deepEqual(istioObjectProblems(obj), []);
  });
});

describe("cn-shanghai: trust anchor", () => {
  it("makes the mesh root: RSA 4096, a CA for ten years, signing certificates and CRLs only", () => {
    assert.deepEqual(run.one("tls:index/privateKey:PrivateKey", "cn-shanghai-root-key").inputs, { algorithm: "RSA", rsaBits: 4096 });
    const root = run.one("tls:index/selfSignedCert:SelfSignedCert", "cn-shanghai-root");
    assert.ok(isSecretValue(root.inputs.privateKeyPem));
    assert.equal(unwrapSecret(root.inputs.privateKeyPem), MESH_ROOT_KEY);
    assert.deepEqual(
      { ...root.inputs, privateKeyPem: undefined },
      {
        privateKeyPem: undefined,
        subject: { organization: "mesh1", commonName: "mesh1 root CA" },
        isCaCertificate: true,
        validityPeriodHours: 87600,
        allowedUses: ["cert_signing", "crl_signing"],
      },
    );
  });

  it("issues its own intermediate from that root: a CA that cannot sign another CA, renewed a month early", () => {
    const csr = run.one("tls:index/certRequest:CertRequest", "cn-shanghai-intermediate-csr");
    assert.deepEqual(csr.inputs.subject, {
      organization: "mesh1",
      commonName: "mesh1 intermediate CA cn-shanghai",
      locality: "cn-shanghai",
    });
    const cert = run.one("tls:index/locallySignedCert:LocallySignedCert", "cn-shanghai-intermediate");
    assert.equal(cert.inputs.caCertPem, MESH_ROOT);
    assert.ok(isSecretValue(cert.inputs.caPrivateKeyPem));
    assert.equal(unwrapSecret(cert.inputs.caPrivateKeyPem), MESH_ROOT_KEY);
    assert.equal(cert.inputs.isCaCertificate, true);
    assert.equal(cert.inputs.maxPathLength, 0);
    assert.equal(cert.inputs.validityPeriodHours, 17520);
    assert.equal(cert.inputs.earlyRenewalHours, 720);
    assert.deepEqual(cert.inputs.allowedUses, ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]);
  });
});

describe("cn-shanghai: remote access and the link to wuxi", () => {
  it("mints a reader token for istio-reader-service-account once istio-base has created it", () => {
    const token = run.one("kubernetes:core/v1:Secret", "cn-shanghai-reader-token-g1");
    assert.deepEqual(token.inputs.metadata, {
      name: "istio-reader-service-account-istio-remote-secret-token-g1-a1b2c3",
      namespace: "istio-system",
      annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
    });
    assert.equal(token.inputs.type, "kubernetes.io/service-account-token");
    assert.ok(token.dependencies.includes(run.urnOf(RELEASE, "cn-shanghai-istio-base")));
    assert.deepEqual(run.one("random:index/randomId:RandomId", "cn-shanghai-reader-token-g1-suffix").inputs, {
      byteLength: 3,
      keepers: { generation: "1" },
    });
  });

  it("exports the kubeconfig peers read this cluster with, as istioctl shapes it", () => {
    assert.ok(run.secretOutputs.has("remoteSecret"));
    const kc = fromYaml(run.outputs.remoteSecret as string) as any;
    assert.deepEqual(kc, {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "cn-shanghai",
          cluster: {
            "certificate-authority-data": b64(pem("CERTIFICATE", "cluster CA of cn-shanghai")),
            server: "https://192.168.0.12:6443",
          },
        },
      ],
      contexts: [{ name: "cn-shanghai", context: { cluster: "cn-shanghai", user: "cn-shanghai" } }],
      "current-context": "cn-shanghai",
      preferences: {},
      users: [{ name: "cn-shanghai", user: { token: "token-of-istio-reader-service-account-istio-remote-secret-token-g1-a1b2c3" } }],
    });
  });

  it("installs wuxi's remote secret, after the cross-network Gateway, updated in place", () => {
    const link = run.one("mesh:remote:PeerLink", "cn-shanghai-wuxi");
    const secret = run.one("kubernetes:core/v1:Secret", "cn-shanghai-wuxi-remote-secret");
    assert.equal(secret.parent, link.urn);
    assert.deepEqual(secret.inputs.metadata, {
      name: "istio-remote-secret-wuxi",
      namespace: "istio-system",
      labels: { "istio/multiCluster": "true" },
      annotations: { "networking.istio.io/cluster": "wuxi" },
    });
    assert.ok(isSecretValue(secret.inputs.stringData));
    assert.deepEqual(unwrapSecret(secret.inputs.stringData), { wuxi: WUXI_KUBECONFIG });
    assert.ok(secret.dependencies.includes(run.urnOf("kubernetes:networking.istio.io/v1:Gateway", "cn-shanghai-cross-network-gateway")));
    assert.equal(secret.deleteBeforeReplace, false);
  });

  it("records the link in the peers output", () => {
    assert.deepEqual(run.outputs.peers, [{ stack: "organization/mesh/wuxi", cluster: "wuxi", status: "linked" }]);
    assert.deepEqual(run.warnings, []);
  });
});

describe("cn-shanghai: mirrored services", () => {
  it("creates or adopts the dev namespace with sidecar injection, and never deletes it", () => {
    const ns = run.one("kubernetes:core/v1:Namespace", "cn-shanghai-ns-dev");
    assert.deepEqual(ns.inputs.metadata, { name: "dev", labels: { "istio-injection": "enabled" } });
    assert.equal(ns.retainOnDelete, true);
    assert.equal(ns.parent, run.urnOf("mesh:services:MeshServices", "cn-shanghai"));
  });

  it("mirrors helloworld exactly as every cluster has it", () => {
    const svc = run.one("kubernetes:core/v1:Service", "cn-shanghai-svc-dev-helloworld");
    assert.deepEqual(svc.inputs, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "helloworld", namespace: "dev" },
      spec: {
        type: "ClusterIP",
        selector: { app: "helloworld" },
        ports: [{ name: "http", port: 5000, targetPort: 5000, protocol: "TCP" }],
      },
    });
    assert.equal(svc.retainOnDelete, true);
  });

  it("prefers the local cluster and fails over fast and completely", () => {
    const dr = run.one("kubernetes:networking.istio.io/v1:DestinationRule", "cn-shanghai-dr-dev-helloworld");
    assert.deepEqual(dr.inputs, {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "helloworld-locality", namespace: "dev" },
      spec: {
        host: "helloworld.dev.svc.cluster.local",
        trafficPolicy: {
          loadBalancer: { localityLbSetting: { enabled: true, failoverPriority: ["topology.istio.io/cluster"] } },
          outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m", maxEjectionPercent: 100 },
        },
      },
    });
    assert.deepEqual(istioObjectProblems(dr.inputs as any), []);
    assert.ok(dr.dependencies.includes(run.urnOf(RELEASE, "cn-shanghai-istiod")), "istiod's webhook validates it");
  });

  it("reports what this cluster serves and mirrors", () => {
    assert.deepEqual(run.outputs.services, [{ host: "helloworld.dev.svc.cluster.local", ports: [5000], locality: "preferLocal" }]);
  });
});

describe("cn-shanghai: outputs", () => {
  it("exports the cluster's identity in the mesh", () => {
    assert.equal(run.outputs.clusterName, "cn-shanghai");
    assert.equal(run.outputs.network, "network-cn-shanghai");
    assert.equal(run.outputs.meshId, "mesh1");
    assert.equal(run.outputs.istioVersion, "1.30.3");
  });

  it("exports the intranet API server address for peers", () => {
    assert.equal(run.outputs.apiServer, "https://192.168.0.12:6443");
  });

  it("exports where peers reach the gateway: the SLB address on 15443", () => {
    assert.deepEqual(run.outputs.eastWestGateway, {
      type: "LoadBalancer",
      addresses: ["192.168.0.200"],
      ports: [
        { name: "status-port", port: 15021 },
        { name: "tls", port: 15443 },
        { name: "tls-istiod", port: 15012 },
        { name: "tls-webhook", port: 15017 },
      ],
      peerPort: 15443,
    });
  });

  it("exports the root publicly and the admin kubeconfig, root key and remote secret as secrets", () => {
    assert.equal(run.outputs.kubeconfig, FAKE_KUBECONFIG);
    assert.equal(run.outputs.trustRoot, MESH_ROOT);
    assert.equal(run.outputs.trustRootKey, MESH_ROOT_KEY);
    assert.deepEqual([...run.secretOutputs].sort(), ["kubeconfig", "remoteSecret", "trustRootKey"]);
  });
});
