/**
 * The project's command line. `mesh plan` plans the whole mesh offline from the stack files (no
 * network, no Pulumi CLI, no credentials); the other commands run jobs through the automation core.
 *
 *   npm run plan -- [--format text|markdown|json|mirror] [--out <dir>] [--diff <git ref or folder>] [--dir <project dir>]
 *   npm run mesh -- preview|up|refresh|destroy|converge|status|outputs|jobs ...
 */
import { Argument, Command, Option } from "commander";
import { userInfo } from "node:os";
import { join } from "node:path";
import { knownStack, wholeNumber } from "./cli-args";
import type { CommandDeps } from "./automation/commands";
import type { VerifyDeps, VerifyFlags } from "./verify/command";
import { EXIT_CODES, EXIT_HELP } from "./automation/exit-codes";

/**
 * The automation commands, and with them the Automation API and progress bars, load only when one of
 * them runs: `mesh plan` needs none of it.
 */
const commands = () => import("./automation/commands");
/** `mesh verify` loads the Kubernetes client only when it runs. */
const verifyCommand = () => import("./verify/command");
import { planMesh, plannedObjects } from "./plan/plan";
import { renderMirrorScript } from "./plan/mirror";
import { renderMarkdown, renderText } from "./plan/render";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import {
  composeComment,
  labelFor,
  nothingToDo,
  previewDrift,
  reviewedSummaries,
  summarizePreview,
  type PreviewSummary,
} from "./plan/comment";
import { diffMesh } from "./plan/diff";
import { DiffJsonError, parseDiffJson } from "./plan/diff-json";
import { renderDiffMarkdown, renderDiffText } from "./plan/diff-render";
import { gitSource } from "./plan/git-source";
import { readProject, readProjectFrom, StackFileError } from "./plan/stack-files";
import { OutError, writeOut } from "./plan/write-out";

/** Exit codes: 0 no errors, 1 the plan found errors, 2 the files could not be read. */
import { configureUpgrade, runUpgrade } from "./plan/upgrade-command";

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

/** What the commands need from the world; tests give their own. */
export function defaultDeps(dir: string): CommandDeps {
  return {
    projectDir: dir,
    engine: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a command needs an engine, not at start-up
      const { LocalEngine, localEngineOptionsFromEnv } = require("./automation/local-engine") as typeof import("./automation/local-engine");
      return new LocalEngine(localEngineOptionsFromEnv(dir));
    },
    ...(process.env.MESH_DATABASE_URL ? { database: process.env.MESH_DATABASE_URL } : {}),
    out: process.stdout,
    requestedBy: process.env.MESH_USER || userInfo().username,
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

/** Where the command line itself writes: usage errors and input problems go to err, so stdout stays the output. */
export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}
const processIo: CliIo = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

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

const VERSION = (JSON.parse(readFileSync(join(__dirname, "package.json"), "utf8")) as { version: string }).version;

const NEEDS_PULUMI = `
Needs the Pulumi CLI (pulumi on PATH, or MESH_PULUMI_ROOT) and what pulumi up needs: the stacks' backend
(PULUMI_BACKEND_URL or pulumi login), PULUMI_CONFIG_PASSPHRASE, and for up, refresh and destroy the cloud
and cluster credentials. Without them it fails saying which is missing.`;

/** What `mesh verify` needs from the world: stdout, progress on a terminal, the stacks' outputs through the core's engine. */
export function defaultVerifyDeps(dir: string): VerifyDeps {
  return {
    out: process.stdout,
    ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
    outputs: () => defaultDeps(dir).engine(),
  };
}

