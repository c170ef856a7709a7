/**
 * The steps of a canary upgrade, one builder per phase (docs/upgrade.md numbers them 2 to 6): each looks at
 * one stack's files as they are and returns its next step in that phase, or undefined when the phase is done
 * there. Pure: planUpgrade (upgrade.ts) applies each step's edits to a copy before asking for the next.
 */
import { DEFAULT_REVISION, type ControlPlane, type Revision } from "../model/revisions";
import type { MeshConfig } from "../model/types";
import type { ProjectFiles } from "./stack-files";
import { kubectl, podsNotOfRevision, podsOfRevision, RESTART_NOTE, restarts, up, verify } from "./upgrade-kubectl";
import { CANARY_TAG, PROJECT_FILE, STABLE_TAG, type Phase, type StackEdit, type UpgradeOptions, type UpgradeStep } from "./upgrade-types";

export interface StepContext {
  readonly phase: Phase;
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
  /** Whether every other stack already runs only the new revision (this stack's removal is the last step). */
  readonly lastToFinish: boolean;
}

/** A step, less its id (planUpgrade numbers it). */
export type Step = Omit<UpgradeStep, "id">;

const R = "mesh:revisions";
/** What a `default` tag takes over from the unrevisioned istiod, in words. */
const DEFAULT_SELECTORS = "namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true";
const list = (xs: readonly string[]) => xs.join(", ");

/** 2: the one-revision form becomes mesh:revisions, the same istiod serving every tag. */
function adoptStep(c: StepContext): Step | undefined {
  const { phase, stack, files, m, opts, cp, old } = c;
  if (cp.declared) return undefined;
  const canary = new Set(opts.canary ?? []);
  const namespaces = Object.fromEntries(cp.namespaces.map((n) => [n.namespace, canary.has(n.namespace) ? CANARY_TAG : STABLE_TAG]));
  // a revisioned istiod injects nothing by the default selectors; a default tag makes it the default revision
  const defaultTag = old.name !== DEFAULT_REVISION;
  const revisions = {
    installed: { [old.name]: old.version },
    tags: { [STABLE_TAG]: old.name, [CANARY_TAG]: old.name, ...(defaultTag ? { [DEFAULT_REVISION]: old.name } : {}) },
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
  const tags = defaultTag ? [STABLE_TAG, CANARY_TAG, DEFAULT_REVISION] : [STABLE_TAG, CANARY_TAG];
  return {
    phase,
    stack,
    title: `adopt mesh:revisions in ${stack}: the same istiod, namespaces on tags`,
    changes: [
      `tags ${list(tags)} → ${old.name} (webhooks ${list(tags.map((t) => `istio-revision-tag-${t}`))}, each with the caBundle of istiod ${old.name}'s injector)`,
      ...(defaultTag
        ? [
            `the default tag makes ${old.name} the default revision: ${DEFAULT_SELECTORS}, which no webhook injected so far, get its proxies from now on (as istioctl tag set default does)`,
          ]
        : []),
      ...cp.namespaces.map(
        (n) =>
          `namespace ${n.namespace}: ${n.label.key}=${n.label.value} → istio.io/rev=${namespaces[n.namespace]}, once the tag webhooks exist (the same istiod injects it: no restart)`,
      ),
      "istiod, its release and the east-west gateway are unchanged",
    ],
    edits,
    commands: [up(stack)],
    checks: [verify(stack), `${kubectl(m)} get mutatingwebhookconfigurations -l istio.io/tag   # ${list(tags)}: istio.io/rev=${old.name}`],
    rollback: {
      setBack: `remove mesh:revisions from Pulumi.${stack}.yaml${m.istio.revision !== undefined ? ` and set mesh:istio.revision back to ${m.istio.revision}` : ""}, pulumi up`,
      doesNotUndo: `nothing: no pod was restarted, and the namespaces get their old label back${defaultTag ? ` (pods created meanwhile by the default selectors keep their ${old.name} proxies)` : ""}`,
    },
  };
}

/** 3: istio-base at the new version, and the new revision beside the old. */
function installStep(c: StepContext): Step | undefined {
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
      `istio-base ${m.istio.version} → ${to} first: the CRDs of the newer revision (older istiods read them)`,
      `+ release istiod-${next}: its own Deployment, Service, injector and validator webhooks, and reader ClusterRole istio-reader-clusterrole-${next}-istio-system that peers' remote secrets use`,
      `no pod moves: every tag, namespace and the gateway still point at ${old.name}`,
      ...(ownIstio
        ? []
        : [`Pulumi.${stack}.yaml gets its own mesh:istio (a stack's mesh:istio replaces Pulumi.yaml's whole), version ${to}`]),
    ],
    edits,
    commands: [up(stack)],
    checks: [
      `${verify(stack)}   # istiod (revision ${next}) and istiod (revision ${old.name}) each read every peer: synced`,
      `${kubectl(m)} -n istio-system get deploy -l app=istiod   # istiod${old.chartRevision ? `-${old.chartRevision}` : ""} and istiod-${next} ready`,
    ],
    rollback: {
      setBack: `remove mesh:revisions.installed.${next}, set mesh:istio.version back to ${m.istio.version}, pulumi up`,
      // the base chart renders its CRDs as ordinary templates (templates/crds.yaml), so a rollback applies the old ones
      doesNotUndo: `istio-base goes back to the ${m.istio.version} chart, whose CRDs are ordinary templates: Helm re-applies ${m.istio.version}'s CRDs over ${to}'s (helm.sh/resource-policy: keep only stops Helm deleting them), so a field or API version only ${to} defines leaves the schemas, and Istio resources that use such a field lose it when next written`,
    },
  };
}

