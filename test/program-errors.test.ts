/** Bad config stops the program before any resource exists, with every problem and no stack trace. */
import assert from "node:assert/strict";
import { it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runProgramFailing } from "../tools/engine/mock-run";
import { FIXTURE_PROJECT } from "./fixtures/project";

it("reports every config problem at once as a RunError and registers nothing", async () => {
  const failure = await runProgramFailing({
    projectDir: FIXTURE_PROJECT,
    stack: "wuxi",
    override: {
      "mesh:cluster": { name: "Wuxi", kubeContext: "wuxi", kubeconfig: "apiVersion: v1", apiServer: "https://127.0.0.1:6443" },
      "mesh:eastWestGateway": { service: { type: "NodePort", nodePorts: { tls: 80 } } },
      "mesh:istio": { version: "1.30.3", repo: "http://example.com/charts", values: { istiod: { global: { meshId: "x" } } } },
    },
  });
  // RunError: the CLI prints the message alone, without the program's stack trace
  assert.ok(pulumi.RunError.isInstance(failure.error), String(failure.error));
  const message = failure.error.message;
  // no stack: the SDK's colourised formatting of one takes ~15 s on Node 20 (components/run-error.ts)
  assert.equal(failure.error.stack, undefined);
  assert.match(message, /^8 configuration problems; nothing was deployed:/);
  for (const path of [
    "mesh:cluster.name",
    "mesh:cluster.kubeconfig",
    "mesh:cluster:",
    "mesh:cluster.apiServer",
    "mesh:eastWestGateway.service:",
    'mesh:eastWestGateway.service.nodePorts["tls"]',
    "mesh:istio.repo",
    "mesh:istio.values.istiod.global.meshId",
  ]) {
    assert.ok(message.includes(`  - ${path}`), `${path} missing from:\n${message}`);
  }
  assert.deepEqual(failure.registrations, []);
});
