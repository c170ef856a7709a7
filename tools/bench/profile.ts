/**
 * Node's own CPU profiler (the inspector's `Profiler` domain, what `node --cpu-prof` writes) around one
 * piece of work, and the profile summed as DevTools' "Bottom-Up" view does: self time per function and
 * per file.
 */
import { findSourceMap } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "node:inspector/promises";

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based, in the code V8 ran (tsx's output) */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** The inspector's `Profiler.Profile`, the format of a `.cpuprofile` file. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame; readonly hitCount?: number }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  /** `functionName file:line`, or V8's own entries: `(garbage collector)`, `(program)`, `(idle)`. */
  readonly what: string;
  readonly file: string;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly sampledMs: number;
  /** Waiting with nothing to run (here: for the APIs' answers). */
  readonly idleMs: number;
  readonly samples: number;
  /** Busy entries, most self time first. */
  readonly functions: readonly SelfTime[];
  readonly files: readonly SelfTime[];
}

/** Runs `work` under the sampling profiler (one sample every `intervalUs`). */
export async function profiled<T>(work: () => Promise<T>, intervalUs = 500): Promise<{ value: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
    await session.post("Profiler.start");
    const outcome = await work().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    if (!outcome.ok) throw outcome.error;
    return { value: outcome.value, profile };
  } finally {
    session.disconnect();
  }
}

/** Where a frame's code lives, short: relative to `root`, from `node_modules/` on, or Node's own. */
export function shortFile(url: string, root: string): string {
  if (!url) return "";
  if (!url.startsWith("file:")) return url;
  const path = fileURLToPath(url);
  const nm = path.lastIndexOf("/node_modules/");
  return nm >= 0 ? path.slice(nm + 1) : relative(root, path);
}

/** The 1-based line in the source file, through the source map tsx registers; else V8's line. */
function sourceLine(f: CallFrame): number {
  if (f.url.startsWith("file:"))
    try {
      const e = findSourceMap(fileURLToPath(f.url))?.findEntry(f.lineNumber, f.columnNumber);
      if (e && "originalLine" in e) return e.originalLine + 1;
    } catch {
      // no map: V8's own line
    }
  return f.lineNumber + 1;
}

/**
 * Self time per function and per file. Each sample counts for the time to the next one (the last, for
 * the mean interval), so samples the profiler took late on a loaded machine weigh what they stood for.
 */
export function summarize(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    const mean = (profile.endTime - profile.startTime) / samples.length;
    for (let i = 0; i < samples.length; i++) {
      const us = i + 1 < deltas.length ? deltas[i + 1]! : mean;
      selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, us));
    }
  } else {
    // a profile without samples (an old format) has hit counts only
    const total = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of profile.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * (profile.endTime - profile.startTime)) / total);
  }
  const fns = new Map<string, { what: string; file: string; us: number }>();
  const files = new Map<string, number>();
  let idle = 0;
  let sampled = 0;
  for (const [id, us] of selfUs) {
    sampled += us;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") {
      idle += us;
      continue;
    }
    const file = shortFile(f.url, root);
    const what = file ? `${f.functionName || "(anonymous)"} ${file}:${sourceLine(f)}` : f.functionName || "(anonymous)";
    const e = fns.get(what) ?? { what, file, us: 0 };
    e.us += us;
    fns.set(what, e);
    const fileKey = file || f.functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    sampledMs: ms(sampled),
    idleMs: ms(idle),
    samples: samples.length,
    functions: [...fns.values()].sort((a, b) => b.us - a.us).map((e) => ({ what: e.what, file: e.file, ms: ms(e.us) })),
    files: [...files].sort((a, b) => b[1] - a[1]).map(([file, us]) => ({ what: file, file, ms: ms(us) })),
  };
}

/** The top entries as a table, with each one's share of the busy time. */
export function formatTop(s: ProfileSummary, functions = 15, files = 8): string[] {
  const busy = s.sampledMs - s.idleMs || 1;
  const row = (e: SelfTime) => `    ${e.ms.toFixed(1).padStart(8)}  ${((100 * e.ms) / busy).toFixed(1).padStart(5)}%  ${e.what}`;
  return [
    `  profile: ${s.samples} samples over ${s.sampledMs} ms, ${s.idleMs} ms idle (waiting for the APIs), ${Math.round(busy)} ms busy`,
    "    self ms  % busy  function (top self time)",
    ...s.functions.slice(0, functions).map(row),
    "    self ms  % busy  file",
    ...s.files.slice(0, files).map(row),
  ];
}
