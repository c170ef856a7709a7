/**
 * `mesh plan` on hostile files and paths: it never deletes or writes outside the folder it creates
 * for `--out`, ends at once on any file (exit 2 and a message for what it cannot read), and takes
 * config as the CLI hands it to the program.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EXIT, runPlan } from "../cli/mesh";
import { fromYaml, toYaml } from "../model/yaml";
import type { MeshPlan } from "../plan/plan";
import { OUT_MARKER } from "../plan/write-out";
import { FIXTURE_PROJECT } from "./fixtures/project";

/** A copy of the fixture project in a fresh folder, with `extra` files added. */
function project(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-hostile-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"])
    writeFileSync(join(dir, f), readFileSync(join(FIXTURE_PROJECT, f)));
  for (const [f, text] of Object.entries(extra)) writeFileSync(join(dir, f), text);
  return dir;
}

function plan(dir: string, extra: { out?: string; format?: "text" | "json" } = {}): { code: number; text: string } {
  let text = "";
  const code = runPlan({ dir, format: extra.format ?? "text", out: extra.out }, (s) => (text += s));
  return { code, text };
}

describe("files that cannot be read", () => {
  it("refuses a stack file that is a FIFO at once (it would block a read forever)", () => {
    const dir = project();
    execFileSync("mkfifo", [join(dir, "Pulumi.pipe.yaml")]);
    const r = plan(dir);
    assert.equal(r.code, EXIT.unreadable);
    assert.equal(r.text, `mesh plan: ${join(dir, "Pulumi.pipe.yaml")}: not a regular file`);
  });

  it("refuses a stack file that is a link to a device", () => {
    const dir = project();
    symlinkSync("/dev/zero", join(dir, "Pulumi.zero.yaml"));
    const r = plan(dir);
    assert.equal(r.code, EXIT.unreadable);
    assert.equal(r.text, `mesh plan: ${join(dir, "Pulumi.zero.yaml")}: not a regular file`);
  });

  it("refuses a 1 KB YAML alias bomb without expanding it", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      lines.push(`${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
    }
    const bomb = `config:\n  mesh:junk:\n${lines.map((l) => `    ${l}`).join("\n")}\n`;
    assert.ok(bomb.length < 1024, `${bomb.length} bytes`);
    const dir = project({ "Pulumi.bomb.yaml": bomb });
    const r = plan(dir);
    assert.equal(r.code, EXIT.unreadable);
    assert.match(r.text, /Pulumi\.bomb\.yaml: more than 200000 values once its YAML aliases are expanded$/);
  });

  for (const file of ["Pulumi...yaml", "Pulumi....yaml"]) {
    it(`refuses ${file} (stack "${file.slice(7, -5)}") and deletes nothing with --out`, () => {
      const parent = mkdtempSync(join(tmpdir(), "mesh-parent-"));
      writeFileSync(join(parent, "keep.txt"), "mine");
      const dir = project({ [file]: "config: {}\n" });
      const r = plan(dir, { out: join(parent, "out") });
      assert.equal(r.code, EXIT.unreadable);
      assert.match(r.text, /is not a stack name/);
      assert.equal(readFileSync(join(parent, "keep.txt"), "utf8"), "mine");
      assert.deepEqual(readdirSync(parent), ["keep.txt"]);
    });
  }
});

describe("--out", () => {
  it("refuses a path that is an existing file, saying so, and leaves it alone", () => {
    const dir = project();
    const file = join(dir, "notes.txt");
    writeFileSync(file, "notes");
    const r = plan(dir, { out: file });
    assert.equal(r.code, EXIT.unreadable);
    assert.equal(r.text, `mesh plan: --out ${file}: exists and is not a folder; name a new folder`);
    assert.equal(readFileSync(file, "utf8"), "notes");
  });

  it("refuses a non-empty folder it did not create, and leaves it alone", () => {
    const dir = project();
    const out = join(dir, "mine");
    mkdirSync(join(out, "wuxi"), { recursive: true });
    writeFileSync(join(out, "wuxi", "objects.yaml"), "hand-written");
    const r = plan(dir, { out });
    assert.equal(r.code, EXIT.unreadable);
    assert.match(r.text, /a folder mesh plan did not create/);
    assert.equal(readFileSync(join(out, "wuxi", "objects.yaml"), "utf8"), "hand-written");
  });

  it("creates a new folder, marks it, and rewrites only its own stack folders on the next run", () => {
    const dir = project();
    const out = join(dir, "plan-out");
    assert.equal(plan(dir, { out }).code, EXIT.ok);
    assert.deepEqual(readdirSync(out).sort(), [OUT_MARKER, "cn-shanghai", "wuxi"]);
    writeFileSync(join(out, "wuxi", "stale.yaml"), "old");
    assert.equal(plan(dir, { out }).code, EXIT.ok);
    assert.ok(!existsSync(join(out, "wuxi", "stale.yaml")));
    assert.deepEqual(readdirSync(join(out, "wuxi")).sort(), ["objects.yaml", "releases.yaml", "values"]);
  });
});

describe("config as the CLI passes it", () => {
  it('accepts mesh:meshId: 123, a scalar the CLI hands the program as the string "123"', () => {
    const dir = project();
    const yaml = readFileSync(join(dir, "Pulumi.yaml"), "utf8").replace(/ {2}mesh:meshId:\n( {4}.*\n)+/, "  mesh:meshId: 123\n");
    writeFileSync(join(dir, "Pulumi.yaml"), yaml);
    const r = plan(dir, { format: "json" });
    assert.equal(r.code, EXIT.ok, r.text);
    assert.equal((JSON.parse(r.text) as MeshPlan).meshId, "123");
  });

  it("still rejects a key that is not a string where the program needs structure", () => {
    const dir = project({ "Pulumi.wuxi.yaml": toYaml({ config: { ...stackOf("wuxi"), "mesh:peers": "organization/mesh/cn-shanghai" } }) });
    const r = plan(dir, { format: "json" });
    assert.equal(r.code, EXIT.findings);
    assert.deepEqual(
      (JSON.parse(r.text) as MeshPlan).findings.filter((f) => f.stack === "wuxi").map((f) => f.path),
      // and the note that wuxi was left out of the checks across stacks
      ["mesh:peers", "*"],
    );
  });
});

function stackOf(stack: string): Record<string, unknown> {
  return (fromYaml(readFileSync(join(FIXTURE_PROJECT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
}