export async function cli(
  argv: readonly string[],
  deps: (dir: string) => CommandDeps = defaultDeps,
  io: CliIo = processIo,
  verifyDeps: (dir: string) => VerifyDeps = defaultVerifyDeps,
): Promise<number> {
  let run: () => Promise<number> | number = () => EXIT.ok;
  type ConvergeFlags = { maxRounds?: number; parallel?: number; json?: boolean; dir: string; verify?: boolean; wait?: string };
  const convergeThenVerify = async (opts: ConvergeFlags): Promise<number> => {
    const code = await (await commands()).runConverge(deps(opts.dir), opts);
    if (!opts.verify || code !== EXIT.ok) return code;
    const flags = { dir: opts.dir, format: "text" as const, ...(opts.wait !== undefined ? { wait: opts.wait } : {}) };
    return (await verifyCommand()).runVerify([], flags, verifyDeps(opts.dir));
  };
  const program = new Command("mesh")
    .description("One Istio mesh across several Kubernetes clusters")
    .version(VERSION, "-V, --version", "the version of this mesh project")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText("after", `\n${EXIT_HELP}`)
    .exitOverride();
  const dirOption = () => new Option("--dir <dir>", "the Pulumi project directory").default(process.cwd(), "the current directory");
  const json = (what = "one JSON event per line, for scripts") => new Option("--json", what);
  /** `<stack>`, refused unless the project (its --dir) has a Pulumi.<stack>.yaml: no job starts for a typo. */
  const stackArgument = (cmd: Command) =>
    new Argument("<stack>", "a stack of the project (it has a Pulumi.<stack>.yaml)").argParser((v: string) =>
      knownStack(v, cmd.opts<{ dir: string }>().dir),
    );
  program
    .command("plan")
    .description("plan the whole mesh from Pulumi.yaml and every Pulumi.<stack>.yaml, offline")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json", "mirror"]).default("text"))
    .option("--out <dir>", "also write each cluster's Kubernetes objects and Helm values as YAML here")
    .option("--diff <base>", "what the change does against a git ref (e.g. origin/main) or another project folder")
    .addOption(dirOption())
    .action((opts: { format: PlanFormat; out?: string; diff?: string; dir: string }) => {
      run = () => runPlan(opts, (s) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`));
    });
  for (const [kind, what] of [
    ["preview", "show what pulumi up would change on one stack"],
    ["up", "update one stack"],
    ["refresh", "read one stack's resources back from the cloud and the cluster"],
  ] as const) {
    const sub = program.command(kind);
    sub
      .description(what)
      .addArgument(stackArgument(sub))
      .addOption(json())
      .addOption(dirOption())
      .addHelpText("after", NEEDS_PULUMI)
      .action((stack: string, opts: { json?: boolean; dir: string }) => {
        run = async () => (await commands()).runJob(deps(opts.dir), kind, stack, opts);
      });
  }
  const destroy = program.command("destroy");
  destroy
    .addArgument(stackArgument(destroy))
    .description("delete one stack's resources; protected ones (the ACK cluster, its VPC) stay unless --include-protected")
    .requiredOption("--confirm <stack>", "the stack's name again, typed")
    .option("--include-protected", "also delete protected resources")
    .addOption(json())
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((stack: string, opts: { confirm: string; includeProtected?: boolean; json?: boolean; dir: string }) => {
      run = () => {
        if (opts.confirm !== stack) {
          process.stdout.write(`mesh destroy: --confirm must repeat the stack's name (${stack}); nothing was destroyed\n`);
          return EXIT_CODES.usage;
        }
        return commands().then((c) => c.runJob(deps(opts.dir), "destroy", stack, opts));
      };
    });
  configureUpgrade(program.command("upgrade"), { dir: dirOption(), json: json("the plan as one JSON document") }, (opts) => {
    run = async () => {
      const code = runUpgrade(opts, io.out);
      return opts.apply && code === EXIT.ok
        ? convergeThenVerify({ dir: opts.dir, verify: true, ...(opts.wait ? { wait: opts.wait } : {}) })
        : code;
    };
  });
  program
    .command("converge")
    .description("bring every stack to a steady state: the trust anchor, the others in parallel, then whoever's peers changed")
    .option("--max-rounds <n>", "stop after this many rounds (default 5; a fresh mesh needs 3)", wholeNumber(1))
    .option("--parallel <n>", "stacks updated at once (default 4)", wholeNumber(1))
    .option("--verify", "when converge settles, run mesh verify over every stack and exit with its code")
    .option("--wait <duration>", "with --verify: check again until everything passes or this time is up (90s, 10m, 1h)")
    .addOption(json())
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((opts: ConvergeFlags) => {
      run = () => convergeThenVerify(opts);
    });
  program
    .command("status")
    .description("every stack: its last job and its links, or why its outputs could not be read (exit 1 if no stack's could)")
    .addOption(
      json(
        'one JSON document: {"stacks": [{"stack", "anchor", "lastJob": {"id", "kind", "state", "finishedAt"} | null, "links": [{"peer", "status"}] | null, "outputsError": {"code", "message"} | null, "istio": {"revisions": [{"name", "version"}], "tags": [{"tag", "revision"}], "gateway"}}]}',
      ),
    )
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((opts: { json?: boolean; dir: string }) => {
      run = async () => (await commands()).runStatus(deps(opts.dir), opts);
    });
  const outputs = program.command("outputs");
  outputs
    .addArgument(stackArgument(outputs))
    .description("one stack's outputs, secrets as [secret]")
    .option("--show-secrets", "print secret outputs in clear")
    .addOption(json("one JSON object: each output's name and value"))
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((stack: string, opts: { showSecrets?: boolean; json?: boolean; dir: string }) => {
      run = async () => (await commands()).runOutputs(deps(opts.dir), stack, opts);
    });
  program
    .command("jobs")
    .description("past and running jobs, newest first")
    .option("--stack <stack>", "one stack's")
    .addOption(
      new Option("--state <state>", "jobs in this state").choices(["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]),
    )
    .addOption(new Option("--limit <n>", "at most this many").argParser(wholeNumber(1)).default(50))
    .addOption(json("one JSON array of job records, newest first"))
    .addOption(dirOption())
    .action((opts: { stack?: string; state?: string; limit: number; json?: boolean; dir: string }) => {
      run = async () => (await commands()).runJobsList(deps(opts.dir), opts);
    })
    .command("import [journal]")
    .description("import an earlier version's journal folder (default .mesh/journal) into the job store; safe to run again")
    .addOption(json())
    .addOption(dirOption())
    .action((journal: string | undefined, opts: { json?: boolean; dir: string }) => {
      run = async () => (await commands()).runJobsImport(deps(opts.dir), journal ?? join(opts.dir, ".mesh", "journal"), opts);
    });
  const previews = (pairs: readonly string[]): Record<string, PreviewSummary> =>
    Object.fromEntries(
      pairs.map((p) => {
        const i = p.indexOf("=");
        if (i <= 0) throw new InputError(`--preview ${p}: write <stack>=<file of pulumi preview --json>`);
        return [p.slice(0, i), summarizePreview(readInput("--preview", p.slice(i + 1)))];
      }),
    );
  const collect = (v: string, prev: string[] = []) => [...prev, v];
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
    .action((opts: { diffJson: string; preview: string[]; previewsFrom?: string; labelFile?: string }) => {
      run = inputs("pr-comment", () => {
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
        io.out(composeComment(p, renderDiffMarkdown(d)));
        if (opts.labelFile)
          writeFileSync(
            opts.labelFile,
            labelFor(
              p,
              d.disruptions.some((x) => x.severity === "destroys"),
            ),
          );
        return EXIT.ok;
      });
    });
  program
    .command("pr-verify")
    .description("compare the previews reviewed on the pull request (its comment) with previews made now")
    .requiredOption("--comment <file>", "the pull request's mesh comment")
    .option("--preview <stack=file>", "a stack's pulumi preview --json now (repeat per stack)", collect, [])
    .option("--outcome-file <file>", "write the outcome here when the previews agree: apply, or nothing-to-do")
    .action((opts: { comment: string; preview: string[]; outcomeFile?: string }) => {
      run = inputs("pr-verify", () => {
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
      });
    });
  program
    .command("verify [stacks...]")
    .description("prove on the live clusters that the mesh routes as planned (every stack, or those named); reads only")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .option("--wait <duration>", "check again until everything passes or this time is up (90s, 10m, 1h)")
    .option(
      "--from <[stack=]ns/pod>",
      "read Envoy from this pod instead of the first ready one per namespace (repeat per stack)",
      collect,
      [],
    )
    .option("--kubeconfig <stack=file>", "a kubeconfig file for one stack (repeat per stack)", collect, [])
    .option("--context <stack=context>", "a kube context for one stack (repeat per stack)", collect, [])
    .addOption(dirOption())
    .addHelpText("after", "\nExit codes: 0 every check passed, 1 a check failed, 2 a cluster could not be read or the arguments are wrong")
    .action((stacks: string[], opts: VerifyFlags) => {
      run = async () => (await verifyCommand()).runVerify(stacks, opts, verifyDeps(opts.dir));
    });
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    // commander has printed the usage problem; --help and --version end here too
    const c = (e as { exitCode?: number }).exitCode;
    return c === 0 ? EXIT.ok : EXIT.unreadable;
  }
  return run();
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`mesh: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_CODES.failed;
    },
  );
}
