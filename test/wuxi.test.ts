/** The wuxi stack from its real stack files: an existing cluster by kube context, NodePort gateway. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { providerRef, runProgram, type ProgramRun } from "../tools/mock-run";
import { gatewayValuesProblems, istioObjectProblems } from "./istio-schemas";

const RELEASE = "kubernetes:helm.sh/v3:Release";
let run: ProgramRun;

before(async () => {
  run = await runProgram({ stack: "wuxi" });
});

describe("wuxi: cluster", () => {
  it("provisions nothing in a cloud: one provider for the existing cluster and one Istio primary", () => {
    assert.deepEqual(run.registrations.map((r) => `${r.read ? "read " : ""}${r.type} ${r.name}`).sort(), [
      "kubernetes:core/v1:Namespace wuxi-istio-system",
      "kubernetes:helm.sh/v3:Release wuxi-istio-base",
      "kubernetes:helm.sh/v3:Release wuxi-istio-eastwestgateway",
      "kubernetes:helm.sh/v3:Release wuxi-istiod",
      "kubernetes:networking.istio.io/v1:Gateway wuxi-cross-network-gateway",
      "mesh:cluster:ExistingCluster wuxi",
      "mesh:istio:IstioControlPlane wuxi",
      "pulumi:providers:kubernetes wuxi-k8s",
      "read kubernetes:core/v1:Service wuxi-istio-eastwestgateway-service",
    ]);
    assert.deepEqual(run.calls, []);
  });

  it("uses the operator's kube context `wuxi` and no kubeconfig of its own", () => {
    const provider = run.one("pulumi:providers:kubernetes", "wuxi-k8s");
    assert.equal(provider.inputs.context, "wuxi");
    assert.equal(provider.inputs.kubeconfig, undefined);
    assert.equal(provider.parent, run.urnOf("mesh:cluster:ExistingCluster", "wuxi"));
  });

  it("creates every Kubernetes object with that provider", () => {
    const ref = providerRef(run.one("pulumi:providers:kubernetes", "wuxi-k8s"));
    const kube = run.registrations.filter((r) => r.type.startsWith("kubernetes:"));
    assert.equal(kube.length, 6);
    for (const r of kube) assert.equal(r.provider, ref, `${r.type} ${r.name}`);
  });
});

describe("wuxi: Istio primary", () => {
  it("labels istio-system with network-wuxi", () => {
    const ns = run.one("kubernetes:core/v1:Namespace", "wuxi-istio-system");
    assert.deepEqual(ns.inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-wuxi" } });
  });

  it("gives istiod the mesh id, cluster name and network", () => {
    const values = run.one(RELEASE, "wuxi-istiod").inputs.values;
    assert.deepEqual(values, { global: { meshID: "mesh1", multiCluster: { clusterName: "wuxi" }, network: "network-wuxi" } });
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
    assert.deepEqual([...run.secretOutputs], []);
    assert.deepEqual(
      [run.outputs.clusterName, run.outputs.network, run.outputs.meshId, run.outputs.istioVersion],
      ["wuxi", "network-wuxi", "mesh1", "1.30.3"],
    );
  });
});
