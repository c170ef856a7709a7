/**
 * The mesh page's verdicts (console/src/lib/topology.ts), from the fixture project's plan: a service is
 * "verified" only by a check about it, or when every check of its cluster passed — never by a verify
 * that could not read the cluster.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterFacts } from "../console/src/lib/topology";
import type { VerifyCheck } from "../console/src/lib/types";
import { planMesh } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { FIXTURE_PROJECT } from "./fixtures/project";

const plan = planMesh(readProject(FIXTURE_PROJECT));
const check = (of: string, cluster: string, result: VerifyCheck["result"], category = "access"): VerifyCheck => ({
  type: "verify.check",
  of,
  cluster,
  code: result === "error" ? "MV0001" : "MV0101",
  category,
  name: "a check",
  result,
  detail: "",
  seq: 1,
  jobId: "j",
  stack: "verify",
  at: "2026-12-07T00:00:00.000Z",
});
const servicesOf = (checks: VerifyCheck[]) =>
  Object.fromEntries(clusterFacts(plan, [], checks).map((c) => [c.cluster.name, c.services.map((s) => s.health)]));

describe("the mesh page's service verdicts", () => {
  it("an unreadable cluster's services are unknown, not verified", () => {
    const verdicts = servicesOf([check("cn-shanghai", "cn-shanghai", "error"), check("wuxi", "wuxi", "error")]);
    assert.ok(plan.services.length > 0);
    assert.deepEqual(verdicts, { "cn-shanghai": plan.services.map(() => "unknown"), wuxi: plan.services.map(() => "unknown") });
  });

  it("a cluster whose every check passed verifies its services; no verify leaves them unknown", () => {
    const verdicts = servicesOf([check("cn-shanghai", "cn-shanghai", "pass"), check("wuxi", "wuxi", "warn")]);
    assert.deepEqual(
      verdicts["cn-shanghai"],
      plan.services.map(() => "pass"),
    );
    assert.deepEqual(
      verdicts.wuxi,
      plan.services.map(() => "unknown"),
    );
    assert.deepEqual(
      servicesOf([]).wuxi,
      plan.services.map(() => "unknown"),
    );
  });
});
