/** Every validation rule, as a table: the config change, and exactly the paths reported. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, type ConfigIssue } from "../model/errors";
import { validateConfig, type RawConfig } from "../model/validate";
import { ackConfig } from "./fixtures/ack";
import { onPrem } from "./fixtures/on-prem";
import { ROOT_CERT } from "./fixtures/pki";

const STACK = { organization: "organization", project: "mesh", stack: "wuxi" };

function issuesOf(mesh: Record<string, unknown>, region?: string): ConfigIssue[] {
  // credentials and keys stored as docs/configuration.md says: as secrets
  const raw: RawConfig = { stack: STACK, mesh, alicloudRegion: region, secretKeys: ["cluster", "trust"] };
  try {
    validateConfig(raw);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return [...e.issues];
  }
}

interface Case {
  readonly name: string;
  readonly change: (m: Record<string, any>) => void;
  readonly paths: readonly string[];
  readonly region?: string;
  /** A fragment the first issue's fix must contain. */
  readonly fix?: string;
}

const withAck = (f: (a: Record<string, any>) => void) => (m: Record<string, any>) => {
  m.cluster = { name: "cn-shanghai", ack: ackConfig() };
  m.eastWestGateway = {};
  f(m.cluster.ack);
};

const CASES: Case[] = [
  { name: "cluster name with capitals", change: (m) => (m.cluster.name = "Wuxi"), paths: ["mesh:cluster.name"], fix: "lower-case" },
  { name: "cluster name with an underscore", change: (m) => (m.cluster.name = "wu_xi"), paths: ["mesh:cluster.name"] },
  { name: "cluster name longer than 63", change: (m) => (m.cluster.name = "a".repeat(64)), paths: ["mesh:cluster.name"], fix: "shorten" },
  { name: "cluster name missing", change: (m) => delete m.cluster.name, paths: ["mesh:cluster.name"] },
  { name: "mesh:cluster missing", change: (m) => delete m.cluster, paths: ["mesh:cluster"] },
  { name: "no cluster source", change: (m) => delete m.cluster.kubeContext, paths: ["mesh:cluster"], fix: "exactly one of ack" },
  {
    name: "two cluster sources",
    change: (m) => (m.cluster.kubeconfig = "apiVersion: v1"),
    paths: ["mesh:cluster"],
    fix: "exactly one of ack",
  },
  { name: "network with a space", change: (m) => (m.cluster.network = "network wuxi"), paths: ["mesh:cluster.network"] },
  { name: "network empty", change: (m) => (m.cluster.network = ""), paths: ["mesh:cluster.network"] },
  { name: "istio version without patch", change: (m) => (m.istio.version = "1.30"), paths: ["mesh:istio.version"], fix: "1.30.3" },
  { name: "istio version 'latest'", change: (m) => (m.istio.version = "latest"), paths: ["mesh:istio.version"] },
  { name: "istio version as a number", change: (m) => (m.istio.version = 1.3), paths: ["mesh:istio.version"] },
  { name: "mesh:istio missing", change: (m) => delete m.istio, paths: ["mesh:istio"], fix: "Pulumi.yaml" },
  { name: "mesh id with a slash", change: (m) => (m.meshId = "mesh/1"), paths: ["mesh:meshId"] },
  {
    name: "NodePort gateway with no address for istiod",
    change: (m) => (m.eastWestGateway = { service: { type: "NodePort" } }),
    paths: ["mesh:eastWestGateway.service"],
    fix: "externalIPs",
  },
  {
    name: "externalIP that is not an IP",
    change: (m) => (m.eastWestGateway.service.externalIPs = ["wuxi-node-1"]),
    paths: ["mesh:eastWestGateway.service.externalIPs[0]"],
  },
  {
    name: "node port below the range",
    change: (m) => (m.eastWestGateway.service.nodePorts = { tls: 15443 }),
    paths: ['mesh:eastWestGateway.service.nodePorts["tls"]'],
    fix: "30000",
  },
  {
    name: "node port above the range",
    change: (m) => (m.eastWestGateway.service.nodePorts = { tls: 40000 }),
    paths: ['mesh:eastWestGateway.service.nodePorts["tls"]'],
  },
  {
    name: "the same node port twice",
    change: (m) => (m.eastWestGateway.service.nodePorts = { tls: 30880, "status-port": 30880 }),
    paths: ['mesh:eastWestGateway.service.nodePorts["tls"]'],
  },
  {
    name: "node port for a port the gateway has not",
    change: (m) => (m.eastWestGateway.service.nodePorts = { http: 30080 }),
    paths: ["mesh:eastWestGateway.service.nodePorts.http"],
  },
  {
    name: "node ports on a LoadBalancer",
    change: (m) => (m.eastWestGateway.service = { type: "LoadBalancer", nodePorts: { tls: 30880 } }),
    paths: ["mesh:eastWestGateway.service.nodePorts"],
  },
  {
    name: "gateway type misspelt",
    change: (m) => (m.eastWestGateway.service.type = "Nodeport"),
    paths: ["mesh:eastWestGateway.service.type"],
    fix: '"NodePort"',
  },
  {
    name: "VPC CIDR that is not one",
    change: withAck((a) => (a.vpcCidr = "192.168.0.0")),
    paths: ["mesh:cluster.ack.vpcCidr"],
    region: "cn-shanghai",
  },
  {
    name: "VPC CIDR with host bits",
    change: withAck((a) => (a.vpcCidr = "192.168.1.0/16")),
    paths: ["mesh:cluster.ack.vpcCidr"],
    region: "cn-shanghai",
  },
  {
    name: "vSwitch outside the VPC",
    change: withAck((a) => (a.vswitchCidrs[1] = "10.0.0.0/20")),
    paths: ["mesh:cluster.ack.vswitchCidrs[1]"],
    region: "cn-shanghai",
  },
  {
    name: "overlapping vSwitches",
    change: withAck((a) => (a.vswitchCidrs[1] = "192.168.8.0/21")),
    paths: ["mesh:cluster.ack.vswitchCidrs[1]"],
    region: "cn-shanghai",
  },
  {
    name: "pod network overlapping the services",
    change: withAck((a) => (a.serviceCidr = "172.20.16.0/20")),
    paths: ["mesh:cluster.ack.podCidr"],
    region: "cn-shanghai",
  },
  {
    name: "service network inside the VPC",
    change: withAck((a) => (a.serviceCidr = "192.168.128.0/20")),
    paths: ["mesh:cluster.ack.serviceCidr"],
    region: "cn-shanghai",
  },
  {
    name: "one zone",
    change: withAck((a) => {
      a.zones = ["cn-shanghai-e"];
      a.vswitchCidrs = ["192.168.0.0/20"];
    }),
    paths: ["mesh:cluster.ack.zones"],
    region: "cn-shanghai",
    fix: "two or more",
  },
  {
    name: "a zone of another region",
    change: withAck((a) => (a.zones[1] = "cn-hangzhou-h")),
    paths: ["mesh:cluster.ack.zones[1]"],
    region: "cn-shanghai",
  },
  {
    name: "fewer vSwitch CIDRs than zones",
    change: withAck((a) => a.vswitchCidrs.pop()),
    paths: ["mesh:cluster.ack.vswitchCidrs"],
    region: "cn-shanghai",
  },
  {
    name: "both podCidr and podVswitchIds",
    change: withAck((a) => (a.podVswitchIds = ["vsw-abc"])),
    paths: ["mesh:cluster.ack"],
    region: "cn-shanghai",
  },
  { name: "no node pools", change: withAck((a) => (a.nodePools = [])), paths: ["mesh:cluster.ack.nodePools"], region: "cn-shanghai" },
  {
    name: "ACK without alicloud:region",
    change: withAck(() => undefined),
    paths: ["alicloud:region"],
    fix: "pulumi config set alicloud:region",
  },
  {
    name: "ACK version in the wrong form",
    change: withAck((a) => (a.version = "1.33")),
    paths: ["mesh:cluster.ack.version"],
    region: "cn-shanghai",
  },
  // alicloud/resource_alicloud_cs_managed_kubernetes.go, the schema: vswitch_ids has MinItems 1, MaxItems 5
  {
    name: "six zones: the cluster takes at most five vSwitches",
    change: withAck((a) => {
      a.zones = ["e", "f", "g", "l", "m", "n"].map((z) => `cn-shanghai-${z}`);
      a.vswitchCidrs = [0, 16, 32, 48, 64, 80].map((n) => `192.168.${n}.0/20`);
    }),
    paths: ["mesh:cluster.ack.zones"],
    region: "cn-shanghai",
    fix: "at most 5",
  },
  // alicloud/resource_alicloud_cs_kubernetes_node_pool.go, the schema: system_disk_category's StringInSlice
  {
    name: "a system disk category the provider does not take",
    change: withAck((a) => (a.nodePools[0].systemDiskCategory = "cloud_essd_pl1")),
    paths: ["mesh:cluster.ack.nodePools[0].systemDiskCategory"],
    region: "cn-shanghai",
    fix: "cloud_essd",
  },
  {
    name: "a node label key that is not a Kubernetes label key",
    change: withAck((a) => (a.nodePools[0].labels = { "mesh role": "gateway", "example.com/ok": "yes" })),
    paths: [`mesh:cluster.ack.nodePools[0].labels["mesh role"]`],
    region: "cn-shanghai",
    fix: "app.kubernetes.io/name",
  },
  {
    name: "a node label value that is not a label value",
    change: withAck((a) => (a.nodePools[0].labels = { role: "east west" })),
    paths: ["mesh:cluster.ack.nodePools[0].labels.role"],
    region: "cn-shanghai",
  },
  {
    name: "a taint key that is not a Kubernetes label key",
    change: withAck((a) => (a.nodePools[0].taints = [{ key: "-dedicated", effect: "NoSchedule" }])),
    paths: ["mesh:cluster.ack.nodePools[0].taints[0].key"],
    region: "cn-shanghai",
  },
  // the DestinationRule CRD: duration(self) >= duration('1ms') on interval and baseEjectionTime
  {
    name: "an outlier-detection interval below 1 ms",
    change: (m) => (m.services[0].outlierDetection = { interval: "500us" }),
    paths: ["mesh:services[0].outlierDetection.interval"],
    fix: "1ms",
  },
  {
    name: "an outlier-detection ejection time of zero",
    change: (m) => (m.services[0].outlierDetection = { baseEjectionTime: "0s" }),
    paths: ["mesh:services[0].outlierDetection.baseEjectionTime"],
  },
  {
    name: "duplicate catalog service",
    change: (m) => m.services.push({ name: "helloworld", namespace: "dev", ports: [{ name: "grpc", port: 5001 }] }),
    paths: ["mesh:services[1]"],
    fix: "once",
  },
  { name: "port out of range", change: (m) => (m.services[0].ports[0].port = 70000), paths: ["mesh:services[0].ports[0].port"] },
  { name: "port zero", change: (m) => (m.services[0].ports[0].port = 0), paths: ["mesh:services[0].ports[0].port"] },
  { name: "port as a string", change: (m) => (m.services[0].ports[0].port = "5000"), paths: ["mesh:services[0].ports[0].port"] },
  {
    name: "the same port twice",
    change: (m) => m.services[0].ports.push({ name: "http2", port: 5000 }),
    paths: ["mesh:services[0].ports[1].port"],
  },
  { name: "service without ports", change: (m) => (m.services[0].ports = []), paths: ["mesh:services[0].ports"] },
  { name: "service name starting with a digit", change: (m) => (m.services[0].name = "1hello"), paths: ["mesh:services[0].name"] },
  {
    name: "failover and distribute together",
    change: (m) =>
      (m.services[0].locality = {
        mode: "failover",
        failover: [{ from: "a", to: "b" }],
        distribute: [{ from: "a/*", to: { "a/*": 100 } }],
      }),
    paths: ["mesh:services[0].locality"],
    fix: "keep one",
  },
  {
    name: "distribute weights not adding to 100",
    change: (m) => (m.services[0].locality = { mode: "distribute", distribute: [{ from: "a/*", to: { "a/*": 80 } }] }),
    paths: ["mesh:services[0].locality.distribute[0].to"],
  },
  {
    name: "failover mode without regions",
    change: (m) => (m.services[0].locality = { mode: "failover" }),
    paths: ["mesh:services[0].locality.failover"],
  },
  {
    name: "a stack listing itself as a peer",
    change: (m) => m.peers.push("organization/mesh/wuxi"),
    paths: ["mesh:peers[1]"],
    fix: "other clusters",
  },
  {
    name: "a peer that is not a stack name",
    change: (m) => (m.peers = ["cn-shanghai"]),
    paths: ["mesh:peers[0]"],
    fix: "organization/mesh/wuxi",
  },
  { name: "a peer listed twice", change: (m) => m.peers.push("organization/mesh/cn-shanghai"), paths: ["mesh:peers[1]"] },
  { name: "unknown key in mesh:cluster", change: (m) => (m.cluster.nmae = "x"), paths: ["mesh:cluster.nmae"], fix: "did you mean name?" },
  {
    name: "unknown key deep in the gateway",
    change: (m) => (m.eastWestGateway.service.externalIP = ["10.0.0.1"]),
    paths: ["mesh:eastWestGateway.service.externalIP"],
    fix: "did you mean externalIPs?",
  },
  {
    name: "unknown key in an ACK node pool",
    change: withAck((a) => (a.nodePools[0].desired = 3)),
    paths: ["mesh:cluster.ack.nodePools[0].desired"],
    region: "cn-shanghai",
  },
  {
    name: "unknown key in a service port",
    change: (m) => (m.services[0].ports[0].prot = 1),
    paths: ["mesh:services[0].ports[0].prot"],
    fix: "did you mean port?",
  },
  { name: "unknown mesh: key", change: (m) => (m.peer = []), paths: ["mesh:peer"], fix: "did you mean mesh:peers?" },
  { name: "unknown key in mesh:trust", change: (m) => (m.trust.anchr = true), paths: ["mesh:trust.anchr"], fix: "did you mean anchor?" },
  {
    name: "istiod value Istio does not read",
    change: (m) => (m.istio.values = { istiod: { global: { meshId: "x" } } }),
    paths: ["mesh:istio.values.istiod.global.meshId"],
    fix: "global.meshID",
  },
  {
    name: "gateway value the chart's schema rejects",
    change: (m) => (m.istio.values = { gateway: { replicas: 3 } }),
    paths: ["mesh:istio.values.gateway.replicas"],
  },
  {
    name: "loopback API server",
    change: (m) => (m.cluster.apiServer = "https://127.0.0.1:6443"),
    paths: ["mesh:cluster.apiServer"],
    fix: "other clusters reach",
  },
  { name: "API server over http", change: (m) => (m.cluster.apiServer = "http://10.18.10.10:6443"), paths: ["mesh:cluster.apiServer"] },
  { name: "existing cluster with peers but no API server", change: (m) => delete m.cluster.apiServer, paths: ["mesh:cluster.apiServer"] },
  { name: "both trust anchor and rootStack", change: (m) => (m.trust.anchor = true), paths: ["mesh:trust"], fix: "exactly one" },
  {
    name: "rootStack naming this stack",
    change: (m) => (m.trust = { rootStack: "organization/mesh/wuxi" }),
    paths: ["mesh:trust.rootStack"],
  },
  { name: "PKI without a key", change: (m) => (m.trust = { pki: { rootCert: ROOT_CERT } }), paths: ["mesh:trust.pki"] },
];

