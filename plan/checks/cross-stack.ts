/** The mistakes no single stack can see, composed from one check per concern in this folder. */
import { agreementFindings } from "./agreement";
import type { Finding, ValidStack } from "./context";
import { identityFindings } from "./identity";
import { nameFindings } from "./names";
import { peerFindings } from "./peers";
import { reachFindings } from "./reach";
import { revisionFindings } from "./revisions";
import { trustFindings } from "./trust";

/** The mistakes no single stack can see. */
export function crossStackFindings(valid: readonly ValidStack[], stacks: readonly string[], project: string): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Finding["severity"], stack: string, path: string, message: string, fix: string) =>
    out.push({ severity, stack, path, message, fix });
  const validNames = new Set(valid.map((v) => v.stack));
  const leftOut = stacks.filter((s) => !validNames.has(s));
  for (const s of leftOut) {
    add(
      "warning",
      s,
      "*",
      "left out of the checks across stacks (trust anchor, peers, names, networks) because its config has errors: what they would report may only follow from those",
      "fix this stack's errors, then run mesh plan again",
    );
  }
  if (valid.length === 0) return out;
  const ctx = {
    valid,
    stacks,
    project,
    leftOut,
    fqs: new Set(stacks.map((s) => `organization/${project}/${s}`)),
    byFq: new Map(valid.map((v) => [v.fq, v])),
  };
  // the order of the checks is the order of the findings in the plan
  for (const check of [agreementFindings, nameFindings, identityFindings, peerFindings, trustFindings, reachFindings, revisionFindings])
    check(ctx, add);
  return out;
}
