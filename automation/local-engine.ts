/**
 * The production engine: a thin layer over the Automation API's LocalWorkspace running this project from
 * disk (`workDir` = the project's folder) with the operator's installed CLI. Backend, passphrase or
 * secrets provider and cloud credentials come from the environment; a pinned CLI can be named with its
 * folder and version. It never downloads a CLI. Reads (outputs, history, cancel) select an existing stack,
 * never create one, and are stopped after a bound; only operations and ensureStacks (converge, before its
 * first round) create a stack. A failure carries the CLI's own error line, redacted.
 */
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  PulumiCommand,
  StackNotFoundError,
  type Stack,
} from "@pulumi/pulumi/automation";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SemVer } from "semver";
import { CLI_MISSING_FIX, classifyCliFailure, configReport } from "./cli-errors";
import { firstLine } from "./error-line";
import type { HistoryEntry, OperationOptions, OperationResult, ReadOptions, StackEngine, StackOutput } from "./engine";
import { credentialValues, Redactor } from "./redact";
import { busy, configInvalid, engineFailed, MeshError, type EngineKind } from "./types";

export interface LocalEngineOptions {
  /** The project's folder (Pulumi.yaml). */
  readonly projectDir: string;
  /** `organization` on self-managed backends (file://, s3://); the Pulumi Cloud organization otherwise. */
  readonly organization: string;
  readonly project: string;
  /** Passed to every CLI command: PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, ... */
  readonly envVars: Readonly<Record<string, string>>;
  /** e.g. `passphrase`, or a KMS URL; used when a stack is created. */
  readonly secretsProvider?: string;
  /** A pinned CLI: `<root>/bin/pulumi`, checked to be `version`. @default the `pulumi` on PATH */
  readonly pulumi?: { readonly root: string; readonly version?: string };
  /** A read (outputs, history, cancel) still running after this long is stopped. @default 30000 */
  readonly readTimeoutMs?: number;
  /**
   * CrossGuard packs every preview and up runs (`--policy-pack`), as the pull-request preview does: the
   * guardrails hold whichever way in an up comes. @default the project's own pack, `<projectDir>/policy`
   */
  readonly policyPacks?: readonly string[];
}

/** The passphrase in PULUMI_CONFIG_PASSPHRASE_FILE, when one is named and readable. */
function passphraseFile(env: Readonly<Record<string, string>>): string[] {
  try {
    return env.PULUMI_CONFIG_PASSPHRASE_FILE ? [readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").trim()] : [];
  } catch {
    return [];
  }
}

/** Options from the environment, as docs/cli.md documents them. */
export function localEngineOptionsFromEnv(projectDir: string, env: NodeJS.ProcessEnv = process.env): LocalEngineOptions {
  const envVars: Record<string, string> = {};
  for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"]) {
    const v = env[k];
    if (v) envVars[k] = v;
  }
  const timeout = env.MESH_PULUMI_TIMEOUT;
  if (timeout !== undefined && timeout !== "" && !(Number(timeout) > 0)) {
    throw new MeshError("engine_failed", `MESH_PULUMI_TIMEOUT=${timeout}: give the bound on a read of the Pulumi CLI in seconds, e.g. 30`);
  }
  return {
    projectDir,
    organization: env.MESH_PULUMI_ORG || "organization",
    ...(timeout ? { readTimeoutMs: Math.round(Number(timeout) * 1000) } : {}),
    project: "mesh",
    envVars,
    ...(env.MESH_SECRETS_PROVIDER ? { secretsProvider: env.MESH_SECRETS_PROVIDER } : {}),
    ...(env.MESH_PULUMI_ROOT
      ? { pulumi: { root: env.MESH_PULUMI_ROOT, ...(env.MESH_PULUMI_VERSION ? { version: env.MESH_PULUMI_VERSION } : {}) } }
      : {}),
  };
}

type Run = (
  args: string[],
  cwd: string,
  env: Record<string, string>,
  onOutput?: (s: string) => void,
  onError?: (s: string) => void,
  signal?: AbortSignal,
) => Promise<unknown>;

/**
 * The same CLI with every command stopped (one SIGINT, as the Automation API cancels an update) when
 * `signal` aborts: every workspace and stack method runs the CLI through this one internal `run`
 * (pulumi sdk/nodejs/automation/cmd.ts), and `stack output` takes no signal of its own.
 */
function stoppedBy(command: PulumiCommand, signal: AbortSignal): PulumiCommand {
  const run = (command as unknown as { run?: Run }).run;
  if (typeof run !== "function") return command;
  const bound: Run = (args, cwd, env, onOutput, onError, own) => {
    const stop = own && own !== signal ? AbortSignal.any([own, signal]) : signal;
    // the SDK only listens for a later abort: a cancel that came before or between commands starts none
    if (stop.aborted) return Promise.reject(new Error(`cancelled before pulumi ${args[0] ?? ""} started`));
    return run.call(command, args, cwd, env, onOutput, onError, stop);
  };
  return Object.assign(Object.create(command) as PulumiCommand, { run: bound });
}

