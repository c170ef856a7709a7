/**
 * Runs index.ts the way `pulumi preview` / `pulumi up` runs it, without the CLI: the Node.js
 * language host's command line and environment (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs,
 * `parseOptions`, `constructArguments`, `constructConfig`, `execRuntime`) against the stand-in engine of
 * `loopback-engine.ts`, with the runtime options Pulumi.yaml sets. It proves the program loads as the language
 * host starts it and talks gRPC to an engine like the real one; it creates nothing (no providers run).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromYaml } from "../../model/yaml";
import { configStrings, readProject, stackConfig } from "../../plan/stack-files";
import { firstLine } from "../error-line";
import { MeshError } from "../types";
import type { Diagnostic } from "./loopback-engine";
import type { Call, Registration, StandInOptions } from "./stand-in";

// the same folder as tools/engine/project-dir.ts names: automation/ does not import from tools/
export const PROJECT_DIR = join(__dirname, "..", "..");

/** The language host's default run path, resolved from the program's own node_modules. */
const RUN_PATH = require.resolve("@pulumi/pulumi/cmd/run", { paths: [PROJECT_DIR] });

export interface CliRunOptions extends StandInOptions {
  /** Where Pulumi.yaml and the stack files are. @default this repository */
  readonly projectDir?: string;
  /** Where the program (index.ts) is: a fixture project's stack files run this repository's program. @default this repository */
  readonly programDir?: string;
  /** Stops the program (as the CLI stops its language host on a cancel); the run then ends with exit code null. */
  readonly signal?: AbortSignal;
  /** Config keys replaced after merging the stack files (fully qualified, e.g. `mesh:cluster`); undefined removes one. */
  readonly override?: Readonly<Record<string, unknown>>;
  /** Keys the CLI would pass as secrets (decrypted `secure:` values). */
  readonly secretKeys?: readonly string[];
  /** `pulumi preview` rather than `pulumi up` (`--dry-run`). */
  readonly preview?: boolean;
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** Instead of Pulumi.yaml's runtime options (a benchmark's comparison with ts-node). */
  readonly runtime?: RuntimeOptions;
  /** Added to the program's environment (a benchmark's fresh TMPDIR: no compiler cache). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CliRun {
  /** The program process's exit code; 32 means it has already told the user what went wrong. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Messages the program logged through the engine, as the CLI shows them. */
  readonly diagnostics: readonly Diagnostic[];
  readonly registrations: readonly Registration[];
  readonly calls: readonly Call[];
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly secretOutputs: ReadonlySet<string>;
  /** From spawning the program to its exit. */
  readonly ms: number;
}

/**
 * `PULUMI_CONFIG` as the language host builds it: every key as `<namespace>:config:<name>`, strings as
 * they are and structured values as JSON (the CLI has already merged Pulumi.yaml under the stack file).
 */
export function languageHostConfig(config: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(configStrings(config)).map(([k, v]) => {
      const i = k.indexOf(":");
      return [`${k.slice(0, i)}:config:${k.slice(i + 1)}`, v];
    }),
  );
}

/** Pulumi.yaml's `runtime.options` for the Node.js language host (`parseOptions`). */
export interface RuntimeOptions {
  readonly typescript?: unknown;
  readonly tsconfig?: unknown;
  readonly nodeargs?: unknown;
}

