/**
 * `mesh plan`: the whole mesh planned offline from the stack files (no network, no Pulumi CLI, no
 * credentials), as text, Markdown, JSON or a mirror script; with --out the objects as YAML; with --diff
 * what a change does against a git ref or another project folder.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { diffMesh } from "./plan/diff";
import { renderDiffMarkdown, renderDiffText } from "./plan/diff-render";
import { gitSource } from "./plan/git-source";
import { renderMirrorScript } from "./plan/mirror";
import { planMesh, plannedObjects } from "./plan/plan";
import { renderMarkdown, renderText } from "./plan/render";
import { readProject, readProjectFrom, StackFileError } from "./plan/stack-files";
import { OutError, writeOut } from "./plan/write-out";

/** Exit codes: 0 no errors, 1 the plan found errors, 2 the files could not be read. */
export const EXIT = { ok: 0, findings: 1, unreadable: 2 } as const;

export type PlanFormat = "text" | "markdown" | "json" | "mirror";

export function runPlan(opts: { dir: string; format: PlanFormat; out?: string; diff?: string }, print: (s: string) => void): number {
  let files;
  let base;
  try {
    files = readProject(opts.dir);
    if (opts.diff !== undefined) {
      // another project folder, or a git ref of this repository (read with git show, nothing checked out)
      const folder = existsSync(join(opts.diff, "Pulumi.yaml")) && statSync(opts.diff).isDirectory();
      base = folder ? readProject(opts.diff) : readProjectFrom(opts.diff, gitSource(opts.dir, opts.diff));
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
    return d.errors > 0 ? EXIT.findings : EXIT.ok;
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
    text: () => renderText(plan),
    markdown: () => renderMarkdown(plan),
    json: () => `${JSON.stringify(plan, null, 2)}\n`,
    mirror: () => renderMirrorScript(plan),
  };
  print(render[opts.format]());
  if (written && (opts.format === "text" || opts.format === "markdown")) print(`wrote ${written.length} files to ${opts.out}\n`);
  return plan.summary.errors > 0 ? EXIT.findings : EXIT.ok;
}
