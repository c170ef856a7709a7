/**
 * An air-gapped site: Istio's charts vendored in a folder of the project (one unpacked, two as the
 * .tgz `helm pull` saves). The program installs each from its path, without a version or repository,
 * and its images from the site's registry with a pull secret.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, it } from "node:test";
import { runProgram, type ProgramRun } from "../tools/engine/mock-run";
import { cnShanghaiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

let run: ProgramRun;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-airgap-"));
  for (const f of ["Pulumi.yaml", "Pulumi.wuxi.yaml"]) copyFileSync(join(FIXTURE_PROJECT, f), join(dir, f));
  mkdirSync(join(dir, "vendor", "istio-1.30.3", "istiod"), { recursive: true });
  writeFileSync(join(dir, "vendor", "istio-1.30.3", "istiod", "Chart.yaml"), "apiVersion: v2\nname: istiod\nversion: 1.30.3\n");
  for (const c of ["base", "gateway"]) writeFileSync(join(dir, "vendor", "istio-1.30.3", `${c}-1.30.3.tgz`), "");
  // the CLI runs the program, and the providers, in the project's folder
  process.chdir(dir);
  run = await runProgram({
    stack: "wuxi",
    projectDir: dir,
    override: {
      "mesh:istio": {
        version: "1.30.3",
        repo: "vendor/istio-1.30.3",
        hub: "registry.dc.internal:5000/istio",
        imagePullSecrets: ["dc-pull"],
      },
    },
    peerOutputs: { "organization/mesh/cn-shanghai": cnShanghaiOutputs() },
  });
});

it("installs every chart from its vendored path, with no version and no repository", () => {
  const releases = run
    .byType("kubernetes:helm.sh/v3:Release")
    .map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts]);
  assert.deepEqual(releases, [
    ["istio-base", "./vendor/istio-1.30.3/base-1.30.3.tgz", undefined, undefined],
    ["istiod", "./vendor/istio-1.30.3/istiod", undefined, undefined],
    ["istio-eastwestgateway", "./vendor/istio-1.30.3/gateway-1.30.3.tgz", undefined, undefined],
  ]);
});

it("pulls istiod and every proxy from the site's registry, with its pull secret", () => {
  const istiod = run.one("kubernetes:helm.sh/v3:Release", "wuxi-istiod").inputs.values;
  assert.deepEqual(
    [istiod.global.hub, istiod.global.tag, istiod.global.imagePullSecrets],
    ["registry.dc.internal:5000/istio", "1.30.3", ["dc-pull"]],
  );
  const gateway = run.one("kubernetes:helm.sh/v3:Release", "wuxi-istio-eastwestgateway").inputs.values;
  assert.deepEqual(gateway.imagePullSecrets, [{ name: "dc-pull" }]);
});
