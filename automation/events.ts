/**
 * Engine events (the Automation API's `onEvent`, the CLI's event log) → the typed events a client sees.
 * Free text from the engine's stdout never passes; diagnostics pass redacted, without colour codes.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { Redactor } from "./redact";
import type { MeshEventBody } from "./types";

/** Per job: what has been counted so far. */
export interface EventContext {
  readonly redactor: Redactor;
  done: number;
  total?: number;
}

// colour codes: ESC [ ... m, and the CLI's own <{%fg 3%}> markup
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m|<\\{%(reset|fg \\d+|bold)%\\}>`, "g");
const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
/** The program's own warning for a peer that has not exported yet (model/peers.ts). */
const PEER_PENDING = /^peer (\S+) has not exported .* run (.+)$/;

function severityOf(s: string): "info" | "warning" | "error" | undefined {
  if (s === "warning" || s === "error") return s;
  if (s === "info" || s === "info#err") return "info";
  return undefined;
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
    const base = { op: step.op as string, resourceType: step.type, name: nameOf(step.urn) };
    if (e.resourcePreEvent) out.push({ type: "resource.started", ...base });
    else if (e.resOpFailedEvent) out.push({ type: "resource.failed", ...base });
    else {
      out.push({ type: "resource.finished", ...base });
      ctx.done++;
      out.push({ type: "progress", done: ctx.done, ...(ctx.total !== undefined ? { total: ctx.total } : {}) });
      const secret = step.new?.inputs as
        { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } | undefined;
      const peer = secret?.metadata?.annotations?.["networking.istio.io/cluster"];
      if (
        step.type === "kubernetes:core/v1:Secret" &&
        secret?.metadata?.labels?.["istio/multiCluster"] === "true" &&
        peer &&
        ["create", "replace", "create-replacement"].includes(step.op)
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
