/**
 * wuxi brought up before its trust anchor has exported: no istiod (it would start self-signed),
 * no links, and warnings that say which stack to run first. The run itself succeeds.
 */
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { runProgram, type ProgramRun } from "../tools/engine/mock-run";
import { FIXTURE_PROJECT } from "./fixtures/project";

let run: ProgramRun;
before(async () => {
  // the anchor's stack exists (pulumi stack init) but has exported nothing
  run = await runProgram({ projectDir: FIXTURE_PROJECT, stack: "wuxi", peerOutputs: { "organization/mesh/cn-shanghai": {} } });
});

it("installs the namespace, istio-base and the reader token, and nothing that needs the mesh root", () => {
  assert.deepEqual(run.registrations.map((r) => `${r.read ? "read " : ""}${r.type} ${r.name}`).sort(), [
    "kubernetes:core/v1:Namespace wuxi-istio-system",
    "kubernetes:core/v1:Secret wuxi-reader-token-g1",
    "kubernetes:helm.sh/v3:Release wuxi-istio-base",
    "mesh:cluster:ExistingCluster wuxi",
    "mesh:istio:IstioControlPlane wuxi",
    "mesh:remote:RemoteAccess wuxi",
    "pulumi:providers:kubernetes wuxi-k8s",
    "pulumi:providers:kubernetes wuxi-k8s-adopting",
    "random:index/randomId:RandomId wuxi-reader-token-g1-suffix",
    "read pulumi:pulumi:StackReference organization/mesh/cn-shanghai",
  ]);
});

it("says to bring the anchor up first, and that the peer link waits", () => {
  assert.deepEqual(run.warnings, [
    "peer organization/mesh/cn-shanghai has not exported clusterName, network, meshId, trustRoot, remoteSecret yet, so wuxi does not read it: run pulumi up -s cn-shanghai, then pulumi up -s wuxi again",
    "the mesh root from organization/mesh/cn-shanghai is not available yet, so istiod is not installed (it would start with a self-signed root): run pulumi up -s cn-shanghai first, then pulumi up -s wuxi again",
  ]);
});

it("records the pending link and exports what peers need already", () => {
  assert.deepEqual(run.outputs.peers, [
    {
      stack: "organization/mesh/cn-shanghai",
      status: "pending",
      missing: ["clusterName", "network", "meshId", "trustRoot", "remoteSecret"],
      next: "pulumi up -s cn-shanghai, then pulumi up -s wuxi again",
    },
  ]);
  assert.equal(run.outputs.eastWestGateway, undefined);
  assert.equal(run.outputs.trustRoot, undefined);
  assert.deepEqual(run.outputs.services, []);
  assert.deepEqual([...run.secretOutputs], ["remoteSecret"]);
  assert.deepEqual([run.outputs.clusterName, run.outputs.network, run.outputs.meshId], ["wuxi", "network-wuxi", "mesh1"]);
});
