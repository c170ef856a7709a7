/** The cn-shanghai stack from its real stack files: ACK provisioned, internal-SLB gateway. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { FAKE_KUBECONFIG, isSecretValue, providerRef, runProgram, unwrapSecret, type ProgramRun } from "../tools/mock-run";
import { gatewayValuesProblems, istioObjectProblems } from "./istio-schemas";

const RELEASE = "kubernetes:helm.sh/v3:Release";
let run: ProgramRun;

before(async () => {
  run = await runProgram({ stack: "cn-shanghai" });
});

describe("cn-shanghai: resources", () => {
  it("registers exactly the ACK cluster and one Istio primary", () => {
    const counts: Record<string, number> = {};
    for (const r of run.registrations) counts[`${r.read ? "read " : ""}${r.type}`] = (counts[`${r.read ? "read " : ""}${r.type}`] ?? 0) + 1;
    assert.deepEqual(counts, {
      "mesh:cluster:AckCluster": 1,
      "mesh:istio:IstioControlPlane": 1,
      "alicloud:vpc/network:Network": 1,
      "alicloud:vpc/switch:Switch": 2,
      "alicloud:cs/managedKubernetes:ManagedKubernetes": 1,
      "alicloud:cs/nodePool:NodePool": 1,
      "pulumi:providers:kubernetes": 1,
      "kubernetes:core/v1:Namespace": 1,
      [RELEASE]: 3,
      "kubernetes:networking.istio.io/v1:Gateway": 1,
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

  it("creates every Kubernetes object with the cluster's provider, never the default one", () => {
    const ref = providerRef(run.one("pulumi:providers:kubernetes", "cn-shanghai-k8s"));
    const kube = run.registrations.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(kube.length, 6);
    for (const r of kube) assert.equal(r.provider, ref, `${r.type} ${r.name}`);
  });
});

describe("cn-shanghai: Istio primary", () => {
  it("labels istio-system with the network, after the node pools exist", () => {
    const ns = run.one("kubernetes:core/v1:Namespace", "cn-shanghai-istio-system");
    assert.deepEqual(ns.inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-cn-shanghai" } });
    assert.ok(ns.dependencies.includes(run.urnOf("alicloud:cs/nodePool:NodePool", "cn-shanghai-system")));
  });

  it("installs istio-base, istiod and the east-west gateway from the official repo at the pinned version", () => {
    const releases = run
      .byType(RELEASE)
      .map((r) => [
        r.name,
        r.inputs.name,
        r.inputs.chart,
        r.inputs.version,
        r.inputs.repositoryOpts.repo,
        r.inputs.namespace,
        r.inputs.createNamespace,
        r.inputs.skipAwait,
        r.inputs.timeout,
        r.inputs.atomic,
      ]);
    const repo = "https://istio-release.storage.googleapis.com/charts";
    assert.deepEqual(releases, [
      ["cn-shanghai-istio-base", "istio-base", "base", "1.30.3", repo, "istio-system", false, false, 300, false],
      ["cn-shanghai-istiod", "istiod", "istiod", "1.30.3", repo, "istio-system", false, false, 600, true],
      // an SLB takes minutes: Helm waits for its address
      ["cn-shanghai-istio-eastwestgateway", "istio-eastwestgateway", "gateway", "1.30.3", repo, "istio-system", false, false, 900, true],
    ]);
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
    assert.deepEqual(values, { global: { meshID: "mesh1", multiCluster: { clusterName: "cn-shanghai" }, network: "network-cn-shanghai" } });
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

  it("exports the kubeconfig, and only it, as a secret", () => {
    assert.equal(run.outputs.kubeconfig, FAKE_KUBECONFIG);
    assert.deepEqual([...run.secretOutputs], ["kubeconfig"]);
  });
});
