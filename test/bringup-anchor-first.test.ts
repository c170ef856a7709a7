/** The anchor's first run: wuxi has not exported yet, so cn-shanghai installs Istio and waits to link. */
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { runProgram, type ProgramRun } from "../tools/engine/mock-run";
import { FIXTURE_PROJECT } from "./fixtures/project";

let run: ProgramRun;
before(async () => {
  run = await runProgram({ projectDir: FIXTURE_PROJECT, stack: "cn-shanghai", peerOutputs: { "organization/mesh/wuxi": {} } });
});

it("installs the whole primary but no remote secret", () => {
  assert.equal(run.byType("kubernetes:helm.sh/v3:Release").length, 3);
  assert.deepEqual(run.byType("mesh:remote:PeerLink"), []);
  assert.deepEqual(
    run.byType("kubernetes:core/v1:Secret").map((r) => r.inputs.metadata.name),
    ["cacerts", "istio-reader-service-account-istio-remote-secret-token-g1-a1b2c3"],
  );
  assert.equal(run.byType("kubernetes:networking.istio.io/v1:DestinationRule").length, 1);
});

it("warns with the next command and records the link as pending", () => {
  assert.deepEqual(run.warnings, [
    "peer organization/mesh/wuxi has not exported clusterName, network, meshId, trustRoot, remoteSecret yet, so cn-shanghai does not read it: run pulumi up -s wuxi, then pulumi up -s cn-shanghai again",
  ]);
  assert.deepEqual(run.outputs.peers, [
    {
      stack: "organization/mesh/wuxi",
      status: "pending",
      missing: ["clusterName", "network", "meshId", "trustRoot", "remoteSecret"],
      next: "pulumi up -s wuxi, then pulumi up -s cn-shanghai again",
    },
  ]);
});

it("exports what wuxi needs to issue its intermediate and link back", () => {
  assert.match(run.outputs.trustRoot as string, /^-----BEGIN CERTIFICATE-----/);
  assert.match(run.outputs.trustRootKey as string, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(run.outputs.remoteSecret as string, /^apiVersion: v1/);
  assert.deepEqual([...run.secretOutputs].sort(), ["kubeconfig", "remoteSecret", "trustRootKey"]);
});