/** 4: the canary tag (and the namespaces that opted in) on the new revision. */
function canaryStep(c: StepContext): Step | undefined {
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
    title: `move tag ${CANARY_TAG} to ${next} in ${stack}${moved.length ? ` (namespaces ${list(moved)})` : ""}`,
    changes: [
      moved.length
        ? `istio-revision-tag-${CANARY_TAG} now calls istiod-${next}: new pods in ${list(moved)} get ${to} proxies`
        : `istio-revision-tag-${CANARY_TAG} now calls istiod-${next}; no catalog namespace is labelled ${CANARY_TAG}, so only pods of namespaces labelled with it elsewhere get ${to} proxies`,
      "running pods keep their proxies until restarted",
      ...(moved.length ? [RESTART_NOTE] : []),
    ],
    edits,
    commands: [up(stack), ...restarts(m, moved)],
    checks: [
      ...moved.map((n) => podsNotOfRevision(m, n, next)),
      `${verify(stack)}   # endpoints: local first (priority 0), peers through their gateway (priority 1)`,
    ],
    rollback: {
      setBack: `mesh:revisions.tags.${CANARY_TAG}: ${old.name}${move.length ? `, and the namespaces ${list(move)} back to ${STABLE_TAG}` : ""}, pulumi up, restart the same workloads`,
      doesNotUndo: "pods restarted on the new proxies keep them until restarted again",
    },
  };
}

/** 5a: the stable tag, and the default tag where there is one, on the new revision. */
function stableTagsStep(c: StepContext): Step | undefined {
  const { phase, stack, m, to, cp, next, old, ns } = c;
  const moving = cp.tags.filter((t) => (t.tag === STABLE_TAG || t.tag === DEFAULT_REVISION) && t.revision !== next).map((t) => t.tag);
  if (moving.length === 0) return undefined;
  const moved = ns(STABLE_TAG);
  const serves = (tag: string) =>
    tag === DEFAULT_REVISION
      ? DEFAULT_SELECTORS
      : moved.length
        ? `namespaces ${list(moved)}`
        : `namespaces labelled istio.io/rev=${tag} (none of the catalog's)`;
  return {
    phase,
    stack,
    title: `move tag${moving.length > 1 ? "s" : ""} ${list(moving)} to ${next} in ${stack}`,
    changes: [
      ...moving.map((t) => `istio-revision-tag-${t} now calls istiod-${next}: new pods of ${serves(t)} get ${to} proxies`),
      "running pods keep their proxies until restarted: the check lists every pod still on the old revision, wherever it runs",
      RESTART_NOTE,
    ],
    edits: moving.map((t) => ({ stack, path: [R, "tags", t], value: next })),
    commands: [up(stack), ...restarts(m, moved)],
    checks: [
      ...moved.map((n) => podsNotOfRevision(m, n, next)),
      podsOfRevision(
        m,
        old.name,
        `what is still on ${old.name}: restart what ${moving.includes(DEFAULT_REVISION) ? `the moved tags inject (istio.io/rev=${STABLE_TAG} namespaces, ${DEFAULT_SELECTORS})` : `istio.io/rev=${STABLE_TAG} namespaces hold`}; the gateway moves next${old.name === DEFAULT_REVISION ? `, the default selectors' pods before step 6 (see there)` : ""}`,
      ),
      `${verify(stack)}   # endpoints and priorities as before`,
    ],
    rollback: {
      setBack: `${list(moving.map((t) => `mesh:revisions.tags.${t}: ${old.name}`))}, pulumi up, restart the same workloads`,
      doesNotUndo: "pods restarted on the new proxies keep them until restarted again",
    },
  };
}

