/**
 * `mesh plan`: the whole mesh planned offline from the stack files (no network, no Pulumi CLI, no
 * credentials), as text, Markdown, JSON or a mirror script; with --out the objects as YAML; with --diff
 * what a change does against a git ref or another project folder.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { diffMesh, failingDisruptions, type FailOn } from "../plan/diff";
import { renderDiffMarkdown, renderDiffText } from "../plan/diff-render";
import { gitSource, NoSuchRef } from "../plan/git-source";
import { renderMirrorScript } from "../plan/mirror";
import { planMesh, plannedObjects } from "../plan/plan";
import { renderMarkdown, renderText } from "../plan/render";
import { readProject, readProjectFrom, StackFileError, type FileSource } from "../plan/stack-files";
import { OutError, writeOut } from "../plan/write-out";

/** Exit codes: 0 no errors, 1 the plan found errors, 2 the files could not be read. */
export const EXIT = { ok: 0, findings: 1, unreadable: 2 } as const;

export type PlanFormat = "text" | "markdown" | "json" | "mirror";

/** Why `path` is not a project folder to diff against, or undefined when it is one. */
function whyNotProjectFolder(path: string): string | undefined {
  if (!existsSync(path)) return "no such folder";
  if (!statSync(path).isDirectory()) return "a file, not a folder";
  return existsSync(join(path, "Pulumi.yaml")) ? undefined : "no Pulumi.yaml in it";
}

/** The base at a git ref; when it is no ref either, both readings are refused in one message. */
function baseAtRef(dir: string, ref: string, notFolder: string): FileSource {
  try {
    return gitSource(dir, ref);
  } catch (e) {
    if (!(e instanceof NoSuchRef)) throw e;
    throw new StackFileError(
      `${ref}: neither a project folder (${notFolder}) nor a git ref (${e.problem})${e.hint ? `; if it is a ref, ${e.hint}` : ""}`,
    );
  }
}

export interface PlanOptions {
  readonly dir: string;
  readonly format: PlanFormat;
  readonly out?: string;
  readonly diff?: string;
  /** With --diff: the least severe disruption that makes the exit code 1. @default "refused" */
  readonly failOn?: FailOn;
  /** Text: the terminal's width; a table wider than this is laid out vertically. @default DEFAULT_TEXT_WIDTH */
  readonly width?: number;
}

/**
 * `mesh plan` (and with `diff`, `mesh plan --diff`): prints through `print`, returns the exit code; `warn`
 * (stderr) says why a diff fails on its disruptions, so the JSON on stdout stays JSON.
 */
export function runPlan(opts: PlanOptions, print: (s: string) => void, warn: (s: string) => void = () => undefined): number {
  let files;
  let base;
  try {
    files = readProject(opts.dir);
    if (opts.diff !== undefined) {
      // another project folder, or a git ref of this repository (read with git show, nothing checked out)
      const notFolder = whyNotProjectFolder(opts.diff);
      base = notFolder === undefined ? readProject(opts.diff) : readProjectFrom(opts.diff, baseAtRef(opts.dir, opts.diff, notFolder));
    }
  } catch (e) {
    if (e instanceof StackFileError) {
      print(`mesh plan: ${e.message}`);
      return EXIT.unreadable;
    }
    throw e;
  }
  if (Object.keys(files.stacks).length === 0) {
    print(`mesh plan: no Pulumi.<stack>.yaml in ${opts.dir}; create one per cluster (see docs/configuration.md)`);
    return EXIT.unreadable;
  }
  if (base && opts.diff !== undefined) {
    if (opts.format === "mirror" || opts.out) {
      print("mesh plan: --diff prints a diff as text, markdown or json; --format mirror and --out do not apply");
      return EXIT.unreadable;
    }
    const d = diffMesh(base, files, opts.diff);
    print(
      opts.format === "json" ? `${JSON.stringify(d, null, 2)}\n` : opts.format === "markdown" ? renderDiffMarkdown(d) : renderDiffText(d),
    );
    const failOn = opts.failOn ?? "refused";
    const failing = failingDisruptions(d, failOn);
    if (failing.length > 0)
      warn(
        `mesh plan: exit 1: ${failing.length} change${failing.length === 1 ? "" : "s"} at or above --fail-on ${failOn}: ${failing.map((x) => `${x.severity} ${x.stack}: ${x.what}`).join("; ")}\n`,
      );
    return d.errors > 0 || failing.length > 0 ? EXIT.findings : EXIT.ok;
  }
  const plan = planMesh(files);
  // the folder is checked (and written) first, so a refused --out prints nothing but why
  let written: string[] | undefined;
  if (opts.out) {
    try {
      written = writeOut(opts.out, plannedObjects(files));
    } catch (e) {
      if (!(e instanceof OutError)) throw e;
      print(`mesh plan: ${e.message}`);
      return EXIT.unreadable;
    }
  }
  const render: Record<PlanFormat, () => string> = {
    text: () => renderText(plan, opts.width),
    markdown: () => renderMarkdown(plan),
    json: () => `${JSON.stringify(plan, null, 2)}\n`,
    mirror: () => renderMirrorScript(plan),
  };
  print(render[opts.format]());
  if (written && (opts.format === "text" || opts.format === "markdown")) print(`wrote ${written.length} files to ${opts.out}\n`);
  return plan.summary.errors > 0 ? EXIT.findings : EXIT.ok;
}
