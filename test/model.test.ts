/** Pure builders in model/: tables of exact inputs and outputs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { configPath } from "../model/errors";
import { gatewayEndpoint, gatewayExposure, gatewayRelease, gatewayServiceAnnotations } from "../model/istio";
import { deepMerge } from "../model/merge";
import { closest } from "../model/text";
import type { MeshConfig } from "../model/types";
import { validateConfig } from "../model/validate";
import { ackConfig } from "./fixtures/ack";

function mesh(cluster: Record<string, unknown>, eastWestGateway: Record<string, unknown>): MeshConfig {
  return validateConfig({
    stack: { organization: "organization", project: "mesh", stack: "x" },
    mesh: { istio: { version: "1.30.3" }, cluster, eastWestGateway },
    alicloudRegion: "cn-shanghai",
  });
}
const ACK = ackConfig();

describe("gateway Service annotations", () => {
  it("asks ACK for an internal SLB", () => {
    assert.deepEqual(gatewayServiceAnnotations(mesh({ name: "x", ack: ACK }, {})), {
      "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
    });
  });
  it("lets the user's annotation win (e.g. an internet SLB on purpose)", () => {
    const cfg = mesh(
      { name: "x", ack: ACK },
      { service: { annotations: { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "internet" } } },
    );
    assert.deepEqual(gatewayServiceAnnotations(cfg), { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "internet" });
  });
  it("writes the node selector as JSON", () => {
    const cfg = mesh(
      { name: "x", kubeContext: "x" },
      { service: { type: "NodePort", nodeSelector: { "kubernetes.io/hostname": "node-a" } } },
    );
    assert.deepEqual(gatewayServiceAnnotations(cfg), { "traffic.istio.io/nodeSelector": '{"kubernetes.io/hostname":"node-a"}' });
  });
  it("adds nothing for a LoadBalancer outside ACK", () => {
    assert.deepEqual(gatewayServiceAnnotations(mesh({ name: "x", kubeContext: "x" }, {})), {});
  });
});

describe("gateway release", () => {
  it("keeps networkGateway mode when no node port is fixed, on NodePort too", () => {
    const values = gatewayRelease(
      mesh({ name: "x", kubeContext: "x" }, { service: { type: "NodePort", externalIPs: ["10.0.0.1"] } }),
    ).values;
    assert.equal(values.networkGateway, "network-x");
    assert.equal(values.labels, undefined);
    assert.deepEqual(values.service, {
      type: "NodePort",
      annotations: { "traffic.istio.io/nodeSelector": "{}" },
      externalIPs: ["10.0.0.1"],
    });
  });
});

describe("where peers reach the gateway", () => {
  const nodePort = mesh(
    { name: "x", kubeContext: "x" },
    { service: { type: "NodePort", externalIPs: ["10.18.10.196"], nodePorts: { tls: 30880 } } },
  );
  const lb = mesh({ name: "x", kubeContext: "x" }, { service: { externalIPs: ["10.9.9.9"] } });
  const cases: [string, MeshConfig, Parameters<typeof gatewayEndpoint>[1], { addresses: string[]; peerPort?: number }][] = [
    ["NodePort before deploy: the fixed node port", nodePort, undefined, { addresses: ["10.18.10.196"], peerPort: 30880 }],
    [
      "NodePort after deploy: the allocated node port",
      mesh({ name: "x", kubeContext: "x" }, { service: { type: "NodePort", externalIPs: ["10.18.10.196"] } }),
      { spec: { externalIPs: ["10.18.10.196"], ports: [{ name: "tls", port: 15443, nodePort: 31443 }] } },
      { addresses: ["10.18.10.196"], peerPort: 31443 },
    ],
    [
      "NodePort, port not fixed, before deploy: unknown",
      mesh({ name: "x", kubeContext: "x" }, { service: { type: "NodePort", externalIPs: ["10.18.10.196"] } }),
      undefined,
      { addresses: ["10.18.10.196"] },
    ],
    ["LoadBalancer before deploy: externalIPs only", lb, undefined, { addresses: ["10.9.9.9"], peerPort: 15443 }],
    [
      "LoadBalancer after deploy: ingress first, externalIPs added",
      lb,
      { spec: { externalIPs: ["10.9.9.9"] }, status: { loadBalancer: { ingress: [{ ip: "192.168.0.200" }, { hostname: "gw.example" }] } } },
      { addresses: ["192.168.0.200", "gw.example", "10.9.9.9"], peerPort: 15443 },
    ],
  ];
  for (const [name, cfg, observed, expected] of cases) {
    it(name, () => {
      const e = gatewayEndpoint(gatewayExposure(cfg), observed);
      assert.deepEqual({ addresses: e.addresses, peerPort: e.peerPort }, { addresses: expected.addresses, peerPort: expected.peerPort });
    });
  }
});

describe("Helm value merge", () => {
  it("merges maps, replaces lists and keeps null for Helm to delete a default", () => {
    assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: null }), { a: { b: 1, c: [3], e: 2 }, d: null });
  });
});

describe("chart value paths", () => {
  const cases: [string, "istiod" | "gateway" | "base", string, Record<string, unknown>, string[][]][] = [
    ["a declared leaf", "istiod", "1.30.3", { global: { meshID: "m" } }, []],
    ["a misspelt leaf", "istiod", "1.30.3", { global: { meshId: "m" } }, [["global", "meshId"]]],
    ["anything under an open map (env)", "istiod", "1.30.3", { env: { PILOT_X: "1" } }, []],
    [
      "anything under meshConfig",
      "istiod",
      "1.30.3",
      { meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true" } } } },
      [],
    ],
    [
      "a key read by templates only",
      "gateway",
      "1.30.3",
      { labels: { istio: "eastwestgateway" }, service: { internalTrafficPolicy: "Local" } },
      [],
    ],
    ["an unknown top-level gateway key", "gateway", "1.30.3", { replicas: 2 }, [["replicas"]]],
    ["keys with dots", "gateway", "1.30.3", { podAnnotations: { "prometheus.io/port": "15020" } }, []],
    ["another Istio version: not checked", "istiod", "1.31.0", { nonsense: 1 }, []],
  ];
  for (const [name, chart, version, values, expected] of cases) {
    it(name, () => {
      assert.deepEqual(
        unknownChartValuePaths(chart, version, values).map((p) => p.segments),
        expected,
      );
    });
  }
  it("suggests the nearest sibling", () => {
    assert.equal(unknownChartValuePaths("istiod", "1.30.3", { global: { meshId: "m" } })[0]!.suggestion, "global.meshID");
  });
});

describe("small helpers", () => {
  it("spells config paths as `pulumi config set --path` does", () => {
    assert.equal(configPath("mesh", ["cluster", "ack", "zones", 1]), "mesh:cluster.ack.zones[1]");
    assert.equal(
      configPath("mesh", ["eastWestGateway", "service", "nodePorts", "tls-istiod"]),
      'mesh:eastWestGateway.service.nodePorts["tls-istiod"]',
    );
  });
  it("finds a typo's intended word, and nothing for a stranger", () => {
    assert.equal(closest("nmae", ["name", "network"]), "name");
    assert.equal(closest("zzzzzz", ["name", "network"]), undefined);
  });
});
