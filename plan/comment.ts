/**
 * The one pull-request comment: each stack's preview summary (from `pulumi preview --json`) above the
 * mesh diff, with a hidden marker to find it again and a machine-readable copy of the summaries, which
 * the merge workflow compares with its own preview so that what merges is what was reviewed.
 */
import { DIFF_MARKER, GITHUB_COMMENT_LIMIT } from "./diff-render";
import { mdCode, mdText } from "./markdown";

export const COMMENT_MARKER = "<!-- mesh-pr-comment -->";
const SUMMARY_OPEN = "<!-- mesh-preview-summary ";
const SUMMARY_CLOSE = " -->";

export interface PreviewSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly status: "ok" | "failed";
}

export type Label = "mesh: no changes" | "mesh: changes" | "mesh: destructive";

/**
 * How the pull request was previewed (tools/ci/stage.ts): by main's program with its stack files as data,
 * its own code after approval, or not at all while a stack file it changes is behind main's.
 */
export interface PreviewStage {
  readonly path: "none" | "config" | "code" | "behind";
  readonly reasons: readonly string[];
}

const STAGE_WORDS: Readonly<Record<PreviewStage["path"], string>> = {
  none: "It changes no file a preview reads: nothing was previewed.",
  config:
    "Only stack files changed: each stack was previewed by main's program and tooling, with this pull request's stack files read as data.",
  code: "It changes the program, its dependencies, a local chart or an encrypted value: its own program previews each stack only once a reviewer approves the run (environment `preview-code`); until then every preview shows as failed.",
  behind:
    "Main changed a stack file this pull request changes after the branch left main: previewed on main, this pull request's copy would undo main's edits, so nothing was previewed. Merge main into the branch (or rebase it on main) and push; the previews then run.",
};

/** The lines saying how this pull request was previewed, and why. */
export function stageSection(stage: PreviewStage): string[] {
  return ["### How this was previewed", "", STAGE_WORDS[stage.path], "", ...stage.reasons.slice(0, 50).map((r) => `- ${mdText(r)}`), ""];
}

/** The summaries as JSON inside an HTML comment: no `<` or `>` in it can close the comment early. */
const summaryJson = (previews: Readonly<Record<string, PreviewSummary>>) =>
  JSON.stringify(previews).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");

/** A stack's change counts from `pulumi preview --json`; a preview that failed (or printed no JSON) says so. */
export function summarizePreview(json: string): PreviewSummary {
  let doc: { changeSummary?: Record<string, number>; steps?: { op?: string }[]; diagnostics?: { severity?: string }[] };
  try {
    doc = JSON.parse(json) as typeof doc;
  } catch {
    return { create: 0, update: 0, replace: 0, delete: 0, status: "failed" };
  }
  const failed = (doc.diagnostics ?? []).some((d) => d.severity === "error") || (!doc.changeSummary && !doc.steps);
  const counts = { create: 0, update: 0, replace: 0, delete: 0 };
  if (doc.changeSummary) {
    const c = doc.changeSummary;
    Object.assign(counts, { create: c.create ?? 0, update: c.update ?? 0, replace: c.replace ?? 0, delete: c.delete ?? 0 });
  } else {
    // a replacement is one "replace" step, with its create-replacement and delete-replaced steps
    for (const s of doc.steps ?? []) {
      if (s.op === "create" || s.op === "update" || s.op === "delete" || s.op === "replace") counts[s.op]++;
    }
  }
  return { ...counts, status: failed ? "failed" : "ok" };
}

export function labelFor(previews: Readonly<Record<string, PreviewSummary>>, destructiveDiff: boolean): Label {
  const all = Object.values(previews);
  if (destructiveDiff || all.some((p) => p.delete + p.replace > 0)) return "mesh: destructive";
  if (all.every((p) => p.create + p.update === 0 && p.status === "ok")) return "mesh: no changes";
  return "mesh: changes";
}