describe("config validation", () => {
  it("accepts the valid baselines", () => {
    assert.deepEqual(issuesOf(onPrem()), []);
    const m = onPrem();
    withAck(() => undefined)(m);
    assert.deepEqual(issuesOf(m, "cn-shanghai"), []);
  });

  for (const c of CASES) {
    it(`reports ${c.name}`, () => {
      const m = onPrem();
      c.change(m);
      const issues = issuesOf(m, c.region);
      assert.deepEqual(issues.map((i) => i.path).sort(), [...c.paths].sort(), JSON.stringify(issues, null, 1));
      for (const i of issues) {
        assert.ok(i.message.length > 0 && i.fix.length > 0, `every issue says what is wrong and how to fix it: ${JSON.stringify(i)}`);
        assert.ok(!i.message.includes("\u0000") && !i.fix.includes("\u0000"));
      }
      if (c.fix) assert.ok(issues[0]!.fix.includes(c.fix), `fix ${JSON.stringify(issues[0]!.fix)} should mention ${c.fix}`);
    });
  }

  it("reports every problem at once, in one error", () => {
    const m = onPrem();
    m.cluster.name = "Wuxi";
    m.istio.version = "1.30";
    m.eastWestGateway = { service: { type: "NodePort", nodePorts: { tls: 80 } } };
    m.peers = ["organization/mesh/wuxi"];
    m.services[0].ports[0].port = 0;
    const issues = issuesOf(m);
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      "mesh:cluster.name",
      "mesh:eastWestGateway.service",
      'mesh:eastWestGateway.service.nodePorts["tls"]',
      "mesh:istio.version",
      "mesh:peers[0]",
      "mesh:services[0].ports[0].port",
    ]);
    const message = new ConfigError(issues).message;
    assert.match(message, /^6 configuration problems; nothing was deployed:\n/);
    for (const i of issues) assert.ok(message.includes(`  - ${i.path}: ${i.message}\n    fix: ${i.fix}`));
  });

  it("fills the defaults a stack may leave out", () => {
    const m = onPrem();
    delete m.meshId;
    delete m.services;
    delete m.peers;
    delete m.trust;
    delete m.cluster.apiServer;
    m.eastWestGateway = undefined;
    const cfg = validateConfig({ stack: STACK, mesh: m });
    assert.equal(cfg.meshId, "mesh1");
    assert.equal(cfg.cluster.network, "network-wuxi");
    assert.equal(cfg.istio.repo, "https://istio-release.storage.googleapis.com/charts");
    assert.deepEqual(cfg.istio.values, { base: {}, istiod: {}, gateway: {} });
    assert.deepEqual(cfg.eastWestGateway, {
      type: "LoadBalancer",
      annotations: {},
      externalIPs: [],
      nodeSelector: undefined,
      nodePorts: {},
      replicas: 2,
    });
    assert.deepEqual(cfg.peers, []);
    assert.deepEqual(cfg.services, []);
    assert.deepEqual(cfg.trust, { kind: "none" });
    assert.equal(cfg.cluster.readerTokenGeneration, 1);
  });
});
