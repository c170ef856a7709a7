/**
 * The Pulumi SDK (with the TypeScript compiler and npm's Arborist it loads, about half a second of CPU) loads
 * only where something runs the program or the Automation API: not when the simulated server starts, nor for
 * the stand-in's canned values and the tests' fixtures that name the project's folder or other stacks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

const sdkModules = () => Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/.test(f));

describe("loading the Pulumi SDK", () => {
  it("is not needed to start the simulated server, nor for the fixtures that only name stacks and folders", () => {
    assert.deepEqual(sdkModules(), []);
    for (const m of [
      "../automation/simulated/demo",
      "../automation/simulated/language-host",
      "../automation/store/open",
      "../server/app",
      "../tools/engine/project-dir",
      "./fixtures/stacks",
    ])
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, after the first look at the cache
      require(m);
    assert.deepEqual(sdkModules(), []);
  });

  it("happens when a run needs it: the in-process mocks", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, after the first look at the cache
    require("../tools/engine/mock-run");
    assert.ok(sdkModules().length > 0);
  });
});
