/**
 * The simulated engine that runs the real program: each preview or up starts index.ts the way the
 * Pulumi CLI's Node.js language host does (language-host.ts) against the loopback engine, with the
 * outputs every stack exported on its last up as its StackReferences' answers; then plays the steps the
 * engine would take (steps.ts: against what the stack had after its last up) as the CLI's engine events,
 * each create, update, replace or delete taking `stepMs`. An up keeps what it registered and exported,
 * so the next preview after a config edit shows the real changes. Providers never run: ids, addresses
 * and credentials are the stand-in's (stand-in.ts). Nothing leaves the machine.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { abortableSleep as sleep } from "../abortable-sleep";
import type { HistoryEntry, OperationOptions, OperationResult, StackEngine, StackOutput } from "../engine";
import { configReport } from "../cli-errors";
import { cancelled, configInvalid, engineFailed, notFound, type EngineKind } from "../types";
import { readProject } from "../../plan/stack-files";
import { runLikeCli, type CliRun } from "./language-host";
import type { Diagnostic } from "./loopback-engine";
import { masked, planSteps, type PlannedStep, type StoredResource } from "./steps";

/** What the simulated backend keeps of a stack. */
export interface SimulatedStackState {
  readonly resources: readonly StoredResource[];
  readonly outputs: Readonly<Record<string, StackOutput>>;
  readonly history: readonly HistoryEntry[];
}

/** Where the simulated backend keeps its stacks (in memory by default). */
export interface SimulatedBackend {
  get(stack: string): SimulatedStackState | undefined;
  put(stack: string, state: SimulatedStackState): void;
}

export function memoryBackend(): SimulatedBackend {
  const stacks = new Map<string, SimulatedStackState>();
  return { get: (s) => stacks.get(s), put: (s, state) => void stacks.set(s, state) };
}

export interface ProgramEngineOptions {
  /** Pulumi.yaml and the stack files. */
  readonly projectDir: string;
  /** The program (index.ts). @default this repository */
  readonly programDir?: string;
  /** Time each create, update, replace or delete takes. @default 0 */
  readonly stepMs?: number;
  readonly backend?: SimulatedBackend;
  /** A LoadBalancer gateway's address per stack (the stand-in's default otherwise). */
  readonly loadBalancerAddress?: (stack: string) => string | undefined;
  /** Each program run, once it has ended (`npm run evaluate` prints them). */
  readonly onRun?: (stack: string, kind: EngineKind, run: CliRun) => void;
  /** A program run still going after this long is stopped. @default 120000 */
  readonly timeoutMs?: number;
}

const CHANGING = new Set(["create", "update", "replace", "delete"]);
const SEVERITY: Readonly<Record<Diagnostic["severity"], "info" | "warning" | "error" | undefined>> = {
  debug: undefined,
  info: "info",
  warning: "warning",
  error: "error",
};

export class ProgramEngine implements StackEngine {
  readonly secretValues: readonly string[] = [];
  private readonly backend: SimulatedBackend;

  constructor(private readonly opts: ProgramEngineOptions) {
    this.backend = opts.backend ?? memoryBackend();
  }

  /** The project's stacks, read again each time: a stack file added while the server runs is a stack. */
  private project(): { project: string; stacks: string[] } {
    const files = readProject(this.opts.projectDir);
    return { project: files.project, stacks: Object.keys(files.stacks) };
  }

  private known(stack: string): string {
    const p = this.project();
    if (!p.stacks.includes(stack)) throw notFound(`stack ${stack}`);
    return p.project;
  }

