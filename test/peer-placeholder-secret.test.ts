/**
 * Stacks encrypted with different passphrases read each other's secrets as placeholders: the
 * run fails loudly instead of installing a remote secret istiod cannot use.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { runProgramFailing } from "../tools/engine/mock-run";
import { MESH_ROOT_KEY, wuxiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

it("fails on a remoteSecret that is not a kubeconfig", async () => {
  const failure = await runProgramFailing({
    projectDir: FIXTURE_PROJECT,
    stack: "cn-shanghai",
    peerOutputs: { "organization/mesh/wuxi": { ...wuxiOutputs(), remoteSecret: "[secret]" } },
  });
  const message = (failure.error as Error).message;
  assert.match(
    message,
    /^1 peer problem; nothing was deployed:\n {2}- peer organization\/mesh\/wuxi: its remoteSecret is not a kubeconfig istiod can use \(it is not a kubeconfig\)/,
  );
  assert.match(
    message,
    /fix: use the same PULUMI_CONFIG_PASSPHRASE \(or secrets provider\) for every stack, then run pulumi up -s wuxi and this stack again$/,
  );
  assert.equal(failure.registrations.filter((r) => !r.read).length, 0);
  assert.ok(!message.includes(MESH_ROOT_KEY));
});
