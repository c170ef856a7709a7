/** A peer from another mesh stops the run before anything is created, naming the peer and the fix. */
import assert from "node:assert/strict";
import { it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runProgramFailing } from "../tools/engine/mock-run";
import { cnShanghaiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

it("fails on a peer whose mesh id differs", async () => {
  const failure = await runProgramFailing({
    projectDir: FIXTURE_PROJECT,
    stack: "wuxi",
    peerOutputs: { "organization/mesh/cn-shanghai": { ...cnShanghaiOutputs(), meshId: "mesh2" } },
  });
  assert.ok(pulumi.RunError.isInstance(failure.error));
  assert.equal(
    failure.error.message,
    '1 peer problem; nothing was deployed:\n  - peer organization/mesh/cn-shanghai: its mesh id is "mesh2", ours is "mesh1"\n    fix: use one mesh:meshId for every stack (set it in Pulumi.yaml, not in a stack file), then run pulumi up -s cn-shanghai',
  );
  // only the reads of the other stack happened
  assert.deepEqual(
    failure.registrations.map((r) => `${r.read ? "read " : ""}${r.type}`),
    ["read pulumi:pulumi:StackReference"],
  );
});
