/**
 * `npm run evaluate` on a three-cluster fixture project (test/fixtures/three-clusters: the ACK anchor and
 * two on-prem clusters, each reading the other two): the real program through the language host's entry
 * point, in converge's order, until every link is established — and a failure when one is still pending.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { StackOutput } from "../automation/engine";
import { evaluate, evaluateStacks, pendingLinks } from "../tools/engine/evaluate";

const FIXTURE = join(__dirname, "fixtures", "three-clusters");

describe("npm run evaluate on three clusters", () => {
  it(
    "runs the anchor, then the other two, then every stack whose peers' outputs changed: all six links established, exit 0",
    { timeout: 900_000 },
    async () => {
      const lines: string[] = [];
      const code = await evaluate(FIXTURE, (l) => lines.push(l));
      const text = lines.join("\n");
      assert.equal(code, 0, text);
      assert.deepEqual(
        lines.filter((l) => l.startsWith("\n-- round")).map((l) => l.trim()),
        [
          "-- round 1 (the trust anchor makes the mesh root): cn-shanghai succeeded",
          "-- round 2 (every other stack, with the anchor's root): suzhou succeeded, wuxi succeeded",
          "-- round 3 (stacks whose peers' outputs changed since they ran): cn-shanghai succeeded, suzhou succeeded, wuxi succeeded",
        ],
      );
      assert.match(text, /converge: settled after 3 rounds/);
      assert.equal(lines.at(-1), "every link of 3 stacks is established");
      // suzhou ran before wuxi had exported: its first run says so, its last one links both
      const runs = text.split("\n== run ").slice(1);
      const suzhou = runs.filter((r) => /^\d+: pulumi up -s suzhou\n/.test(r));
      assert.equal(suzhou.length, 2);
      assert.match(suzhou[0]!, /warning: peer organization\/mesh\/wuxi has not exported/);
      assert.doesNotMatch(suzhou[1]!, /warning:/);
      assert.match(suzhou[1]!, /peers: \[\{"cluster":"cn-shanghai",.*"status":"linked"\},\{"cluster":"wuxi",.*"status":"linked"\}\]/);
    },
  );

  it("takes each stack's anchor flag from its file and its peers from the plan", () => {
    assert.deepEqual(evaluateStacks(FIXTURE), [
      { name: "cn-shanghai", anchor: true, peers: ["suzhou", "wuxi"] },
      { name: "suzhou", anchor: false, peers: ["cn-shanghai", "wuxi"] },
      { name: "wuxi", anchor: false, peers: ["cn-shanghai", "suzhou"] },
    ]);
  });

  it("names every link still pending once converge has settled", async () => {
    const outputs: Record<string, Record<string, StackOutput>> = {
      "cn-shanghai": { peers: { value: [{ stack: "organization/mesh/suzhou", cluster: "suzhou", status: "linked" }], secret: false } },
      suzhou: {
        peers: {
          value: [{ stack: "organization/mesh/wuxi", status: "pending", next: "pulumi up -s wuxi, then pulumi up -s suzhou again" }],
          secret: false,
        },
      },
      wuxi: {},
    };
    const pending = await pendingLinks({ outputs: (s) => Promise.resolve(outputs[s] ?? {}) }, evaluateStacks(FIXTURE));
    assert.deepEqual(pending, ["suzhou → organization/mesh/wuxi: pending (next: pulumi up -s wuxi, then pulumi up -s suzhou again)"]);
  });
});
