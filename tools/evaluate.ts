/**
 * Brings the whole mesh up under Pulumi's mocks (no CLI, cloud or cluster), in the order a real
 * bring-up takes: the trust anchor, then the other stacks with the anchor's outputs, then the
 * anchor again with theirs. Prints what each run creates, its outputs and its warnings. Each run
 * is its own process, since the program registers its resources once per process.
 *
 *   npm run evaluate
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProject, stackConfig } from "../plan/stack-files";
import { PROJECT_DIR, runProgram } from "./mock-run";

type Outputs = Record<string, Record<string, unknown>>;

/** Child: one run of one stack, given every other stack's outputs so far. */
async function evaluateOne(stack: string, inputFile: string, outputFile: string): Promise<void> {
  const known = JSON.parse(readFileSync(inputFile, "utf8")) as Outputs;
  const run = await runProgram({ stack, peerOutputs: known });
  console.log(`  ${run.registrations.length} resources (ids, addresses and credentials are stand-ins from the mocks):`);
  for (const r of run.registrations) console.log(`    ${r.read ? "read  " : "create"}  ${r.type.padEnd(48)} ${r.name}`);
  console.log("  outputs:");
  for (const [k, v] of Object.entries(run.outputs)) {
    if (v !== undefined) console.log(`    ${k}: ${run.secretOutputs.has(k) ? "[secret]" : JSON.stringify(v)}`);
  }
  for (const w of run.warnings) console.log(`  warning: ${w}`);
  writeFileSync(outputFile, JSON.stringify(run.outputs));
}

function bringUp(): void {
  const files = readProject(PROJECT_DIR);
  const stacks = Object.keys(files.stacks);
  const anchors = stacks.filter((s) => (stackConfig(files, s)["mesh:trust"] as { anchor?: boolean } | undefined)?.anchor === true);
  const order = [...anchors, ...stacks.filter((s) => !anchors.includes(s)), ...anchors];
  const dir = mkdtempSync(join(tmpdir(), "mesh-evaluate-"));
  // every stack exists (pulumi stack init) but has exported nothing yet
  const fq = (s: string) => `organization/${files.project}/${s}`;
  const outputs: Outputs = Object.fromEntries(stacks.map((s) => [fq(s), {}]));
  let failed = false;
  order.forEach((stack, step) => {
    console.log(`\n== ${step + 1}/${order.length}: pulumi up -s ${stack}`);
    const input = join(dir, `in-${step}.json`);
    const output = join(dir, `out-${step}.json`);
    writeFileSync(input, JSON.stringify(outputs));
    try {
      execFileSync(process.execPath, ["--import", "tsx", __filename, stack, input, output], { stdio: "inherit" });
      outputs[fq(stack)] = JSON.parse(readFileSync(output, "utf8")) as Record<string, unknown>;
    } catch {
      failed = true;
    }
  });
  if (failed) process.exitCode = 1;
}

const [stack, input, output] = process.argv.slice(2);
if (stack && input && output) {
  evaluateOne(stack, input, output).catch((e: unknown) => {
    const error = (e as { error?: unknown }).error ?? e;
    console.error(`  failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
} else {
  bringUp();
}
