/**
 * Brings the whole mesh up the way `pulumi up` runs the program, without the CLI, a cloud or a
 * cluster: each run starts index.ts through the Node.js language host's entry point
 * (`@pulumi/pulumi/cmd/run`, Pulumi.yaml's runtime options, the CLI's config merge) against the project's stand-in engine,
 * in the order of a real bring-up: the trust anchor, the other stacks with its outputs, the anchor
 * again with theirs. Prints what each run registers, its outputs and what the CLI would show.
 *
 *   npm run evaluate
 */
import { readProject, stackConfig } from "../../plan/stack-files";
import { PROJECT_DIR, runLikeCli } from "./cli-run";

/** The order that converges: anchors, the others, the anchors again (docs/running.md: the bring-up order). */
export function bringUpOrder(stacks: readonly string[], isAnchor: (stack: string) => boolean): string[] {
  const anchors = stacks.filter(isAnchor);
  return [...anchors, ...stacks.filter((s) => !anchors.includes(s)), ...anchors];
}

async function main(): Promise<number> {
  const files = readProject(PROJECT_DIR);
  const stacks = Object.keys(files.stacks);
  const order = bringUpOrder(stacks, (s) => (stackConfig(files, s)["mesh:trust"] as { anchor?: unknown } | undefined)?.anchor === true);
  // every stack exists (pulumi stack init) but has exported nothing yet
  const fq = (s: string) => `organization/${files.project}/${s}`;
  const outputs: Record<string, Record<string, unknown>> = Object.fromEntries(stacks.map((s) => [fq(s), {}]));
  let failed = 0;
  for (const [step, stack] of order.entries()) {
    console.log(`\n== ${step + 1}/${order.length}: pulumi up -s ${stack}`);
    const run = await runLikeCli({ stack, peerOutputs: outputs });
    const created = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
    console.log(`  ${created.length} resources (ids, addresses and credentials are stand-ins):`);
    for (const r of created) console.log(`    ${r.read ? "read  " : "create"}  ${r.type.padEnd(48)} ${r.name}`);
    console.log("  outputs:");
    for (const [k, v] of Object.entries(run.outputs)) console.log(`    ${k}: ${run.secretOutputs.has(k) ? "[secret]" : JSON.stringify(v)}`);
    // what the CLI prints without -v: everything but debug
    for (const d of run.diagnostics) if (d.severity !== "debug") console.log(`  ${d.severity}: ${d.message.trimEnd()}`);
    console.log(`  program exited ${run.exitCode} after ${(run.ms / 1000).toFixed(1)} s`);
    if (run.exitCode === 0) outputs[fq(stack)] = { ...run.outputs };
    else failed++;
  }
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(`evaluate: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
