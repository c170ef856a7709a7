/**
 * A synthetic third primary joining cn-shanghai and wuxi: an existing cluster from a secret
 * kubeconfig, a LoadBalancer gateway outside Alibaba Cloud, a canary revision, user values merged
 * over ours, links to both other clusters, and a rotated reader token.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { fromYaml } from "../model/yaml";
import { isSecretValue, providerRef, runProgram, unwrapSecret, type ProgramRun } from "../tools/engine/mock-run";
import { CN_SHANGHAI_KUBECONFIG, cnShanghaiOutputs, MESH_ROOT, WUXI_KUBECONFIG, wuxiOutputs } from "./fixtures/stacks";
import { gatewayValuesProblems } from "./istio-schemas";
import { FIXTURE_PROJECT } from "./fixtures/project";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
let run: ProgramRun;

before(async () => {
  run = await runProgram({
    projectDir: FIXTURE_PROJECT,
    stack: "hangzhou",
    // the kubeconfig is stored as a secret (pulumi config set --secret --path mesh:cluster.kubeconfig)
    secretKeys: ["mesh:cluster"],
    override: {
      "mesh:istio": {
        version: "1.30.3",
        revision: "1-30",
        values: {
          istiod: { resources: { requests: { cpu: "1" } }, global: { logging: { level: "default:debug" } } },
          gateway: { resources: { requests: { cpu: "500m" } } },
        },
      },
      "mesh:cluster": { name: "hangzhou", kubeconfig: KUBECONFIG, apiServer: "https://10.30.0.10:6443", readerTokenGeneration: 2 },
      "mesh:eastWestGateway": { service: { annotations: { "metallb.universe.tf/address-pool": "mesh" } }, replicas: 3 },
      "mesh:peers": ["organization/mesh/cn-shanghai", "organization/mesh/wuxi"],
      "mesh:trust": { rootStack: "organization/mesh/cn-shanghai" },
    },
    peerOutputs: {
      "organization/mesh/cn-shanghai": cnShanghaiOutputs(["wuxi", "hangzhou"]),
      "organization/mesh/wuxi": wuxiOutputs(["cn-shanghai", "hangzhou"]),
    },
  });
});

describe("third cluster: existing cluster from a secret kubeconfig", () => {
  it("builds its provider from the kubeconfig, kept secret", () => {
    const provider = run.one("pulumi:providers:kubernetes", "hangzhou-k8s");
    assert.ok(isSecretValue(provider.inputs.kubeconfig));
    assert.equal(unwrapSecret(provider.inputs.kubeconfig), KUBECONFIG);
    assert.equal(provider.inputs.context, undefined);
    const refs = new Set([providerRef(provider), providerRef(run.one("pulumi:providers:kubernetes", "hangzhou-k8s-adopting"))]);
    for (const r of run.registrations.filter((x) => x.type.startsWith("kubernetes:")))
      assert.ok(refs.has(r.provider), `${r.type} ${r.name}`);
  });

  it("exports that kubeconfig as a secret", () => {
    assert.equal(run.outputs.kubeconfig, KUBECONFIG);
    assert.deepEqual([...run.secretOutputs].sort(), ["kubeconfig", "remoteSecret"]);
  });
});

describe("third cluster: links to both other primaries", () => {
  it("reads each other stack once", () => {
    assert.deepEqual(
      run
        .byType("pulumi:pulumi:StackReference")
        .map((r) => r.name)
        .sort(),
      ["organization/mesh/cn-shanghai", "organization/mesh/wuxi"],
    );
  });

  it("installs a remote secret for each", () => {
    const secrets = run
      .byType("kubernetes:core/v1:Secret")
      .filter((r) => r.inputs.metadata.labels?.["istio/multiCluster"] === "true")
      .map((r) => [r.inputs.metadata.name, unwrapSecret(r.inputs.stringData)]);
    assert.deepEqual(secrets.sort(), [
      ["istio-remote-secret-cn-shanghai", { "cn-shanghai": CN_SHANGHAI_KUBECONFIG }],
      ["istio-remote-secret-wuxi", { wuxi: WUXI_KUBECONFIG }],
    ]);
    assert.deepEqual(run.outputs.peers, [
      { stack: "organization/mesh/cn-shanghai", cluster: "cn-shanghai", status: "linked" },
      { stack: "organization/mesh/wuxi", cluster: "wuxi", status: "linked" },
    ]);
    assert.deepEqual(run.warnings, []);
    assert.equal(run.outputs.trustRoot, MESH_ROOT);
  });

  it("keeps the previous reader token while exporting the new generation's", () => {
    const tokens = run
      .byType("kubernetes:core/v1:Secret")
      .filter((r) => r.inputs.type === "kubernetes.io/service-account-token")
      .map((r) => [r.name, r.inputs.metadata.name]);
    assert.deepEqual(tokens, [
      ["hangzhou-reader-token-g1", "istio-reader-service-account-istio-remote-secret-token-g1-a1b2c3"],
      ["hangzhou-reader-token-g2", "istio-reader-service-account-istio-remote-secret-token-g2-a1b2c3"],
    ]);
    assert.deepEqual(
      run.byType("random:index/randomId:RandomId").map((r) => r.inputs.keepers),
      [{ generation: "1" }, { generation: "2" }],
    );
    const kc = fromYaml(run.outputs.remoteSecret as string) as any;
    assert.equal(kc.users[0].user.token, "token-of-istio-reader-service-account-istio-remote-secret-token-g2-a1b2c3");
    assert.equal(kc.clusters[0].cluster.server, "https://10.30.0.10:6443");
  });

  it("opts the catalog's namespace in with the revision label, not istio-injection", () => {
    assert.deepEqual(run.one("kubernetes:core/v1:Namespace", "hangzhou-ns-dev").inputs.metadata, {
      name: "dev",
      labels: { "istio.io/rev": "1-30" },
    });
  });
});

describe("third cluster: revision and user values", () => {
  it("names istiod after the revision and points base's default validator at it", () => {
    assert.deepEqual(
      run.byType(RELEASE).map((r) => r.inputs.name),
      ["istio-base", "istiod-1-30", "istio-eastwestgateway"],
    );
    assert.deepEqual(run.one(RELEASE, "hangzhou-istio-base").inputs.values, { defaultRevision: "1-30" });
  });

  it("merges the user's istiod values over ours", () => {
    const values = run.one(RELEASE, "hangzhou-istiod-1-30").inputs.values;
    assert.deepEqual(values, {
      revision: "1-30",
      resources: { requests: { cpu: "1" } },
      global: {
        meshID: "mesh1",
        multiCluster: { clusterName: "hangzhou" },
        network: "network-hangzhou",
        hub: "docker.io/istio",
        tag: "1.30.3",
        logging: { level: "default:debug" },
      },
    });
    assert.deepEqual(unknownChartValuePaths("istiod", "1.30.3", values), []);
  });

  it("runs a LoadBalancer gateway with the revision, the replicas and no Alibaba annotation outside ACK", () => {
    const values = run.one(RELEASE, "hangzhou-istio-eastwestgateway").inputs.values;
    assert.deepEqual(values, {
      name: "istio-eastwestgateway",
      revision: "1-30",
      networkGateway: "network-hangzhou",
      autoscaling: { minReplicas: 3, maxReplicas: 5 },
      resources: { requests: { cpu: "500m" } },
      service: { type: "LoadBalancer", annotations: { "metallb.universe.tf/address-pool": "mesh" } },
    });
    assert.deepEqual(gatewayValuesProblems(values), []);
  });

  it("exports its own identity", () => {
    assert.deepEqual(
      [run.outputs.clusterName, run.outputs.network, run.outputs.apiServer],
      ["hangzhou", "network-hangzhou", "https://10.30.0.10:6443"],
    );
  });
});
