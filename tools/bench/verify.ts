/**
 * mesh verify at scale: 10 clusters (every one a peer of every other) × 1000 catalog services in 20
 * namespaces, each cluster a stand-in Kubernetes API answering every request after 20 ms. The stand-ins
 * run in a child process, so this process measures verify alone: a cold run (as the CLI runs it) for the
 * wall and CPU time, the requests, garbage collection and JSON parsed, then a profiled run whose top
 * self-time entries are printed.
 *
 *   npm run bench -- verify [clusters] [services]
 *   MESH_BENCH_CPUPROFILE=<file>   also writes the profiled run's .cpuprofile (DevTools, speedscope)
 */
import { rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { readProject } from "../../plan/stack-files";
import { writeKubeconfig } from "../../test/fixtures/kube-api";
import type { VerifyReport } from "../../verify/types";
import { verifyMesh } from "../../verify/verify";
import { generate, NAMESPACES } from "./mesh";
import { formatTop, profiled, summarize } from "./profile";
import { startStandInProcess, type StandInProcess } from "./stand-ins";

const ROOT = join(__dirname, "..", "..");

interface RunFigures {
  readonly report: VerifyReport;
  readonly wallMs: number;
  readonly userMs: number;
  readonly systemMs: number;
  readonly requests: readonly number[];
  readonly gcCount: number;
  /** Of which full mark-compacts. */
  readonly gcMajor: number;
  readonly gcMs: number;
  /** The process's peak resident memory so far. */
  readonly peakMiB: number;
  /** Not counted in the profiled run. */
  readonly parses?: number;
  readonly parsedMiB: number;
}

/**
 * Counts garbage collections while `work` runs and, when `parses`, JSON.parse calls with the text they
 * read (not in the profiled run: the wrapper would stand in the profile for the parser).
 */
async function counted<T>(
  work: () => Promise<T>,
  parses: boolean,
): Promise<{ value: T; gcCount: number; gcMajor: number; gcMs: number; parses?: number; parsedChars: number }> {
  let gcCount = 0;
  let gcMajor = 0;
  let gcMs = 0;
  const add = (entries: readonly PerformanceEntry[]) => {
    gcCount += entries.length;
    for (const e of entries) {
      gcMs += e.duration;
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcMajor++;
    }
  };
  const gc = new PerformanceObserver((list) => add(list.getEntries()));
  gc.observe({ entryTypes: ["gc"] });
  const parse = JSON.parse;
  let calls = 0;
  let parsedChars = 0;
  if (parses)
    JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown => {
      calls++;
      parsedChars += typeof text === "string" ? text.length : 0;
      return parse(text, reviver);
    };
  try {
    const value = await work();
    await new Promise((r) => setImmediate(r));
    add(gc.takeRecords());
    return { value, gcCount, gcMajor, gcMs: Math.round(gcMs), ...(parses ? { parses: calls } : {}), parsedChars };
  } finally {
    JSON.parse = parse;
    gc.disconnect();
  }
}

async function measure(standIns: StandInProcess, run: () => Promise<VerifyReport>, parses: boolean): Promise<RunFigures> {
  const before = await standIns.stats();
  const cpu = process.cpuUsage();
  const t = performance.now();
  const c = await counted(run, parses);
  const wallMs = Math.round(performance.now() - t);
  const used = process.cpuUsage(cpu);
  const after = await standIns.stats();
  return {
    report: c.value,
    wallMs,
    userMs: Math.round(used.user / 1000),
    systemMs: Math.round(used.system / 1000),
    requests: after.requests.map((n, i) => n - before.requests[i]!),
    peakMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    gcCount: c.gcCount,
    gcMajor: c.gcMajor,
    gcMs: c.gcMs,
    ...(c.parses !== undefined ? { parses: c.parses } : {}),
    parsedMiB: Math.round((c.parsedChars / 1024 / 1024) * 10) / 10,
  };
}

function line(what: string, f: RunFigures): string {
  const r = f.report;
  const total = f.requests.reduce((a, b) => a + b, 0);
  return (
    `  ${what}: ${f.wallMs} ms wall, ${f.userMs + f.systemMs} ms CPU (user ${f.userMs}, system ${f.systemMs}); ` +
    `${total} requests (${Math.min(...f.requests)}–${Math.max(...f.requests)} per cluster); ` +
    `peak RSS ${f.peakMiB} MiB; GC ${f.gcCount}× (${f.gcMajor} full) ${f.gcMs} ms; ${f.parses === undefined ? "" : `JSON.parse ${f.parses}× ${f.parsedMiB} MiB; `}` +
    `${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.errors} unreadable; ${r.routing.length} routing rows; exit ${r.exitCode}`
  );
}

export async function benchVerify(clusters = 10, services = 1000, latencyMs = 20, inFlight = 8): Promise<void> {
  // one port per service, every cluster on a kube context (verify reads each through a stand-in)
  const dir = generate(clusters, services, { ackAnchor: false, ports: [{ name: "http", port: 8080 }] });
  const load = loadavg()[0]!;
  const standIns = await startStandInProcess(clusters, services, latencyMs);
  try {
    const kubeconfig = writeKubeconfig(
      join(dir, "kubeconfig"),
      standIns.urls.map((url, i) => ({ context: `c${i}`, url, token: `t${i}` })),
    );
    const files = readProject(dir);
    const run = () => verifyMesh(files, { loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfig), inFlight, timeoutMs: 30_000 });
    const cold = await measure(standIns, run, true);
    let profile: Awaited<ReturnType<typeof profiled>>["profile"] | undefined;
    const warm = await measure(
      standIns,
      async () => {
        const p = await profiled(run);
        profile = p.profile;
        return p.value;
      },
      false,
    );
    const served = await standIns.stats();
    console.log(
      `verify: ${clusters} clusters × ${services} services (${NAMESPACES} namespaces), ${latencyMs} ms per request; ` +
        `load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    );
    console.log(line("cold run", cold));
    console.log(line("profiled run", warm));
    console.log(
      `  at most ${Math.max(...served.maxInFlight)} requests in flight per cluster (limit ${inFlight}); ` +
        `the stand-ins' own process used ${served.cpuMs} ms CPU (not counted above)`,
    );
    for (const l of formatTop(summarize(profile!, ROOT))) console.log(l);
    const out = process.env.MESH_BENCH_CPUPROFILE;
    if (out) writeFileSync(out, JSON.stringify(profile));
    if (cold.report.exitCode !== 0)
      for (const c of cold.report.clusters
        .flatMap((x) => x.checks)
        .filter((x) => x.result !== "pass")
        .slice(0, 5))
        console.log(`  ${c.cluster} ${c.code} ${c.name}: ${c.detail}`);
  } finally {
    await standIns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
