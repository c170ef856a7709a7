/**
 * Runs the real program (index.ts) under Pulumi's mocks with a stack's real config files, and
 * records every registration with its options (parent, provider, dependsOn, protect).
 * One program run per process: node --test runs each test file in its own process.
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { configStrings, readProject, stackConfig } from "../../plan/stack-files";
import { registrationOf } from "../../automation/simulated/registration";
import { standInMocks, type Call, type Registration, type StandInOptions } from "../../automation/simulated/stand-in";
import { PROJECT_DIR } from "./project-dir";

export {
  FAKE_KUBECONFIG,
  SECRET_OUTPUTS,
  b64,
  pem,
  isSecretValue,
  unwrapSecret,
  type Call,
  type Registration,
} from "../../automation/simulated/stand-in";

export interface RunOptions extends StandInOptions {
  /** Where Pulumi.yaml and the stack files are. @default this repository */
  readonly projectDir?: string;
  /** Config keys replaced after merging the stack files (fully qualified, e.g. `mesh:cluster`). */
  readonly override?: Readonly<Record<string, unknown>>;
  /** Keys the CLI would pass as secrets (`pulumi config set --secret`), fully qualified. */
  readonly secretKeys?: readonly string[];
}

export interface ProgramRun {
  readonly registrations: readonly Registration[];
  readonly calls: readonly Call[];
  /** Resolved stack outputs. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Names of the stack outputs that are secret. */
  readonly secretOutputs: ReadonlySet<string>;
  /** Warnings the program logged. */
  readonly warnings: readonly string[];
  byType(type: string): Registration[];
  one(type: string, name: string): Registration;
  urnOf(type: string, name: string): string;
}

/** The program threw while loading: the error, and what it had registered by then. */
export class ProgramFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly registrations: readonly Registration[],
  ) {
    super(`program failed: ${String(error)}`);
  }
}

export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const files = readProject(opts.projectDir ?? PROJECT_DIR);
  // a synthetic stack has no file of its own: project config plus the overrides
  const base = files.stacks[opts.stack] ? stackConfig(files, opts.stack) : files.projectConfig;
  const config: Record<string, unknown> = { ...base, ...(opts.override ?? {}) };
  for (const [k, v] of Object.entries(opts.override ?? {})) if (v === undefined) delete config[k];
  pulumi.runtime.setAllConfig(configStrings(config), [...(opts.secretKeys ?? [])]);

  const registrations: Registration[] = [];
  const warnings: string[] = [];
  const mocks = standInMocks(opts);
  await pulumi.runtime.setMocks(mocks, "mesh", opts.stack, false, "organization");

  // record the engine-facing options the mock API does not pass to newResource
  const monitor = pulumi.runtime.getMonitor() as any;
  let pending = 0;
  const wrap = (method: "registerResource" | "readResource", read: boolean) => {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req: any, callback: (err: any, res: any) => void) => {
      pending++;
      return original(req, (err: any, res: any) => {
        if (!err) registrations.push(registrationOf(req, res, read));
        pending--;
        callback(err, res);
      });
    };
  };
  wrap("registerResource", false);
  wrap("readResource", true);

  // recorded for the caller to assert or print, not written to stderr
  pulumi.log.warn = (msg: string) => {
    warnings.push(msg);
    return Promise.resolve();
  };

  const settle = async () => {
    // registrations started by applies finish after the outputs resolve
    for (let quiet = 0; quiet < 5;) {
      await new Promise((r) => setTimeout(r, 10));
      quiet = pending === 0 ? quiet + 1 : 0;
    }
  };
  // the program's modules load with source maps on, so their stack traces keep their lines; then Pulumi's SDK
  // takes a stack trace for every promise it makes (runtime/debuggable.js), and mapping each frame through
  // tsx's source maps costs more than the run itself: the maps are off while it runs
  let mod: { default?: unknown };
  try {
    mod = (await import(join(PROJECT_DIR, "index"))) as { default?: unknown };
  } catch (error) {
    await settle();
    throw new ProgramFailure(error, registrations);
  }
  const maps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return await run();
  } finally {
    process.setSourceMapsEnabled(maps);
  }

  async function run(): Promise<ProgramRun> {
    let program: Record<string, unknown>;
    try {
      // `export = async () => ({...})`: the engine calls it and takes its result as the outputs
      const main = typeof mod.default === "function" ? (mod.default as () => Promise<Record<string, unknown>>) : undefined;
      program = main ? await main() : mod;
    } catch (error) {
      await settle();
      throw new ProgramFailure(error, registrations);
    }
    const outputs: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [k, v] of Object.entries(program)) {
      if (k === "default" || k === "__esModule") continue;
      if (pulumi.Output.isInstance(v)) {
        outputs[k] = await new Promise((resolve) => v.apply((x) => resolve(x)));
        if (await pulumi.isSecret(v)) secretOutputs.add(k);
      } else outputs[k] = v;
    }
    await settle();

    const byType = (type: string) => registrations.filter((r) => r.type === type);
    const one = (type: string, name: string) => {
      const found = registrations.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1)
        throw new Error(
          `expected one ${type} named ${name}, found ${found.length}: ${byType(type)
            .map((r) => r.name)
            .join(", ")}`,
        );
      return found[0]!;
    };
    return { registrations, calls: mocks.calls, outputs, secretOutputs, warnings, byType, one, urnOf: (t, n) => one(t, n).urn };
  }
}

/** Runs the program expecting it to stop: the failure, or an assertion error if it ran. */
export async function runProgramFailing(opts: RunOptions): Promise<ProgramFailure> {
  try {
    await runProgram(opts);
  } catch (e) {
    if (e instanceof ProgramFailure) return e;
    throw e;
  }
  throw new Error(`the program ran for stack ${opts.stack}; it should have stopped`);
}

/** `urn::id` of a provider registration, as children reference it. */
export function providerRef(p: Registration): string {
  return `${p.urn}::${p.id}`;
}
