/**
 * The project's command line. `mesh plan` plans the whole mesh offline from the stack files (no
 * network, no Pulumi CLI, no credentials); the other commands run jobs through the automation core.
 *
 *   npm run plan -- [--format text|markdown|json|mirror] [--out <dir>] [--diff <git ref or folder>] [--dir <project dir>]
 *   npm run mesh -- preview|up|refresh|destroy|converge|status|outputs|jobs ...
 */
import { Argument, Command, Option } from "commander";
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { terminalText } from "../model/escape";
import { collect, knownStack, wholeNumber } from "./args";
import { EXIT, runPlan, type PlanFormat } from "./plan";
import { FAIL_ON, type FailOn } from "../plan/diff";
import { addPullRequestCommands } from "./pr";
import type { CommandDeps } from "../automation/commands";
import type { VerifyDeps, VerifyFlags } from "../verify/command";
import { EXIT_CODES, EXIT_HELP } from "../automation/exit-codes";
import { parseDuration, waitProblem } from "../verify/wait";

/**
 * The automation commands, and with them the Automation API and progress bars, load only when one of
 * them runs: `mesh plan` needs none of it.
 */
const commands = () => import("../automation/commands");
/** `mesh verify` loads the Kubernetes client only when it runs. */
const verifyCommand = () => import("../verify/command");

export { EXIT, runPlan, type PlanFormat } from "./plan";
import { configureUpgrade, runUpgrade } from "../plan/upgrade-command";
import { removalGuard } from "./removal-guard";

