/**
 * `mesh upgrade --to <version>`: a canary upgrade of every cluster, as steps that each change the stack
 * files a little and are applied with one `pulumi up` per stack. Pure: it reads the project's files,
 * refuses what Istio or this project's policy does not support (the skew gate), and simulates each step on
 * a copy so the next one starts from it.
 */
import { CLUSTER_SKEW_POLICY } from "./checks/revisions";
import { controlPlane, majorMinor, minorOf } from "../model/revisions";
import type { MeshConfig } from "../model/types";
import type { ProjectFiles } from "./stack-files";
import { validStacks } from "./stack-load";
import { PHASES } from "./upgrade-steps";
import {
  isReleaseVersion,
  PROJECT_FILE,
  revisionNameOf,
  type Phase,
  type StackEdit,
  type UpgradeOptions,
  type UpgradePlan,
  type UpgradeStep,
} from "./upgrade-types";

export * from "./upgrade-types";

const cmpVersion = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
const plusMinors = (v: string, n: number) => majorMinor(v).replace(/\d+$/, (x) => String(Number(x) + n));

/** 0 → a, 25 → z, 26 → aa: a step's letter within its phase. */
const letters = (n: number): string => (n < 26 ? "" : letters(Math.floor(n / 26) - 1)) + String.fromCharCode(97 + (n % 26));

/** Anchor last: every peer takes its root from it, so it changes only once another cluster ran the new revision. */
function stackOrder(valid: Map<string, MeshConfig>): string[] {
  return [...valid.keys()].sort((a, b) => {
    const anchor = (s: string) => (valid.get(s)!.trust.kind === "anchor" ? 1 : 0);
    return anchor(a) - anchor(b) || a.localeCompare(b);
  });
}

/** The skew gate: every reason this upgrade cannot start, before any step. */
export function skewRefusals(valid: Map<string, MeshConfig>, to: string): string[] {
  const out: string[] = [];
  if (!isReleaseVersion(to)) return [`${JSON.stringify(to)} is not an Istio release version (write e.g. 1.31.0)`];
  const all = [...valid].flatMap(([stack, m]) => controlPlane(m).revisions.map((r) => ({ stack, ...r })));
  for (const [stack, m] of valid) {
    const cp = controlPlane(m);
    if (cp.revisions.length > 2 || (cp.revisions.length === 2 && !cp.revisions.some((r) => r.version === to)))
      out.push(
        `${stack}: an upgrade is already running (${cp.revisions.map((r) => `${r.name}@${r.version}`).join(", ")}): finish it or roll it back first`,
      );
    if (m.istio.tag !== undefined && !cp.declared)
      out.push(`${stack}: mesh:istio.tag is set (${m.istio.tag}): remove it first, each revision's images are tagged with its version`);
  }
  for (const r of all) {
    if (r.version === to) {
      // what runs is the target already, under another name: the steps would point tags at a revision never installed
      if (r.name !== revisionNameOf(to))
        out.push(`${r.stack}: ${r.name} already runs Istio ${to}: there is nothing to upgrade to; name a newer version`);
    } else if (majorMinor(r.version).split(".")[0] !== to.split(".")[0])
      out.push(`${r.stack}: ${r.name} runs Istio ${r.version}, another major version than ${to}`);
    else if (cmpVersion(to, r.version) < 0)
      out.push(
        `${r.stack}: ${r.name} runs Istio ${r.version}, newer than ${to}: mesh upgrade only moves forward (going back is each step's rollback, docs/upgrade.md)`,
      );
    else if (minorOf(to) - minorOf(r.version) > 2)
      out.push(
        `${r.stack}: ${r.name} runs Istio ${r.version}: Istio supports a canary upgrade across at most two minors (istio.io docs/setup/upgrade/canary); upgrade to ${plusMinors(r.version, 2)} at most first`,
      );
  }
  const oldest = all.filter((r) => r.version !== to).sort((a, b) => cmpVersion(a.version, b.version))[0];
  if (valid.size > 1 && oldest && minorOf(to) - minorOf(oldest.version) > 1)
    out.push(
      `${oldest.stack} runs Istio ${oldest.version}: while the upgrade runs, ${to} in one cluster and ${oldest.version} in another would be more than one minor apart, and ${CLUSTER_SKEW_POLICY}; upgrade every cluster to ${plusMinors(oldest.version, 1)} first`,
    );
  return [...new Set(out)];
}

