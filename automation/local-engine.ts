/**
 * The production engine: a thin layer over the Automation API's LocalWorkspace running this project from
 * disk (`workDir` = the project's folder) with the operator's installed CLI. Backend, passphrase or
 * secrets provider and cloud credentials come from the environment; a pinned CLI can be named with its
 * folder and version. It never downloads a CLI.
 */
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  PulumiCommand,
  StackNotFoundError,
  type Stack,
} from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import type { HistoryEntry, OperationOptions, OperationResult, StackEngine, StackOutput } from "./engine";
import { busy, configInvalid, engineFailed, MeshError, notFound, type JobKind } from "./types";

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
}

/** Options from the environment, as documented in the README. */
export function localEngineOptionsFromEnv(projectDir: string, env: NodeJS.ProcessEnv = process.env): LocalEngineOptions {
  const envVars: Record<string, string> = {};
  for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"]) {
    const v = env[k];
    if (v) envVars[k] = v;
  }
  return {
    projectDir,
    organization: env.MESH_PULUMI_ORG || "organization",
    project: "mesh",
    envVars,
    ...(env.MESH_SECRETS_PROVIDER ? { secretsProvider: env.MESH_SECRETS_PROVIDER } : {}),
    ...(env.MESH_PULUMI_ROOT
      ? { pulumi: { root: env.MESH_PULUMI_ROOT, ...(env.MESH_PULUMI_VERSION ? { version: env.MESH_PULUMI_VERSION } : {}) } }
      : {}),
  };
}

/** The program's own configuration report in the CLI's output (config.ts: "N configuration problem(s); nothing was deployed"). */
export function configReport(stderr: string): string | undefined {
  const m = /(\d+ configuration problems?; nothing was deployed:\n(?: {2}- .*\n {4}fix: .*(?:\n|$))+)/.exec(stderr.replace(/\r/g, ""));
  return m?.[1]?.trimEnd();
}

export class LocalEngine implements StackEngine {
  readonly secretValues: readonly string[];
  private command?: Promise<PulumiCommand | undefined>;

  constructor(private readonly opts: LocalEngineOptions) {
    this.secretValues = [opts.envVars.PULUMI_CONFIG_PASSPHRASE, opts.envVars.PULUMI_ACCESS_TOKEN].filter((v): v is string => !!v);
  }

  /** `organization/mesh/<stack>`: how the backend names the stack. */
  qualify(stack: string): string {
    return `${this.opts.organization}/${this.opts.project}/${stack}`;
  }

  private pulumiCommand(): Promise<PulumiCommand | undefined> {
    // PulumiCommand.get only finds a CLI that is installed; nothing here ever downloads one
    const pinned = this.opts.pulumi;
    this.command ??= pinned
      ? PulumiCommand.get({ root: pinned.root, ...(pinned.version ? { version: new SemVer(pinned.version) } : {}) })
      : Promise.resolve(undefined);
    return this.command;
  }

  /** The stack, created first when `create` (operations); reads only ever select, so a read never runs `stack init`. */
  private async stack(stack: string, create = true): Promise<Stack> {
    const pulumiCommand = await this.pulumiCommand();
    return LocalWorkspace[create ? "createOrSelectStack" : "selectStack"](
      { stackName: this.qualify(stack), workDir: this.opts.projectDir },
      {
        envVars: { ...this.opts.envVars },
        ...(this.opts.secretsProvider ? { secretsProvider: this.opts.secretsProvider } : {}),
        ...(pulumiCommand ? { pulumiCommand } : {}),
      },
    );
  }

  async run(stack: string, kind: JobKind, o: OperationOptions): Promise<OperationResult> {
    // the program's report reaches the engine as an error diagnostic: kept to type the failure
    const errors: string[] = [];
    try {
      const s = await this.stack(stack);
      const onEvent: OperationOptions["onEvent"] = (e) => {
        if (e.diagnosticEvent?.severity === "error") errors.push(e.diagnosticEvent.message);
        o.onEvent(e);
      };
      const base = { onEvent, signal: o.signal };
      switch (kind) {
        case "preview":
          return { changes: (await s.preview(base)).changeSummary };
        case "up":
          return { changes: (await s.up(base)).summary.resourceChanges ?? {} };
        case "refresh":
          return { changes: (await s.refresh(base)).summary.resourceChanges ?? {} };
        case "destroy":
          // protected resources (the ACK cluster, its VPC) stay unless the caller asked for them
          return { changes: (await s.destroy({ ...base, excludeProtected: !o.includeProtected })).summary.resourceChanges ?? {} };
      }
    } catch (e) {
      throw this.mapError(e, stack, kind, errors.join("\n"));
    }
  }

  async outputs(stack: string): Promise<Readonly<Record<string, StackOutput>>> {
    try {
      return await (await this.stack(stack, false)).outputs();
    } catch (e) {
      throw this.mapError(e, stack, "up");
    }
  }

  async history(stack: string, limit: number): Promise<readonly HistoryEntry[]> {
    try {
      const h = await (await this.stack(stack, false)).history(limit, 1, false);
      return h.map((u) => ({
        kind: u.kind,
        result: u.result,
        startTime: new Date(u.startTime).toISOString(),
        ...(u.endTime ? { endTime: new Date(u.endTime).toISOString() } : {}),
        ...(u.resourceChanges ? { changes: u.resourceChanges } : {}),
      }));
    } catch (e) {
      throw this.mapError(e, stack, "up");
    }
  }

  async cancel(stack: string): Promise<void> {
    try {
      await (await this.stack(stack)).cancel();
    } catch (e) {
      throw this.mapError(e, stack, "up");
    }
  }

  /** Typed, and without the CLI's output: its stderr can carry anything the program printed. */
  mapError(e: unknown, stack: string, kind: JobKind, diagnostics = ""): MeshError {
    if (e instanceof MeshError) return e;
    if (e instanceof ConcurrentUpdateError) return busy(stack);
    if (e instanceof StackNotFoundError) return notFound(`stack ${this.qualify(stack)}`);
    if (e instanceof CommandError) {
      const result = (e as unknown as { commandResult?: { stdout?: string; stderr?: string } }).commandResult;
      if (/spawn \S*pulumi ENOENT/.test(result?.stderr ?? "")) {
        return new MeshError(
          "engine_failed",
          "the Pulumi CLI was not found: install it (pulumi version works), or name a pinned one with MESH_PULUMI_ROOT and MESH_PULUMI_VERSION",
        );
      }
      const report = configReport(diagnostics) ?? configReport(result?.stderr ?? "") ?? configReport(result?.stdout ?? "");
      if (report) return configInvalid(report);
    }
    return engineFailed(stack, kind);
  }
}