/** What the commands need from the world; tests give their own. */
export function defaultDeps(dir: string): CommandDeps {
  return {
    projectDir: dir,
    engine: () => {
      const { LocalEngine, localEngineOptionsFromEnv } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a command needs an engine, not at start-up
        require("../automation/local-engine") as typeof import("../automation/local-engine");
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
/** Every line the command line prints goes through terminalText: no stack-file key can drive the terminal. */
const processIo: CliIo = { out: (s) => void process.stdout.write(terminalText(s)), err: (s) => void process.stderr.write(terminalText(s)) };
const stdoutText = { write: (s: string) => process.stdout.write(terminalText(s)) };

const VERSION = (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;

const NEEDS_PULUMI = `
Needs the Pulumi CLI (pulumi on PATH, or MESH_PULUMI_ROOT) and what pulumi up needs: the stacks' backend
(PULUMI_BACKEND_URL or pulumi login), PULUMI_CONFIG_PASSPHRASE, and for up, refresh and destroy the cloud
and cluster credentials. Without them it fails saying which is missing.`;

/** What `mesh verify` needs from the world: stdout, progress on a terminal, the stacks' outputs through the core's engine. */
export function defaultVerifyDeps(dir: string): VerifyDeps {
  return {
    out: stdoutText,
    ...(process.stderr.isTTY ? { progress: { write: (s: string) => process.stderr.write(terminalText(s)) } } : {}),
    outputs: () => defaultDeps(dir).engine(),
  };
}

type Run = () => Promise<number> | number;

const dirOption = () => new Option("--dir <dir>", "the Pulumi project directory").default(process.cwd(), "the current directory");
const json = (what = "one JSON event per line, for scripts") => new Option("--json", what);
/** `<stack>`, refused unless the project (its --dir) has a Pulumi.<stack>.yaml: no job starts for a typo. */
const stackArgument = (cmd: Command) =>
  new Argument("<stack>", "a stack of the project (it has a Pulumi.<stack>.yaml)").argParser((v: string) =>
    knownStack(v, cmd.opts<{ dir: string }>().dir),
  );

/** preview, up, refresh and destroy: one job on one stack. */
function addStackJobCommands(program: Command, deps: (dir: string) => CommandDeps, setRun: (run: Run) => void): void {
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
        setRun(async () => (await commands()).runJob(deps(opts.dir), kind, stack, opts));
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
      setRun(() => {
        if (opts.confirm !== stack) {
          stdoutText.write(`mesh destroy: --confirm must repeat the stack's name (${stack}); nothing was destroyed\n`);
          return EXIT_CODES.usage;
        }
        return commands().then((c) => c.runJob(deps(opts.dir), "destroy", stack, opts));
      });
    });
}

/** A stack's outputs, and the job store: past and running jobs, and the import of an earlier journal. */
function addRecordCommands(program: Command, deps: (dir: string) => CommandDeps, setRun: (run: Run) => void): void {
  const outputs = program.command("outputs");
  outputs
    .addArgument(stackArgument(outputs))
    .description("one stack's outputs, secrets as [secret]")
    .option("--show-secrets", "print secret outputs in clear")
    .addOption(json("one JSON object: each output's name and value"))
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((stack: string, opts: { showSecrets?: boolean; json?: boolean; dir: string }) => {
      setRun(async () => (await commands()).runOutputs(deps(opts.dir), stack, opts));
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
      setRun(async () => (await commands()).runJobsList(deps(opts.dir), opts));
    })
    .command("import [journal]")
    .description("import an earlier version's journal folder (default .mesh/journal) into the job store; safe to run again")
    .addOption(json())
    .addOption(dirOption())
    .action((journal: string | undefined, opts: { json?: boolean; dir: string }) => {
      setRun(async () => (await commands()).runJobsImport(deps(opts.dir), journal ?? join(opts.dir, ".mesh", "journal"), opts));
    });
}

/** `mesh plan`: offline, from the stack files; with --diff, what a change does, failing on --fail-on's level. */
function addPlanCommand(program: Command, io: CliIo, setRun: (run: Run) => void): void {
  program
    .command("plan")
    .description("plan the whole mesh from Pulumi.yaml and every Pulumi.<stack>.yaml, offline")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json", "mirror"]).default("text"))
    .option("--out <dir>", "also write each cluster's Kubernetes objects and Helm values as YAML here")
    .option("--diff <base>", "what the change does against a git ref (e.g. origin/main) or another project folder")
    .addOption(
      new Option(
        "--fail-on <severity>",
        "with --diff: exit 1 on a refused change; destroys: also on one that destroys; disrupts: also on one that disrupts",
      )
        .choices(FAIL_ON)
        .default("refused"),
    )
    .addOption(dirOption())
    .action((opts: { format: PlanFormat; out?: string; diff?: string; failOn: FailOn; dir: string }, cmd: Command) => {
      setRun(() => {
        if (opts.diff === undefined && cmd.getOptionValueSource("failOn") === "cli") {
          io.err("mesh plan: --fail-on applies to --diff only: add --diff <base>, or drop --fail-on\n");
          return EXIT_CODES.usage;
        }
        // a terminal says how wide it is; COLUMNS, when set, says it for a pipe
        const width = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined;
        return runPlan({ ...opts, ...(width ? { width } : {}) }, (s) => io.out(s.endsWith("\n") ? s : `${s}\n`), io.err);
      });
    });
}

/** Why a --wait is refused, if it is: without the option it belongs to (`refusal`), or not a duration. */
function waitRefusal(wait: string | undefined, withItsOption: boolean, refusal: string): string | undefined {
  if (wait === undefined) return undefined;
  if (!withItsOption) return refusal;
  return parseDuration(wait) === undefined ? waitProblem(wait) : undefined;
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
    // wrong options stop here, before a stack is touched
    const usage = waitRefusal(
      opts.wait,
      opts.verify === true,
      `--wait ${opts.wait} applies to --verify only: add --verify, or drop --wait`,
    );
    if (usage) {
      io.err(`mesh converge: ${usage}\n`);
      return EXIT_CODES.usage;
    }
    const d = deps(opts.dir);
    const code = await (await commands()).runConverge(d, opts);
    if (!opts.verify || code !== EXIT.ok) return code;
    const flags = { dir: opts.dir, ...(opts.wait !== undefined ? { wait: opts.wait } : {}) };
    const v = verifyDeps(opts.dir);
    if (!opts.json) return (await verifyCommand()).runVerify([], { ...flags, format: "text" }, v);
    // one more line of converge's JSON: the report as mesh verify --format json has it
    const outcome = await (await verifyCommand()).verifyOutcome([], flags, v);
    d.out.write(`${JSON.stringify({ type: "converge.verify", ...outcome })}\n`);
    return "usage" in outcome ? EXIT_CODES.usage : outcome.report.exitCode;
  };
  const program = new Command("mesh")
    .description("One Istio mesh across several Kubernetes clusters")
    .version(VERSION, "-V, --version", "the version of this mesh project")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText("after", `\n${EXIT_HELP}`)
    .exitOverride();
  addPlanCommand(program, io, (f) => (run = f));
  addStackJobCommands(program, deps, (f) => (run = f));
  configureUpgrade(program.command("upgrade"), { dir: dirOption(), json: json("the plan as one JSON document") }, (opts) => {
    run = async () => {
      // a wrong --wait stops here, before a stack file is written
      const usage = waitRefusal(opts.wait, opts.apply === true, `--wait ${opts.wait} applies to --apply only`);
      if (usage) {
        io.err(`mesh upgrade: ${usage}\n`);
        return EXIT_CODES.usage;
      }
      const code = await runUpgrade(opts, io.out, opts.apply ? removalGuard(verifyDeps(opts.dir)) : undefined);
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
    .addOption(
      json(
        'one JSON event per line, for scripts; with --verify the last is {"type": "converge.verify", "report"} (mesh verify --format json)',
      ),
    )
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
        'one JSON document: {"stacks": [{"stack", "anchor", "lastJob": {"id", "kind", "state", "finishedAt", "error": {"code", "message"} | null} | null, "links": [{"peer", "status"}] | null, "outputsError": {"code", "message"} | null, "istio": {"revisions": [{"name", "version"}], "tags": [{"tag", "revision"}], "gateway"}}]}',
      ),
    )
    .addOption(dirOption())
    .addHelpText("after", NEEDS_PULUMI)
    .action((opts: { json?: boolean; dir: string }) => {
      run = async () => (await commands()).runStatus(deps(opts.dir), opts);
    });
  addRecordCommands(program, deps, (f) => (run = f));
  addPullRequestCommands(program, io, (f) => (run = f));
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

/** The command line as a process: `node --import tsx cli/mesh.ts …`, `npm run mesh -- …` or `npx mesh …` (cli/bin.cjs). */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  cli(argv).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(terminalText(`mesh: ${e instanceof Error ? e.message : String(e)}\n`));
      process.exitCode = EXIT_CODES.failed;
    },
  );
}

if (require.main === module) main();
