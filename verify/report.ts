/** The report as a person reads it: a table per cluster (check, result, detail, fix) and the routing, planned against observed. */
import { terminalText } from "../model/escape";
import { mdText } from "../plan/markdown";
import { CATEGORY_TITLES, type Check, type RouteStepView, type RoutingRow, type VerifyReport } from "./types";

const MARK: Record<Check["result"], string> = { pass: "ok", fail: "FAIL", warn: "warn", error: "UNREADABLE" };

const steps = (v: readonly RouteStepView[]) =>
  v.length === 0 ? "nothing" : v.map((s) => `p${s.priority} ${s.cluster} ${s.addresses.join(" ")}`).join(" · ");

export function renderVerifyText(r: VerifyReport): string {
  const lines: string[] = [];
  for (const c of r.clusters) {
    lines.push(`${c.cluster} (stack ${c.stack}, ${c.requests} requests)`);
    let category = "";
    for (const k of c.checks) {
      if (k.category !== category) {
        category = k.category;
        lines.push(`  ${CATEGORY_TITLES[k.category]}`);
      }
      lines.push(`    ${MARK[k.result].padEnd(10)} ${k.code}  ${k.name}: ${k.detail}`);
      if (k.fix) lines.push(`${" ".repeat(22)}fix: ${k.fix}`);
    }
    lines.push("");
  }
  if (r.routing.length > 0) {
    lines.push("Routing, planned → observed");
    const byService = new Map<string, RoutingRow[]>();
    for (const row of r.routing) byService.set(`${row.service}:${row.port}`, [...(byService.get(`${row.service}:${row.port}`) ?? []), row]);
    for (const [svc, rows] of byService) {
      lines.push(`  ${svc}`);
      for (const row of rows) {
        lines.push(`    from ${row.caller} (${row.from ?? "no sidecar"}): ${MARK[row.result]}`);
        lines.push(`      planned   ${steps(row.planned)}`);
        lines.push(`      observed  ${steps(row.observed)}`);
      }
    }
    lines.push("");
  }
  const s = r.summary;
  lines.push(`${s.passed} passed, ${s.failed} failed, ${s.warnings} warnings, ${s.errors} unreadable`);
  return terminalText(`${lines.join("\n")}\n`);
}

/** The same, as Markdown for a job summary ($GITHUB_STEP_SUMMARY). */
export function renderVerifyMarkdown(r: VerifyReport): string {
  // an API server's words and the stack files' names: escaped for a table cell
  const cell = mdText;
  const out: string[] = [`### mesh verify: ${r.exitCode === 0 ? "passed" : r.exitCode === 1 ? "failed" : "clusters unreadable"}`, ""];
  for (const c of r.clusters) {
    out.push(`#### ${mdText(c.cluster)}`, "", "| check | result | detail | fix |", "|---|---|---|---|");
    for (const k of c.checks) out.push(`| ${k.code} ${cell(k.name)} | ${MARK[k.result]} | ${cell(k.detail)} | ${cell(k.fix ?? "")} |`);
    out.push("");
  }
  const s = r.summary;
  out.push(`${s.passed} passed, ${s.failed} failed, ${s.warnings} warnings, ${s.errors} unreadable`, "");
  return out.join("\n");
}
