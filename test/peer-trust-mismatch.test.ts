/** A peer issued from another root would fail every cross-cluster call with CERTIFICATE_VERIFY_FAILED. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { pem, runProgramFailing } from "../tools/engine/mock-run";
import { cnShanghaiOutputs, wuxiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

it("fails on a peer that trusts another root, naming the peer and the fix", async () => {
  const failure = await runProgramFailing({
    projectDir: FIXTURE_PROJECT,
    stack: "hangzhou",
    override: {
      "mesh:cluster": { name: "hangzhou", kubeContext: "hangzhou", apiServer: "https://10.30.0.10:6443" },
      "mesh:eastWestGateway": {},
      "mesh:peers": ["organization/mesh/cn-shanghai", "organization/mesh/wuxi"],
      "mesh:trust": { rootStack: "organization/mesh/cn-shanghai" },
    },
    peerOutputs: {
      "organization/mesh/cn-shanghai": cnShanghaiOutputs(["wuxi", "hangzhou"]),
      "organization/mesh/wuxi": { ...wuxiOutputs(["cn-shanghai", "hangzhou"]), trustRoot: pem("CERTIFICATE", "another root") },
    },
  });
  assert.equal(
    (failure.error as Error).message,
    "1 peer problem; nothing was deployed:\n  - peer organization/mesh/wuxi: its trust root differs from ours: cross-cluster mTLS would fail with CERTIFICATE_VERIFY_FAILED\n    fix: issue every intermediate from one root: mesh:trust.rootStack must name the same anchor in every stack; after changing it run pulumi up -s wuxi",
  );
  assert.equal(failure.registrations.filter((r) => !r.read).length, 0);
});
