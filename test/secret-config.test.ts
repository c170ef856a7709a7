/**
 * Config stored as a secret stays secret in what is derived from it: `mesh:istio` and
 * `mesh:eastWestGateway` set with `pulumi config set --secret` make the Helm values (the gateway
 * Service's annotations among them) and the repository secret inputs, never plain text in the state.
 */
import assert from "node:assert/strict";
import { before, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isConfigSecret } from "../config";
import { isSecretValue, runProgram, type ProgramRun } from "../tools/engine/mock-run";
import { cnShanghaiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

const PLANTED = "Bearer-7f3a9c-planted";

/** Every plain (not secret-wrapped) string in an input tree that contains `needle`, with its path. */
function plainOccurrences(v: unknown, needle: string, at = ""): string[] {
  if (isSecretValue(v)) return [];
  if (typeof v === "string") return v.includes(needle) ? [at] : [];
  if (v === null || typeof v !== "object") return [];
  return Object.entries(v).flatMap(([k, c]) => plainOccurrences(c, needle, `${at}.${k}`));
}

let run: ProgramRun;
before(async () => {
  run = await runProgram({
    projectDir: FIXTURE_PROJECT,
    stack: "wuxi",
    peerOutputs: { "organization/mesh/cn-shanghai": cnShanghaiOutputs() },
    override: {
      "mesh:istio": { version: "1.30.3", values: { istiod: { env: { EXTERNAL_TOKEN: PLANTED } } } },
      "mesh:eastWestGateway": {
        service: {
          type: "NodePort",
          externalIPs: ["10.18.10.196"],
          nodeSelector: {},
          nodePorts: { tls: 30880 },
          annotations: { "example.com/auth": PLANTED },
        },
      },
    },
    secretKeys: ["mesh:istio", "mesh:eastWestGateway"],
  });
});

it("reads which keys the CLI passed as secrets from the SDK", () => {
  assert.equal(typeof (pulumi.runtime as unknown as { isConfigSecret?: unknown }).isConfigSecret, "function");
  assert.equal(isConfigSecret("mesh:istio"), true);
  assert.equal(isConfigSecret("mesh:peers"), false);
});

it("makes every release's values and repository secret inputs", () => {
  const releases = run.byType("kubernetes:helm.sh/v3:Release");
  assert.deepEqual(releases.map((r) => r.inputs.name).sort(), ["istio-base", "istio-eastwestgateway", "istiod"]);
  for (const r of releases) {
    assert.ok(isSecretValue(r.inputs.values), `${r.name}: values are plain`);
    assert.ok(isSecretValue(r.inputs.repositoryOpts), `${r.name}: repositoryOpts are plain`);
  }
});

it("leaves the planted value in no plain input of any resource", () => {
  const found = run.registrations.flatMap((r) => plainOccurrences(r.inputs, PLANTED).map((p) => `${r.type} ${r.name}${p}`));
  assert.deepEqual(found, []);
  // and it did reach the cluster: inside the secret values
  const gw = run.byType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "istio-eastwestgateway")!;
  assert.equal((gw.inputs.values as { value: any }).value.service.annotations["example.com/auth"], PLANTED);
});

it("keeps what is not derived from a secret key plain", () => {
  const ns = run.one("kubernetes:core/v1:Namespace", "wuxi-istio-system");
  assert.deepEqual(ns.inputs.metadata.labels, { "topology.istio.io/network": "network-wuxi" });
  const svc = run.one("kubernetes:core/v1:Service", "wuxi-svc-dev-helloworld");
  assert.ok(!isSecretValue(svc.inputs.spec));
});
