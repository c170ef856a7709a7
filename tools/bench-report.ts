/**
 * How soon the program starts, and how soon a configuration mistake reaches the user, both the way
 * the CLI runs the program (`cli-run.ts`, with Pulumi.yaml's runtime options). Cold runs get a fresh
 * TMPDIR, so no compiler cache (tsx's or ts-node's, both under the temp directory) is there, as on a
 * fresh CI runner; warm runs reuse one that a first run filled. Medians of several runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLikeCli, type CliRunOptions, type RuntimeOptions } from "./cli-run";

const TYPO: CliRunOptions["override"] = { "mesh:eastWestGateway": { service: { tpye: "NodePort" } } };
const ANCHOR = { "organization/mesh/cn-shanghai": {} };
/** The language host's default: ts-node compiles and type-checks the program. */
const TS_NODE: RuntimeOptions = {};

async function median(runs: number, opts: CliRunOptions, expectExit: number, cold = false): Promise<number> {
  const times: number[] = [];
  const warmTmp = mkdtempSync(join(tmpdir(), "mesh-bench-warm-"));
  try {
    // one run to fill the compiler's cache, as any second `pulumi up` finds it
    if (!cold) await runLikeCli({ ...opts, env: { TMPDIR: warmTmp }, timeoutMs: 600_000 });
    for (let i = 0; i < runs; i++) {
      const tmp = cold ? mkdtempSync(join(tmpdir(), "mesh-bench-cold-")) : warmTmp;
      try {
        const run = await runLikeCli({ ...opts, env: { TMPDIR: tmp }, timeoutMs: 600_000 });
        if (run.exitCode !== expectExit) throw new Error(`${opts.stack}: exit ${run.exitCode}, expected ${expectExit}\n${run.stderr}`);
        times.push(run.ms);
      } finally {
        if (cold) rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(warmTmp, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function reportLatency(runs = 5): Promise<void> {
  const ok = { stack: "wuxi", peerOutputs: ANCHOR };
  const warm = await median(runs, ok, 0);
  const cold = await median(runs, ok, 0, true);
  const tsNodeWarm = await median(3, { ...ok, runtime: TS_NODE }, 0);
  const tsNodeCold = await median(3, { ...ok, runtime: TS_NODE }, 0, true);
  const typo = await median(runs, { ...ok, override: TYPO }, 32);
  // the anchor's stack does not exist: the SDK's own failed read, turned into the program's report
  const missing = await median(runs, { stack: "wuxi", peerOutputs: {} }, 32);
  const ms = (n: number) => `${Math.round(n)} ms`.padStart(9);
  console.log(`start-up and report latency (wuxi, as the CLI runs it; medians of ${runs}, ts-node of 3):`);
  console.log(`  warm start (Pulumi.yaml: tsx)       ${ms(warm)}`);
  console.log(
    `  cold start (Pulumi.yaml: tsx)       ${ms(cold)}  (ratio to warm ${(cold / warm).toFixed(2)}, to ts-node warm ${(cold / tsNodeWarm).toFixed(2)})`,
  );
  console.log(`  warm start (ts-node, the default)   ${ms(tsNodeWarm)}`);
  console.log(`  cold start (ts-node, the default)   ${ms(tsNodeCold)}  (ratio to its warm ${(tsNodeCold / tsNodeWarm).toFixed(2)})`);
  console.log(`  config typo reported (warm)         ${ms(typo)}  (ratio ${(typo / warm).toFixed(2)})`);
  console.log(`  missing stack reported (warm)       ${ms(missing)}  (ratio ${(missing / warm).toFixed(2)})`);
}
