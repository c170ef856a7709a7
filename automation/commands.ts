/**
 * The operator's face of the core: `mesh preview | up | refresh | destroy | converge | status | outputs
 * | jobs`. Progress bars per stack on a terminal, plain lines otherwise, one JSON event per line with
 * --json; secrets hidden unless --show-secrets; exit codes that scripts can branch on.
 */
import { terminalText } from "../model/escape";
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { readProject, StackFileError } from "../plan/stack-files";
import { istioLine, type IstioSummary } from "../plan/istio-summary";
import { meshTopology } from "../plan/plan";
import { converge, type ConvergeResult } from "./converge";
import type { StackEngine } from "./engine";
import { Jobs } from "./jobs";
import { readOutputs } from "./outputs-read";
import { openStore } from "./store/open";
import { retentionFromEnv } from "./store/retention";
import type { JobStore } from "./store/store";
import { EXIT_CODES } from "./exit-codes";
import { MeshError, type JobKind, type JobRecord, type JobState, type MeshEvent } from "./types";
import { formatChanges, jobsTable } from "./job-table";

/** Every line this prints: a stack's, a job's or a cluster's words never reach the terminal as control characters. */
const write = (out: { write(s: string): unknown }, s: string): unknown => out.write(terminalText(s));

export { EXIT_CODES, EXIT_HELP } from "./exit-codes";

