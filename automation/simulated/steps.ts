/**
 * The steps the engine takes for one run of the program, from the resources the stack had after its
 * last update and what the program registered now: a resource new to the stack is created, one whose
 * inputs changed is updated — or replaced when a changed property is one its provider replaces on
 * (model/replace-rules.ts), or its provider is replaced — one the program no longer registers is
 * deleted (after everything else, the last registered first), and the rest stay the same. Property
 * paths and kinds are the engine's detailed diff; secret values are compared, never shown.
 */
import type { PropertyDiff } from "@pulumi/pulumi/automation";
import { replaceRule, replacesOn } from "../../model/replace-rules";
import { fieldDiff } from "../../plan/diff";
import { isSecretValue, unwrapSecret, type Registration } from "./stand-in";

/** A resource as the simulated backend keeps it after an update. */
export interface StoredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Secret values as the SDK sends them (wrapped), so that secretness survives. */
  readonly inputs: Record<string, unknown>;
  /** `urn::id` of its explicit provider, or "". */
  readonly provider: string;
  readonly protect: boolean;
  readonly custom: boolean;
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read";

export interface PlannedStep {
  readonly op: StepOp;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** What the resource has after the step (for a delete: what it had). */
  readonly resource: StoredResource;
  /** The properties that change, in the engine's detailed-diff form (`diffKind` ends in `-replace` when it forces a replace). */
  readonly detailedDiff: Readonly<Record<string, PropertyDiff>>;
  /** Top-level properties that change. */
  readonly diffs: readonly string[];
  /** Properties that force the replace. */
  readonly keys: readonly string[];
}

/** A JSON value with every secret unwrapped: the comparison sees the plaintext, as the engine's does. */
function plain(v: unknown): unknown {
  if (isSecretValue(v)) return plain(unwrapSecret(v));
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** The value with every secret as `[secret]`, as the engine's events show inputs. */
export function masked(v: unknown): unknown {
  if (isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(masked);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)]));
  return v;
}

export function storedOf(r: Registration): StoredResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    inputs: r.inputs,
    provider: r.provider,
    protect: r.protect,
    custom: r.custom,
  };
}

/** The provider reference `urn::id` → its urn. */
const providerUrn = (ref: string): string => ref.slice(0, ref.lastIndexOf("::"));

export function planSteps(olds: readonly StoredResource[], news: readonly Registration[]): PlannedStep[] {
  const before = new Map(olds.map((r) => [r.urn, r]));
  const replaced = new Set<string>();
  const steps: PlannedStep[] = [];
  const none = { detailedDiff: {}, diffs: [], keys: [] };
  for (const r of news) {
    const resource = storedOf(r);
    const base = { urn: r.urn, type: r.type, name: r.name, resource };
    if (r.read) {
      steps.push({ ...base, op: "read", ...none });
      continue;
    }
    const old = before.get(r.urn);
    if (!old) {
      steps.push({ ...base, op: "create", ...none });
      continue;
    }
    const rule = replaceRule(r.type, plain(r.inputs) as Record<string, unknown>);
    const detailedDiff: Record<string, PropertyDiff> = {};
    const keys: string[] = [];
    for (const f of fieldDiff(plain(old.inputs), plain(r.inputs))) {
      const kind = f.before === undefined ? "add" : f.after === undefined ? "delete" : "update";
      const replaces = replacesOn(rule, f.path);
      if (replaces) keys.push(f.path);
      detailedDiff[f.path] = { diffKind: (replaces ? `${kind}-replace` : kind) as PropertyDiff["diffKind"], inputDiff: true };
    }
    const diffs = [...new Set(Object.keys(detailedDiff).map((p) => /^[^.[]+/.exec(p)![0]))];
    // a resource on a replaced provider is replaced with it (the engine's own rule, not the provider's)
    const onReplaced = r.provider !== "" && replaced.has(providerUrn(r.provider));
    const op: StepOp = keys.length > 0 || onReplaced ? "replace" : diffs.length > 0 ? "update" : "same";
    if (op === "replace") replaced.add(r.urn);
    steps.push({ ...base, op, detailedDiff, diffs, keys });
  }
  const registered = new Set(news.map((r) => r.urn));
  for (const old of [...olds].reverse())
    if (!registered.has(old.urn)) steps.push({ op: "delete", urn: old.urn, type: old.type, name: old.name, resource: old, ...none });
  return steps;
}
