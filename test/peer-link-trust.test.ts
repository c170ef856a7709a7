/**
 * The anchor makes its root during the run, so it compares a peer's root with its own only then:
 * a mismatch fails the remote secret's input, and the secret is never written.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { checkedKubeconfig } from "../components/peer-link";
import { trustRootProblem } from "../model/peers";
import { rootMismatch } from "../model/trust";
import { pem } from "../automation/simulated/stand-in";
import { MESH_ROOT, WUXI_KUBECONFIG } from "./fixtures/stacks";

const value = (o: pulumi.Output<string>): Promise<string> => (o as unknown as { promise(): Promise<string> }).promise();
const problem = trustRootProblem("organization/mesh/wuxi");

it("passes the kubeconfig through when the peer trusts our root", async () => {
  const out = checkedKubeconfig(WUXI_KUBECONFIG, { ours: pulumi.output(MESH_ROOT), theirs: `${MESH_ROOT}\n`, problem });
  assert.equal(await value(out), WUXI_KUBECONFIG);
});

it("passes it through unchecked when the root was compared before the run", async () => {
  assert.equal(await value(checkedKubeconfig(WUXI_KUBECONFIG, undefined)), WUXI_KUBECONFIG);
});

it("reports another root with the peer's name and the fix; the same root in other whitespace is no problem", () => {
  assert.equal(rootMismatch(MESH_ROOT, pem("CERTIFICATE", "another root"), problem), problem);
  assert.equal(rootMismatch(MESH_ROOT, `\n${MESH_ROOT.replace(/\n/g, "\r\n")}`, problem), undefined);
  assert.match(problem, /^peer organization\/mesh\/wuxi: its trust root differs from ours.*\n {4}fix: .*pulumi up -s wuxi$/);
});