export interface CommandDeps {
  readonly projectDir: string;
  /** The engine, made when a command needs it (the Pulumi CLI is only looked up then). */
  readonly engine: () => StackEngine;
  /** The job store: MESH_DATABASE_URL (`postgres://…`, `sqlite:<path>`; unset: .mesh/jobs.db in the project). */
  readonly database?: string;
  readonly out: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly requestedBy: string;
  /** Registers a Ctrl-C handler; returns its remover. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

export interface OutputFlags {
  readonly json?: boolean;
  readonly showSecrets?: boolean;
}

const exitFor = (r: JobRecord): number =>
  r.state === "succeeded"
    ? EXIT_CODES.ok
    : r.state === "cancelled"
      ? EXIT_CODES.cancelled
      : r.error?.code === "busy"
        ? EXIT_CODES.busy
        : r.error?.code === "config_invalid"
          ? EXIT_CODES.configInvalid
          : EXIT_CODES.failed;

/** What a person reads of one event, or undefined for events a line would only clutter. */
export function eventLine(e: MeshEvent): string | undefined {
  switch (e.type) {
    case "job.started":
      return `${e.stack}: job ${e.jobId} started`;
    case "resource.finished":
      return e.op === "same" ? undefined : `${e.stack}: ${e.op} ${e.resourceType} ${e.name}`;
    case "resource.failed":
      return `${e.stack}: FAILED ${e.op} ${e.resourceType} ${e.name}`;
    case "diagnostic":
      return `${e.stack}: ${e.severity}: ${e.message}`;
    case "mesh.peerPending":
      return `${e.stack}: link to ${e.peer} pending: ${e.next}`;
    case "mesh.linkEstablished":
      return `${e.stack}: linked ${e.peer}`;
    case "summary":
      return `${e.stack}: ${formatChanges(e.changes)} in ${e.durationSeconds} s`;
    case "job.cancelling":
      return `${e.stack}: cancelling (the engine gets ${Math.round(e.graceMs / 1000)} s to stop)`;
    case "job.finished":
      return `${e.stack}: ${e.state}${e.error ? `: ${e.error.message}` : ""}${e.error?.report ? `\n${e.error.report}` : ""}${e.recovery ? `\n${e.recovery}` : ""}`;
    default:
      return undefined;
  }
}

export { formatChanges };

/** Renders live events: JSON lines, progress bars on a terminal, or plain lines. */
class Renderer {
  private readonly bars?: MultiBar;
  private readonly perStack = new Map<string, SingleBar>();
  constructor(
    private readonly out: CommandDeps["out"],
    private readonly json: boolean,
  ) {
    if (!json && out.isTTY) {
      this.bars = new MultiBar(
        {
          format: "{stack} [{bar}] {value} resources | {status}",
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          stream: out as unknown as NodeJS.WritableStream,
        },
        Presets.shades_classic,
      );
    }
  }
  private print(s: string): void {
    if (!this.bars) return void write(this.out, `${s}\n`);
    // a log line is written on the next redraw: force one, so no line waits for a bar to move
    this.bars.log(terminalText(`${s}\n`));
    this.bars.update();
  }
  event(e: MeshEvent): void {
    if (this.json) return void write(this.out, `${JSON.stringify(e)}\n`);
    if (this.bars) {
      let bar = this.perStack.get(e.stack);
      if (!bar) this.perStack.set(e.stack, (bar = this.bars.create(1, 0, { stack: e.stack.padEnd(14), status: "queued" })));
      if (e.type === "progress") bar.update(e.done, { status: "running" });
      if (e.type === "progress" && e.done >= bar.getTotal()) bar.setTotal(e.done + 1);
      if (e.type === "job.started") bar.update({ status: "running" });
      if (e.type === "job.finished") {
        bar.setTotal(Math.max(1, bar.getProgress() * bar.getTotal()));
        bar.update({ status: e.state });
      }
      if (e.type === "diagnostic" || e.type === "resource.failed" || e.type === "job.finished" || e.type.startsWith("mesh.")) {
        const line = eventLine(e);
        if (line) this.print(line);
      }
      return;
    }
    const line = eventLine(e);
    if (line) this.print(line);
  }
  info(obj: object, text: string): void {
    if (this.json) write(this.out, `${JSON.stringify(obj)}\n`);
    else this.print(text);
  }
  stop(): void {
    this.bars?.update();
    this.bars?.stop();
  }
  /** The last word, after the bars are gone. */
  finish(obj: object, text: string): void {
    this.stop();
    write(this.out, this.json ? `${JSON.stringify(obj)}\n` : `${text}\n`);
  }
}

const openDb = (deps: CommandDeps): JobStore => openStore(deps.database, deps.projectDir);

function openJobs(deps: CommandDeps, extra: { maxRunning?: number } = {}): Jobs {
  return new Jobs({ engine: deps.engine(), store: openDb(deps), retention: retentionFromEnv(process.env), ...extra });
}

async function follow(deps: CommandDeps, jobs: Jobs, record: JobRecord, render: Renderer): Promise<JobRecord> {
  const removeInterrupt = deps.onInterrupt?.(() => void jobs.cancel(record.id));
  try {
    for await (const e of jobs.follow(record.id)) render.event(e);
    return await jobs.wait(record.id);
  } finally {
    removeInterrupt?.();
  }
}

/** `mesh preview|up|refresh|destroy <stack>` */
export async function runJob(
  deps: CommandDeps,
  kind: JobKind,
  stack: string,
  flags: OutputFlags & { includeProtected?: boolean },
): Promise<number> {
  const jobs = openJobs(deps);
  const render = new Renderer(deps.out, flags.json ?? false);
  try {
    const record = await jobs.submit({
      stack,
      kind,
      requestedBy: deps.requestedBy,
      options: { includeProtected: flags.includeProtected ?? false },
    });
    return exitFor(await follow(deps, jobs, record, render));
  } catch (e) {
    render.stop();
    return reportError(deps, e);
  } finally {
    render.stop();
    await jobs.close();
  }
}

function topology(deps: CommandDeps): ReturnType<typeof meshTopology> | number {
  try {
    return meshTopology(readProject(deps.projectDir));
  } catch (e) {
    if (e instanceof StackFileError) {
      write(deps.out, `mesh: ${e.message}\n`);
      return EXIT_CODES.usage;
    }
    throw e;
  }
}

/** `mesh converge` */
export async function runConverge(deps: CommandDeps, flags: OutputFlags & { maxRounds?: number; parallel?: number }): Promise<number> {
  const topo = topology(deps);
  if (typeof topo === "number") return topo;
  const render = new Renderer(deps.out, flags.json ?? false);
  if (topo.errors.length > 0) {
    for (const f of topo.errors)
      render.info({ type: "converge.refused", finding: f }, `${f.stack}: ${f.path}: ${f.message}\n  fix: ${f.fix}`);
    render.stop();
    return EXIT_CODES.configInvalid;
  }
  const engine = deps.engine();
  const jobs = openJobs({ ...deps, engine: () => engine }, flags.parallel ? { maxRunning: flags.parallel } : {});
  const followers: Promise<void>[] = [];
  let stopped = false;
  const removeInterrupt = deps.onInterrupt?.(() => {
    stopped = true;
    for (const r of jobs.activeHere()) void jobs.cancel(r.id);
  });
  // every job converge submits is followed live
  const onJob = (r: JobRecord) => {
    followers.push(
      (async () => {
        for await (const e of jobs.follow(r.id)) render.event(e);
      })(),
    );
  };
  let result: ConvergeResult;
  try {
    result = await converge({
      stacks: topo.stacks,
      jobs,
      engine,
      requestedBy: `converge (${deps.requestedBy})`,
      onJob,
      ...(flags.maxRounds ? { maxRounds: flags.maxRounds } : {}),
      onCreated: (created) =>
        render.info(
          { type: "converge.created", stacks: created },
          `created on the backend, which did not have them: ${created.join(", ")}`,
        ),
      onRound: (r) =>
        render.info(
          { type: "converge.round", ...r },
          `round ${r.round} (${r.why}): ${r.jobs.map((j) => `${j.stack} ${j.state}${j.changes ? ` (${formatChanges(j.changes)})` : ""}`).join("; ")}`,
        ),
    });
  } catch (e) {
    render.stop();
    await jobs.close();
    return reportError(deps, e);
  } finally {
    await Promise.allSettled(followers);
    removeInterrupt?.();
  }
  await jobs.close();
  render.finish({ type: "converge.finished", state: result.state, rounds: result.rounds.length, message: result.message }, result.message);
  if (stopped) return EXIT_CODES.cancelled;
  return result.state === "settled" ? EXIT_CODES.ok : result.state === "bound" ? EXIT_CODES.bound : EXIT_CODES.failed;
}

const masked = (o: { value: unknown; secret: boolean }, show: boolean): unknown => (o.secret && !show ? "[secret]" : o.value);

/** `mesh outputs <stack>` */
export async function runOutputs(deps: CommandDeps, stack: string, flags: OutputFlags): Promise<number> {
  try {
    const outputs = await deps.engine().outputs(stack);
    const shown = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, masked(o, flags.showSecrets ?? false)]));
    if (flags.json) write(deps.out, `${JSON.stringify(shown, null, 2)}\n`);
    else for (const [k, v] of Object.entries(shown)) write(deps.out, `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}\n`);
    return EXIT_CODES.ok;
  } catch (e) {
    return reportError(deps, e);
  }
}