/** The comment: marker, per-stack previews, the summaries for the merge check, then as much of the diff as fits. */
export function composeComment(
  previews: Readonly<Record<string, PreviewSummary>>,
  diffMarkdown: string,
  limit = GITHUB_COMMENT_LIMIT,
  elsewhere = "the job summary or the plan-diff artifact",
  stage?: PreviewStage,
): string {
  const rows = Object.entries(previews)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([stack, p]) =>
        `| ${mdCode(stack)} | ${p.create} | ${p.update} | ${p.replace} | ${p.delete} | ${p.status === "ok" ? "ok" : "**failed**"} |`,
    );
  const head = [
    COMMENT_MARKER,
    "### Preview per stack",
    "",
    "| stack | create | update | replace | delete | preview |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    ...(rows.length === 0
      ? [
          "_No stack was previewed: this change touches no file the program reads (or the previews have not finished yet)._",
          "_At the merge a stack counts as reviewed with no change: if its preview then shows one, the merge stops._",
          "",
        ]
      : []),
    `${SUMMARY_OPEN}${summaryJson(previews)}${SUMMARY_CLOSE}`,
    "",
    ...(stage ? stageSection(stage) : []),
  ].join("\n");
  const diff = diffMarkdown.replace(`${DIFF_MARKER}\n`, "");
  const room = limit - head.length - 200;
  if (diff.length <= room) return `${head}${diff}`;
  return `${head}${diff.slice(0, Math.max(0, room))}\n\n_The mesh diff was cut to fit this comment: see ${elsewhere}._\n`;
}

const COUNT = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isSummary = (v: unknown): v is PreviewSummary => {
  const p = v as Record<string, unknown> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    Object.keys(p).length === 5 &&
    (["create", "update", "replace", "delete"] as const).every((k) => COUNT(p[k])) &&
    (p.status === "ok" || p.status === "failed")
  );
};

/** The summaries a comment carries, or undefined if it has none or they are not summaries (a comment is data). */
export function reviewedSummaries(comment: string): Record<string, PreviewSummary> | undefined {
  const start = comment.indexOf(SUMMARY_OPEN);
  if (start < 0) return undefined;
  const end = comment.indexOf(SUMMARY_CLOSE, start + SUMMARY_OPEN.length);
  if (end < 0) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(comment.slice(start + SUMMARY_OPEN.length, end));
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return undefined;
  const entries = Object.entries(doc);
  return entries.every(([, v]) => isSummary(v)) ? Object.fromEntries(entries) : undefined;
}

const noChange = (p: PreviewSummary) => p.status === "ok" && p.create + p.update + p.replace + p.delete === 0;

/**
 * Differences between what was reviewed and what a preview now shows; empty when they agree. A stack the
 * comment has no preview of was reviewed as "no change" (preview.yml previews only a change to a file the
 * program reads): a preview of it that now shows no change agrees, any other does not.
 */
export function previewDrift(reviewed: Readonly<Record<string, PreviewSummary>>, now: Readonly<Record<string, PreviewSummary>>): string[] {
  const out: string[] = [];
  for (const stack of [...new Set([...Object.keys(reviewed), ...Object.keys(now)])].sort()) {
    const a = reviewed[stack];
    const b = now[stack];
    if (!b) out.push(`${stack}: not previewed now`);
    else if (!a) {
      if (!noChange(b))
        out.push(
          b.status === "ok"
            ? `${stack}: not reviewed; its preview now shows create ${b.create}, update ${b.update}, replace ${b.replace}, delete ${b.delete}`
            : `${stack}: not reviewed, and its preview now fails`,
        );
    } else
      for (const k of ["create", "update", "replace", "delete", "status"] as const)
        if (a[k] !== b[k]) out.push(`${stack}: ${k} ${a[k]} reviewed, ${b[k]} now`);
  }
  return out;
}

/** True when no stack's preview shows a change: the merge has nothing to apply. */
export function nothingToDo(now: Readonly<Record<string, PreviewSummary>>): boolean {
  return Object.values(now).every(noChange);
}