/** The runtime options of the project in `dir`: `runtime` is a name, or `{ name, options }`. */
export function runtimeOptions(dir: string): RuntimeOptions {
  const doc = fromYaml(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as { runtime?: string | { options?: RuntimeOptions } } | null;
  const runtime = doc?.runtime;
  return (typeof runtime === "object" && runtime.options) || {};
}

/**
 * What `execRuntime` adds for the options: `PULUMI_NODEJS_TYPESCRIPT=true` unless `typescript: false`
 * (ts-node compiles, and type-checks, the program), `PULUMI_NODEJS_TSCONFIG_PATH` for `tsconfig`, and
 * `nodeargs` split like a shell (shlex) before the run path.
 */
export function languageHostLaunch(options: RuntimeOptions): { readonly nodeArgs: string[]; readonly env: Record<string, string> } {
  const typescript = options.typescript ?? true;
  if (typeof typescript !== "boolean") throw new Error("typescript option must be a boolean");
  if (options.tsconfig !== undefined && typeof options.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
  if (options.nodeargs !== undefined && typeof options.nodeargs !== "string") throw new Error("nodeargs option must be a string");
  const nodeargs = options.nodeargs ?? "";
  // the stand-in splits on white space only; quoting would need shlex's rules
  if (/["'\\]/.test(nodeargs)) throw new Error(`nodeargs ${JSON.stringify(nodeargs)}: quotes and backslashes are not supported here`);
  return {
    nodeArgs: nodeargs.split(/\s+/).filter((a) => a !== ""),
    env: {
      ...(typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
      ...(options.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: options.tsconfig } : {}),
    },
  };
}

/** The language host's arguments to `@pulumi/pulumi/cmd/run` (`constructArguments`). */
export function languageHostArgs(o: {
  readonly address: string;
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
  readonly rootDirectory: string;
  readonly programDirectory: string;
  readonly preview: boolean;
  readonly parallel: number;
}): string[] {
  return [
    RUN_PATH,
    "--monitor",
    o.address,
    "--engine",
    o.address,
    "--organization",
    o.organization,
    "--project",
    o.project,
    "--root-directory",
    o.rootDirectory,
    "--stack",
    o.stack,
    "--pwd",
    o.programDirectory,
    ...(o.preview ? ["--dry-run"] : []),
    "--parallel",
    String(o.parallel),
    // Pulumi.yaml has no `main`: the entry point is the program directory, resolved through package.json
    ".",
  ];
}

export async function runLikeCli(opts: CliRunOptions): Promise<CliRun> {
  const dir = opts.projectDir ?? PROJECT_DIR;
  const programDir = opts.programDir ?? PROJECT_DIR;
  const files = readProject(dir);
  const config: Record<string, unknown> = { ...stackConfig(files, opts.stack), ...(opts.override ?? {}) };
  for (const [k, v] of Object.entries(opts.override ?? {})) if (v === undefined) delete config[k];

  const launch = languageHostLaunch(opts.runtime ?? runtimeOptions(dir));
  let startEngine: typeof import("./loopback-engine").startEngine;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the engine (and the Pulumi SDK it decodes with) loads at the first run, not when a simulated server starts
    ({ startEngine } = require("./loopback-engine") as typeof import("./loopback-engine"));
  } catch (e) {
    throw new MeshError(
      "engine_failed",
      `the simulated engine cannot load the Pulumi SDK (${firstLine(e)}): reinstall the project's packages with npm ci`,
    );
  }
  const engine = await startEngine({ ...opts, project: files.project });
  const args = languageHostArgs({
    address: engine.address,
    organization: "organization",
    project: files.project,
    stack: opts.stack,
    rootDirectory: programDir,
    programDirectory: programDir,
    preview: opts.preview ?? false,
    parallel: 16,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(opts.env ?? {}),
    PULUMI_CONFIG: JSON.stringify(languageHostConfig(config)),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(opts.secretKeys ?? []),
  };
  // a test runner's own markers must not leak into the program's process, nor this process's runtime options
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.PULUMI_NODEJS_TYPESCRIPT;
  delete env.PULUMI_NODEJS_TSCONFIG_PATH;
  Object.assign(env, launch.env);

  const started = performance.now();
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [...launch.nodeArgs, ...args], { cwd: programDir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
      const stop = () => child.kill("SIGKILL");
      if (opts.signal?.aborted) stop();
      opts.signal?.addEventListener("abort", stop, { once: true });
      child.on("error", reject);
      child.on("close", (c) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", stop);
        resolve({ code: c, stdout, stderr });
      });
    });
    return {
      exitCode: code,
      stdout,
      stderr,
      diagnostics: engine.diagnostics,
      registrations: engine.registrations,
      calls: engine.calls,
      outputs: engine.outputs,
      secretOutputs: engine.secretOutputs,
      ms: performance.now() - started,
    };
  } finally {
    await engine.close();
  }
}
