/** `mesh upgrade` as a person reads it: the gate, the order and why, then every step with its check and rollback. */
import { terminalText } from "../model/escape";
import { editFile, PHASE_NAMES, type StackEdit, type UpgradePlan } from "./upgrade-types";

const edit = (e: StackEdit) => `${e.path.join(".")}${e.value === undefined ? " (removed)" : ` = ${JSON.stringify(e.value)}`}`;

export function renderUpgradeText(p: UpgradePlan): string {
  const out = [
    `Upgrade to Istio ${p.to} (revision ${p.revision})`,
    `Now: ${p.from.map((f) => `${f.stack} ${f.revisions.join(" + ")}`).join("; ")}`,
    `Order: ${p.order.join(", ")}: ${p.orderWhy}`,
    "",
  ];
  if (p.refusals.length > 0) {
    out.push(`Step 1 ${PHASE_NAMES[1]}: REFUSED`, ...p.refusals.map((r) => `  - ${r}`), "");
    return terminalText(out.join("\n"));
  }
  out.push(`Step 1 ${PHASE_NAMES[1]}: passed`, ...p.gate.map((g) => `  - ${g}`), "");
  if (p.steps.length === 0) out.push("Nothing left to do: every cluster runs only the new revision.", "");
  for (const s of p.steps) {
    out.push(`Step ${s.id} [${PHASE_NAMES[s.phase]}] ${s.stack}: ${s.title}`);
    out.push("  changes:", ...s.changes.map((c) => `    - ${c}`));
    for (const file of [...new Set(s.edits.map(editFile))])
      out.push(`  ${file}:`, ...s.edits.filter((e) => editFile(e) === file).map((e) => `    ${edit(e)}`));
    out.push("  run:", ...s.commands.map((c) => `    $ ${c}`));
    out.push("  check:", ...s.checks.map((c) => `    $ ${c}`));
    out.push(`  rollback: ${s.rollback.setBack}`, `    does not undo: ${s.rollback.doesNotUndo}`, "");
  }
  if (p.steps.length > 0)
    out.push(
      `Write the next step into its stack file: npm run -s mesh -- upgrade --to ${p.to}${p.canary.length ? ` --canary ${p.canary.join(",")}` : ""} --write   (step ${p.steps[0]!.id} above; then run and check it)`,
      "",
    );
  return terminalText(out.join("\n"));
}
