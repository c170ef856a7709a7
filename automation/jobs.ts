/**
 * Jobs over the engine: every operation is a job with an id, a requester, states and a summary. One job
 * runs per stack at a time in this process; others queue in order, and a queued preview absorbs a second
 * preview of the same stack. Events are typed, redacted, numbered per job, kept for replay and appended
 * to the journal. Cancellation is graceful (one SIGINT through the AbortSignal); a job that does not stop
 * within the grace period says so, and what to do.
 */
import { randomBytes } from "node:crypto";
import { meshEvents, type EventContext } from "./events";
import type { StackEngine } from "./engine";
import type { Journal } from "./journal";
import { Redactor } from "./redact";
import { MeshError, notFound, TERMINAL, type JobKind, type JobRecord, type JobState, type MeshEvent, type MeshEventBody } from "./types";

export interface JobsOptions {
  readonly engine: StackEngine;
  /** Where records and events are appended. @default in memory only */
  readonly journal?: Journal;
  /** How long a cancelled job may take to stop before the core says so. @default 30000 */
  readonly cancelGraceMs?: number;
  /** Jobs running at once across all stacks. @default 4 */
  readonly maxRunning?: number;
  /** The stack as the backend names it, for recovery commands. @default organization/mesh/<stack> */
  readonly qualify?: (stack: string) => string;
  readonly now?: () => Date;
}

export interface SubmitRequest {
  readonly stack: string;
  readonly kind: JobKind;
  readonly requestedBy: string;
  readonly options?: { readonly includeProtected?: boolean };
}

export interface JobFilter {
  readonly stack?: string;
  readonly state?: JobState;
  readonly kind?: JobKind;
  readonly limit?: number;
}

const newId = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;

export class Jobs {
  private readonly records = new Map<string, JobRecord>();
  private readonly eventLog = new Map<string, MeshEvent[]>();
  private readonly listeners = new Map<string, Set<(e: MeshEvent) => void>>();
  private readonly waiters = new Map<string, ((r: JobRecord) => void)[]>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, { readonly id: string; readonly controller: AbortController }>();
  private readonly redactor: Redactor;
  private readonly opts: Required<Omit<JobsOptions, "journal">> & { readonly journal?: Journal };

  constructor(options: JobsOptions) {
    this.opts = {
      cancelGraceMs: 30_000,
      maxRunning: 4,
      qualify: (stack) => `organization/mesh/${stack}`,
      now: () => new Date(),
      ...options,
    };
    this.redactor = new Redactor(options.engine.secretValues ?? []);
    this.restore();
  }

  /** Past jobs from the journal; one that was queued or running when its process died is interrupted. */
  private restore(): void {
    for (const { record, events } of this.opts.journal?.load() ?? []) {
      this.records.set(record.id, record);
      this.eventLog.set(record.id, events);
      if (!TERMINAL.includes(record.state)) {
        const recovery =
          record.state === "running"
            ? `the process running this job stopped before it finished. On a self-managed backend the stack's lock is stale: pulumi cancel --stack ${this.opts.qualify(record.stack)} --yes, then run the job again`
            : "the process stopped before this job started; submit it again";
        this.finish(record.id, "interrupted", { recovery });
      }
    }
  }

  submit(req: SubmitRequest): JobRecord {
    if (req.kind === "preview") {
      // a second preview of a stack whose preview has not started yet would show the same thing
      const twin = this.queue.map((id) => this.records.get(id)!).find((r) => r.stack === req.stack && r.kind === "preview");
      if (twin) return twin;
    }
    const record: JobRecord = {
      id: newId(),
      stack: req.stack,
      kind: req.kind,
      requestedBy: req.requestedBy,
      state: "queued",
      createdAt: this.opts.now().toISOString(),
      ...(req.options?.includeProtected ? { options: { includeProtected: true } } : {}),
    };
    this.save(record);
    this.eventLog.set(record.id, []);
    this.emit(record.id, { type: "job.queued" });
    this.queue.push(record.id);
    this.pump();
    return this.records.get(record.id)!;
  }

  get(id: string): JobRecord | undefined {
    return this.records.get(id);
  }

