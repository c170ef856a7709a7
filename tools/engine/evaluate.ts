/**
 * Brings the whole mesh up the way `pulumi up` runs the program, without the CLI, a cloud or a
 * cluster: each run starts index.ts through the Node.js language host's entry point
 * (`@pulumi/pulumi/cmd/run`, Pulumi.yaml's runtime options, the CLI's config merge) against the
 * loopback engine (automation/simulated/), in converge's order (automation/converge.ts): the trust
 * anchor, then every other stack with its outputs, then every stack whose peers' outputs changed since
 * it ran, until nothing changes. Prints what each run registers, its outputs and what the CLI would
 * show; exits 1 if a run fails, converge does not settle, or a link to a peer is still pending at the end.
 *
 *   npm run evaluate                 this project's stack files
 *   npm run evaluate -- <folder>     another project's Pulumi.yaml and stack files, with this program
 */
import { resolve } from "node:path";
import { converge, type ConvergeStack } from "../../automation/converge";
import type { StackEngine } from "../../automation/engine";
import { Jobs } from "../../automation/jobs";
import { PROJECT_DIR, type CliRun } from "../../automation/simulated/language-host";
import { ProgramEngine } from "../../automation/simulated/program-engine";
import { meshTopology } from "../../plan/plan";
import { readProject, stackConfig } from "../../plan/stack-files";

/** Every stack file's stack: its anchor flag from its config, its peers as the plan resolves them (none for a stack with errors, whose run reports them). */
export function evaluateStacks(projectDir: string): ConvergeStack[] {
  const files = readProject(projectDir);
  const valid = new Map(meshTopology(files).stacks.map((s) => [s.name, s]));
  return Object.keys(files.stacks).map((name) => ({
    name,
    anchor: (stackConfig(files, name)["mesh:trust"] as { anchor?: unknown } | undefined)?.anchor === true,
    peers: valid.get(name)?.peers ?? [],
  }));
}

function printRun(out: (line: string) => void, n: number, stack: string, run: CliRun): void {
  out(`\n== run ${n}: pulumi up -s ${stack}`);
  const created = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
  out(`  ${created.length} resources (ids, addresses and credentials are stand-ins):`);
  for (const r of created) out(`    ${r.read ? "read  " : "create"}  ${r.type.padEnd(48)} ${r.name}`);
  out("  outputs:");
  for (const [k, v] of Object.entries(run.outputs)) out(`    ${k}: ${run.secretOutputs.has(k) ? "[secret]" : JSON.stringify(v)}`);
  // what the CLI prints without -v: everything but debug
  for (const d of run.diagnostics) if (d.severity !== "debug") out(`  ${d.severity}: ${d.message.trimEnd()}`);
  out(`  program exited ${run.exitCode} after ${(run.ms / 1000).toFixed(1)} s`);
}

/** Links still pending once converge has settled, as `<stack> → <peer>` lines. */
export async function pendingLinks(engine: Pick<StackEngine, "outputs">, stacks: readonly ConvergeStack[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of stacks) {
    const peers = (await engine.outputs(s.name)).peers?.value;
    for (const p of Array.isArray(peers) ? (peers as { stack?: string; status?: string; next?: string }[]) : [])
      if (p.status !== "linked") out.push(`${s.name} → ${p.stack ?? "?"}: ${p.status ?? "no status"}${p.next ? ` (next: ${p.next})` : ""}`);
  }
  return out;
}

/** The bring-up of the project in `projectDir` with this repository's program; the exit code. */
export async function evaluate(projectDir: string, out: (line: string) => void = console.log): Promise<number> {
  const stacks = evaluateStacks(projectDir);
  let runs = 0;
  let failedRuns = 0;
  const engine = new ProgramEngine({
    projectDir,
    programDir: PROJECT_DIR,
    onRun: (stack, _kind, run) => {
      printRun(out, ++runs, stack, run);
      if (run.exitCode !== 0) failedRuns++;
    },
  });
  const jobs = new Jobs({ engine });
  try {
    const result = await converge({
      stacks,
      jobs,
      engine,
      requestedBy: "evaluate",
      onRound: (r) => out(`\n-- round ${r.round} (${r.why}): ${r.jobs.map((j) => `${j.stack} ${j.state}`).join(", ")}`),
    });
    out(`\nconverge: ${result.message}`);
    if (result.state !== "settled" || failedRuns > 0) return 1;
    const pending = await pendingLinks(engine, stacks);
    if (pending.length > 0) {
      out(`\n${pending.length} link${pending.length === 1 ? " is" : "s are"} still pending after converge settled:`);
      for (const p of pending) out(`  ${p}`);
      out(
        "a peer's outputs never reached the stack that reads it: check that every peer lists the other back and that its stack file is valid (mesh plan)",
      );
      return 1;
    }
    out(`every link of ${stacks.length} stack${stacks.length === 1 ? "" : "s"} is established`);
    return 0;
  } finally {
    await jobs.close();
  }
}

if (require.main === module) {
  evaluate(resolve(process.argv[2] ?? PROJECT_DIR)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(`evaluate: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
