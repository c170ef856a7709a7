/**
 * A simulated engine for tests and benchmarks (the demo runs the real program instead:
 * simulated/program-engine.ts): stacks of a mesh whose outputs appear after their first `up`, whose
 * links to peers install once those peers have exported, with slow operations,
 * failures midway, a lock held by another process, and stacks the backend does not have yet (a run of
 * one creates it, as `pulumi up` does; a run of a stack naming one fails, as the program does). It emits
 * engine events in the CLI's shape.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { abortableSleep as sleep } from "./abortable-sleep";
import type { HistoryEntry, OperationOptions, OperationResult, StackEngine, StackOutput } from "./engine";
import { busy, cancelled, configInvalid, engineFailed, MeshError, notFound, type EngineKind } from "./types";

export interface SimulatedStack {
  readonly name: string;
  /** The trust anchor: the others wait for its root. */
  readonly anchor?: boolean;
  /** Short names of the stacks this one reads. */
  readonly peers: readonly string[];
}

export interface MemoryEngineOptions {
  readonly stacks: readonly SimulatedStack[];
  /** Time each resource operation takes. @default 0 */
  readonly stepMs?: number;
  /** Resources of a primary without links. @default 20 */
  readonly baseResources?: number;
  readonly project?: string;
  /** The Nth operation of a kind on a stack fails (1-based), after half its steps. */
  readonly failures?: readonly { readonly stack: string; readonly kind: EngineKind; readonly call: number }[];
  /** A secret the simulated program prints in a diagnostic, to test redaction. */
  readonly leakInDiagnostics?: string;
  /** Stacks whose remoteSecret changes on every up (a token minted each run): their peers never settle. */
  readonly rotating?: readonly string[];
  /** Stacks the backend does not have yet: reads of them are not_found until a run or ensureStacks creates them. */
  readonly missing?: readonly string[];
}

interface SimState {
  deployed: boolean;
  trusted: boolean;
  linked: Set<string>;
  outputs?: Record<string, StackOutput>;
  history: HistoryEntry[];
}

interface Step {
  readonly op: "create" | "same" | "delete";
  readonly type: string;
  readonly name: string;
  readonly inputs?: Record<string, unknown>;
}

export class MemoryEngine implements StackEngine {
  readonly calls: { stack: string; kind: EngineKind }[] = [];
  readonly secretValues: readonly string[];
  private readonly state = new Map<string, SimState>();
  private readonly locked = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly absent: Set<string>;
  private readonly project: string;
  /** The stacks ensureStacks created, in order. */
  readonly created: string[] = [];

  constructor(private readonly opts: MemoryEngineOptions) {
    this.project = opts.project ?? "mesh";
    for (const s of opts.stacks) this.state.set(s.name, { deployed: false, trusted: false, linked: new Set(), history: [] });
    this.secretValues = opts.leakInDiagnostics ? [opts.leakInDiagnostics] : [];
    this.absent = new Set(opts.missing ?? []);
  }

  ensureStacks(stacks: readonly string[]): Promise<readonly string[]> {
    return this.settle(() => {
      for (const s of stacks) this.def(s);
      const made = stacks.filter((s) => this.absent.delete(s));
      this.created.push(...made);
      return made;
    });
  }

  /** A stack the backend has: reads of one it lacks are not_found, as the CLI's `stack select` is. */
  private existing(stack: string): SimulatedStack {
    const d = this.def(stack);
    if (this.absent.has(stack)) {
      throw new MeshError("not_found", `stack ${this.fq(stack)} does not exist on this backend: mesh up ${stack} creates it`);
    }
    return d;
  }

  /** Another process takes (or gives back) the stack's lock. */
  lockByOtherProcess(stack: string, held = true): void {
    if (held) this.locked.add(stack);
    else this.locked.delete(stack);
  }

  private def(stack: string): SimulatedStack {
    const d = this.opts.stacks.find((s) => s.name === stack);
    if (!d) throw notFound(`stack ${stack}`);
    return d;
  }

