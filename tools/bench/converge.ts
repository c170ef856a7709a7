/**
 * Converge against a sequential bring-up, on a simulated mesh of 10 stacks (every stack a peer of every
 * other; each resource operation takes a few milliseconds): rounds, runs and wall time of each.
 */
import { converge } from "../../automation/converge";
import { Jobs } from "../../automation/jobs";
import { MemoryEngine, type SimulatedStack } from "../../automation/memory-engine";

const mesh = (n: number): SimulatedStack[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `c${i}`,
    anchor: i === 0,
    peers: Array.from({ length: n }, (_, j) => `c${j}`).filter((p) => p !== `c${i}`),
  }));

async function allLinked(engine: MemoryEngine, n: number): Promise<boolean> {
  for (let i = 0; i < n; i++) {
    const peers = (await engine.outputs(`c${i}`)).peers?.value as { status: string }[] | undefined;
    if (!peers?.every((p) => p.status === "linked")) return false;
  }
  return true;
}

export async function benchConverge(n = 10, stepMs = 3, parallel = 4): Promise<void> {
  const stacks = mesh(n);
  const engine = new MemoryEngine({ stacks, stepMs });
  let t = performance.now();
  const r = await converge({
    stacks: stacks.map((s) => ({ name: s.name, anchor: !!s.anchor, peers: s.peers })),
    jobs: new Jobs({ engine, maxRunning: parallel }),
    engine,
    requestedBy: "bench",
  });
  const convergeMs = performance.now() - t;
  const runs = r.rounds.reduce((a, x) => a + x.jobs.length, 0);
  const settled = r.state === "settled" && (await allLinked(engine, n));

  // by hand: the anchor, every other stack, then all but the last again: 2N−1 runs one after another
  const seqEngine = new MemoryEngine({ stacks, stepMs });
  const jobs = new Jobs({ engine: seqEngine, maxRunning: 1 });
  const order = [...stacks.map((s) => s.name), ...stacks.slice(0, -1).map((s) => s.name)];
  t = performance.now();
  for (const stack of order) await jobs.wait((await jobs.submit({ stack, kind: "up", requestedBy: "bench" })).id);
  const sequentialMs = performance.now() - t;
  const seqSettled = await allLinked(seqEngine, n);

  console.log(`converge of ${n} simulated stacks (${stepMs} ms per resource operation, ${parallel} at once):`);
  console.log(`  converge    ${r.rounds.length} rounds, ${runs} runs, ${Math.round(convergeMs)} ms, every link installed: ${settled}`);
  console.log(`  sequential  ${order.length} runs (2N-1), ${Math.round(sequentialMs)} ms, every link installed: ${seqSettled}`);
  console.log(`  converge takes ${(convergeMs / sequentialMs).toFixed(2)} of the sequential wall time`);
}

if (require.main === module) {
  benchConverge().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
