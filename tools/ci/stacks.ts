/**
 * The workflows' stacks, derived from the stack files through `mesh plan --format json`, so that a
 * new Pulumi.<stack>.yaml is previewed and applied with no workflow edited. One convention:
 *
 *   runner label   mesh-<stack>            a self-hosted runner inside that cluster's network (previews);
 *                                          mesh-ops reaches every cluster (up.yml's converge)
 *   kubeconfig     <STACK>_KUBECONFIG      a secret, for a stack on an existing cluster named by mesh:cluster.kubeContext;
 *                                          upper case, each character outside A-Z 0-9 as _ (wuxi: WUXI_KUBECONFIG)
 *   ACK            ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY, for a stack that provisions ACK
 *
 *   node --import tsx tools/ci/stacks.ts matrix <plan.json>            matrix= and stacks= lines for GITHUB_OUTPUT
 *   node --import tsx tools/ci/stacks.ts list <plan.json>              one stack a line
 *   node --import tsx tools/ci/stacks.ts slots <plan.json>              kubeconfigs= for GITHUB_OUTPUT: the kubeconfig secrets'
 *                                                                      names, one per slot of up.yml (padded with "")
 *   node --import tsx tools/ci/stacks.ts kubeconfigs <plan.json> <dir> writes each slot's kubeconfig (KUBECONFIG_SLOT_<n>, the
 *                                                                      secret the slot names) to <dir>; prints KUBECONFIG= for GITHUB_ENV
 *
 * A job is given each secret by name (`secrets[<name>]`), never the whole set: the names come from the
 * stack files at plan time, in a job that holds no secret.
 *   node --import tsx tools/ci/stacks.ts verify-flags <plan.json> <dir> mesh verify's --kubeconfig <stack>=<file> per
 *                                                                      kube-context stack, one argument a line (file names only)
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

export interface CiStack {
  readonly stack: string;
  readonly runner: string;
  /** Provisions ACK: Alibaba Cloud credentials. */
  readonly ack: boolean;
  /** The secret holding its kubeconfig, or "" (ACK: the program reads the cluster's own). */
  readonly kubeconfig: string;
}

/** The runner label that converges every stack; no stack may take it. */
export const OPS_RUNNER = "mesh-ops";

/**
 * Kubeconfig secrets up.yml's converge job can be given: one `KUBECONFIG_SLOT_<n>` line each in its
 * kubeconfig step (test/workflows.test.ts holds the two equal). A mesh with more existing clusters
 * needs more lines there.
 */
export const KUBECONFIG_SLOTS = 8;

export const kubeconfigSecret = (stack: string): string => `${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_KUBECONFIG`;

/** Every stack file's stack, in the plan's order. Throws with the fix when the plan cannot give them. */
export function ciStacks(planJson: string): CiStack[] {
  let plan: { stacks?: unknown; clusters?: { stack?: string; source?: string }[] };
  try {
    plan = JSON.parse(planJson) as typeof plan;
  } catch {
    throw new Error("the plan is not JSON: run npm run -s plan -- --format json and read what it printed");
  }
  if (!Array.isArray(plan.stacks) || plan.stacks.length === 0 || !plan.stacks.every((s) => typeof s === "string"))
    throw new Error("the plan lists no stacks: add a Pulumi.<stack>.yaml per cluster (docs/running.md#adding-a-cluster)");
  const stacks: string[] = plan.stacks;
  const clash = stacks.find((s) => `mesh-${s}` === OPS_RUNNER);
  if (clash) throw new Error(`stack ${clash}: its runner label would be ${OPS_RUNNER}, the converge runner's; rename the stack`);
  const secrets = new Map<string, string>();
  for (const s of stacks) {
    const other = secrets.get(kubeconfigSecret(s));
    if (other) throw new Error(`stacks ${other} and ${s} would share the secret ${kubeconfigSecret(s)}; rename one`);
    secrets.set(kubeconfigSecret(s), s);
  }
  return stacks.map((stack) => {
    // a stack that failed validation has no cluster in the plan (its preview reports why); a kubeconfig
    // in the stack's secret config (mesh:cluster.kubeconfig) needs no kubeconfig secret
    const source = (plan.clusters ?? []).find((c) => c.stack === stack)?.source;
    return { stack, runner: `mesh-${stack}`, ack: source === "ack", kubeconfig: source === "kubeContext" ? kubeconfigSecret(stack) : "" };
  });
}

/** Where `kubeconfigs` writes a stack's kubeconfig. */
const kubeconfigFile = (dir: string, stack: string): string => join(dir, `kubeconfig-${stack}`);

