/** Rules for mesh:peers and mesh:trust. */
import { z } from "zod";
import { pkiProblems } from "../trust";
import { TrustSchema } from "../schema";
import type { StackIdentity, TrustMode } from "../types";
import { NS, type Add, part, exactlyOne } from "./shared";

export function checkPeers(peers: readonly unknown[], stack: StackIdentity, add: Add): void {
  const self = `${stack.organization}/${stack.project}/${stack.stack}`;
  const seen = new Set<unknown>();
  peers.forEach((p, i) => {
    if (typeof p !== "string") return;
    const [, project, name] = p.split("/");
    if (p === self || (project === stack.project && name === stack.stack)) {
      add(`${NS}:peers[${i}]`, `${p} is this stack itself`, "list only the other clusters' stacks");
    } else if (seen.has(p)) add(`${NS}:peers[${i}]`, `${p} is listed twice`, "list each peer once");
    seen.add(p);
  });
}

export function checkTrust(rawTrust: Record<string, unknown>, stack: StackIdentity, add: Add): void {
  exactlyOne(
    rawTrust,
    ["anchor", "rootStack", "pki"] as const,
    `${NS}:trust`,
    "trust source",
    "set exactly one of anchor: true (this stack owns the root CA), rootStack: <org>/mesh/<anchor stack>, or pki (your own CA, as secrets)",
    add,
  );
  const rootStack = part(TrustSchema.shape.rootStack, rawTrust.rootStack);
  if (rootStack && rootStack.split("/")[2] === stack.stack) {
    add(`${NS}:trust.rootStack`, "names this stack itself", "on the anchor set trust: { anchor: true }; elsewhere name the anchor's stack");
  }
  const pki = part(TrustSchema.shape.pki, rawTrust.pki);
  if (pki) for (const p of pkiProblems(pki)) add(`${NS}:trust.pki.${p.field}`, p.message, p.fix);
  const trust = part(TrustSchema, rawTrust);
  if (trust?.anchor && trust.intermediateValidityHours > trust.rootValidityHours) {
    add(
      `${NS}:trust.intermediateValidityHours`,
      `${trust.intermediateValidityHours} hours outlives the root's ${trust.rootValidityHours}: the intermediates would stop working when the root expires`,
      "make it shorter than rootValidityHours",
    );
  }
  if (pki && !pki.rootKey && !(pki.intermediateCert && pki.intermediateKey && pki.certChain)) {
    add(
      `${NS}:trust.pki`,
      "neither the root key nor a complete intermediate (intermediateCert, intermediateKey, certChain)",
      "give rootKey so each stack issues its own intermediate, or this cluster's intermediateCert, intermediateKey and certChain",
    );
  }
}

export function trustModeOf(trust: z.infer<typeof TrustSchema> | undefined): TrustMode {
  if (!trust) return { kind: "none" };
  if (trust.anchor) return { kind: "anchor" };
  if (trust.rootStack) return { kind: "rootStack", stack: trust.rootStack };
  return { kind: "pki", issuesIntermediate: trust.pki!.rootKey !== undefined && trust.pki!.intermediateCert === undefined };
}
