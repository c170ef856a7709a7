/** The shapes of `mesh upgrade`'s plan: its steps, each a small change to the stack files, and the edits they make. */

export const STABLE_TAG = "prod-stable";
export const CANARY_TAG = "prod-canary";

/** The stack name an edit of `Pulumi.yaml` (the project's config, every new cluster's default) carries. */
export const PROJECT_FILE = "*";

/** One change to a stack file: the value at `path` under `config:` (undefined deletes it). */
export interface StackEdit {
  /** The stack whose `Pulumi.<stack>.yaml` changes, or PROJECT_FILE for `Pulumi.yaml` (under the key's `value:`). */
  readonly stack: string;
  /** e.g. `["mesh:revisions", "tags", "prod-canary"]`. */
  readonly path: readonly string[];
  readonly value?: unknown;
}

/** The file an edit changes, as a person finds it. */
export const editFile = (e: Pick<StackEdit, "stack">): string => (e.stack === PROJECT_FILE ? "Pulumi.yaml" : `Pulumi.${e.stack}.yaml`);

/**
 * The phases, numbered as docs/upgrade.md numbers them: 1 is the skew gate (no step), then 2 adopt
 * mesh:revisions, 3 install the new revision beside the old, 4 the canary tag, 5 the stable (and
 * default) tag then the gateway, 6 remove the old revision.
 */
export type Phase = 2 | 3 | 4 | 5 | 6;

/** Each phase's name, as the output and docs/upgrade.md print it. */
export const PHASE_NAMES: Readonly<Record<1 | Phase, string>> = {
  1: "skew gate",
  2: "adopt revisions",
  3: "install beside",
  4: "canary",
  5: "stable",
  6: "remove old",
};

export interface UpgradeStep {
  /** The phase and a letter per cluster (and per part, in phase 5): `2a`, `5d`; the same on every run. */
  readonly id: string;
  readonly phase: Phase;
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
  /** Phase 6: the revision it removes, which no proxy may still use. */
  readonly removes?: { readonly revision: string; readonly version: string };
}

export interface UpgradePlan {
  readonly to: string;
  readonly revision: string;
  /** Each stack's revisions now, `name@version`. */
  readonly from: readonly { readonly stack: string; readonly revisions: readonly string[] }[];
  readonly order: readonly string[];
  readonly orderWhy: string;
  /** What the skew gate checked, when it passed. */
  readonly gate: readonly string[];
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

/** An Istio release version, as `--to` takes it: `1.31.0`. */
export const isReleaseVersion = (v: string): boolean => /^\d+\.\d+\.\d+$/.test(v);

/** The revision name of a version: `1.31.0` → `1-31-0`. */
export const revisionNameOf = (version: string): string => version.replace(/\./g, "-");
