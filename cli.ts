/**
 * The project's command line. `mesh plan` plans the whole mesh offline from the stack files:
 * no network, no Pulumi CLI, no credentials.
 *
 *   npm run plan -- [--format text|markdown|json|mirror] [--out <dir>] [--dir <project dir>]
 */
import { Command, Option } from "commander";
import { planMesh, plannedObjects } from "./plan/plan";
import { renderMirrorScript } from "./plan/mirror";
import { renderMarkdown, renderText } from "./plan/render";
import { readProject, StackFileError } from "./plan/stack-files";
import { OutError, writeOut } from "./plan/write-out";

/** Exit codes: 0 no errors, 1 the plan found errors, 2 the files could not be read. */
export const EXIT = { ok: 0, findings: 1, unreadable: 2 } as const;

export type PlanFormat = "text" | "markdown" | "json" | "mirror";

export function runPlan(opts: { dir: string; format: PlanFormat; out?: string }, print: (s: string) => void): number {
  let files;
  try {
    files = readProject(opts.dir);
  } catch (e) {
    if (e instanceof StackFileError) {
      print(`mesh plan: ${e.message}`);
      return EXIT.unreadable;
    }
    throw e;
  }
  if (Object.keys(files.stacks).length === 0) {
    print(`mesh plan: no Pulumi.<stack>.yaml in ${opts.dir}; create one per cluster (see README)`);
    return EXIT.unreadable;
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

export function cli(argv: readonly string[]): number {
  let code: number = EXIT.ok;
  const program = new Command("mesh").description("One Istio mesh across several Kubernetes clusters").exitOverride();
  program
    .command("plan")
    .description("plan the whole mesh from Pulumi.yaml and every Pulumi.<stack>.yaml, offline")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json", "mirror"]).default("text"))
    .option("--out <dir>", "also write each cluster's Kubernetes objects and Helm values as YAML here")
    .option("--dir <dir>", "the Pulumi project directory", process.cwd())
    .action((opts: { format: PlanFormat; out?: string; dir: string }) => {
      code = runPlan(opts, (s) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`));
    });
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    // commander has printed the usage problem; --help and --version end here too
    const c = (e as { exitCode?: number }).exitCode;
    return c === 0 ? EXIT.ok : EXIT.unreadable;
  }
  return code;
}

if (require.main === module) process.exitCode = cli(process.argv.slice(2));
