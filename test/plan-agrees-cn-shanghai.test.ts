/**
 * What `mesh plan --out` writes for cn-shanghai equals what the program registers for the same stack
 * files once the mesh has converged: the plan is not a second description of the mesh.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { plannedObjects } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { runProgram } from "../tools/engine/mock-run";
import { asRegistered, registeredObjects, sortObjects } from "./fixtures/agreement";
import { wuxiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

it("plans exactly the Kubernetes objects and Helm releases the program creates", async () => {
  const run = await runProgram({
    projectDir: FIXTURE_PROJECT,
    stack: "cn-shanghai",
    peerOutputs: { "organization/mesh/wuxi": wuxiOutputs() },
  });
  const planned = plannedObjects(readProject(FIXTURE_PROJECT)).get("cn-shanghai")!;
  const registered = registeredObjects(run);
  assert.deepEqual(registered.releases, planned.releases.map(asRegistered));
  assert.deepEqual(registered.objects, sortObjects(planned.objects));
  // namespace, cacerts, reader token, cross-network Gateway, remote secret, app namespace, Service, DestinationRule
  assert.equal(registered.objects.length, 8);
  assert.equal(registered.releases.length, 3);
});