/** `p`, or the signal's reason as soon as it aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  p.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export class LocalEngine implements StackEngine {
  readonly secretValues: readonly string[];
  private readonly redactor: Redactor;
  private command?: Promise<PulumiCommand>;

  constructor(private readonly opts: LocalEngineOptions) {
    // every credential the CLI and its providers are given: ours, and the cloud's from this process's environment
    this.secretValues = [
      ...new Set([...credentialValues(process.env), ...credentialValues(opts.envVars), ...passphraseFile(opts.envVars)]),
    ];
    this.redactor = new Redactor(this.secretValues);
  }

  /** `organization/mesh/<stack>`: how the backend names the stack. */
  qualify(stack: string): string {
    return `${this.opts.organization}/${this.opts.project}/${stack}`;
  }

  private pulumiCommand(): Promise<PulumiCommand> {
    // PulumiCommand.get only finds a CLI that is installed (the pinned one, or pulumi on PATH); nothing here
    // ever downloads one. A failed look-up is not kept: a CLI installed later is found.
    const pinned = this.opts.pulumi;
    this.command ??= PulumiCommand.get(
      pinned ? { root: pinned.root, ...(pinned.version ? { version: new SemVer(pinned.version) } : {}) } : {},
    ).catch((e: unknown) => {
      this.command = undefined;
      throw e;
    });
    return this.command;
  }

  /** The stack, created first for operations; reads only ever select, so a read never runs `stack init`. */
  private async stack(stack: string, mode: "select" | "create" | "createOrSelect", signal?: AbortSignal): Promise<Stack> {
    const command = await this.pulumiCommand();
    const args = { stackName: this.qualify(stack), workDir: this.opts.projectDir };
    const opts = {
      envVars: { ...this.opts.envVars },
      ...(this.opts.secretsProvider ? { secretsProvider: this.opts.secretsProvider } : {}),
      pulumiCommand: signal ? stoppedBy(command, signal) : command,
    };
    if (mode === "select") return LocalWorkspace.selectStack(args, opts);
    return mode === "create" ? LocalWorkspace.createStack(args, opts) : LocalWorkspace.createOrSelectStack(args, opts);
  }

  async run(stack: string, kind: EngineKind, o: OperationOptions): Promise<OperationResult> {
    // the program's report reaches the engine as an error diagnostic: kept to type the failure
    const errors: string[] = [];
    try {
      const policyPacks = kind === "preview" || kind === "up" ? this.policyPacks(kind) : [];
      // the job's cancel also stops the stack's selection (a backend that does not answer)
      const s = await this.stack(stack, "createOrSelect", o.signal);
      const onEvent: OperationOptions["onEvent"] = (e) => {
        if (e.diagnosticEvent?.severity === "error") errors.push(e.diagnosticEvent.message);
        o.onEvent(e);
      };
      const base = { onEvent, signal: o.signal };
      const guarded = { ...base, policyPacks };
      switch (kind) {
        case "preview":
          return { changes: (await s.preview(guarded)).changeSummary };
        case "up":
          return { changes: (await s.up(guarded)).summary.resourceChanges ?? {} };
        case "refresh":
          return { changes: (await s.refresh(base)).summary.resourceChanges ?? {} };
        case "destroy":
          // protected resources (the ACK cluster, its VPC) stay unless the caller asked for them
          return { changes: (await s.destroy({ ...base, excludeProtected: !o.includeProtected })).summary.resourceChanges ?? {} };
      }
    } catch (e) {
      const { error, said } = this.failure(e, stack, kind, errors.join("\n"));
      // a failure before the engine started (no CLI, login, passphrase, the stack's selection) sent no
      // event: the CLI's own line (or that there is no CLI) becomes the job's error diagnostic
      const line = said ?? (error.code === "cli_missing" ? error.message : undefined);
      if (line && errors.length === 0) {
        o.onEvent({
          sequence: 0,
          timestamp: Math.floor(Date.now() / 1000),
          diagnosticEvent: { message: line, color: "never", severity: "error" },
        });
      }
      throw error;
    }
  }

  /** The packs a preview or an up runs; a missing pack stops the run before the CLI starts, rather than run unguarded. */
  private policyPacks(kind: EngineKind): string[] {
    const packs = [...(this.opts.policyPacks ?? [join(this.opts.projectDir, "policy")])];
    for (const pack of packs)
      if (!existsSync(join(pack, "PulumiPolicy.yaml")))
        throw new MeshError(
          "engine_failed",
          `the policy pack ${pack} has no PulumiPolicy.yaml: every ${kind} runs the project's guardrails (policy/); restore the folder from the repository`,
        );
    return packs;
  }

  /** A read of an existing stack (or its creation), stopped after the bound or when the caller's signal aborts. */
  private async read<T>(
    stack: string,
    operation: string,
    options: ReadOptions | undefined,
    f: (s: Stack) => Promise<T>,
    mode: "select" | "create" = "select",
  ): Promise<T> {
    const ms = this.opts.readTimeoutMs ?? 30_000;
    const timer = new AbortController();
    const t = setTimeout(
      () =>
        timer.abort(
          new MeshError(
            "timeout",
            `pulumi ${operation} of stack ${stack} did not finish within ${ms / 1000} s and was stopped: check that the backend (PULUMI_BACKEND_URL) answers from here; MESH_PULUMI_TIMEOUT sets the bound in seconds`,
          ),
        ),
      ms,
    );
    const signal = options?.signal ? AbortSignal.any([options.signal, timer.signal]) : timer.signal;
    try {
      return await abortable(
        this.stack(stack, mode, signal).then((s) => f(s)),
        signal,
      );
    } catch (e) {
      if (signal.aborted) {
        throw signal.reason instanceof MeshError
          ? signal.reason
          : new MeshError("timeout", `pulumi ${operation} of stack ${stack} was stopped before it finished`);
      }
      throw this.failure(e, stack, operation).error;
    } finally {
      clearTimeout(t);
    }
  }

  /** `pulumi stack select`, and `pulumi stack init` (with the secrets provider) of each one the backend lacks. */
  async ensureStacks(stacks: readonly string[], options?: ReadOptions): Promise<readonly string[]> {
    const created: string[] = [];
    for (const stack of stacks) {
      try {
        await this.read(stack, "stack select", options, async () => {});
      } catch (e) {
        if (!(e instanceof MeshError && e.code === "not_found")) throw e;
        await this.read(stack, "stack init", options, async () => {}, "create");
        created.push(stack);
      }
    }
    return created;
  }

  outputs(stack: string, options?: ReadOptions): Promise<Readonly<Record<string, StackOutput>>> {
    return this.read(stack, "stack output", options, (s) => s.outputs());
  }

  history(stack: string, limit: number, options?: ReadOptions): Promise<readonly HistoryEntry[]> {
    return this.read(stack, "stack history", options, async (s) =>
      (await s.history(limit, 1, false)).map((u) => ({
        kind: u.kind,
        result: u.result,
        startTime: new Date(u.startTime).toISOString(),
        ...(u.endTime ? { endTime: new Date(u.endTime).toISOString() } : {}),
        ...(u.resourceChanges ? { changes: u.resourceChanges } : {}),
      })),
    );
  }

  cancel(stack: string): Promise<void> {
    return this.read(stack, "cancel", undefined, (s) => s.cancel());
  }

  /** Typed, for `pulumi <operation>` of a stack. */
  mapError(e: unknown, stack: string, operation: string, diagnostics = ""): MeshError {
    return this.failure(e, stack, operation, diagnostics).error;
  }

  /**
   * The typed error, and the CLI's own error line (redacted), if it printed one. The rest of its output
   * stays out: its stdout and stderr can carry anything the program printed.
   */
  private failure(e: unknown, stack: string, operation: string, diagnostics = ""): { error: MeshError; said?: string } {
    if (e instanceof MeshError) return { error: e };
    if (!(e instanceof CommandError)) {
      return { error: engineFailed(stack, operation, `the Automation API failed: ${this.redactor.redact(firstLine(e))}`) };
    }
    const result = (e as unknown as { commandResult?: { stdout?: string; stderr?: string; code?: number } }).commandResult;
    const stderr = result?.stderr ?? "";
    const cli = classifyCliFailure(stderr, this.redactor);
    const said = cli.said ? { said: cli.said } : {};
    if (cli.code === "cli_missing") return { error: new MeshError("cli_missing", `the Pulumi CLI was not found: ${CLI_MISSING_FIX}`) };
    if (e instanceof ConcurrentUpdateError) return { error: busy(stack), ...said };
    if (e instanceof StackNotFoundError) {
      return {
        error: new MeshError(
          "not_found",
          `stack ${this.qualify(stack)} does not exist on this backend: mesh up ${stack} creates it (pulumi stack ls lists the backend's stacks)`,
        ),
        ...said,
      };
    }
    const report = configReport(diagnostics) ?? configReport(stderr) ?? configReport(result?.stdout ?? "");
    if (report) return { error: configInvalid(report) };
    const why = [cli.said, cli.fix].filter((x): x is string => !!x).join(" — ");
    if (cli.code !== "engine_failed")
      return { error: new MeshError(cli.code, `pulumi ${operation} of stack ${stack} failed: ${why}`), ...said };
    const silent = diagnostics === "" ? `the CLI exited with code ${result?.code ?? "?"} and printed no error` : undefined;
    return { error: engineFailed(stack, operation, cli.said ?? silent), ...said };
  }
}