/**
 * `mesh verify`'s credentials per stack: each kube-context stack reads its own kubeconfig file, since
 * merged kubeconfigs that share a cluster or user name (kubeadm's `kubernetes`, `kubernetes-admin`) do not
 * load; an ACK stack's come from its kubeconfig output. Names files, never their content.
 */
export function verifyFlags(stacks: readonly CiStack[], dir: string): string[] {
  return stacks.filter((s) => s.kubeconfig).flatMap((s) => ["--kubeconfig", `${s.stack}=${kubeconfigFile(dir, s.stack)}`]);
}

/** The kubeconfig secrets' names in slot order, padded with "" to every slot; throws when they do not fit. */
export function kubeconfigSlots(stacks: readonly CiStack[]): string[] {
  const names = stacks.filter((s) => s.kubeconfig).map((s) => s.kubeconfig);
  if (names.length > KUBECONFIG_SLOTS)
    throw new Error(
      `${names.length} stacks need a kubeconfig secret, and up.yml has ${KUBECONFIG_SLOTS} slots: add KUBECONFIG_SLOT_${KUBECONFIG_SLOTS + 1}.. lines to its kubeconfig step and raise KUBECONFIG_SLOTS in tools/ci/stacks.ts`,
    );
  return [...names, ...Array<string>(KUBECONFIG_SLOTS - names.length).fill("")];
}

/**
 * The secrets given to the job: slot n holds the secret `names[n-1]` (as the plan job named it) in
 * `KUBECONFIG_SLOT_<n>`; the names must be the ones these stacks derive, or the slots are not trusted.
 */
export function slotSecrets(stacks: readonly CiStack[], names: unknown, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const expected = kubeconfigSlots(stacks);
  if (!isDeepStrictEqual(names, expected))
    throw new Error(
      `the plan job named the kubeconfig secrets ${JSON.stringify(names)}, these stack files ${JSON.stringify(expected)}: both must read the same commit`,
    );
  return Object.fromEntries(
    expected.flatMap((name, i) => (name && env[`KUBECONFIG_SLOT_${i + 1}`] ? [[name, env[`KUBECONFIG_SLOT_${i + 1}`]]] : [])),
  );
}

/** Writes each kube-context stack's kubeconfig (mode 600) and returns the KUBECONFIG list that merges them. */
export function writeKubeconfigs(stacks: readonly CiStack[], secrets: Readonly<Record<string, unknown>>, dir: string): string {
  const missing = stacks.filter((s) => s.kubeconfig && typeof secrets[s.kubeconfig] !== "string").map((s) => s.kubeconfig);
  if (missing.length > 0)
    throw new Error(`no secret ${missing.join(", ")}: add each, a kubeconfig whose context is the stack's mesh:cluster.kubeContext`);
  const files = stacks
    .filter((s) => s.kubeconfig)
    .map((s) => {
      const file = kubeconfigFile(dir, s.stack);
      writeFileSync(file, secrets[s.kubeconfig] as string, { mode: 0o600 });
      chmodSync(file, 0o600);
      return file;
    });
  return files.join(":");
}

function main(argv: readonly string[]): number {
  const [mode, planFile, dir] = argv;
  const stacks = ciStacks(readFileSync(planFile ?? "", "utf8"));
  if (mode === "matrix") {
    process.stdout.write(`matrix=${JSON.stringify({ include: stacks })}\nstacks=${JSON.stringify(stacks.map((s) => s.stack))}\n`);
  } else if (mode === "list") {
    process.stdout.write(stacks.map((s) => `${s.stack}\n`).join(""));
  } else if (mode === "verify-flags" && dir) {
    process.stdout.write(
      verifyFlags(stacks, dir)
        .map((a) => `${a}\n`)
        .join(""),
    );
  } else if (mode === "slots") {
    process.stdout.write(`kubeconfigs=${JSON.stringify(kubeconfigSlots(stacks))}\n`);
  } else if (mode === "kubeconfigs" && dir) {
    let names: unknown;
    try {
      names = JSON.parse(process.env.KUBECONFIG_SLOT_NAMES ?? "");
    } catch {
      throw new Error("KUBECONFIG_SLOT_NAMES is not the plan job's kubeconfigs output (JSON)");
    }
    const list = writeKubeconfigs(stacks, slotSecrets(stacks, names, process.env), dir);
    if (list) process.stdout.write(`KUBECONFIG=${list}\n`);
  } else {
    process.stderr.write("usage: tools/ci/stacks.ts matrix|list|slots <plan.json> | kubeconfigs|verify-flags <plan.json> <dir>\n");
    return 2;
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`ci-stacks: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
