/**
 * A synthetic third primary: an existing cluster from a secret kubeconfig, a LoadBalancer gateway
 * outside Alibaba Cloud, a canary revision and user values merged over ours.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unknownChartValuePaths } from "../model/chart-values";
import { isSecretValue, providerRef, runProgram, unwrapSecret, type ProgramRun } from "../tools/mock-run";
import { gatewayValuesProblems } from "./istio-schemas";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
let run: ProgramRun;

before(async () => {
  run = await runProgram({
    stack: "hangzhou",
    override: {
      "mesh:istio": {
        version: "1.30.3",
        revision: "1-30",
        values: {
          istiod: { resources: { requests: { cpu: "1" } }, global: { logging: { level: "default:debug" } } },
          gateway: { resources: { requests: { cpu: "500m" } } },
        },
      },
      "mesh:cluster": { name: "hangzhou", kubeconfig: KUBECONFIG, apiServer: "https://10.30.0.10:6443" },
      "mesh:eastWestGateway": { service: { annotations: { "metallb.universe.tf/address-pool": "mesh" } }, replicas: 3 },
      "mesh:peers": ["organization/mesh/cn-shanghai", "organization/mesh/wuxi"],
      "mesh:trust": { rootStack: "organization/mesh/cn-shanghai" },
    },
  });
});

describe("third cluster: existing cluster from a secret kubeconfig", () => {
  it("builds its provider from the kubeconfig, kept secret", () => {
    const provider = run.one("pulumi:providers:kubernetes", "hangzhou-k8s");
    assert.ok(isSecretValue(provider.inputs.kubeconfig));
    assert.equal(unwrapSecret(provider.inputs.kubeconfig), KUBECONFIG);
    assert.equal(provider.inputs.context, undefined);
    const ref = providerRef(provider);
    for (const r of run.registrations.filter((x) => x.type.startsWith("kubernetes:"))) assert.equal(r.provider, ref);
  });

  it("exports that kubeconfig as a secret", () => {
    assert.equal(run.outputs.kubeconfig, KUBECONFIG);
    assert.deepEqual([...run.secretOutputs], ["kubeconfig"]);
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
