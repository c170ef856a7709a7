/**
 * docs/running.md's "Adding a cluster", done as a user does it in a copy of the repository as it comes (the
 * two documented stacks, whatever this checkout's own stack files are): the stack file from the guide, the
 * new peer in every other stack file, `npm run update-docs`, and the tests that read the repository's own
 * files pass again (before update-docs the README's diagram test fails, naming the command); tests of
 * behaviour, run beside them, do not notice the new cluster at all.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { updateDocs } from "../tools/docs/readme-diagram";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { FIXTURE_PROJECT } from "./fixtures/project";

const GUIDE = readFileSync(join(PROJECT_DIR, "docs", "running.md"), "utf8")
  .split("\n## Adding a cluster\n")[1]!
  .split("\n## ")[0]!;

/** The guide's stack file: its ```yaml block whose first line names the file. */
function guideStackFile(): { name: string; text: string } {
  const m = /```yaml\n# (Pulumi\.([a-z0-9-]+)\.yaml)[^\n]*\n([\s\S]*?)```/.exec(GUIDE);
  assert.ok(m, "docs/running.md's Adding a cluster shows the new stack file");
  return { name: m[1]!, text: m[0].replace(/^```yaml\n/, "").replace(/```$/, "") };
}

/** `- organization/mesh/<stack>` added after the last entry of a stack file's mesh:peers. */
function addPeer(text: string, stack: string): string {
  const lines = text.split("\n");
  let i = lines.indexOf("  mesh:peers:");
  assert.ok(i >= 0, "a mesh:peers list");
  while (lines[i + 1]?.startsWith("    - ")) i++;
  lines.splice(i + 1, 0, `    - organization/mesh/${stack}`);
  return lines.join("\n");
}

/** Node's test runner in the copy, as `npm run test:unit` runs it, on some files (only the tests whose names match `names`, if given). */
function testIn(dir: string, files: readonly string[], names?: string): { code: number | null; out: string } {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const only = names ? [`--test-name-pattern=${names}`] : [];
  const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-timeout=120000", "--test-reporter=spec", ...only, ...files], {
    cwd: dir,
    env,
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("adding a cluster as docs/running.md says", { timeout: 600_000 }, () => {
  let dir: string;
  let stack: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mesh-add-cluster-"));
    // the repository's files (a checkout, or a copy of one with no .git, as .ci/run makes), not what npm, git or a run made
    cpSync(PROJECT_DIR, dir, {
      recursive: true,
      filter: (src) => {
        const rel = relative(PROJECT_DIR, src);
        return !/(^|\/)node_modules(\/|$)/.test(rel) && !/^(\.git|\.mesh|\.scratch|out)(\/|$)/.test(rel);
      },
    });
    symlinkSync(join(PROJECT_DIR, "node_modules"), join(dir, "node_modules"));
    // a clone as it comes, whatever this one's own stack files say: the two documented stacks, README drawn for them
    for (const f of readdirSync(dir)) if (/^Pulumi\..+\.yaml$/.test(f)) rmSync(join(dir, f));
    cpSync(FIXTURE_PROJECT, dir, { recursive: true });
    assert.equal(
      updateDocs(dir, () => undefined),
      0,
    );
    const file = guideStackFile();
    stack = /^Pulumi\.(.+)\.yaml$/.exec(file.name)![1]!;
    const others = readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f) && f !== "Pulumi.yaml");
    assert.deepEqual(others, ["Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]);
    writeFileSync(join(dir, file.name), file.text);
    for (const f of others) writeFileSync(join(dir, f), addPeer(readFileSync(join(dir, f), "utf8"), stack));
  });

  it("plans without an error: the guide's stack file names a cluster of its own", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "cli/mesh.ts", "plan"], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\n0 errors, 0 warnings\n$/);
  });

  it("until npm run update-docs, the README's diagram test fails saying to run it; then the repository's tests pass", () => {
    // the diagram's test alone: the file's other tests (its snippets' compile) run after update-docs
    const stale = testIn(dir, ["test/docs.test.ts"], "README's diagram");
    assert.equal(stale.code, 1);
    assert.match(stale.out, /README\.md's diagram does not show the stack files: run npm run update-docs/);

    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const update = spawnSync("npm", ["run", "-s", "update-docs"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(update.status, 0, update.stderr);
    assert.equal(update.stdout, "update-docs: redrew README.md's diagram from the stack files\n");
    assert.match(
      readFileSync(join(dir, "README.md"), "utf8"),
      new RegExp(`subgraph c_${stack}\\["${stack} · network-${stack} · existing"\\]`),
    );

    const after = testIn(dir, ["test/docs.test.ts", "test/project-files.test.ts", "test/plan-golden.test.ts", "test/wuxi.test.ts"]);
    assert.equal(after.code, 0, after.out.slice(-4000));
    assert.match(after.out, /\n. fail 0\n/);
  });
});
