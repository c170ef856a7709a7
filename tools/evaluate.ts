/**
 * Evaluates every stack of this project under Pulumi's mocks (no CLI, cloud or cluster) and
 * prints what each would create and export. Each stack runs in its own process: the program
 * module registers its resources once per process.
 *
 *   npm run evaluate              every Pulumi.<stack>.yaml here
 *   npm run evaluate -- wuxi      one stack
 */
import { execFileSync } from "node:child_process";
import { readProject } from "../plan/stack-files";
import { PROJECT_DIR, runProgram } from "./mock-run";

async function evaluateOne(stack: string): Promise<void> {
  const run = await runProgram({ stack });
  console.log(
    `\n== stack ${stack}: ${run.registrations.length} resources (ids, addresses and credentials below are stand-ins from the mocks)`,
  );
  for (const r of run.registrations) {
    console.log(`  ${r.read ? "read  " : "create"}  ${r.type.padEnd(48)} ${r.name}`);
  }
  console.log("  outputs:");
  for (const [k, v] of Object.entries(run.outputs)) {
    if (v === undefined) continue;
    console.log(`    ${k}: ${run.secretOutputs.has(k) ? "[secret]" : JSON.stringify(v)}`);
  }
}

const [stack] = process.argv.slice(2);
if (stack) {
  evaluateOne(stack).catch((e: unknown) => {
    const error = (e as { error?: unknown }).error ?? e;
    console.error(`stack ${stack}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
} else {
  let failed = false;
  for (const s of Object.keys(readProject(PROJECT_DIR).stacks)) {
    try {
      execFileSync(process.execPath, ["--import", "tsx", __filename, s], { stdio: "inherit" });
    } catch {
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}
