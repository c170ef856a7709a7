/**
 * The program itself at every step of the upgrade of the fixture project's stacks: what it registers is what
 * the plan lists (both istiods, the tag webhooks, the namespace labels), and the whole policy pack passes
 * over it, as `pulumi preview` would enforce it between two steps.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { plannedObjects } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { writeStackEdits } from "../plan/stack-edit";
import { planUpgrade } from "../plan/upgrade";
import { POLICIES, type ResourceView } from "../policy/policies";
import { runProgram, unwrapSecret } from "../tools/engine/mock-run";
import { cnShanghaiOutputs, wuxiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

const plain = (v: unknown): any => {
  const u = unwrapSecret(v);
  if (Array.isArray(u)) return u.map(plain);
  if (u !== null && typeof u === "object") return Object.fromEntries(Object.entries(u).map(([k, x]) => [k, plain(x)]));
  return u;
};
const PEERS = {
  "cn-shanghai": { "organization/mesh/wuxi": wuxiOutputs() },
  wuxi: { "organization/mesh/cn-shanghai": cnShanghaiOutputs() },
};

async function check(dir: string, stack: "cn-shanghai" | "wuxi", label: string) {
  const run = await runProgram({ stack, projectDir: dir, peerOutputs: PEERS[stack] });
  const registered = run.registrations.filter((r) => !r.read);
  const byUrn = new Map<string, ResourceView>();
  for (const r of registered) byUrn.set(r.urn, { type: r.type, name: r.name, props: plain(r.inputs), dependencies: [] });
  for (const r of registered)
    (byUrn.get(r.urn)!.dependencies as ResourceView[]).push(
      ...r.dependencies.map((u) => byUrn.get(u)).filter((x): x is ResourceView => !!x),
    );
  const rs = [...byUrn.values()];
  const found = POLICIES.flatMap((p) => (p.resource ? rs.flatMap((r) => p.resource!(r, {})) : p.stack!(rs, {})));
  assert.deepEqual(found, [], `${label}: ${stack}`);
  const planned = plannedObjects(readProject(dir)).get(stack)!;
  const releases = rs
    .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
    .map((r) => `${String(r.props.name)}@${String(r.props.version)}`);
  assert.deepEqual(releases.sort(), planned.releases.map((r) => `${r.name}@${r.version}`).sort(), label);
  // registered in the order their istiod is ready: compared by name
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const hooks = rs
    .filter((r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration")
    .map((r) => ({ ...(r.props.metadata as { name: string }), webhooks: r.props.webhooks }));
  const plannedHooks = planned.objects
    .filter((o) => o.kind === "MutatingWebhookConfiguration")
    .map((o) => ({ ...o.metadata, webhooks: o.webhooks }));
  assert.deepEqual(hooks.sort(byName), plannedHooks.sort(byName), label);
  const dev = rs.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.props.metadata as { name: string }).name === "dev")!;
  assert.deepEqual(
    (dev.props.metadata as { labels: unknown }).labels,
    planned.objects.find((o) => o.kind === "Namespace" && o.metadata.name === "dev")!.metadata.labels,
    label,
  );
}

describe("the program at every step of mesh upgrade --to 1.31.0", () => {
  it("registers what the plan lists, and passes the policy pack, before and after each step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-upgrade-program-"));
    for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml", "Pulumi.wuxi.yaml"]) cpSync(join(FIXTURE_PROJECT, f), join(dir, f));
    let n = 0;
    for (;;) {
      for (const stack of ["cn-shanghai", "wuxi"] as const) await check(dir, stack, `after ${n} steps`);
      const next = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps[0];
      if (!next) break;
      writeStackEdits(dir, next.edits);
      n++;
    }
    assert.equal(n, 12);
  });
});