  private fq = (stack: string) => `organization/${this.project}/${stack}`;
  private urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::${this.project}::${type}::${name}`;

  private plan(stack: string, kind: EngineKind, n: number): { steps: Step[]; warnings: string[]; next: () => void } {
    const d = this.def(stack);
    const s = this.state.get(stack)!;
    const base = this.opts.baseResources ?? 20;
    if (kind === "destroy") {
      const n = s.deployed ? base + (s.trusted ? 3 : 0) + s.linked.size : 0;
      return {
        steps: Array.from({ length: n }, (_, i) => ({
          op: "delete" as const,
          type: "kubernetes:core/v1:ConfigMap",
          name: `${stack}-r${i}`,
        })),
        warnings: [],
        next: () => this.state.set(stack, { deployed: false, trusted: false, linked: new Set(), history: s.history }),
      };
    }
    if (kind === "refresh") {
      const n = s.deployed ? base : 0;
      return {
        steps: Array.from({ length: n }, (_, i) => ({ op: "same" as const, type: "kubernetes:core/v1:ConfigMap", name: `${stack}-r${i}` })),
        warnings: [],
        next: () => {},
      };
    }
    const anchor = this.opts.stacks.find((x) => x.anchor);
    const trustReady = d.anchor === true || !anchor || this.state.get(anchor.name)?.outputs?.trustRoot !== undefined;
    const exported = d.peers.filter((p) => this.state.get(p)?.outputs?.remoteSecret !== undefined);
    const pending = d.peers.filter((p) => !exported.includes(p));
    const steps: Step[] = [];
    for (let i = 0; i < base; i++)
      steps.push({ op: s.deployed ? "same" : "create", type: "kubernetes:core/v1:ConfigMap", name: `${stack}-r${i}` });
    if (trustReady)
      for (const r of ["cacerts", "istiod", "istio-eastwestgateway"])
        steps.push({ op: s.trusted ? "same" : "create", type: "kubernetes:helm.sh/v3:Release", name: `${stack}-${r}` });
    for (const p of trustReady ? exported : []) {
      steps.push({
        op: s.linked.has(p) ? "same" : "create",
        type: "kubernetes:core/v1:Secret",
        name: `${stack}-${p}-remote-secret`,
        inputs: {
          metadata: {
            name: `istio-remote-secret-${p}`,
            labels: { "istio/multiCluster": "true" },
            annotations: { "networking.istio.io/cluster": p },
          },
        },
      });
    }
    const warnings = pending.map(
      (p) =>
        `peer ${this.fq(p)} has not exported clusterName, network, meshId, trustRoot, remoteSecret yet, so ${stack} does not read it: run pulumi up -s ${p}, then pulumi up -s ${stack} again`,
    );
    if (!trustReady)
      warnings.push(
        `the mesh root from ${this.fq(anchor.name)} is not available yet, so istiod is not installed: run pulumi up -s ${anchor.name} first, then pulumi up -s ${stack} again`,
      );
    return {
      steps,
      warnings,
      next: () => {
        const linked = new Set(trustReady ? exported : []);
        this.state.set(stack, {
          deployed: true,
          trusted: trustReady,
          linked,
          history: s.history,
          outputs: {
            clusterName: { value: stack, secret: false },
            network: { value: `network-${stack}`, secret: false },
            meshId: { value: "mesh1", secret: false },
            ...(trustReady ? { trustRoot: { value: `root of ${anchor?.name ?? stack}`, secret: false } } : {}),
            ...(d.anchor ? { trustRootKey: { value: `root key of ${stack}`, secret: true } } : {}),
            remoteSecret: { value: `kubeconfig of ${stack}${this.opts.rotating?.includes(stack) ? ` #${n}` : ""}`, secret: true },
            peers: {
              value: d.peers.map((p) =>
                linked.has(p) ? { stack: this.fq(p), cluster: p, status: "linked" } : { stack: this.fq(p), status: "pending" },
              ),
              secret: false,
            },
          },
        });
      },
    };
  }

  async run(stack: string, kind: EngineKind, o: OperationOptions): Promise<OperationResult> {
    const d = this.def(stack);
    this.calls.push({ stack, kind });
    // an operation creates its own stack (createOrSelect); a peer or anchor the backend lacks fails the program
    this.absent.delete(stack);
    if (this.locked.has(stack)) throw busy(stack);
    const anchor = this.opts.stacks.find((x) => x.anchor && x.name !== stack)?.name;
    const unreadable = [...(anchor ? [anchor] : []), ...d.peers].filter((p) => this.absent.has(p));
    if (kind !== "destroy" && unreadable.length > 0) {
      const report = `${unreadable.length} configuration problem${unreadable.length === 1 ? "" : "s"}; nothing was deployed:\n${unreadable
        .map(
          (p) =>
            `  - ${stack}: the stack ${this.fq(p)} cannot be read: it does not exist on this backend\n    fix: create it (pulumi stack init ${this.fq(p)})`,
        )
        .join("\n")}`;
      o.onEvent({
        sequence: 0,
        timestamp: Math.floor(Date.now() / 1000),
        diagnosticEvent: { message: report, color: "never", severity: "error" },
      });
      throw configInvalid(report);
    }
    const n = (this.counts.get(`${stack} ${kind}`) ?? 0) + 1;
    this.counts.set(`${stack} ${kind}`, n);
    const fails = this.opts.failures?.some((f) => f.stack === stack && f.kind === kind && f.call === n) ?? false;
    const { steps, warnings, next } = this.plan(stack, kind, n);
    const started = Date.now();
    let seq = 0;
    const emit = (e: Omit<EngineEvent, "sequence" | "timestamp">) =>
      o.onEvent({ sequence: seq++, timestamp: Math.floor(Date.now() / 1000), ...e });
    emit({ preludeEvent: { config: {} } });
    o.onTotal?.(steps.length);
    for (const w of warnings) emit({ diagnosticEvent: { message: `${w}\n`, color: "never", severity: "warning" } });
    if (this.opts.leakInDiagnostics)
      emit({ diagnosticEvent: { message: `token: ${this.opts.leakInDiagnostics}\n`, color: "never", severity: "info" } });
    const changes: Record<string, number> = {};
    const preview = kind === "preview";
    for (const [i, step] of steps.entries()) {
      if (o.signal.aborted) throw cancelled();
      const metadata = {
        op: step.op,
        urn: this.urn(stack, step.type, step.name),
        type: step.type,
        provider: "",
        ...(step.inputs
          ? {
              new: {
                type: step.type,
                urn: this.urn(stack, step.type, step.name),
                id: "",
                parent: "",
                inputs: step.inputs,
                outputs: {},
                provider: "",
              },
            }
          : {}),
      };
      emit({ resourcePreEvent: { metadata, planning: preview } });
      if (!preview && step.op !== "same") await sleep(this.opts.stepMs ?? 0, o.signal);
      if (fails && i >= steps.length / 2) {
        emit({ resOpFailedEvent: { metadata, status: 1, steps: 1 } });
        emit({
          diagnosticEvent: {
            message: `error: ${step.type} ${step.name}: the simulated operation failed\n`,
            color: "never",
            severity: "error",
            urn: metadata.urn,
          },
        });
        throw engineFailed(stack, kind);
      }
      emit({ resOutputsEvent: { metadata, planning: preview } });
      changes[step.op] = (changes[step.op] ?? 0) + 1;
    }
    const durationSeconds = Math.round((Date.now() - started) / 1000);
    emit({ summaryEvent: { maybeCorrupt: false, durationSeconds, resourceChanges: changes, policyPacks: {} } });
    if (!preview) {
      next();
      this.state.get(stack)!.history.unshift({
        kind,
        result: "succeeded",
        startTime: new Date(started).toISOString(),
        endTime: new Date().toISOString(),
        changes,
      });
    }
    return { changes: changes };
  }

  outputs(stack: string): Promise<Readonly<Record<string, StackOutput>>> {
    return this.settle(() => this.state.get(this.existing(stack).name)!.outputs ?? {});
  }

  history(stack: string, limit: number): Promise<readonly HistoryEntry[]> {
    return this.settle(() => this.state.get(this.existing(stack).name)!.history.slice(0, limit));
  }

  cancel(stack: string): Promise<void> {
    return this.settle(() => void this.locked.delete(this.existing(stack).name));
  }

  /** A value, or the MeshError computing it threw, as a promise. */
  private settle<T>(f: () => T): Promise<T> {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
