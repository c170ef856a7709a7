/**
 * How soon the program starts, and how soon a configuration mistake reaches the user, both the way
 * the CLI runs the program (`automation/simulated/language-host.ts`, with Pulumi.yaml's runtime options). Cold runs get a fresh
 * TMPDIR, so no compiler cache (tsx's or ts-node's, both under the temp directory) is there, as on a
 * fresh CI runner; warm runs reuse one that a first run filled. Medians of several runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLikeCli, type CliRunOptions, type RuntimeOptions } from "../../automation/simulated/language-host";

const TYPO: CliRunOptions["override"] = { "mesh:eastWestGateway": { service: { tpye: "NodePort" } } };
const ANCHOR = { "organization/mesh/cn-shanghai": {} };
/** The language host's default: ts-node compiles and type-checks the program. */
const TS_NODE: RuntimeOptions = {};

const medianOf = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One run, as the CLI runs the program: its wall time, ms. */
export type Timer = (opts: CliRunOptions, expectExit: number, tmp: string) => Promise<number>;

async function timed(opts: CliRunOptions, expectExit: number, tmp: string): Promise<number> {
  const run = await runLikeCli({ ...opts, env: { TMPDIR: tmp }, timeoutMs: 600_000 });
  if (run.exitCode !== expectExit) throw new Error(`${opts.stack}: exit ${run.exitCode}, expected ${expectExit}\n${run.stderr}`);
  return run.ms;
}

/**
 * Cold and warm runs in turn, so that a load that changes during the benchmark (the machine is shared)
 * weighs on both alike: the medians, and the median of each pair's ratio.
 */
async function coldAndWarm(
  runs: number,
  opts: CliRunOptions,
  expectExit: number,
  time: Timer,
): Promise<{ cold: number; warm: number; ratio: number }> {
  const warmTmp = mkdtempSync(join(tmpdir(), "mesh-bench-warm-"));
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    // one run to fill the compiler's cache, as any second `pulumi up` finds it
    await time(opts, expectExit, warmTmp);
    for (let i = 0; i < runs; i++) {
      const tmp = mkdtempSync(join(tmpdir(), "mesh-bench-cold-"));
      try {
        cold.push(await time(opts, expectExit, tmp));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      warm.push(await time(opts, expectExit, warmTmp));
    }
  } finally {
    rmSync(warmTmp, { recursive: true, force: true });
  }
  return { cold: medianOf(cold), warm: medianOf(warm), ratio: medianOf(cold.map((c, i) => c / warm[i]!)) };
}

export interface ReportOptions {
  /** Cold and warm runs of each case (ts-node's: at most 3). @default 5 */
  readonly runs?: number;
  /** Where a line goes as each case starts: the whole takes minutes. @default stderr */
  readonly progress?: (line: string) => void;
  /** @default a run as the CLI runs it */
  readonly time?: Timer;
}

export async function reportLatency(options: ReportOptions = {}): Promise<void> {
  const { runs = 5, progress = (line: string) => process.stderr.write(`${line}\n`), time = timed } = options;
  const cases: [string, number, CliRunOptions, number][] = [
    ["a successful run (tsx)", runs, { stack: "wuxi", peerOutputs: ANCHOR }, 0],
    ["a successful run (ts-node)", Math.min(3, runs), { stack: "wuxi", peerOutputs: ANCHOR, runtime: TS_NODE }, 0],
    ["a config typo", runs, { stack: "wuxi", peerOutputs: ANCHOR, override: TYPO }, 32],
    // the anchor's stack does not exist: the SDK's own failed read, turned into the program's report
    ["a missing stack", runs, { stack: "wuxi", peerOutputs: {} }, 32],
  ];
  const results: { cold: number; warm: number; ratio: number }[] = [];
  for (const [i, [label, n, opts, exit]] of cases.entries()) {
    progress(`bench report: ${i + 1}/${cases.length} ${label}: ${2 * n + 1} runs of the program`);
    results.push(await coldAndWarm(n, opts, exit, time));
  }
  const [tsx, tsNode, typo, missing] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0], (typeof results)[0]];
  const ms = (n: number) => `${Math.round(n)} ms`.padStart(9);
  console.log(`start-up and report latency (wuxi, as the CLI runs it; cold and warm in turn, medians of ${runs}, ts-node of 3):`);
  console.log(`  successful run, Pulumi.yaml (tsx)     cold ${ms(tsx.cold)}  warm ${ms(tsx.warm)}  cold/warm ${tsx.ratio.toFixed(2)}`);
  console.log(
    `  successful run, ts-node (the default) cold ${ms(tsNode.cold)}  warm ${ms(tsNode.warm)}  cold/warm ${tsNode.ratio.toFixed(2)}`,
  );
  console.log(`  tsx cold against ts-node warm         ${(tsx.cold / tsNode.warm).toFixed(2)}`);
  console.log(
    `  config typo reported (tsx)            cold ${ms(typo.cold)}  warm ${ms(typo.warm)}  warm/successful warm ${(typo.warm / tsx.warm).toFixed(2)}`,
  );
  console.log(
    `  missing stack reported (tsx)          cold ${ms(missing.cold)}  warm ${ms(missing.warm)}  warm/successful warm ${(missing.warm / tsx.warm).toFixed(2)}`,
  );
}
