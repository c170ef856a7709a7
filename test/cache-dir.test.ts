/**
 * The tests keep what they run or trust between runs (Helm, the compiled stand-in pulumi, PostgreSQL's
 * packages) in a folder of the shared temporary folder: one another user planted, or could write to, is
 * refused rather than used.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { testCache } from "./fixtures/cache-dir";

describe("the tests' cache folder", () => {
  const temp = mkdtempSync(join(tmpdir(), "mesh-cache-dir-"));
  const TMPDIR = process.env.TMPDIR;
  const base = join(temp, `mesh-test-cache-${process.getuid!()}`);
  after(() => {
    if (TMPDIR === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = TMPDIR;
    rmSync(temp, { recursive: true, force: true });
  });

  it("is made this user's, mode 755, with the folder asked for inside", () => {
    process.env.TMPDIR = temp;
    assert.equal(testCache("renders"), join(base, "renders"));
    assert.equal(statSync(base).mode & 0o777, 0o755);
    assert.equal(statSync(base).uid, process.getuid!());
  });

  it("is refused when others can write to it, saying what to do", () => {
    process.env.TMPDIR = temp;
    chmodSync(base, 0o777);
    assert.throws(
      () => testCache("renders"),
      /mesh-test-cache-\d+: not a folder of this user's that only this user can write to; remove it/,
    );
    chmodSync(base, 0o755);
    assert.equal(testCache("renders"), join(base, "renders"));
  });

  it("is refused when it is a link to somewhere else", () => {
    const other = mkdtempSync(join(temp, "elsewhere-"));
    const linked = mkdtempSync(join(temp, "tmp-"));
    process.env.TMPDIR = linked;
    mkdirSync(join(other, "x"));
    symlinkSync(other, join(linked, `mesh-test-cache-${process.getuid!()}`));
    assert.throws(() => testCache("renders"), /not a folder of this user's/);
  });
});
