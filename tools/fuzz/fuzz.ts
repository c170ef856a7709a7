/**
 * A seeded, deterministic fuzzer over the `mesh:` config schema. It mutates valid stack configs the
 * way careless or hostile users do (mutations.ts) and checks what the model does with each: reject
 * it with one ConfigError (every path under `mesh:` or `alicloud:`, a fix for each, no secret echoed),
 * or accept it only if everything derived from it is valid (invariants.ts) and no secret reaches a
 * plain value. Pure: no Pulumi, no I/O.
 *
 *   npm run fuzz [-- <seed> [<cases>]]     anything else is a usage error (exit 2)
 */
import { ConfigError } from "../../model/errors";
import { validateConfig } from "../../model/validate";
import { acceptedProblems, depthOf, pkiProblems, type Violation } from "./invariants";
import { ack, BENIGN, onPrem, pick, randomDamage, rng, SECRETS, TARGETED } from "./mutations";

export { rng, type Rng } from "./mutations";
export type { Violation } from "./invariants";

export interface FuzzResult {
  readonly cases: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly violations: readonly Violation[];
  readonly slowestMs: number;
}

/** `cases` mutated configs from `seed`; each is checked against the invariants above. */
export function fuzz(seed: number, cases: number, perCaseMs = 1000): FuzzResult {
  const r = rng(seed);
  const violations: Violation[] = [];
  let accepted = 0;
  let slowestMs = 0;
  for (let i = 0; i < cases; i++) {
    const mesh = r() < 0.5 ? onPrem() : ack();
    const dice = r();
    const mutation = dice < 0.6 ? pick(r, TARGETED) : undefined;
    const cls = mutation?.cls ?? (dice < 0.85 ? "benign" : "generic");
    if (mutation) mutation.apply(mesh, r);
    else if (cls === "benign") for (let j = 0; j < 1 + Math.floor(r() * 3); j++) pick(r, BENIGN)(mesh, r);
    else for (let j = 0; j < 1 + Math.floor(r() * 2); j++) randomDamage(mesh, r);
    const region = mesh.cluster?.ack ? "cn-shanghai" : undefined;
    const stack = { organization: "organization", project: "mesh", stack: mesh.cluster?.ack ? "cn-shanghai" : "wuxi" };
    const bad = (detail: string) => violations.push({ cls, seed, index: i, detail });
    const t = performance.now();
    try {
      // credentials stored as secrets, as docs/configuration.md says
      const m = validateConfig({ stack, mesh, alicloudRegion: region, secretKeys: ["cluster", "trust"] });
      accepted++;
      for (const p of acceptedProblems(m)) bad(p);
      if (depthOf(m.istio.values, 64) > 64) bad("values nested deeper than 64 levels were accepted");
      for (const p of pkiProblems(mesh.trust?.pki)) bad(p);
    } catch (e) {
      if (!(e instanceof ConfigError)) bad(`threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : String(e)}`);
      else {
        if (e.issues.length === 0) bad("a ConfigError with no issue");
        for (const issue of e.issues) {
          if (!/^(mesh|alicloud):/.test(issue.path)) bad(`issue path ${issue.path} is not a config path`);
          if (!issue.fix) bad(`issue at ${issue.path} has no fix`);
        }
        for (const s of SECRETS) if (e.message.includes(s)) bad("the error echoes a planted secret");
      }
    }
    const ms = performance.now() - t;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > perCaseMs) bad(`took ${Math.round(ms)} ms`);
  }
  return { cases, accepted, rejected: cases - accepted, violations, slowestMs };
}

export const FUZZ_USAGE = "usage: npm run fuzz [-- <seed> [<cases>]]   seeds 1, 2 and 3 and 150 cases each when left out; whole numbers\n";

/** The seeds and case count from the command line, or what is wrong with it. */
export function fuzzArgs(argv: readonly string[]): { seeds: number[]; cases: number } | { help: true } | { problem: string } {
  if (argv.includes("--help") || argv.includes("-h")) return { help: true };
  if (argv.length > 2) return { problem: `at most two arguments, got ${argv.length}: ${argv.join(" ")}` };
  const [seedArg, casesArg] = argv;
  if (seedArg !== undefined && !/^\d{1,9}$/.test(seedArg)) return { problem: `${seedArg} is not a seed: write a whole number, e.g. 7` };
  if (casesArg !== undefined && (!/^\d{1,7}$/.test(casesArg) || Number(casesArg) === 0))
    return { problem: `${casesArg} is not a number of cases: write a whole number from 1, e.g. 150` };
  return { seeds: seedArg ? [Number(seedArg)] : [1, 2, 3], cases: Number(casesArg ?? 150) };
}

if (require.main === module) {
  const args = fuzzArgs(process.argv.slice(2));
  if ("help" in args) process.stdout.write(FUZZ_USAGE);
  else if ("problem" in args) {
    process.stderr.write(`fuzz: ${args.problem}\n${FUZZ_USAGE}`);
    process.exitCode = 2;
  } else main(args.seeds, args.cases);
}

function main(seeds: readonly number[], cases: number): void {
  let total = 0;
  const byClass = new Map<string, number>();
  const byDetail = new Map<string, number>();
  for (const seed of seeds) {
    const res = fuzz(seed, cases);
    total += res.cases;
    console.log(
      `seed ${seed}: ${res.cases} cases, ${res.accepted} accepted, ${res.rejected} rejected, ${res.violations.length} violations, slowest ${Math.round(res.slowestMs)} ms`,
    );
    for (const v of res.violations) {
      byClass.set(v.cls, (byClass.get(v.cls) ?? 0) + 1);
      const d = v.detail.replace(/[a]{10,}/g, "a…").replace(/\d+/g, "N");
      byDetail.set(`${v.cls}: ${d}`, (byDetail.get(`${v.cls}: ${d}`) ?? 0) + 1);
    }
  }
  console.log(`\n${total} cases; violations by class: ${[...byClass].map(([c, n]) => `${c} ${n}`).join(", ") || "none"}`);
  for (const [d, n] of [...byDetail].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${d}`);
  if (byClass.size > 0) process.exitCode = 1;
}