  async run(stack: string, kind: EngineKind, o: OperationOptions): Promise<OperationResult> {
    const project = this.known(stack);
    const old = this.backend.get(stack);
    const started = Date.now();
    let seq = 0;
    const emit = (e: Omit<EngineEvent, "sequence" | "timestamp">) =>
      o.onEvent({ sequence: seq++, timestamp: Math.floor(Date.now() / 1000), ...e });
    emit({ preludeEvent: { config: {} } });
    let steps: PlannedStep[];
    let run: CliRun | undefined;
    if (kind === "preview" || kind === "up") {
      run = await this.runProgram(stack, kind, project, o.signal);
      if (o.signal.aborted) throw cancelled();
      if (run.exitCode !== 0) return this.failed(stack, kind, run, emit);
      steps = planSteps(old?.resources ?? [], run.registrations);
    } else {
      // refresh: every resource read back as it was (no drift in a simulation); destroy: the last created first
      const resources = kind === "destroy" ? [...(old?.resources ?? [])].reverse() : (old?.resources ?? []);
      const kept = (r: StoredResource) => kind === "destroy" && r.protect && !o.includeProtected;
      steps = resources
        .filter((r) => !kept(r))
        .map((resource) => ({
          op: kind === "destroy" ? ("delete" as const) : ("same" as const),
          urn: resource.urn,
          type: resource.type,
          name: resource.name,
          resource,
          detailedDiff: {},
          diffs: [],
          keys: [],
        }));
    }
    o.onTotal?.(steps.length);
    const changes = await this.play(steps, kind, run?.diagnostics ?? [], o, emit);
    emit({
      summaryEvent: {
        maybeCorrupt: false,
        durationSeconds: Math.round((Date.now() - started) / 1000),
        resourceChanges: changes,
        policyPacks: {},
      },
    });
    if (kind !== "preview" && kind !== "refresh") this.keep(stack, kind, steps, run, changes, started);
    return { changes };
  }

  /** The program's run, with every stack's last outputs as its StackReferences read them (a stack that never ran has none). */
  private runProgram(stack: string, kind: EngineKind, project: string, signal: AbortSignal): Promise<CliRun> {
    const peerOutputs: Record<string, Record<string, unknown>> = {};
    for (const s of this.project().stacks) {
      const out = this.backend.get(s)?.outputs ?? {};
      peerOutputs[`organization/${project}/${s}`] = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
    }
    const lb = this.opts.loadBalancerAddress?.(stack);
    return runLikeCli({
      stack,
      projectDir: this.opts.projectDir,
      ...(this.opts.programDir ? { programDir: this.opts.programDir } : {}),
      peerOutputs,
      ...(lb ? { loadBalancerAddress: lb } : {}),
      preview: kind === "preview",
      signal,
      timeoutMs: this.opts.timeoutMs ?? 120_000,
    }).then((run) => {
      this.opts.onRun?.(stack, kind, run);
      return run;
    });
  }

  /** The program stopped before it finished: its own messages, and the typed failure (its config report, when it printed one). */
  private failed(stack: string, kind: EngineKind, run: CliRun, emit: (e: Omit<EngineEvent, "sequence" | "timestamp">) => void): never {
    const errors: string[] = [];
    for (const d of run.diagnostics) {
      const severity = SEVERITY[d.severity];
      if (!severity) continue;
      if (severity === "error") errors.push(d.message);
      emit({ diagnosticEvent: { message: d.message, color: "never", severity, ...(d.urn ? { urn: d.urn } : {}) } });
    }
    const report = configReport(errors.join("\n"));
    if (report) throw configInvalid(report);
    const why =
      run.exitCode === null ? "the program did not finish in time and was stopped" : `the program exited with code ${run.exitCode}`;
    if (errors.length === 0) emit({ diagnosticEvent: { message: `${why}\n`, color: "never", severity: "error" } });
    throw engineFailed(stack, kind, errors.length === 0 ? why : undefined);
  }

