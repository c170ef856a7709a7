/**
 * How soon a configuration mistake reaches the user, against a successful run, both the way the
 * CLI runs the program (`cli-run.ts`). Warm runs (ts-node's cache filled), median of several.
 */
import { runLikeCli, type CliRunOptions } from "./cli-run";

const TYPO: CliRunOptions["override"] = { "mesh:eastWestGateway": { service: { tpye: "NodePort" } } };

async function median(runs: number, opts: CliRunOptions, expectExit: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runLikeCli(opts);
    if (run.exitCode !== expectExit) throw new Error(`${opts.stack}: exit ${run.exitCode}, expected ${expectExit}\n${run.stderr}`);
    times.push(run.ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function reportLatency(runs = 5): Promise<void> {
  const anchor = { "organization/mesh/cn-shanghai": {} };
  // one run to fill ts-node's cache, as any second `pulumi up` finds it
  await runLikeCli({ stack: "wuxi", peerOutputs: anchor });
  const ok = await median(runs, { stack: "wuxi", peerOutputs: anchor }, 0);
  const typo = await median(runs, { stack: "wuxi", peerOutputs: anchor, override: TYPO }, 32);
  // the anchor's stack does not exist: the SDK's own failed read, turned into the program's report
  const missing = await median(runs, { stack: "wuxi", peerOutputs: {} }, 32);
  console.log(`report latency (wuxi, as the CLI runs it, median of ${runs}):`);
  console.log(`  successful run          ${Math.round(ok)} ms`);
  console.log(`  config typo reported    ${Math.round(typo)} ms  (ratio ${(typo / ok).toFixed(2)})`);
  console.log(`  missing stack reported  ${Math.round(missing)} ms  (ratio ${(missing / ok).toFixed(2)})`);
}