  /** Newest first. */
  list(filter: JobFilter = {}): JobRecord[] {
    const all = [...this.records.values()]
      .filter(
        (r) =>
          (!filter.stack || r.stack === filter.stack) &&
          (!filter.state || r.state === filter.state) &&
          (!filter.kind || r.kind === filter.kind),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    return filter.limit === undefined ? all : all.slice(0, filter.limit);
  }

  /** The job's events after `afterSeq` (0: all). */
  events(id: string, afterSeq = 0): MeshEvent[] {
    const events = this.eventLog.get(id);
    if (!events) throw notFound(`job ${id}`);
    return events.filter((e) => e.seq > afterSeq);
  }

  /** Live events of a job; returns the unsubscribe function. */
  subscribe(id: string, listener: (e: MeshEvent) => void): () => void {
    if (!this.records.has(id)) throw notFound(`job ${id}`);
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Jobs running or queued in this process, running first; kept by the scheduler, so no scan of the history. */
  active(): JobRecord[] {
    return [...[...this.running.values()].map((r) => r.id), ...this.queue].map((id) => this.records.get(id)!);
  }

  /** The job running on a stack in this process, if any. */
  runningOn(stack: string): string | undefined {
    return this.running.get(stack)?.id;
  }

  /** Resolves once the job has ended, with its final record. */
  wait(id: string): Promise<JobRecord> {
    const r = this.records.get(id);
    if (!r) return Promise.reject(notFound(`job ${id}`));
    if (TERMINAL.includes(r.state)) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  cancel(id: string): JobRecord {
    const r = this.records.get(id);
    if (!r) throw notFound(`job ${id}`);
    if (r.state === "queued") {
      this.queue.splice(this.queue.indexOf(id), 1);
      this.finish(id, "cancelled", { error: { code: "cancelled", message: "cancelled before it started" } });
    } else if (r.state === "running") {
      const run = this.running.get(r.stack)!;
      if (!run.controller.signal.aborted) {
        run.controller.abort();
        this.emit(id, { type: "job.cancelling", graceMs: this.opts.cancelGraceMs });
        const timer = setTimeout(() => {
          if (this.records.get(id)?.state !== "running") return;
          const recovery = `the engine has not stopped ${Math.round(this.opts.cancelGraceMs / 1000)} s after the cancel: it may be finishing a resource operation, so let it. If its process is gone, clear the lock: pulumi cancel --stack ${this.opts.qualify(r.stack)} --yes`;
          this.save({ ...this.records.get(id)!, recovery });
          this.emit(id, { type: "diagnostic", severity: "warning", message: recovery });
        }, this.opts.cancelGraceMs);
        timer.unref();
      }
    }
    return this.records.get(id)!;
  }

  /** Cancels every running and queued job and waits for them to end (graceful shutdown). */
  async shutdown(): Promise<void> {
    for (const id of [...this.queue]) this.cancel(id);
    const running = [...this.running.values()].map((r) => r.id);
    for (const id of running) this.cancel(id);
    await Promise.all(running.map((id) => this.wait(id)));
  }

  private pump(): void {
    for (const id of [...this.queue]) {
      if (this.running.size >= this.opts.maxRunning) return;
      const r = this.records.get(id)!;
      if (this.running.has(r.stack)) continue;
      this.queue.splice(this.queue.indexOf(id), 1);
      void this.start(r);
    }
  }

  private async start(r: JobRecord): Promise<void> {
    const controller = new AbortController();
    this.running.set(r.stack, { id: r.id, controller });
    const started = this.opts.now();
    this.save({ ...r, state: "running", startedAt: started.toISOString() });
    this.emit(r.id, { type: "job.started" });
    const ctx: EventContext = { redactor: this.redactor, done: 0 };
    try {
      const result = await this.opts.engine.run(r.stack, r.kind, {
        signal: controller.signal,
        includeProtected: r.options?.includeProtected ?? false,
        onEvent: (e) => {
          for (const body of meshEvents(e, ctx)) this.emit(r.id, body);
        },
      });
      const durationMs = this.opts.now().getTime() - started.getTime();
      if (controller.signal.aborted) this.finish(r.id, "cancelled", { error: { code: "cancelled", message: "cancelled" } });
      else this.finish(r.id, "succeeded", { summary: { changes: result.changes, durationMs } });
    } catch (e) {
      const error =
        e instanceof MeshError
          ? e.toJobError()
          : { code: "engine_failed" as const, message: `pulumi ${r.kind} of stack ${r.stack} failed` };
      if (controller.signal.aborted) this.finish(r.id, "cancelled", { error: { code: "cancelled", message: "cancelled" } });
      else {
        // the failure's reason as an event too, so a client following the events sees why
        const redacted = {
          ...error,
          message: this.redactor.redact(error.message),
          ...(error.report ? { report: this.redactor.redact(error.report) } : {}),
        };
        this.emit(r.id, { type: "diagnostic", severity: "error", message: redacted.report ?? redacted.message });
        this.finish(r.id, "failed", { error: redacted });
      }
    } finally {
      this.running.delete(r.stack);
      this.pump();
    }
  }

  private finish(id: string, state: JobState, extra: Partial<Pick<JobRecord, "summary" | "error" | "recovery">>): void {
    const r = { ...this.records.get(id)!, state, finishedAt: this.opts.now().toISOString(), ...extra };
    this.save(r);
    this.emit(id, {
      type: "job.finished",
      state,
      ...(r.error ? { error: r.error } : {}),
      ...(r.recovery ? { recovery: r.recovery } : {}),
    });
    for (const w of this.waiters.get(id) ?? []) w(r);
    this.waiters.delete(id);
  }

  private save(r: JobRecord): void {
    this.records.set(r.id, r);
    this.opts.journal?.record(r);
  }

  private emit(id: string, body: MeshEventBody): void {
    const r = this.records.get(id)!;
    const log = this.eventLog.get(id) ?? [];
    this.eventLog.set(id, log);
    const e = {
      ...body,
      seq: (log[log.length - 1]?.seq ?? 0) + 1,
      jobId: id,
      stack: r.stack,
      at: this.opts.now().toISOString(),
    } as MeshEvent;
    log.push(e);
    this.opts.journal?.event(e);
    for (const l of this.listeners.get(id) ?? []) l(e);
  }
}