  /** The steps as the CLI's engine events, the program's messages among them where it logged them. */
  private async play(
    steps: readonly PlannedStep[],
    kind: EngineKind,
    diagnostics: readonly Diagnostic[],
    o: OperationOptions,
    emit: (e: Omit<EngineEvent, "sequence" | "timestamp">) => void,
  ): Promise<Record<string, number>> {
    const planning = kind === "preview";
    const changes: Record<string, number> = {};
    let said = 0;
    let registered = 0;
    const say = () => {
      for (; said < diagnostics.length && diagnostics[said]!.after <= registered; said++) {
        const d = diagnostics[said]!;
        const severity = SEVERITY[d.severity];
        if (severity) emit({ diagnosticEvent: { message: d.message, color: "never", severity, ...(d.urn ? { urn: d.urn } : {}) } });
      }
    };
    const deletions: PlannedStep[] = [];
    for (const step of steps) {
      say();
      if (o.signal.aborted) throw cancelled();
      if (step.op !== "delete") registered++;
      const metadata = metadataOf(step);
      const pair = async (m: StepEventMetadata) => {
        emit({ resourcePreEvent: { metadata: m, planning } });
        if (!planning && CHANGING.has(m.op === "create-replacement" ? "replace" : m.op)) await sleep(this.opts.stepMs ?? 0, o.signal);
        if (o.signal.aborted) throw cancelled();
        emit({ resOutputsEvent: { metadata: m, planning } });
      };
      // a replacement is created first, and the old resource deleted once everything else is done (pulumi's default order)
      if (step.op === "replace") {
        await pair({ ...metadata, op: "create-replacement" });
        deletions.push(step);
      }
      await pair(metadata);
      if (step.op !== "read") changes[step.op] = (changes[step.op] ?? 0) + 1;
    }
    say();
    for (const step of deletions) {
      if (o.signal.aborted) throw cancelled();
      const m = { ...metadataOf(step), op: "delete-replaced" as const };
      emit({ resourcePreEvent: { metadata: m, planning } });
      emit({ resOutputsEvent: { metadata: m, planning } });
    }
    return changes;
  }

  /** What the backend keeps after an up or a destroy: the resources, the outputs, one more history entry. */
  private keep(
    stack: string,
    kind: EngineKind,
    steps: readonly PlannedStep[],
    run: CliRun | undefined,
    changes: Record<string, number>,
    started: number,
  ): void {
    const old = this.backend.get(stack);
    const entry: HistoryEntry = {
      kind: kind === "up" ? "update" : kind,
      result: "succeeded",
      startTime: new Date(started).toISOString(),
      endTime: new Date().toISOString(),
      changes,
    };
    const history = [entry, ...(old?.history ?? [])].slice(0, 100);
    if (run) {
      const resources = steps.filter((s) => s.op !== "delete" && s.op !== "read").map((s) => s.resource);
      const outputs = Object.fromEntries(Object.entries(run.outputs).map(([k, v]) => [k, { value: v, secret: run.secretOutputs.has(k) }]));
      this.backend.put(stack, { resources, outputs, history });
      return;
    }
    // a destroy: what it did not delete (protected resources, unless asked) stays, and the outputs go
    const deleted = new Set(steps.map((s) => s.urn));
    this.backend.put(stack, { resources: (old?.resources ?? []).filter((r) => !deleted.has(r.urn)), outputs: {}, history });
  }

  outputs(stack: string): Promise<Readonly<Record<string, StackOutput>>> {
    return this.settle(() => {
      this.known(stack);
      return this.backend.get(stack)?.outputs ?? {};
    });
  }

  history(stack: string, limit: number): Promise<readonly HistoryEntry[]> {
    return this.settle(() => {
      this.known(stack);
      return (this.backend.get(stack)?.history ?? []).slice(0, limit);
    });
  }

  /** Every stack of the project exists on the simulated backend from the start (as after `pulumi stack init`). */
  ensureStacks(stacks: readonly string[]): Promise<readonly string[]> {
    return this.settle(() => {
      for (const s of stacks) this.known(s);
      return [];
    });
  }

  cancel(stack: string): Promise<void> {
    return this.settle(() => void this.known(stack));
  }

  private settle<T>(f: () => T): Promise<T> {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/** The step as the engine's event metadata: the diff, and the inputs with secrets blanked. */
function metadataOf(step: PlannedStep): StepEventMetadata {
  const state = (inputs: Record<string, unknown>) => ({
    type: step.type,
    urn: step.urn,
    id: "",
    parent: "",
    custom: step.resource.custom,
    inputs: masked(inputs) as Record<string, unknown>,
    outputs: {},
    provider: step.resource.provider,
  });
  return {
    op: step.op,
    urn: step.urn,
    type: step.type,
    provider: step.resource.provider,
    ...(step.op === "delete" ? { old: state(step.resource.inputs) } : { new: state(step.resource.inputs) }),
    ...(step.diffs.length > 0 ? { diffs: [...step.diffs], detailedDiff: { ...step.detailedDiff } } : {}),
    ...(step.keys.length > 0 ? { keys: [...step.keys] } : {}),
  };
}
