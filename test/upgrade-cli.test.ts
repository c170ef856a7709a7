/**
 * `mesh upgrade` through the command line: the plan printed, `--write` editing only the next step's stack
 * file, and `--apply` running that step as `mesh converge --verify` (the simulated engine stands in for
 * the Pulumi CLI; no cluster answers, so verify's exit code is the command's).
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../cli/mesh";
import type { CommandDeps } from "../automation/commands";
import { MemoryEngine } from "../automation/memory-engine";
import { FIXTURE_PROJECT } from "./fixtures/project";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-upgrade-cli-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(FIXTURE_PROJECT, f), join(dir, f));
  return dir;
}
async function run(...argv: string[]) {
  let printed = "";
  let verified = "";
  const engine = new MemoryEngine({
    stacks: [
      { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
      { name: "wuxi", peers: ["cn-shanghai"] },
    ],
  });
  const database = `sqlite:${join(mkdtempSync(join(tmpdir(), "mesh-upgrade-db-")), "jobs.db")}`;
  const deps = (dir: string): CommandDeps => ({
    projectDir: dir,
    engine: () => engine,
    database,
    out: { write: (s: string) => (printed += s) },
    requestedBy: "tester",
  });
  const io = { out: (s: string) => (printed += s), err: (s: string) => (printed += s) };
  const code = await cli(argv, deps, io, () => ({
    out: { write: (s: string) => (verified += s) },
    outputs: () => engine,
    options: { timeoutMs: 500, loadDefaultKubeconfig: () => undefined },
  }));
  return { code, printed, verified };
}

describe("mesh upgrade on the command line", () => {
  it("prints the plan and exits 0; refuses a skew with exit 1", async () => {
    const dir = project();
    const ok = await run("upgrade", "--to", "1.31.0", "--dir", dir);
    assert.equal(ok.code, 0, ok.printed);
    assert.match(ok.printed, /^Upgrade to Istio 1\.31\.0 \(revision 1-31-0\)\n/);
    const refused = await run("upgrade", "--to", "1.32.0", "--dir", dir);
    assert.equal(refused.code, 1);
    assert.match(refused.printed, /Step 1 skew gate: REFUSED/);
  });

  it("a wrong --wait is a usage error before any stack file is written", async () => {
    const dir = project();
    const before = readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8");
    for (const argv of [
      ["--apply", "--wait", "soon"],
      ["--write", "--wait", "10m"],
    ]) {
      const r = await run("upgrade", "--to", "1.31.0", ...argv, "--dir", dir);
      assert.equal(r.code, 2, r.printed);
      assert.match(r.printed, /^mesh upgrade: /);
    }
    assert.equal(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), before);
  });

  it("--apply writes the next step, converges every stack, then runs verify and exits with its code", async () => {
    const dir = project();
    const r = await run("upgrade", "--to", "1.31.0", "--apply", "--dir", dir);
    assert.match(r.printed, /^wrote: wuxi: adopt mesh:revisions in wuxi/);
    assert.match(r.printed, /settled after \d+ rounds?/);
    assert.match(readFileSync(join(dir, "Pulumi.wuxi.yaml"), "utf8"), /\n {2}mesh:revisions:\n/);
    assert.doesNotMatch(readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8"), /mesh:revisions/);
    // no cluster credentials here: verify reports both clusters unreadable (exit 2), and so does the command
    assert.match(r.verified, /^cn-shanghai \(stack cn-shanghai, 0 requests\)\n[\s\S]*UNREADABLE MV0001[\s\S]*\nwuxi \(stack wuxi/);
    assert.equal(r.code, 2);
  });
});
