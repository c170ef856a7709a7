/** The plan as a person reads it: terminal text, Markdown for a pull-request comment, a Mermaid diagram. */
import { escapeControls, terminalText } from "../model/escape";
import { istioLine } from "./istio-summary";
import { mdText } from "./markdown";
import type { MeshPlan, RoutingPolicy } from "./plan";

/** Services drawn in the diagram; the tables list them all. */
const DIAGRAM_SERVICES = 8;

/** How wide terminal text may be when the terminal does not say: what most terminals open with, and more. */
export const DEFAULT_TEXT_WIDTH = 120;

/** `text` in lines of at most `width` (a longer word keeps its line), the first after `first`, the others after `rest`. */
export function wrap(text: string, first: string, rest: string, width: number): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(" ")) {
    const fresh = line === first || line === rest;
    if (!fresh && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else line += (fresh ? "" : " ") + word;
  }
  return [...lines, line].join("\n");
}

/**
 * Columns when they fit in `width`; otherwise one block per row, the first cell as its title and every
 * other cell on a line of its own under its header (`kubectl describe`'s shape), so nothing wraps.
 */
function table(header: readonly string[], rows: readonly (readonly string[])[], indent = "  ", width = DEFAULT_TEXT_WIDTH): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const lines = [line(header), ...rows.map(line)];
  if (lines.every((l) => l.length <= width)) return lines.join("\n");
  const keyWidth = Math.max(...header.slice(1).map((h) => h.length));
  return rows
    .map((r) =>
      [
        `${indent}${r[0]}`,
        ...r.slice(1).map((c, i) => {
          const key = `${indent}  ${header[i + 1]!.padEnd(keyWidth)}  `;
          return wrap(c, key, " ".repeat(key.length), width).trimEnd();
        }),
      ].join("\n"),
    )
    .join("\n");
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(mdText).join(" | ")} |`),
  ].join("\n");
}

function clusterRows(plan: MeshPlan): string[][] {
  return plan.clusters.map((c) => [
    c.stack,
    c.name,
    c.network,
    c.sourceDetail,
    c.apiServer ?? `(${c.apiServerNote})`,
    `${c.gateway.type} ${c.gateway.peersSendTo}`,
    istioLine(c.istio),
  ]);
}
const CLUSTER_HEADER = [
  "stack",
  "cluster",
  "network",
  "source",
  "API server (peers use)",
  "east-west gateway (peers are sent to)",
  "control plane",
];

function supplyRows(plan: MeshPlan): string[][] {
  return plan.supply.flatMap((s) => [
    ...s.charts.map((c) => [s.cluster, "chart", `${c.name} ${c.version}`, c.ref]),
    ...s.images.map((i) => [s.cluster, "image", i.usedBy, i.ref]),
  ]);
}
const SUPPLY_HEADER = ["cluster", "kind", "what", "pulled from"];
const SUPPLY_TITLE = "Supply: every chart and image each cluster pulls";

function linkMatrix(plan: MeshPlan): { header: string[]; rows: string[][] } {
  const names = plan.clusters.map((c) => c.name);
  const rows = names.map((reader) => [
    reader,
    ...names.map((reads) => {
      if (reads === reader) return "-";
      const l = plan.links.find((x) => x.reader === reader && x.reads === reads);
      return l ? (l.status === "mutual" ? "reads" : "reads (one-way)") : "";
    }),
  ]);
  return { header: ["istiod of \\ reads", ...names], rows };
}

function trustLines(plan: MeshPlan): string[] {
  const lines = [plan.trust.anchor ? `anchor: ${plan.trust.anchor} owns the mesh root` : "no trust anchor"];
  for (const i of plan.trust.issuers) lines.push(`${i.stack} issues its intermediate CA from ${i.from}`);
  return lines;
}

function routeRows(policy: RoutingPolicy): string[][] {
  return policy.routes.flatMap((r) => r.steps.map((st) => [r.caller, String(st.priority), st.cluster, st.via]));
}
const ROUTE_HEADER = ["caller", "priority", "endpoints in", "via"];

const policyTitle = (p: RoutingPolicy, plan: MeshPlan) => {
  const n = plan.services.filter((s) => s.routing === p.id).length;
  return `Routing ${p.id}: ${p.locality}, outlier detection ${outlierText(p.outlierDetection)}; ${n} service${n === 1 ? "" : "s"}`;
};
const CATALOG_HEADER = ["service", "ports", "routing"];
const catalogRows = (plan: MeshPlan) => plan.services.map((s) => [s.host, s.ports.join(", "), s.routing]);

const outlierText = (o: Readonly<Record<string, string | number>>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

function summaryLine(plan: MeshPlan): string {
  const { errors, warnings } = plan.summary;
  return `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
}

function headline(plan: MeshPlan): string {
  return `Mesh ${plan.meshId ?? "?"} · Istio ${plan.istioVersion ?? "?"} · ${plan.clusters.length} of ${plan.stacks.length} stacks planned (project ${plan.project})`;
}

