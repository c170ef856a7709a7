/**
 * Engine events (the Automation API's `onEvent`, the CLI's event log) → the typed events a client sees.
 * Free text from the engine's stdout never passes; diagnostics pass redacted, without colour codes.
 * Along the way the context keeps what a record needs: each step that changes something, with the
 * properties the engine's detailed diff names, and how many resources are done.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import type { Redactor } from "./redact";
import type { ChangeSet, ChangeSummary, MeshEventBody, PropertyChange, ResourceStep } from "./types";

/** Per job: what has been counted so far. */
export interface EventContext {
  readonly redactor: Redactor;
  done: number;
  /** Resources the operation has, once the engine says. */
  total?: number;
  /** The steps that change something, in the engine's order. */
  readonly steps?: ResourceStep[];
}

// colour codes: ESC [ ... m, and the CLI's own <{%fg 3%}> markup
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m|<\\{%(reset|fg \\d+|bold)%\\}>`, "g");
const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
/** The program's own warning for a peer that has not exported yet (model/peers.ts). */
const PEER_PENDING = /^peer (\S+) has not exported .* run (.+)$/;

/**
 * The engine's bookkeeping steps of a replacement (pulumi pkg/resource/deploy/step.go): the logical
 * `replace` step stands for the resource, these are its halves, so they are neither counted nor recorded.
 */
const REPLACEMENT_HALVES = new Set(["create-replacement", "delete-replaced", "discard-replaced", "remove-pending-replace"]);
/** Steps that change nothing: counted by the summary, not recorded one by one. */
const UNCHANGED = new Set(["same", "read", "refresh"]);
/** A record keeps this many steps; the events carry every one. */
export const MAX_RECORDED_STEPS = 500;

function severityOf(s: string): "info" | "warning" | "error" | undefined {
  if (s === "warning" || s === "error") return s;
  if (s === "info" || s === "info#err") return "info";
  return undefined;
}

/**
 * The properties a step changes: the engine's detailed diff when the provider gave one (its kinds say
 * whether the change replaces), else the top-level `diffs`, replacing when they are among `keys`.
 */
export function propertyChanges(m: StepEventMetadata): PropertyChange[] {
  if (m.detailedDiff && Object.keys(m.detailedDiff).length > 0) {
    return Object.entries(m.detailedDiff)
      .map(([path, d]): PropertyChange => {
        const kind = String(d.diffKind);
        const base = kind.replace(/-replace$/, "");
        return { path, kind: base === "add" || base === "delete" ? base : "update", replaces: kind.endsWith("-replace") };
      })
      .sort((a, b) => a.path.localeCompare(b.path));
  }
  const keys = new Set(m.keys ?? []);
  return [...(m.diffs ?? [])].sort().map((path) => ({ path, kind: "update" as const, replaces: keys.has(path) }));
}

export function meshEvents(e: EngineEvent, ctx: EventContext): MeshEventBody[] {
  const out: MeshEventBody[] = [];
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    const severity = severityOf(d.severity);
    // debug output and ephemeral status lines are not for clients
    if (!severity || d.ephemeral) return out;
    const message = ctx.redactor.redact(d.message.replace(ANSI, "")).trim();
    if (message === "") return out;
    out.push({ type: "diagnostic", severity, message, ...(d.urn ? { resource: nameOf(d.urn) } : {}) });
    const pending = severity === "warning" ? PEER_PENDING.exec(message) : null;
    if (pending) out.push({ type: "mesh.peerPending", peer: pending[1]!, next: pending[2]! });
    return out;
  }
  const step = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
  if (step) {
    const op = step.op as string;
    const base = { op, resourceType: step.type, name: nameOf(step.urn) };
    if (e.resourcePreEvent) {
      const changes = ctx.redactor.redactDeep(propertyChanges(step));
      out.push({ type: "resource.started", ...base, ...(changes.length > 0 ? { changes } : {}) });
      if (!UNCHANGED.has(op) && !REPLACEMENT_HALVES.has(op)) ctx.steps?.push({ ...base, changes });
    } else if (e.resOpFailedEvent) out.push({ type: "resource.failed", ...base });
    else {
      out.push({ type: "resource.finished", ...base });
      if (!REPLACEMENT_HALVES.has(op)) {
        ctx.done++;
        out.push({ type: "progress", done: ctx.done, ...(ctx.total !== undefined ? { total: ctx.total } : {}) });
      }
      const secret = step.new?.inputs as
        { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined;
      const peer = secret?.metadata?.annotations?.["networking.istio.io/cluster"];
      if (
        step.type === "kubernetes:core/v1:Secret" &&
        secret?.metadata?.labels?.["istio/multiCluster"] === "true" &&
        peer &&
        ["create", "replace", "create-replacement"].includes(op)
      ) {
        out.push({ type: "mesh.linkEstablished", peer });
      }
    }
    return out;
  }
  if (e.summaryEvent) {
    out.push({ type: "summary", changes: { ...e.summaryEvent.resourceChanges }, durationSeconds: e.summaryEvent.durationSeconds });
  }
  // stdout, prelude, policy and cancel events carry nothing a client needs, or free text
  return out;
}

/** The record's change set: the engine's counts, and the steps the events carried (up to the bound). */
export function changeSetOf(changes: ChangeSummary, steps: readonly ResourceStep[]): ChangeSet {
  const n = (op: string) => changes[op] ?? 0;
  const omitted = steps.length - MAX_RECORDED_STEPS;
  return {
    create: n("create"),
    update: n("update"),
    replace: n("replace"),
    delete: n("delete"),
    same: n("same"),
    steps: steps.slice(0, MAX_RECORDED_STEPS),
    ...(omitted > 0 ? { omittedSteps: omitted } : {}),
  };
}
