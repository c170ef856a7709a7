/**
 * Jobs over the engine and the job store: every operation is a job with an id, a requester, states and
 * a summary, recorded in the store (`store/`). A job is admitted under its stack's lease, so one process
 * at a time runs a stack, across CLIs, servers and replicas; in this process jobs queue in order, and a
 * queued preview absorbs a second preview of the same stack. Events are typed, redacted, numbered per job
 * and written in batches under the lease's fencing token. Cancellation is graceful (one SIGINT through
 * the AbortSignal); a job that does not stop within the grace period says so, and what to do. A store
 * that cannot be written fails the job it was writing, never the process.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { changeSetOf, meshEvents, type EventContext } from "./events";
import { followPages, type FollowOptions, type Shaped } from "./job-follow";
import { withDefaults, type JobFilter, type JobsOptions, type JobWork, type ResolvedJobsOptions, type SubmitRequest } from "./job-options";
import { Leases } from "./job-leases";
import { endAfterThrow, interruptedRecovery, LEASE_LOST_RECOVERY, slowCancelRecovery, storeFailureMessage } from "./job-recovery";
import * as writes from "./job-writes";
import { Redactor } from "./redact";
import type { ImportReport } from "./store/store";
import { openSqlite } from "./store/sqlite";
import { StoreError, type Interrupt, type JobPage, type JobStore } from "./store/store";
import { cancelled, MeshError, notFound, TERMINAL, type JobRecord, type JobState, type MeshEvent, type MeshEventBody } from "./types";

export type { JobFilter, JobsOptions, JobWork, SubmitRequest } from "./job-options";

/** A job of this process, from admission until its last write is in the store. */
interface Local extends writes.JobWrites {
  controller?: AbortController;
  /** Why the store refused a write; the job stops and fails with it. */
  storeFailure?: string;
  finished: boolean;
  /** An error diagnostic is among the job's events already (e.g. the CLI's own line). */
  saidError?: boolean;
  /** Engine events not kept after the job failed because the store stalled. */
  dropped: number;
  waiters: ((r: JobRecord) => void)[];
  readonly work?: JobWork;
}