/** What the gate checked, when it passed. */
function gateChecks(to: string, clusters: number): string[] {
  return [
    `${to} is newer than every installed revision, at most two minors ahead of each (Istio's canary upgrades span at most two minors), and of the same major version`,
    ...(clusters > 1 ? [CLUSTER_SKEW_POLICY] : []),
  ];
}

/** A copy of the files with the edits applied, as the next step starts from. */
export function applyEdits(files: ProjectFiles, edits: readonly StackEdit[]): ProjectFiles {
  const stacks: Record<string, Record<string, unknown>> = structuredClone(files.stacks);
  const projectConfig: Record<string, unknown> = structuredClone(files.projectConfig);
  for (const e of edits) {
    const [key, ...rest] = e.path;
    const cfg = e.stack === PROJECT_FILE ? projectConfig : stacks[e.stack]!;
    if (rest.length === 0) {
      if (e.value === undefined) delete cfg[key!];
      else cfg[key!] = structuredClone(e.value);
      continue;
    }
    let at = (cfg[key!] ??= {}) as Record<string, unknown>;
    for (const k of rest.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    const last = rest[rest.length - 1]!;
    if (e.value === undefined) delete at[last];
    else at[last] = structuredClone(e.value);
  }
  return { ...files, projectConfig, stacks };
}

/** Every step of one stack in one phase, from the files as they are: each builder until it has nothing left. */
function* stepsFor(
  phase: Phase,
  stack: string,
  start: ProjectFiles,
  to: string,
  opts: UpgradeOptions,
): Generator<{ readonly part: number; readonly step: Omit<UpgradeStep, "id"> }, ProjectFiles> {
  let files = start;
  for (const [part, build] of PHASES[phase].entries()) {
    for (;;) {
      const valid = validStacks(files);
      const m = valid.get(stack);
      if (!m) return files;
      const cp = controlPlane(m);
      const old = cp.revisions.find((r) => r.version !== to) ?? cp.revisions[0]!;
      const lastToFinish = [...valid].every(([s, o]) => s === stack || controlPlane(o).revisions.every((r) => r.version === to));
      const ns = (tag: string) => cp.namespaces.filter((n) => n.tag === tag).map((n) => n.namespace);
      const step = build({ phase, stack, files, m, to, opts, cp, next: revisionNameOf(to), old, ns, lastToFinish });
      if (!step) break;
      yield { part, step };
      files = applyEdits(files, step.edits);
    }
  }
  return files;
}

export function planUpgrade(files: ProjectFiles, to: string, opts: UpgradeOptions = {}): UpgradePlan {
  const valid = validStacks(files);
  const order = stackOrder(valid);
  const from = order.map((stack) => ({
    stack,
    revisions: controlPlane(valid.get(stack)!).revisions.map((r) => `${r.name}@${r.version}`),
  }));
  const base = {
    to,
    canary: opts.canary ?? [],
    revision: revisionNameOf(to),
    from,
    order,
    orderWhy:
      "one cluster at a time, the trust anchor last: every peer takes its root from the anchor's stack, so it changes only once the new revision has run in another cluster; each phase reaches every cluster before the next begins, so the clusters stay within one minor and every cluster has the new reader ClusterRole before any old one is removed",
  };
  const refusals = skewRefusals(valid, to);
  if (refusals.length > 0) return { ...base, gate: [], refusals, steps: [] };
  const steps: UpgradeStep[] = [];
  let current = files;
  // phase by phase, each reaching every cluster; ids count every cluster (and part) of a phase, done or not,
  // so a step keeps its id from one run to the next
  for (const phase of [2, 3, 4, 5, 6] as const) {
    const parts = PHASES[phase].length;
    order.forEach((stack, i) => {
      const it = stepsFor(phase, stack, current, to, opts);
      for (let r = it.next(); ; r = it.next()) {
        if (r.done) {
          current = r.value;
          break;
        }
        steps.push({ id: `${phase}${letters(i * parts + r.value.part)}`, ...r.value.step });
      }
    });
  }
  return { ...base, gate: gateChecks(to, order.length), refusals, steps };
}
