/**
 * `mesh upgrade --to <version>`: a canary upgrade of every cluster, as steps that each change the stack
 * files a little and are applied with one `pulumi up` per stack. Pure: it reads the project's files,
 * refuses a skew Istio does not support, and simulates each step on a copy so the next one starts from it.
 */
import { controlPlane, majorMinor, minorOf, revisionUsers, type ControlPlane, type Revision } from "../model/revisions";
import type { MeshConfig } from "../model/types";
import type { ProjectFiles } from "./stack-files";
import { validStacks } from "./stack-load";

export const STABLE_TAG = "prod-stable";
export const CANARY_TAG = "prod-canary";

/** One change to a stack file: the value at `path` under `config:` (undefined deletes it). */
export interface StackEdit {
  readonly stack: string;
  /** e.g. `["mesh:revisions", "tags", "prod-canary"]`. */
  readonly path: readonly string[];
  readonly value?: unknown;
}

export interface UpgradeStep {
  /** 0 adopts mesh:revisions; 1..5 as in docs/upgrade.md. */
  readonly phase: 0 | 2 | 3 | 4 | 5;
  readonly stack: string;
  readonly title: string;
  /** What the step changes in the cluster, in words. */
  readonly changes: readonly string[];
  readonly edits: readonly StackEdit[];
  /** What to run, in order. */
  readonly commands: readonly string[];
  /** How to check it before the next step. */
  readonly checks: readonly string[];
  readonly rollback: { readonly setBack: string; readonly doesNotUndo: string };
}

export interface UpgradePlan {
  readonly to: string;
  readonly revision: string;
  /** Each stack's revisions now, `name@version`. */
  readonly from: readonly { readonly stack: string; readonly revisions: readonly string[] }[];
  readonly order: readonly string[];
  readonly orderWhy: string;
  /** Why the upgrade cannot start: the skew gate. Empty when it may. */
  readonly refusals: readonly string[];
  readonly steps: readonly UpgradeStep[];
  /** The namespaces given to take the canary first, for the next command line. */
  readonly canary: readonly string[];
}

export interface UpgradeOptions {
  /** Catalog namespaces that take the canary first (labelled with the canary tag). @default those already on it */
  readonly canary?: readonly string[];
}

/** The revision name of a version: `1.31.0` → `1-31-0`. */
export const revisionNameOf = (version: string): string => version.replace(/\./g, "-");
const cmpVersion = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
const MESH = "npm run -s mesh --";

/** Anchor last: every peer takes its root from it, so it changes only once another cluster ran the new revision. */
function stackOrder(valid: Map<string, MeshConfig>): string[] {
  return [...valid.keys()].sort((a, b) => {
    const anchor = (s: string) => (valid.get(s)!.trust.kind === "anchor" ? 1 : 0);
    return anchor(a) - anchor(b) || a.localeCompare(b);
  });
}

/** The skew gate: every reason Istio would not support this upgrade, before any step. */
export function skewRefusals(valid: Map<string, MeshConfig>, to: string): string[] {
  const out: string[] = [];
  if (!/^\d+\.\d+\.\d+$/.test(to)) return [`${JSON.stringify(to)} is not an Istio release version (write e.g. 1.31.0)`];
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
    if (r.version === to) continue;
    if (majorMinor(r.version).split(".")[0] !== to.split(".")[0])
      out.push(`${r.stack}: ${r.name} runs Istio ${r.version}, another major version than ${to}`);
    else if (cmpVersion(to, r.version) < 0)
      out.push(
        `${r.stack}: ${r.name} runs Istio ${r.version}, newer than ${to}: the data planes it injected would be ahead of their control plane`,
      );
    else if (minorOf(to) - minorOf(r.version) > 2)
      out.push(
        `${r.stack}: ${r.name} runs Istio ${r.version}: a revision upgrade skips at most one minor; upgrade to ${majorMinor(r.version).replace(/\d+$/, (x) => String(Number(x) + 2))} at most first`,
      );
  }
  const oldest = all.filter((r) => r.version !== to).sort((a, b) => cmpVersion(a.version, b.version))[0];
  if (oldest && minorOf(to) - minorOf(oldest.version) > 1)
    out.push(
      `${oldest.stack} runs Istio ${oldest.version}: while the upgrade runs, ${to} in one cluster and ${oldest.version} in another would be more than one minor apart (every cluster stays within one minor of the others); upgrade to ${majorMinor(oldest.version).replace(/\d+$/, (x) => String(Number(x) + 1))} first`,
    );
  return [...new Set(out)];
}

