/** `mesh upgrade` as a person reads it: the gate, the order and why, then every step with its check and rollback. */
import { terminalText } from "../model/escape";
import type { StackEdit, UpgradePlan } from "./upgrade";

const PHASE: Readonly<Record<number, string>> = {
  0: "0 adopt revisions",
  2: "2 install beside",
  3: "3 canary",
  4: "4 stable",
  5: "5 remove old",
};
const edit = (e: StackEdit) => `${e.path.join(".")}${e.value === undefined ? " (removed)" : ` = ${JSON.stringify(e.value)}`}`;

export function renderUpgradeText(p: UpgradePlan): string {
  const out = [
    `Upgrade to Istio ${p.to} (revision ${p.revision})`,
    `Now: ${p.from.map((f) => `${f.stack} ${f.revisions.join(" + ")}`).join("; ")}`,
    `Order: ${p.order.join(", ")}: ${p.orderWhy}`,
    "",
  ];
  if (p.refusals.length > 0) {
    out.push("Step 1 skew gate: REFUSED", ...p.refusals.map((r) => `  - ${r}`), "");
    return terminalText(out.join("\n"));
  }
  out.push(
    "Step 1 skew gate: passed",
    `  - ${p.to} is at most one minor ahead of every installed revision; no data plane ends up ahead of its control plane; every cluster stays within one minor of the others`,
    "",
  );
  if (p.steps.length === 0) out.push("Nothing left to do: every cluster runs only the new revision.", "");
  p.steps.forEach((s, i) => {
    out.push(`Step ${i + 2} [${PHASE[s.phase]}] ${s.stack}: ${s.title}`);
    out.push("  changes:", ...s.changes.map((c) => `    - ${c}`));
    out.push(`  Pulumi.${s.stack}.yaml:`, ...s.edits.map((e) => `    ${edit(e)}`));
    out.push("  run:", ...s.commands.map((c) => `    $ ${c}`));
    out.push("  check:", ...s.checks.map((c) => `    $ ${c}`));
    out.push(`  rollback: ${s.rollback.setBack}`, `    does not undo: ${s.rollback.doesNotUndo}`, "");
  });
  if (p.steps.length > 0)
    out.push(
      `Write the next step into its stack file: npm run -s mesh -- upgrade --to ${p.to}${p.canary.length ? ` --canary ${p.canary.join(",")}` : ""} --write   (step 2 above; then run and check it)`,
      "",
    );
  return terminalText(out.join("\n"));
}