/** 5b: the east-west gateway on the new revision, once every tag is. */
function gatewayStep(c: StepContext): Step | undefined {
  const { phase, stack, m, to, cp, next, old } = c;
  if (cp.gateway.revision === next) return undefined;
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
}

/** After the last removal: Pulumi.yaml's version (every new cluster's default) moves too, and identical copies go. */
function projectVersionEdits(files: ProjectFiles, to: string): StackEdit[] {
  const project = files.projectConfig["mesh:istio"] as Record<string, unknown> | undefined;
  if (!project || project.version === to) return [];
  const now = JSON.stringify({ ...project, version: to });
  const copies = Object.entries(files.stacks).filter(([, cfg]) => JSON.stringify(cfg["mesh:istio"]) === now);
  return [
    { stack: PROJECT_FILE, path: ["mesh:istio", "version"], value: to },
    ...copies.map(([stack]) => ({ stack, path: ["mesh:istio"] })),
  ];
}

/** 6: the old revision removed; its default selectors and istio-base's validation on the new one. */
function removeStep(c: StepContext): Step | undefined {
  const { phase, stack, files, m, to, cp, next, old, lastToFinish } = c;
  if (cp.revisions.length < 2) return undefined;
  // the unrevisioned istiod's injector serves the default selectors: a default tag takes them over in the same update
  const defaultTag = !cp.tags.some((t) => t.tag === DEFAULT_REVISION);
  const project = lastToFinish ? projectVersionEdits(files, to) : [];
  const edits: StackEdit[] = [
    { stack, path: [R, "installed", old.name] },
    { stack, path: [R, "defaultRevision"], value: next },
    ...(defaultTag ? [{ stack, path: [R, "tags", DEFAULT_REVISION], value: next }] : []),
    ...project,
  ];
  const copies = project.filter((e) => e.value === undefined).map((e) => `Pulumi.${e.stack}.yaml`);
  return {
    phase,
    stack,
    title: `remove ${old.name} (Istio ${old.version}) from ${stack}; ${next} becomes the default revision`,
    changes: [
      `release ${old.chartRevision ? `istiod-${old.chartRevision}` : "istiod"} removed, with its webhooks and reader ClusterRole`,
      ...(defaultTag
        ? [
            `+ tag default → ${next} (istio-revision-tag-default), in the same update: ${DEFAULT_SELECTORS} are injected by ${next} from now on, as after istioctl tag set default`,
          ]
        : []),
      `istio-base defaultRevision → ${next} (istiod-default-validator calls istiod-${next})`,
      ...(project.length
        ? [
            `Pulumi.yaml's mesh:istio.version → ${to}: every new cluster's default${copies.length ? `; ${list(copies)} inherit${copies.length === 1 ? "s" : ""} it again (its own mesh:istio was the same)` : ""}`,
          ]
        : []),
      `first, no pod may still be injected by ${old.name}: the check run first lists them (mesh upgrade --apply looks itself, through istiod's /debug/syncz and every pod's istio.io/rev, and refuses while one is left)`,
      ...(old.name === DEFAULT_REVISION
        ? [
            `${DEFAULT_SELECTORS} are injected by the old istiod until this step removes it: move such a namespace onto a tag first (kubectl label namespace <ns> istio-injection- istio.io/rev=${STABLE_TAG}, as Istio's canary guide moves one; label such a pod istio.io/rev=${STABLE_TAG}), then restart its workloads`,
          ]
        : []),
    ],
    edits,
    commands: [podsOfRevision(m, old.name), up(stack)],
    checks: [`${verify(stack)}   # the data plane: no proxy connected to ${old.name}`],
    rollback: {
      setBack: `add mesh:revisions.installed.${old.name}: "${old.version}" back and defaultRevision: ${old.name}${defaultTag ? ", remove tags.default" : ""}, pulumi up`,
      doesNotUndo: `the ${old.name} istiod is installed afresh (a new Deployment); nothing moves back to it until its tags do`,
    },
    removes: { revision: old.name, version: old.version },
  };
}

/** Each phase's builders, in the order they run per stack: phase 5 is the tags, then the gateway. */
export const PHASES: Readonly<Record<Phase, readonly ((c: StepContext) => Step | undefined)[]>> = {
  2: [adoptStep],
  3: [installStep],
  4: [canaryStep],
  5: [stableTagsStep, gatewayStep],
  6: [removeStep],
};