/** A copy of the files with the edits applied, as the next step starts from. */
export function applyEdits(files: ProjectFiles, edits: readonly StackEdit[]): ProjectFiles {
  const stacks: Record<string, Record<string, unknown>> = structuredClone(files.stacks);
  for (const e of edits) {
    const [key, ...rest] = e.path;
    const cfg = stacks[e.stack]!;
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
  return { ...files, stacks };
}

const R = "mesh:revisions";
/** kubectl as the stack's cluster is reached: its kube context, else the kubeconfig it outputs (an ACK cluster's). */
const kubectl = (m: MeshConfig) =>
  m.cluster.source.kind === "kubeContext"
    ? `kubectl --context ${m.cluster.source.context}`
    : `kubectl --kubeconfig ./${m.stack.stack}.kubeconfig`;
const restarts = (m: MeshConfig, namespaces: readonly string[]) =>
  namespaces.map(
    (ns) => `${kubectl(m)} -n ${ns} rollout restart deployment && ${kubectl(m)} -n ${ns} rollout status deployment --timeout=5m`,
  );
const up = (stack: string) => `pulumi up --stack ${stack}   # or: ${MESH} converge`;
const verify = (stack: string) => `${MESH} verify ${stack}`;

interface Ctx {
  readonly phase: UpgradeStep["phase"];
  readonly stack: string;
  readonly files: ProjectFiles;
  readonly m: MeshConfig;
  readonly to: string;
  readonly opts: UpgradeOptions;
  readonly cp: ControlPlane;
  /** The new revision's name. */
  readonly next: string;
  /** The revision being replaced. */
  readonly old: Revision;
  /** The catalog namespaces labelled with a tag. */
  readonly ns: (tag: string) => string[];
}

/** 0: the one-revision form becomes mesh:revisions, the same istiod serving every tag. */
function adoptStep(c: Ctx): UpgradeStep | undefined {
  const { phase, stack, files, m, opts, cp, old } = c;
  if (cp.declared) return undefined;
  const canary = new Set(opts.canary ?? []);
  const namespaces = Object.fromEntries(cp.namespaces.map((n) => [n.namespace, canary.has(n.namespace) ? CANARY_TAG : STABLE_TAG]));
  const revisions = {
    installed: { [old.name]: old.version },
    tags: { [STABLE_TAG]: old.name, [CANARY_TAG]: old.name },
    namespaces,
    gateway: old.name,
    defaultRevision: old.name,
  };
  const edits: StackEdit[] = [{ stack, path: [R], value: revisions }];
  if (m.istio.revision !== undefined) {
    // mesh:revisions names the revisions now; a mesh:istio inherited from Pulumi.yaml becomes the stack's own, without it
    const { revision: _, ...rest } = (files.stacks[stack]!["mesh:istio"] ?? files.projectConfig["mesh:istio"]) as Record<string, unknown>;
    edits.push({ stack, path: ["mesh:istio"], value: rest });
  }
  return {
    phase,
    stack,
    title: `adopt mesh:revisions in ${stack}: the same istiod, namespaces on tags`,
    changes: [
      `tags ${STABLE_TAG} and ${CANARY_TAG} → ${old.name} (webhooks istio-revision-tag-${STABLE_TAG}, istio-revision-tag-${CANARY_TAG})`,
      ...cp.namespaces.map(
        (n) =>
          `namespace ${n.namespace}: ${n.label.key}=${n.label.value} → istio.io/rev=${namespaces[n.namespace]} (the same istiod injects it: no restart)`,
      ),
      "istiod, its release and the east-west gateway are unchanged",
    ],
    edits,
    commands: [up(stack)],
    checks: [verify(stack), `${kubectl(m)} get mutatingwebhookconfigurations -l istio.io/tag   # both tags, istio.io/rev=${old.name}`],
    rollback: {
      setBack: `remove mesh:revisions from Pulumi.${stack}.yaml${m.istio.revision !== undefined ? ` and set mesh:istio.revision back to ${m.istio.revision}` : ""}, pulumi up`,
      doesNotUndo: "nothing: no pod was restarted, and the namespaces get their old label back",
    },
  };
}

/** 2: istio-base at the new version, and the new revision beside the old. */
function installStep(c: Ctx): UpgradeStep | undefined {
  const { phase, stack, files, m, to, cp, next, old } = c;
  if (cp.revisions.some((r) => r.version === to)) return undefined;
  const ownIstio = files.stacks[stack]!["mesh:istio"] !== undefined;
  const edits: StackEdit[] = [
    ownIstio
      ? { stack, path: ["mesh:istio", "version"], value: to }
      : { stack, path: ["mesh:istio"], value: { ...(files.projectConfig["mesh:istio"] as object), version: to } },
    { stack, path: [R, "installed", next], value: to },
  ];
  return {
    phase,
    stack,
    title: `install istiod ${next} (Istio ${to}) beside ${old.name} in ${stack}`,
    changes: [
      `istio-base ${m.istio.version} → ${to} first: the CRDs of the newer revision (older istiods read them; Helm keeps CRDs on rollback)`,
      `+ release istiod-${next}: its own Deployment, Service, injector and validator webhooks, and reader ClusterRole istio-reader-clusterrole-${next}-istio-system that peers' remote secrets use`,
      `no pod moves: every tag, namespace and the gateway still point at ${old.name}`,
      ...(ownIstio
        ? []
        : [`Pulumi.${stack}.yaml gets its own mesh:istio (a stack's mesh:istio replaces Pulumi.yaml's whole), version ${to}`]),
    ],
    edits,
    commands: [up(stack)],
    checks: [
      `${verify(stack)}   # istiod (revision ${next}) and istiod${old.chartRevision ? ` (revision ${old.name})` : ""} each read every peer: synced`,
      `${kubectl(m)} -n istio-system get deploy -l app=istiod   # istiod${old.chartRevision ? `-${old.chartRevision}` : ""} and istiod-${next} ready`,
    ],
    rollback: {
      setBack: `remove mesh:revisions.installed.${next}, set mesh:istio.version back to ${m.istio.version}, pulumi up`,
      doesNotUndo: `istio-base's CRDs stay at ${to} (Helm never downgrades or deletes CRDs; older istiods accept them)`,
    },
  };
}

/** 3: the canary tag (and the namespaces that opted in) on the new revision. */
function canaryStep(c: Ctx): UpgradeStep | undefined {
  const { phase, stack, m, to, opts, cp, next, old, ns } = c;
  if (cp.tags.find((t) => t.tag === CANARY_TAG)?.revision === next) return undefined;
  const move = (opts.canary ?? []).filter((n) => cp.namespaces.some((x) => x.namespace === n && x.tag !== CANARY_TAG));
  const edits: StackEdit[] = [
    { stack, path: [R, "tags", CANARY_TAG], value: next },
    ...move.map((n) => ({ stack, path: [R, "namespaces", n], value: CANARY_TAG })),
  ];
  const moved = [...ns(CANARY_TAG), ...move];
  return {
    phase,
    stack,
    title: `move tag ${CANARY_TAG} to ${next} in ${stack}${moved.length ? ` (namespaces ${moved.join(", ")})` : ""}`,
    changes: [
      `istio-revision-tag-${CANARY_TAG} now calls istiod-${next}: new pods in ${moved.length ? moved.join(", ") : "namespaces labelled with it (none yet)"} get ${to} proxies`,
      "running pods keep their proxies until restarted",
    ],
    edits,
    commands: [up(stack), ...restarts(m, moved)],
    checks: [
      ...moved.map(
        (n) =>
          `${kubectl(m)} -n ${n} get pods -o jsonpath='{range .items[*]}{.metadata.name} {.spec.containers[?(@.name=="istio-proxy")].image}{"\\n"}{end}'   # every proxy :${to}`,
      ),
      `${verify(stack)}   # endpoints: local first (priority 0), peers through their gateway (priority 1)`,
    ],
    rollback: {
      setBack: `mesh:revisions.tags.${CANARY_TAG}: ${old.name}${move.length ? `, and the namespaces ${move.join(", ")} back to ${STABLE_TAG}` : ""}, pulumi up, restart the same workloads`,
      doesNotUndo: "pods restarted on the new proxies keep them until restarted again",
    },
  };
}

/** 4: the stable (and default) tag, then the gateway, on the new revision. */
function stableStep(c: Ctx): UpgradeStep | undefined {
  const { phase, stack, m, to, cp, next, old, ns } = c;
  const stable = cp.tags.find((t) => t.tag === STABLE_TAG);
  const defaultTag = cp.tags.find((t) => t.tag === "default");
  if (stable?.revision !== next || (defaultTag && defaultTag.revision !== next)) {
    const moved = ns(STABLE_TAG);
    return {
      phase,
      stack,
      title: `move tag ${STABLE_TAG}${defaultTag ? " and default" : ""} to ${next} in ${stack}`,
      changes: [
        `istio-revision-tag-${STABLE_TAG}${defaultTag ? " and istio-revision-tag-default" : ""} now call istiod-${next}: ${moved.length ? `namespaces ${moved.join(", ")}` : "no catalog namespace"} after their restart`,
      ],
      edits: [
        { stack, path: [R, "tags", STABLE_TAG], value: next },
        ...(defaultTag ? [{ stack, path: [R, "tags", "default"], value: next }] : []),
      ],
      commands: [up(stack), ...restarts(m, moved)],
      checks: [`${verify(stack)}   # endpoints and priorities as before`],
      rollback: {
        setBack: `mesh:revisions.tags.${STABLE_TAG}: ${old.name}, pulumi up, restart the same workloads`,
        doesNotUndo: "pods restarted on the new proxies keep them until restarted again",
      },
    };
  }
  if (cp.gateway.revision !== next)
    return {
      phase,
      stack,
      title: `move the east-west gateway to ${next} in ${stack}`,
      changes: [
        `release istio-eastwestgateway: chart ${to}, revision ${next}: Helm rolls its pods onto ${to} proxies (peers' cross-network traffic enters here)`,
      ],
      edits: [{ stack, path: [R, "gateway"], value: next }],
      commands: [up(stack)],
      checks: [
        `${kubectl(m)} -n istio-system rollout status deploy/istio-eastwestgateway`,
        `${verify(stack)}   # the gateway's address unchanged; every peer's endpoints for this cluster through it (priority 1)`,
      ],
      rollback: {
        setBack: `mesh:revisions.gateway: ${old.name}, pulumi up (Helm rolls the gateway back)`,
        doesNotUndo: "connections through the gateway were drained once by the rollout",
      },
    };
  return undefined;
}

/** 5: the old revision removed, istio-base validating with the new one. */
function removeStep(c: Ctx): UpgradeStep | undefined {
  const { phase, stack, m, to, cp, next, old } = c;
  if (cp.revisions.length < 2) return undefined;
  const users = revisionUsers(cp, old.name);
  return {
    phase,
    stack,
    title: `remove ${old.name} (Istio ${old.version}) from ${stack}; istio-base validates with ${next}`,
    changes: [
      `release ${old.chartRevision ? `istiod-${old.chartRevision}` : "istiod"} removed, with its webhooks and reader ClusterRole`,
      `istio-base defaultRevision → ${next} (istiod-default-validator calls istiod-${next})`,
      ...(users.length ? [`refused while ${users.join(", ")} still use it`] : []),
    ],
    edits: [
      { stack, path: [R, "installed", old.name] },
      { stack, path: [R, "defaultRevision"], value: next },
    ],
    commands: [
      `${kubectl(m)} get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.containers[?(@.name=="istio-proxy")].image}{"\\n"}{end}' | awk '$2 != "" && $2 !~ /:${to.replace(/\./g, "\\.")}$/'   # prints nothing: no proxy left on ${old.version}`,
      up(stack),
    ],
    checks: [verify(stack)],
    rollback: {
      setBack: `add mesh:revisions.installed.${old.name}: "${old.version}" back and defaultRevision: ${old.name}, pulumi up`,
      doesNotUndo: `the ${old.name} istiod is installed afresh (a new Deployment); nothing moves back to it until its tags do`,
    },
  };
}

const PHASES = { 0: adoptStep, 2: installStep, 3: canaryStep, 4: stableStep, 5: removeStep } as const;

/** The next step of one stack in one phase, or undefined when it is done. */
function stepFor(
  phase: UpgradeStep["phase"],
  stack: string,
  files: ProjectFiles,
  m: MeshConfig,
  to: string,
  opts: UpgradeOptions,
): UpgradeStep | undefined {
  const cp = controlPlane(m);
  const ns = (tag: string) => cp.namespaces.filter((n) => n.tag === tag).map((n) => n.namespace);
  const old = cp.revisions.find((r) => r.version !== to) ?? cp.revisions[0]!;
  return PHASES[phase]({ phase, stack, files, m, to, opts, cp, next: revisionNameOf(to), old, ns });
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
  if (refusals.length > 0) return { ...base, refusals, steps: [] };
  const steps: UpgradeStep[] = [];
  let current = files;
  const next = (phase: UpgradeStep["phase"], stack: string) => {
    const m = validStacks(current).get(stack);
    return m ? stepFor(phase, stack, current, m, to, opts) : undefined;
  };
  // phase by phase, each reaching every cluster; a phase may take a stack more than one step (4: tags, then the gateway)
  for (const phase of [0, 2, 3, 4, 5] as const)
    for (const stack of order)
      for (let step = next(phase, stack); step; step = next(phase, stack)) {
        steps.push(step);
        current = applyEdits(current, step.edits);
      }
  return { ...base, refusals, steps };
}