/** One stack in `mesh status --json`. */
export interface StatusRow {
  readonly stack: string;
  readonly anchor: boolean;
  readonly lastJob: {
    readonly id: string;
    readonly kind: string;
    readonly state: string;
    readonly finishedAt: string | null;
    /** Why it failed (or was cancelled or interrupted); null when it did not. */
    readonly error: { readonly code: string; readonly message: string } | null;
  } | null;
  /** Each peer's link as the stack's `peers` output says; null when the outputs could not be read. */
  readonly links: readonly { readonly peer: string; readonly status: string }[] | null;
  /** Why the outputs could not be read (cli_missing, not_logged_in, secrets_locked, not_found, timeout, engine_failed). */
  readonly outputsError: { readonly code: string; readonly message: string } | null;
  /** The istiod revisions, where each tag points and what the gateway follows, as the stack file declares them. */
  readonly istio: IstioSummary;
}

/** `mesh status`: every stack of the project, its last job and its links; exit 1 when no stack's outputs could be read. */
export async function runStatus(deps: CommandDeps, flags: OutputFlags): Promise<number> {
  const topo = topology(deps);
  if (typeof topo === "number") return topo;
  const store = openDb(deps);
  let lastJobs: (JobRecord | undefined)[];
  try {
    lastJobs = await Promise.all(topo.stacks.map(async (s) => (await store.list({ stack: s.name, limit: 1 })).jobs[0]));
  } catch (e) {
    return reportError(deps, storeUnreadable(e));
  } finally {
    await store.close();
  }
  const engine = deps.engine();
  const rows: StatusRow[] = await Promise.all(
    topo.stacks.map(async (s, i) => {
      const last = lastJobs[i];
      const read = await readOutputs(engine, s.name);
      const peers = read.outputs?.peers?.value;
      const links = read.outputs
        ? Array.isArray(peers)
          ? (peers as { stack?: string; status?: string }[]).map((p) => ({
              peer: p.stack?.split("/").pop() ?? "?",
              status: p.status ?? "?",
            }))
          : []
        : null;
      return {
        stack: s.name,
        anchor: s.anchor,
        lastJob: last
          ? {
              id: last.id,
              kind: last.kind,
              state: last.state,
              finishedAt: last.finishedAt ?? null,
              error: last.error ? { code: last.error.code, message: last.error.message } : null,
            }
          : null,
        links,
        outputsError: read.error ? { code: read.error.code, message: read.error.message } : null,
        istio: s.istio,
      };
    }),
  );
  if (flags.json) write(deps.out, `${JSON.stringify({ stacks: rows }, null, 2)}\n`);
  else
    for (const r of rows) {
      const job = r.lastJob
        ? `last job: ${r.lastJob.kind} ${r.lastJob.state} (${r.lastJob.id})${r.lastJob.error ? `: ${r.lastJob.error.message}` : ""}`
        : "no job yet";
      const links = r.links
        ? `links: ${r.links.map((l) => `${l.peer} ${l.status}`).join(", ") || "none (no peers output yet)"}`
        : `outputs not read: ${r.outputsError!.message === r.lastJob?.error?.message ? "the same reason" : r.outputsError!.message}`;
      write(deps.out, `${r.stack}${r.anchor ? " (trust anchor)" : ""}: ${job}; ${links}\n  ${istioLine(r.istio)}\n`);
    }
  return rows.some((r) => r.links !== null) ? EXIT_CODES.ok : EXIT_CODES.failed;
}

