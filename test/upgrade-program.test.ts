/**
 * The program itself at every step of the upgrade of a two-cluster project (test/fixtures/upgrade): what it
 * registers is what the plan lists (both istiods, the tag webhooks, the namespace labels), the whole policy
 * pack passes over it, as `pulumi preview` would enforce it between two steps; each tag webhook is created with
 * the caBundle of its revision's own injector, read from the cluster, as `istioctl tag set` copies it
 * (istioctl/pkg/tag/generate.go), and a catalog namespace changes only after the tag webhooks exist.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plannedObjects } from "../plan/plan";
import { configStrings, readProject, stackConfig } from "../plan/stack-files";
import { writeStackEdits } from "../plan/stack-edit";
import { planUpgrade } from "../plan/upgrade";
import { POLICIES, type ResourceView } from "../policy/policies";
import { b64, pem, runProgram, unwrapSecret } from "../tools/engine/mock-run";
import { cnShanghaiOutputs, wuxiOutputs } from "./fixtures/stacks";
import { upgradeProject } from "./fixtures/upgrade";

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
const HOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
type Hook = { name: string; clientConfig: { caBundle?: string; service?: unknown } };

/**
 * Program runs by their input: the stack and its config as the engine hands it over (the peers' outputs are
 * fixed). Most steps edit one stack's file, so the other stack's program runs as it did at the step before.
 */
const runs = new Map<string, ReturnType<typeof runProgram>>();

/** What the program registers for a stack, as the policy pack sees it. */
async function registered(dir: string, stack: "cn-shanghai" | "wuxi") {
  const key = JSON.stringify([stack, configStrings(stackConfig(readProject(dir), stack))]);
  let running = runs.get(key);
  if (!running) runs.set(key, (running = runProgram({ stack, projectDir: dir, peerOutputs: PEERS[stack] })));
  const run = await running;
  const registered = run.registrations.filter((r) => !r.read);
  const byUrn = new Map<string, ResourceView>();
  for (const r of registered) byUrn.set(r.urn, { type: r.type, name: r.name, props: plain(r.inputs), dependencies: [] });
  for (const r of registered)
    (byUrn.get(r.urn)!.dependencies as ResourceView[]).push(
      ...r.dependencies.map((u) => byUrn.get(u)).filter((x): x is ResourceView => !!x),
    );
  return { run, rs: [...byUrn.values()] };
}

async function check(dir: string, stack: "cn-shanghai" | "wuxi", label: string) {
  const { run, rs } = await registered(dir, stack);
  const found = POLICIES.flatMap((p) => (p.resource ? rs.flatMap((r) => p.resource!(r, {})) : p.stack!(rs, {})));
  assert.deepEqual(found, [], `${label}: ${stack}`);
  const planned = plannedObjects(readProject(dir)).get(stack)!;
  const releases = rs
    .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
    .map((r) => `${String(r.props.name)}@${String(r.props.version)}`);
  assert.deepEqual(releases.sort(), planned.releases.map((r) => `${r.name}@${r.version}`).sort(), label);
  // registered in the order their istiod is ready: compared by name; the caBundle is the cluster's, not the plan's
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const tags = rs.filter((r) => r.type === HOOK);
  const hooks = tags.map((r) => ({
    ...(r.props.metadata as { name: string }),
    webhooks: (r.props.webhooks as Hook[]).map(({ clientConfig: { caBundle: _, ...cc }, ...w }) => ({ ...w, clientConfig: cc })),
  }));
  const plannedHooks = planned.objects
    .filter((o) => o.kind === "MutatingWebhookConfiguration")
    .map((o) => ({ ...o.metadata, webhooks: o.webhooks }));
  assert.deepEqual(hooks.sort(byName), plannedHooks.sort(byName), label);
  // each tag's webhooks carry the caBundle of the injector of the revision it points at, read back (a Get)
  for (const t of tags) {
    const rev = (t.props.metadata as { labels: Record<string, string> }).labels["istio.io/rev"];
    const injector = `istio-sidecar-injector${rev === "default" ? "" : `-${rev}`}`;
    assert.ok(
      run.registrations.some((r) => r.read && r.type === HOOK && r.id === injector),
      `${label}: ${stack} reads ${injector}`,
    );
    for (const w of t.props.webhooks as Hook[])
      assert.equal(w.clientConfig.caBundle, b64(pem("CERTIFICATE", `istiod CA of ${injector}`)), `${label}: ${stack}: ${w.name}`);
  }
  const dev = rs.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.props.metadata as { name: string }).name === "dev")!;
  assert.deepEqual(
    (dev.props.metadata as { labels: unknown }).labels,
    planned.objects.find((o) => o.kind === "Namespace" && o.metadata.name === "dev")!.metadata.labels,
    label,
  );
  // relabelled only once every tag webhook exists: pods created in between would get no sidecar
  assert.deepEqual(
    dev
      .dependencies!.filter((d) => d.type === HOOK)
      .map((d) => d.name)
      .sort(),
    tags.map((t) => t.name).sort(),
    label,
  );
  return tags.length;
}

describe("the program at every step of mesh upgrade --to 1.31.0", () => {
  it("registers what the plan lists, copies each tag's caBundle, orders the namespaces after the tags, and passes the policy pack", async () => {
    const dir = upgradeProject("two-clusters");
    let n = 0;
    let hooks = 0;
    for (;;) {
      for (const stack of ["cn-shanghai", "wuxi"] as const) hooks += await check(dir, stack, `after ${n} steps`);
      const next = planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps[0];
      if (!next) break;
      writeStackEdits(dir, next.edits);
      n++;
    }
    assert.equal(n, 12);
    assert.ok(hooks > 0);
  });

  it("the policy pack refuses a namespace on a tag that does not wait for the tag's webhook", async () => {
    const dir = upgradeProject("two-clusters");
    writeStackEdits(dir, planUpgrade(readProject(dir), "1.31.0", { canary: ["dev"] }).steps[0]!.edits);
    const { rs } = await registered(dir, "wuxi");
    const policy = POLICIES.find((p) => p.name === "tag-webhooks-before-namespaces")!;
    assert.deepEqual(policy.stack!(rs, {}), []);
    const cut = rs.map((r) =>
      r.type === "kubernetes:core/v1:Namespace" && (r.props.metadata as { name: string }).name === "dev"
        ? { ...r, dependencies: r.dependencies!.filter((d) => d.type !== HOOK) }
        : r,
    );
    assert.deepEqual(policy.stack!(cut, {}), [
      "wuxi-ns-dev: labelled istio.io/rev=prod-canary without depending on wuxi-istio-revision-tag-prod-canary: both are applied at once, and pods created in between get no sidecar",
    ]);
  });
});
