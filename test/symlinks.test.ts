/**
 * What the command line writes stays where it says: `mesh plan --out` never writes through a link in its
 * folder, and `mesh upgrade --write` never writes through a stack file that links out of the project. A
 * stack file that links inside it is edited where it points, each file replaced whole.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runPlan } from "../cli/plan";
import { OUT_MARKER } from "../plan/write-out";
import { runUpgrade } from "../plan/upgrade-command";
import { PROJECT_DIR } from "../tools/engine/project-dir";

/** The project's own files in a fresh folder, with a folder beside it that is not the project. */
function copyProject(): { dir: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), "mesh-links-"));
  const dir = join(root, "project");
  mkdirSync(dir);
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(PROJECT_DIR, f), join(dir, f));
  const outside = join(root, "outside");
  mkdirSync(outside);
  return { dir, outside };
}

describe("mesh plan --out", () => {
  it("refuses a folder whose marker is a link, and leaves what it points to as it was", () => {
    const { dir, outside } = copyProject();
    const victim = join(outside, "authorized_keys");
    writeFileSync(victim, "ssh-ed25519 AAAA operator\n");
    const out = join(dir, "planned");
    mkdirSync(out);
    symlinkSync(victim, join(out, OUT_MARKER));
    let printed = "";
    assert.equal(
      runPlan({ dir, format: "text", out }, (s) => (printed += s)),
      2,
    );
    assert.equal(
      printed,
      `mesh plan: --out ${out}: its ${OUT_MARKER} is a link or not a file, which mesh plan never writes through; remove it, or name a new folder`,
    );
    assert.equal(readFileSync(victim, "utf8"), "ssh-ed25519 AAAA operator\n");
    assert.deepEqual(readdirSync(out), [OUT_MARKER], "nothing else was written");
  });

  it("writes its marker whole into a folder of its own, and again on the next run", () => {
    const { dir } = copyProject();
    const out = join(dir, "planned");
    for (let i = 0; i < 2; i++)
      assert.equal(
        runPlan({ dir, format: "json", out }, () => undefined),
        0,
      );
    assert.ok(lstatSync(join(out, OUT_MARKER)).isFile());
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });
});

describe("mesh upgrade --write", () => {
  it("refuses a stack file that links out of the project, writing nothing anywhere", async () => {
    const { dir, outside } = copyProject();
    const elsewhere = join(outside, "wuxi.yaml");
    cpSync(join(dir, "Pulumi.wuxi.yaml"), elsewhere);
    const before = readFileSync(elsewhere, "utf8");
    const shanghai = readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8");
    rmSync(join(dir, "Pulumi.wuxi.yaml"));
    symlinkSync(elsewhere, join(dir, "Pulumi.wuxi.yaml"));
    let printed = "";
    assert.equal(await runUpgrade({ dir, to: "1.31.0", write: true }, (s) => (printed += s)), 2);
    assert.equal(
      printed,
      `mesh upgrade: ${join(dir, "Pulumi.wuxi.yaml")}: a link to ${elsewhere}, outside the project; mesh upgrade --write writes only inside ${dir}: edit that file by hand, or put the file itself in the project\n`,
    );
    assert.equal(readFileSync(elsewhere, "utf8"), before);
    assert.equal(readFileSync(join(dir, "Pulumi.cn-shanghai.yaml"), "utf8"), shanghai);
  });

  it("edits a stack file that links inside the project where it points, keeping the link and the file's mode", async () => {
    const { dir } = copyProject();
    mkdirSync(join(dir, "stacks"));
    const real = join(dir, "stacks", "wuxi.yaml");
    cpSync(join(dir, "Pulumi.wuxi.yaml"), real);
    chmodSync(real, 0o640);
    rmSync(join(dir, "Pulumi.wuxi.yaml"));
    symlinkSync(join("stacks", "wuxi.yaml"), join(dir, "Pulumi.wuxi.yaml"));
    const before = readFileSync(real, "utf8");
    let printed = "";
    // the first step (wuxi first: it is not the trust anchor) comes through the link
    assert.equal(await runUpgrade({ dir, to: "1.31.0", write: true }, (s) => (printed += s)), 0, printed);
    assert.match(printed, new RegExp(`^wrote: step \\S+ wuxi: .*\\n {2}${join(dir, "Pulumi.wuxi.yaml").replace(/[.]/g, "\\.")}\\n`));
    assert.equal(readlinkSync(join(dir, "Pulumi.wuxi.yaml")), join("stacks", "wuxi.yaml"));
    assert.notEqual(readFileSync(real, "utf8"), before);
    assert.equal(statSync(real).mode & 0o777, 0o640);
    assert.deepEqual(
      [...readdirSync(dir), ...readdirSync(join(dir, "stacks"))].filter((f) => f.endsWith(".tmp")),
      [],
    );
  });
});