/** The plan for a terminal `width` columns wide: a table wider than that is laid out vertically. */
export function renderText(plan: MeshPlan, width = DEFAULT_TEXT_WIDTH): string {
  const m = linkMatrix(plan);
  const out = [
    headline(plan),
    "",
    "Clusters",
    table(CLUSTER_HEADER, clusterRows(plan), "  ", width),
    "",
    "Links: whose istiod reads which cluster's API server (through istio-remote-secret-<cluster>)",
    table(m.header, m.rows, "  ", width),
    "",
    "Trust",
    ...trustLines(plan).map((l) => `  ${l}`),
    "",
    "Services",
  ];
  if (plan.services.length === 0) out.push("  (no catalog services)");
  else out.push(table(CATALOG_HEADER, catalogRows(plan), "  ", width));
  for (const p of plan.routing) {
    out.push("", wrap(policyTitle(p, plan), "  ", "    ", width));
    for (const r of p.routes) out.push(wrap(r.words, "    ", "      ", width));
    out.push("", table(ROUTE_HEADER, routeRows(p), "    ", width));
  }
  out.push("", SUPPLY_TITLE, table(SUPPLY_HEADER, supplyRows(plan), "  ", width));
  out.push("", "Checks across all stacks");
  if (plan.findings.length === 0) out.push("  no problems found");
  for (const f of plan.findings)
    out.push(
      wrap(`${f.severity.toUpperCase()}  ${f.stack}  ${f.path}: ${f.message}`, "  ", "      ", width),
      wrap(`fix: ${f.fix}`, "    ", "      ", width),
    );
  out.push("", summaryLine(plan), "");
  return terminalText(out.join("\n"));
}

export function renderMarkdown(plan: MeshPlan): string {
  const m = linkMatrix(plan);
  const out = [
    `## ${mdText(headline(plan))}`,
    "",
    "### Clusters",
    "",
    mdTable(CLUSTER_HEADER, clusterRows(plan)),
    "",
    "### Links",
    "",
    "Whose istiod reads which cluster's API server (through `istio-remote-secret-<cluster>`).",
    "",
    mdTable(m.header, m.rows),
    "",
    "### Trust",
    "",
    ...trustLines(plan).map((l) => `- ${mdText(l)}`),
    "",
    "### Services",
    "",
  ];
  if (plan.services.length > 0) out.push(mdTable(CATALOG_HEADER, catalogRows(plan)), "");
  else out.push("No catalog services.", "");
  for (const p of plan.routing) {
    out.push(`**${mdText(policyTitle(p, plan))}**`, "");
    for (const r of p.routes) out.push(`- ${mdText(r.words)}`);
    out.push("", mdTable(ROUTE_HEADER, routeRows(p)), "");
  }
  out.push(`### ${SUPPLY_TITLE}`, "", mdTable(SUPPLY_HEADER, supplyRows(plan)), "");
  out.push("### Diagram", "", "```mermaid", renderMermaid(plan), "```", "", "### Checks across all stacks", "");
  if (plan.findings.length === 0) out.push("No problems found.");
  else
    out.push(
      mdTable(
        ["severity", "stack", "path", "problem", "fix"],
        plan.findings.map((f) => [f.severity, f.stack, `\`${f.path}\``, f.message, f.fix]),
      ),
    );
  out.push("", `**${summaryLine(plan)}**`, "");
  return out.join("\n");
}

/** A Mermaid node id: prefixed, so no cluster name collides with a keyword (`end`, `graph`). */
const id = (s: string) => `c_${s.replace(/[^A-Za-z0-9]/g, "_")}`;
/** A Mermaid label: the diagram's own `<br/>` is written outside it; its text's quotes and tags as entity codes. */
const label = (s: string) => escapeControls(s).replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

/** Clusters, their gateways and API servers, who reads whom, the trust chain, and the catalog. */
export function renderMermaid(plan: MeshPlan): string {
  const out = ["flowchart LR"];
  if (plan.trust.anchor) out.push(`  root(("mesh root<br/>${label(plan.trust.anchor)}"))`);
  for (const c of plan.clusters) {
    const k = id(c.name);
    out.push(`  subgraph ${k}["${label(`${c.name} · ${c.network} · ${c.source === "ack" ? "ACK" : "existing"}`)}"]`);
    out.push(`    ${k}_istiod["istiod"]`);
    out.push(`    ${k}_api["API server<br/>${label(c.apiServer ?? "intranet endpoint")}"]`);
    out.push(
      `    ${k}_gw["east-west gateway<br/>${label(`${c.gateway.type} ${c.gateway.endpoints.join(", ") || "address after deploy"}`)}"]`,
    );
    plan.services
      .slice(0, DIAGRAM_SERVICES)
      .forEach((s, i) => out.push(`    ${k}_svc${i}["${label(`${s.name}.${s.namespace} :${s.ports.join(",")}`)}"]`));
    if (plan.services.length > DIAGRAM_SERVICES) out.push(`    ${k}_more["… ${plan.services.length - DIAGRAM_SERVICES} more services"]`);
    out.push("  end");
  }
  for (const i of plan.trust.issuers) {
    const c = plan.clusters.find((x) => x.stack === i.stack);
    if (c && plan.trust.anchor) out.push(`  root -. intermediate CA .-> ${id(c.name)}_istiod`);
  }
  for (const l of plan.links) out.push(`  ${id(l.reader)}_istiod -- reads --> ${id(l.reads)}_api`);
  // cross-network calls: a caller's sidecar dials the other cluster's east-west gateway (AUTO_PASSTHROUGH on
  // 15443, or the node port that maps to it); the caller's own gateway is not on the path
  for (const l of plan.links) {
    const gw = plan.clusters.find((c) => c.name === l.reads)?.gateway;
    const port = /:(\d+)$/.exec(gw?.endpoints[0] ?? "")?.[1] ?? "15443";
    out.push(`  ${id(l.reader)} -- "sidecars: mTLS, SNI → :${port}" --> ${id(l.reads)}_gw`);
  }
  return out.join("\n");
}
