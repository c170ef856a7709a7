/** The mesh diff as a person reads it: terminal text, and a pull-request comment that always fits. */
import { terminalText } from "../model/escape";
import type { Disruption, FieldChange, ItemChange, MeshDiff, StackDiff } from "./diff";
import { mdCode, mdHtml, mdText } from "./markdown";

/** Finds the one comment this tool keeps up to date on a pull request. */
export const DIFF_MARKER = "<!-- mesh-plan-diff -->";
/** GitHub refuses a comment body over 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

const value = (v: unknown): string => {
  const s = v === undefined ? "(none)" : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};
const field = (f: FieldChange) => `${f.path}: ${value(f.before)} → ${value(f.after)}`;
const sign = (c: ItemChange["change"]) => (c === "added" ? "+" : c === "removed" ? "-" : "~");
const counts = (items: readonly ItemChange[]) => ["added", "changed", "removed"].map((c) => items.filter((i) => i.change === c).length);

export function diffHeadline(d: MeshDiff): string {
  const changed = d.stacks.filter((s) => s.change !== "unchanged").map((s) => s.stack);
  const n = (sev: Disruption["severity"]) => d.disruptions.filter((x) => x.severity === sev).length;
  const extra = [n("refused") ? `${n("refused")} refused` : "", n("no-effect") ? `${n("no-effect")} without effect` : ""].filter(Boolean);
  return `Mesh change against ${d.base}: ${changed.length ? `${changed.join(", ")} changed` : "no stack changes"}; ${n("destroys")} destructive, ${n("disrupts")} disruptive${extra.map((e) => `, ${e}`).join("")}`;
}

const LABEL: Readonly<Record<Disruption["severity"], string>> = {
  destroys: "Destroys",
  disrupts: "Disrupts",
  "no-effect": "No effect",
  refused: "Refused",
};
/** Every changed item of a stack: releases, Kubernetes objects, the cloud resources, then the trust resources. */
const itemsOf = (s: StackDiff) => [...s.releases, ...s.objects, ...s.cloud, ...s.certificates];
/** An item as listed: a trust resource says whether it is replaced. */
const itemName = (i: ItemChange) => (i.effect ? `${i.item} (${i.effect})` : i.item);

export function renderDiffText(d: MeshDiff): string {
  const out = [diffHeadline(d), ""];
  if (d.disruptions.length > 0) {
    out.push("Disruptive changes");
    for (const x of d.disruptions) out.push(`  ${LABEL[x.severity].toUpperCase()} ${x.stack}: ${x.what}`, `    ${x.advice}`);
    out.push("");
  }
  for (const s of d.stacks) {
    out.push(`${s.stack}: ${s.change}`);
    for (const i of itemsOf(s)) {
      out.push(`  ${sign(i.change)} ${itemName(i)}`);
      for (const f of i.fields) out.push(`      ${field(f)}`);
    }
  }
  for (const [title, rows] of [
    ["Routing", d.routing.map((r) => `${r.change === "added" ? "+" : "-"} ${r.line}`)],
    ["Links", d.links.map((r) => `${r.change === "added" ? "+" : "-"} ${r.link}`)],
    ["Trust", d.trust.map((r) => `${r.change === "added" ? "+" : "-"} ${r.line}`)],
    [
      "Checks",
      d.checks.map(
        (c) => `${c.change === "appeared" ? "+" : "-"} ${c.finding.severity} ${c.finding.stack} ${c.finding.path}: ${c.finding.message}`,
      ),
    ],
  ] as const) {
    if (rows.length > 0) out.push("", title, ...rows.map((r) => `  ${r}`));
  }
  out.push("");
  return terminalText(out.join("\n"));
}

const md = mdText;
const code = mdCode;

/**
 * Markdown for the pull request: the marker, a summary table, what disrupts or destroys, then the
 * details in collapsible sections while they fit in `limit`; what does not fit is counted and pointed to.
 */
export function renderDiffMarkdown(
  d: MeshDiff,
  limit = GITHUB_COMMENT_LIMIT,
  elsewhere = "the job summary or the plan-diff artifact",
): string {
  const head = [DIFF_MARKER, `### ${md(diffHeadline(d))}`, ""];
  head.push(
    "| stack | change | objects + / ~ / − | releases + / ~ / − | cloud + / ~ / − | trust + / ~ / − | destructive | disruptive |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const s of d.stacks) {
    const x = d.disruptions.filter((y) => y.stack === s.stack);
    head.push(
      `| ${code(s.stack)} | ${s.change} | ${counts(s.objects).join(" / ")} | ${counts(s.releases).join(" / ")} | ${counts(s.cloud).join(" / ")} | ${counts(s.certificates).join(" / ")} | ${x.filter((y) => y.severity === "destroys").length} | ${x.filter((y) => y.severity === "disrupts").length} |`,
    );
  }
  head.push("");
  if (d.disruptions.length > 0) {
    for (const x of d.disruptions) head.push(`> **${LABEL[x.severity]}** ${code(x.stack)}: ${md(x.what)} — ${md(x.advice)}`, ">");
    head.pop();
    head.push("");
  }
  const sections: string[] = [];
  for (const s of d.stacks) {
    const items = itemsOf(s);
    if (items.length === 0) continue;
    const rows = items.flatMap((i) =>
      i.fields.length === 0
        ? [`| ${sign(i.change)} | ${md(itemName(i))} | | |`]
        : i.fields.map(
            (f) => `| ${sign(i.change)} | ${md(itemName(i))} | ${code(f.path)} | ${code(value(f.before))} → ${code(value(f.after))} |`,
          ),
    );
    sections.push(
      `<details><summary>${mdHtml(s.stack)}: ${items.length} item${items.length === 1 ? "" : "s"} changed (releases, objects, cloud and trust resources)</summary>\n\n| | item | field | before → after |\n|---|---|---|---|\n${rows.join("\n")}\n\n</details>`,
    );
  }
  const list = (title: string, rows: readonly string[]) =>
    rows.length
      ? [`<details><summary>${title} (${rows.length})</summary>\n\n${rows.map((r) => `- ${md(r)}`).join("\n")}\n\n</details>`]
      : [];
  sections.push(
    ...list(
      "Routing",
      d.routing.map((r) => `${r.change}: ${r.line}`),
    ),
    ...list(
      "Links",
      d.links.map((r) => `${r.change}: ${r.link}`),
    ),
    ...list(
      "Trust",
      d.trust.map((r) => `${r.change}: ${r.line}`),
    ),
    ...list(
      "Checks",
      d.checks.map((c) => `${c.change}: ${c.finding.severity} ${c.finding.stack} ${c.finding.path}: ${c.finding.message}`),
    ),
  );
  let text = `${head.join("\n")}\n`;
  let left = sections.length;
  for (const s of sections) {
    const note = left > 1 ? 200 : 0;
    if (text.length + s.length + 2 + note > limit) break;
    text += `${s}\n\n`;
    left--;
  }
  if (left > 0) text += `_${left} more section${left === 1 ? "" : "s"} did not fit in this comment: see ${elsewhere}._\n`;
  if (text.length > limit) text = `${text.slice(0, limit - 80)}\n\n_(cut to fit: see ${elsewhere})_\n`;
  return text;
}