/** `mesh jobs` */
export async function runJobsList(
  deps: CommandDeps,
  flags: OutputFlags & { stack?: string; state?: string; limit?: number },
): Promise<number> {
  const store = openDb(deps);
  let records: JobRecord[];
  try {
    records = (
      await store.list({
        ...(flags.stack ? { stack: flags.stack } : {}),
        ...(flags.state ? { state: flags.state as JobState } : {}),
        limit: flags.limit ?? 50,
      })
    ).jobs;
  } catch (e) {
    return reportError(deps, storeUnreadable(e));
  } finally {
    await store.close();
  }
  if (flags.json) write(deps.out, `${JSON.stringify(records, null, 2)}\n`);
  else if (records.length === 0) {
    const filters = [flags.stack && `of stack ${flags.stack}`, flags.state && `in state ${flags.state}`].filter(Boolean).join(" ");
    write(deps.out, `no jobs${filters ? ` ${filters}` : ""} in the job store (${store.kind} ${store.location})\n`);
  } else write(deps.out, jobsTable(records));
  return EXIT_CODES.ok;
}

/** `mesh jobs import [dir]`: an earlier version's journal folder, into the store. */
export async function runJobsImport(deps: CommandDeps, dir: string, flags: OutputFlags): Promise<number> {
  const jobs = new Jobs({
    engine: { run: noEngine, outputs: noEngine, history: noEngine, ensureStacks: noEngine, cancel: noEngine },
    store: openDb(deps),
  });
  try {
    const report = await jobs.importJournal(dir);
    if (flags.json) write(deps.out, `${JSON.stringify(report, null, 2)}\n`);
    else {
      write(
        deps.out,
        `imported ${report.imported} jobs from ${dir} into the ${jobs.store.kind} store ${jobs.store.location}; ${report.alreadyPresent} were there already; skipped ${report.skippedFiles} files and ${report.skippedLines} lines\n`,
      );
      for (const [reason, n] of Object.entries(report.reasons)) write(deps.out, `  skipped ${n}: ${reason}\n`);
    }
    return EXIT_CODES.ok;
  } catch (e) {
    return reportError(deps, e instanceof MeshError ? e : storeUnreadable(e));
  } finally {
    await jobs.close();
  }
}

const noEngine = (): never => {
  throw new Error("the import runs no engine");
};

const storeUnreadable = (e: unknown): MeshError =>
  new MeshError("store_failed", `the job store cannot be used: ${e instanceof Error ? e.message : String(e)}`);

function reportError(deps: CommandDeps, e: unknown): number {
  if (!(e instanceof MeshError)) throw e;
  write(deps.out, `mesh: ${e.message}\n${e.extra.report ? `${e.extra.report}\n` : ""}`);
  return e.code === "busy" ? EXIT_CODES.busy : e.code === "config_invalid" ? EXIT_CODES.configInvalid : EXIT_CODES.failed;
}