const newId = (): string => `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
const PRUNE_EVERY_MS = 3_600_000;

const storeFailed = (e: unknown, what: string): MeshError =>
  new MeshError("store_failed", `${e instanceof Error ? e.message : String(e)}; ${what}`);

export class Jobs {
  readonly store: JobStore;
  readonly owner: string;
  private readonly local = new Map<string, Local>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, string>();
  private readonly leases: Leases;
  private readonly redactor: Redactor;
  private readonly opts: ResolvedJobsOptions;
  private readonly started: Promise<void>;
  private timer?: NodeJS.Timeout;
  private lastPrune = 0;
  private closed = false;

  constructor(options: JobsOptions) {
    this.opts = withDefaults(options);
    this.store = options.store ?? openSqlite(":memory:");
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.leases = new Leases(this.store, this.owner, this.opts.leaseMs);
    this.redactor = new Redactor(options.engine.secretValues ?? []);
    this.started = this.init();
    this.started.catch(() => undefined);
  }

  /** The store is open and migrated, and the jobs a dead process left are interrupted. Rejects when the store cannot be opened. */
  ready(): Promise<void> {
    return this.started;
  }

  private async init(): Promise<void> {
    await this.store.ready();
    await this.housekeeping();
    this.timer = setInterval(() => void this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** What an unfinished job of a dead process becomes. */
  readonly interrupt: Interrupt = (r) => ({ recovery: interruptedRecovery(r, this.opts.qualify(r.stack)) });

  private async housekeeping(): Promise<void> {
    try {
      await this.store.sweep(Date.now(), this.interrupt);
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        await this.store.prune(this.opts.retention, this.opts.now().getTime());
      }
    } catch {
      // an unwritable store: /readyz says so, and the next tick tries again
    }
  }

  async submit(req: SubmitRequest): Promise<JobRecord> {
    await this.started.catch((e: unknown) => {
      throw storeFailed(e, "nothing was started. Fix the store (its file, folder or server), then submit the job again");
    });
    if (req.kind === "preview") {
      // a second preview of a stack whose preview has not started yet would show the same thing
      const twin = this.queue.map((id) => this.local.get(id)!).find((l) => l.record.stack === req.stack && l.record.kind === "preview");
      if (twin) return twin.record;
    }
    if ((req.kind === "verify") !== (req.work !== undefined)) throw new TypeError("a verify job, and only one, has its own work");
    const record: JobRecord = {
      id: newId(),
      stack: req.stack,
      kind: req.kind,
      requestedBy: req.requestedBy,
      state: "queued",
      createdAt: this.opts.now().toISOString(),
      ...(req.options?.includeProtected ? { options: { includeProtected: true } } : {}),
      ...(req.stacks ? { stacks: [...req.stacks] } : {}),
    };
    const admission = await this.leases.serial(req.stack, () =>
      this.store
        .admit({
          record,
          owner: this.owner,
          leaseMs: this.opts.leaseMs,
          exclusive: req.exclusive ?? false,
          now: Date.now(),
          interrupt: this.interrupt,
        })
        .catch((e: unknown) => {
          throw storeFailed(e, "nothing was started. Free space or make the store writable, then submit the job again");
        }),
    );
    if ("refused" in admission)
      throw new MeshError(
        "busy",
        admission.refused.message,
        admission.refused.runningJobId ? { runningJobId: admission.refused.runningJobId } : {},
      );
    this.leases.hold(admission.fence);
    const l: Local = {
      ...writes.newWrites(record, admission.fence),
      finished: false,
      dropped: 0,
      waiters: [],
      ...(req.work ? { work: req.work } : {}),
    };
    this.local.set(record.id, l);
    this.queue.push(record.id);
    this.pump();
    return l.record;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.local.get(id)?.record ?? (await this.store.get(id));
  }

  /** Newest first, a page at a time; this process's jobs as it knows them (ahead of the store by one write). */
  async list(filter: JobFilter = {}): Promise<JobPage> {
    const page = await this.store.list({ ...filter, limit: filter.limit ?? 50 });
    return { ...page, jobs: page.jobs.map((r) => this.local.get(r.id)?.record ?? r) };
  }

  /** The job's events after `afterSeq` (0: all), at most `limit`. */
  async events(id: string, afterSeq = 0, limit = 10_000): Promise<MeshEvent[]> {
    if (!(await this.get(id))) throw notFound(`job ${id}`);
    const stored = await this.store.events(id, afterSeq, limit);
    const l = this.local.get(id);
    if (!l) return stored;
    // this process's own job: what is being written and what waits for the next write, too
    const from = Math.max(afterSeq, stored.at(-1)?.seq ?? 0);
    return [...stored, ...writes.unwritten(l, from)].slice(0, limit);
  }

  /**
   * The job's events after `afterSeq`, then live ones as they are written by whichever process runs the
   * job, ending after `job.finished` (or when the job has ended without one, or on `signal`).
   */
  async *follow(id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<MeshEvent> {
    const pages = this.followPages(id, afterSeq, { shape: (events) => events, ...(signal ? { signal } : {}) });
    for await (const p of pages) yield* p.page;
  }

  /** As `follow`, a page at a time, each shaped (and read) as `options` say (see job-follow.ts). */
  async *followPages<T>(id: string, afterSeq: number, options: FollowOptions<T>): AsyncGenerator<Shaped<T>> {
    if (!(await this.get(id))) throw notFound(`job ${id}`);
    const settled = (r: JobRecord) =>
      TERMINAL.includes(r.state) && (!this.local.has(r.id) || this.local.get(r.id)?.storeFailure !== undefined);
    yield* followPages({ store: this.store, get: (x) => this.get(x), settled }, id, afterSeq, options);
  }

  /** Jobs queued or running, in every process on this store. */
  async active(): Promise<JobRecord[]> {
    const all = await this.store.active();
    return all.map((r) => this.local.get(r.id)?.record ?? r).filter((r) => !TERMINAL.includes(r.state));
  }

  /** Jobs queued or running in this process (what a Ctrl-C of this process cancels). */
  activeHere(): JobRecord[] {
    return [...this.local.values()].filter((l) => !l.finished).map((l) => l.record);
  }

  /** The job running on a stack, in any process, if any. */
  async runningOn(stack: string): Promise<string | undefined> {
    const here = this.running.get(stack);
    if (here) return here;
    return (await this.store.active()).find((r) => r.stack === stack && r.state === "running")?.id;
  }

  /** Resolves once the job has ended, with its final record. */
  async wait(id: string): Promise<JobRecord> {
    const l = this.local.get(id);
    // a finished job of this process: once its last write is done
    if (l) return l.finished ? l.chain.then(() => l.record) : new Promise((resolve) => l.waiters.push(resolve));
    for (;;) {
      const r = await this.store.get(id);
      if (!r) throw notFound(`job ${id}`);
      if (TERMINAL.includes(r.state)) return r;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async cancel(id: string): Promise<JobRecord> {
    const l = this.local.get(id);
    if (!l || l.finished) {
      const r = await this.get(id);
      if (!r) throw notFound(`job ${id}`);
      // another process runs it: its owner sees the request on its next heartbeat
      if (!TERMINAL.includes(r.state))
        await this.store.requestCancel(id).catch((e: unknown) => {
          throw storeFailed(e, "the cancel was not recorded; try again");
        });
      return r;
    }
    if (l.record.state === "queued") {
      this.queue.splice(this.queue.indexOf(id), 1);
      this.finish(l, "cancelled", { error: { code: "cancelled", message: "cancelled before it started" } });
    } else if (l.controller && !l.controller.signal.aborted) {
      l.controller.abort();
      this.emit(l, { type: "job.cancelling", graceMs: this.opts.cancelGraceMs });
      const timer = setTimeout(() => {
        if (l.finished) return;
        const recovery = slowCancelRecovery(l.work !== undefined, this.opts.cancelGraceMs, this.opts.qualify(l.record.stack));
        this.save(l, { ...l.record, recovery });
        this.emit(l, { type: "diagnostic", severity: "warning", message: recovery });
      }, this.opts.cancelGraceMs);
      timer.unref();
    }
    return l.record;
  }

  /** `mesh jobs import`: a journal folder of earlier versions. */
  importJournal(dir: string): Promise<ImportReport> {
    return this.store.importJournal(dir, this.interrupt, Date.now());
  }

  /** Cancels every running and queued job of this process, waits for them to end and their records to be written, gives the leases back. */
  async shutdown(): Promise<void> {
    const mine = [...this.local.values()].filter((l) => !l.finished);
    for (const l of mine.filter((x) => x.record.state === "queued")) await this.cancel(l.record.id);
    for (const l of mine.filter((x) => x.record.state === "running")) await this.cancel(l.record.id);
    await Promise.all(mine.map((l) => this.wait(l.record.id)));
    await Promise.all([...this.local.values()].map((l) => l.chain));
    await this.leases.settled();
    clearInterval(this.timer);
  }

  /** shutdown(), then the store is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shutdown();
    await this.store.close();
  }

  private async tick(): Promise<void> {
    const renewal = await this.leases.renew();
    for (const f of renewal?.lost ?? [])
      for (const l of this.local.values())
        if (l.fence.stack === f.stack && l.fence.token === f.token) this.fail(l, new StoreError("fenced", "lease lost"));
    for (const id of renewal?.cancelRequested ?? []) void this.cancel(id).catch(() => undefined);
    for (const l of this.local.values()) if (!writes.idle(l)) void this.flush(l);
    await this.housekeeping();
  }

  private pump(): void {
    for (const id of [...this.queue]) {
      const l = this.local.get(id)!;
      const engineJobs = [...this.running.values()].filter((r) => !this.local.get(r)?.work).length;
      if (!l.work && engineJobs >= this.opts.maxRunning) continue;
      if (this.running.has(l.record.stack)) continue;
      this.queue.splice(this.queue.indexOf(id), 1);
      void this.start(l);
    }
  }

  private async start(l: Local): Promise<void> {
    const r = l.record;
    const controller = new AbortController();
    l.controller = controller;
    this.running.set(r.stack, r.id);
    const started = this.opts.now();
    this.save(l, { ...r, state: "running", startedAt: started.toISOString() });
    this.emit(l, { type: "job.started" });
    const ctx: EventContext = { redactor: this.redactor, done: 0, steps: [] };
    try {
      if (r.kind === "verify") {
        const done = await l.work!({
          signal: controller.signal,
          emit: (body) => this.emit(l, this.redactor.redactDeep(body)),
          // the write of what was emitted is scheduled for the next turn of the event loop: wait for it, then for it to end
          written: () => new Promise<void>((resolve) => setImmediate(resolve)).then(() => l.chain),
          secrets: (values) => this.redactor.add(values),
        });
        // stopped (a cancel, a lost lease, an unwritable store): the catch below says which
        if (controller.signal.aborted) throw cancelled();
        this.finish(l, done.error ? "failed" : "succeeded", this.redactor.redactDeep(done));
        return;
      }
      const result = await this.opts.engine.run(r.stack, r.kind, {
        signal: controller.signal,
        includeProtected: r.options?.includeProtected ?? false,
        onEvent: (e) => {
          for (const body of meshEvents(e, ctx)) this.emit(l, body);
        },
        onTotal: (total) => {
          ctx.total = total;
          this.emit(l, { type: "progress", done: ctx.done, total });
        },
      });
      // the engine finished the operation: that is the outcome, even if a cancel came during its last step
      this.finish(l, "succeeded", {
        summary: { changes: result.changes, durationMs: this.opts.now().getTime() - started.getTime() },
        changeSet: changeSetOf(result.changes, ctx.steps ?? []),
      });
    } catch (e) {
      const end = endAfterThrow(l, controller.signal.aborted, e, r, this.redactor);
      // the failure's reason as an event too, unless the engine already said it, so a client following the events sees why
      if (end.say && !l.saidError) this.emit(l, { type: "diagnostic", severity: "error", message: end.say });
      this.finish(l, end.state, end.extra);
    } finally {
      this.running.delete(r.stack);
      this.pump();
    }
  }

  private finish(
    l: Local,
    state: JobState,
    extra: Partial<Pick<JobRecord, "summary" | "error" | "recovery" | "verify" | "changeSet">>,
  ): void {
    if (l.finished) return;
    const r: JobRecord = { ...l.record, state, finishedAt: this.opts.now().toISOString(), ...extra };
    this.save(l, r);
    if (l.dropped > 0)
      this.emit(l, {
        type: "diagnostic",
        severity: "warning",
        message: `${l.dropped} engine events after the job store stalled were not kept`,
      });
    this.emit(l, {
      type: "job.finished",
      state,
      ...(r.error ? { error: r.error } : {}),
      ...(r.recovery ? { recovery: r.recovery } : {}),
    });
    l.finished = true;
    void this.flush(l).then(() => {
      for (const w of l.waiters) w(l.record);
      l.waiters = [];
      this.retire(l);
    });
  }

  /** Forgets a finished job once its record is in the store; gives the stack's lease back when nothing else of it is left here. */
  private retire(l: Local): void {
    if (!l.lost && !writes.idle(l)) return;
    this.local.delete(l.record.id);
    const stack = l.fence.stack;
    const inUse = () => [...this.local.values()].some((o) => o.fence.stack === stack);
    if (!inUse()) this.leases.release(stack, inUse);
  }

  private save(l: Local, r: JobRecord): void {
    l.record = r;
    l.dirty = true;
    this.schedule(l);
  }

  private emit(l: Local, body: MeshEventBody): void {
    if (l.lost) return;
    if (l.pending.length >= this.opts.maxPendingEvents) {
      // the store has stopped taking writes: the job fails rather than hold ever more, and says what it dropped
      if (!l.storeFailure) this.fail(l, new Error(writes.stalled(l, this.store)));
      if (body.type !== "diagnostic" && body.type !== "job.finished") {
        l.dropped++;
        return;
      }
    }
    if (body.type === "diagnostic" && body.severity === "error") l.saidError = true;
    writes.append(l, body, this.opts.now().toISOString());
    this.schedule(l);
  }

  private schedule(l: Local): void {
    writes.schedule(l, () => void this.flush(l));
  }

  private flush(l: Local): Promise<void> {
    return writes.flush(
      l,
      this.store,
      (e) => this.fail(l, e),
      () => l.finished && l.waiters.length === 0 && this.retire(l),
    );
  }

  /** A write was refused: the job stops (another process owns the stack now, or the store cannot keep its record). */
  private fail(l: Local, e: unknown): void {
    if (e instanceof StoreError && e.reason === "fenced") {
      if (l.lost) return;
      l.lost = true;
      l.pending = [];
      l.dirty = false;
      const recovery = LEASE_LOST_RECOVERY;
      l.controller?.abort();
      if (l.record.state === "queued") {
        this.queue.splice(this.queue.indexOf(l.record.id), 1);
        this.finish(l, "interrupted", { recovery });
      } else if (!l.controller) this.finish(l, "interrupted", { recovery });
      else l.record = { ...l.record, recovery };
      return;
    }
    if (l.storeFailure || l.finished) return;
    l.storeFailure = storeFailureMessage(e);
    this.emit(l, { type: "diagnostic", severity: "error", message: l.storeFailure });
    if (l.record.state === "queued") {
      this.queue.splice(this.queue.indexOf(l.record.id), 1);
      this.finish(l, "failed", { error: { code: "store_failed", message: l.storeFailure } });
    } else l.controller?.abort();
  }
}
