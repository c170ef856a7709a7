/**
 * The Pulumi SDK (with the TypeScript compiler and npm's Arborist it loads, about half a second of CPU) loads
 * only where something runs the program or the Automation API. Each test file and each server process pays
 * again for what it loads, so neither the simulated server's start nor the fixtures that only name the
 * repository's folder (tools/engine/project-dir.ts) or the fixture stacks' outputs (test/fixtures/stacks.ts)
 * load it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Module from "node:module";
import { describe, it } from "node:test";
import { ProgramEngine } from "../automation/simulated/program-engine";
import { MeshError } from "../automation/types";
import { FIXTURE_PROJECT } from "./fixtures/project";

const sdkModules = () => Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/.test(f));

/** server/main.ts's own imports of the project's modules (not `import type`), as paths from test/. */
function serverImports(): string[] {
  const source = readFileSync(join(__dirname, "..", "server", "main.ts"), "utf8");
  return [...source.matchAll(/^import (?!type )[^;]*? from "(\.\.?\/[^"]+)";$/gm)].map((m) => join("..", "server", m[1]!));
}

describe("loading the Pulumi SDK", () => {
  it("is not needed for what the simulated server starts with, nor for the fixtures that only name folders and stacks", () => {
    const modules = [...serverImports(), "../automation/simulated/demo", "../tools/engine/project-dir", "./fixtures/stacks"];
    // the server's own modules, found in its source: a static import of the local engine would be among them
    assert.ok(modules.includes(join("..", "server", "../automation/jobs")), modules.join(", "));
    assert.deepEqual(sdkModules(), []);
    for (const m of modules)
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, after the first look at the cache
      require(m);
    assert.deepEqual(sdkModules(), []);
  });

  it("at a simulated run, when it cannot be loaded, fails that run with engine_failed, the cause's first line and the fix", async () => {
    const m = Module as unknown as { _load: (req: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown };
    const load = m._load;
    m._load = function (req, parent, isMain) {
      if (req === "@pulumi/pulumi" && /loopback-engine/.test(parent?.filename ?? ""))
        throw Object.assign(
          new Error("Cannot find module '@pulumi/pulumi'\nRequire stack:\n- /srv/mesh/automation/simulated/loopback-engine.ts"),
          {
            code: "MODULE_NOT_FOUND",
          },
        );
      return load.call(this, req, parent, isMain);
    };
    try {
      const engine = new ProgramEngine({ projectDir: FIXTURE_PROJECT });
      const err = await engine
        .run("wuxi", "preview", { signal: new AbortController().signal, includeProtected: false, onEvent: () => {} })
        .then(
          () => assert.fail("the run succeeded"),
          (e: unknown) => e,
        );
      assert.ok(err instanceof MeshError, String(err));
      assert.equal(err.code, "engine_failed");
      assert.equal(
        err.message,
        "the simulated engine cannot load the Pulumi SDK (Cannot find module '@pulumi/pulumi'): reinstall the project's packages with npm ci",
      );
    } finally {
      m._load = load;
    }
  });

  it("happens when a run needs it: the in-process mocks", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, after the first look at the cache
    require("../tools/engine/mock-run");
    assert.ok(sdkModules().length > 0);
  });
});
