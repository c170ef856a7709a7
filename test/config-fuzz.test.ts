/**
 * The seeded config fuzzer (tools/fuzz/fuzz.ts): 3 seeds × 150 mutated stack configs, each either
 * rejected as one ConfigError (config paths, a fix each, no secret echoed) or accepted only if all
 * that is derived from it is valid where it lands. Deterministic, and bounded in count and time.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { fuzz } from "../tools/fuzz/fuzz";

for (const seed of [1, 2, 3]) {
  it(`seed ${seed}: 150 cases, no invariant broken`, () => {
    const r = fuzz(seed, 150, 1000);
    assert.deepEqual(r.violations, []);
    // both sides of the invariants were exercised
    assert.ok(r.accepted >= 20 && r.rejected >= 60, `${r.accepted} accepted, ${r.rejected} rejected`);
  });
}

it("is deterministic: a seed gives the same cases", () => {
  const a = fuzz(7, 40);
  const b = fuzz(7, 40);
  assert.deepEqual([a.accepted, a.rejected], [b.accepted, b.rejected]);
});
