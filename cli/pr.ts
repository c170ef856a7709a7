/**
 * The pull-request commands: `mesh pr-comment` composes the comment (each stack's preview summary and
 * the mesh diff, under GitHub's size limit) and its label; `mesh pr-verify` compares the previews that
 * were reviewed with previews made now. A wrong input file is named with why, and exits 2.
 */
import type { Command } from "commander";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { collect } from "./args";
import { EXIT } from "./plan";
import {
  composeComment,
  labelFor,
  nothingToDo,
  previewDrift,
  reviewedSummaries,
  summarizePreview,
  type PreviewStage,
  type PreviewSummary,
} from "../plan/comment";
import { DiffJsonError, parseDiffJson } from "../plan/diff-json";
import { renderDiffMarkdown } from "../plan/diff-render";

/** A file named by an option, or an input problem naming the option and the file. */
class InputError extends Error {}
function readInput(option: string, file: string, remedy = ""): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : code === "EACCES" ? "not readable" : code;
    throw new InputError(`${option} ${file}: ${why}${remedy}`);
  }
}

/** tools/ci/stage.ts's `{ path, reasons }`, or an input problem. */
function readStage(text: string, file: string): PreviewStage {
  let doc: { path?: unknown; reasons?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new InputError(`--stage ${file}: not JSON; make it with tools/ci/stage.ts <data-dir> <main-sha> <project-dir> ${file}`);
  }
  if (
    !["none", "config", "code", "behind"].includes(doc?.path as string) ||
    !Array.isArray(doc.reasons) ||
    !doc.reasons.every((r) => typeof r === "string")
  )
    throw new InputError(`--stage ${file}: not tools/ci/stage.ts's { path, reasons }`);
  return { path: doc.path as PreviewStage["path"], reasons: doc.reasons };
}

/** Registers pr-comment and pr-verify; `setRun` receives what the chosen command does. */
export function addPullRequestCommands(
  program: Command,
  io: { readonly out: (s: string) => void; readonly err: (s: string) => void },
  setRun: (run: () => number) => void,
): void {
  const previews = (pairs: readonly string[]): Record<string, PreviewSummary> =>
    Object.fromEntries(
      pairs.map((p) => {
        const i = p.indexOf("=");
        if (i <= 0) throw new InputError(`--preview ${p}: write <stack>=<file of pulumi preview --json>`);
        return [p.slice(0, i), summarizePreview(readInput("--preview", p.slice(i + 1)))];
      }),
    );
  /** A pull-request command whose input files are wrong says which and why, and exits 2. */
  const inputs =
    (name: string, f: () => number): (() => number) =>
    () => {
      try {
        return f();
      } catch (e) {
        if (!(e instanceof InputError || e instanceof DiffJsonError)) throw e;
        io.err(`mesh ${name}: ${e.message}\n`);
        return EXIT.unreadable;
      }
    };
  program
    .command("pr-comment")
    .description("the pull-request comment: each stack's preview summary and the mesh diff, under GitHub's size limit")
    .requiredOption("--diff-json <file>", "mesh plan --diff <base> --format json")
    .option("--preview <stack=file>", "a stack's pulumi preview --json (repeat per stack)", collect, [])
    .option("--previews-from <file>", "keep the preview summaries of this (the current) comment when no --preview is given")
    .option("--label-file <file>", "write the label (mesh: no changes | changes | destructive) here")
    .option("--stage <file>", "how the pull request was previewed: tools/ci/stage.ts's JSON")
    .action((opts: { diffJson: string; preview: string[]; previewsFrom?: string; labelFile?: string; stage?: string }) => {
      setRun(
        inputs("pr-comment", () => {
          const d = parseDiffJson(
            readInput("--diff-json", opts.diffJson, `; make it with mesh plan --diff <base> --format json > ${opts.diffJson}`),
            opts.diffJson,
          );
          // ci.yml rewrites the comment without previewing: it keeps what preview.yml wrote there
          const kept =
            opts.previewsFrom && existsSync(opts.previewsFrom)
              ? reviewedSummaries(readInput("--previews-from", opts.previewsFrom))
              : undefined;
          const p = opts.preview.length > 0 ? previews(opts.preview) : (kept ?? {});
          const stage = opts.stage ? readStage(readInput("--stage", opts.stage), opts.stage) : undefined;
          io.out(composeComment(p, renderDiffMarkdown(d), undefined, undefined, stage));
          if (opts.labelFile)
            writeFileSync(
              opts.labelFile,
              labelFor(
                p,
                d.disruptions.some((x) => x.severity === "destroys"),
              ),
            );
          return EXIT.ok;
        }),
      );
    });
  program
    .command("pr-verify")
    .description("compare the previews reviewed on the pull request (its comment) with previews made now")
    .requiredOption("--comment <file>", "the pull request's mesh comment")
    .option("--preview <stack=file>", "a stack's pulumi preview --json now (repeat per stack)", collect, [])
    .option("--outcome-file <file>", "write the outcome here when the previews agree: apply, or nothing-to-do")
    .action((opts: { comment: string; preview: string[]; outcomeFile?: string }) => {
      setRun(
        inputs("pr-verify", () => {
          const reviewed = reviewedSummaries(readInput("--comment", opts.comment));
          if (!reviewed) {
            io.out("mesh pr-verify: the comment carries no preview summaries; nothing was reviewed\n");
            return EXIT.findings;
          }
          const now = previews(opts.preview);
          const drift = previewDrift(reviewed, now);
          if (drift.length > 0) {
            io.out(`the previews differ from what was reviewed:\n${drift.map((l) => `  ${l}`).join("\n")}\n`);
            return EXIT.findings;
          }
          const idle = nothingToDo(now);
          io.out(idle ? "nothing to do: no stack's preview shows a change, as reviewed\n" : "the previews match what was reviewed\n");
          if (opts.outcomeFile) writeFileSync(opts.outcomeFile, idle ? "nothing-to-do\n" : "apply\n");
          return EXIT.ok;
        }),
      );
    });
}
