/**
 * The benchmark's command line, checked before anything runs: a mistyped mode must not start the
 * full matrix, which takes many minutes.
 */
export type BenchMode =
  | { readonly mode: "matrix" }
  | { readonly mode: "cell"; readonly clusters: number; readonly services: number }
  | { readonly mode: "report" | "converge" | "api" | "store" | "replays" | "console" }
  | { readonly mode: "verify"; readonly clusters?: number; readonly services?: number }
  | { readonly mode: "help" }
  | { readonly mode: "usage"; readonly problem: string };

export const BENCH_USAGE = `usage: npm run bench [-- <mode>]
  (none)                          the full matrix: 2, 5 and 10 clusters × 10, 100 and 1000 services, then report, converge and api (many minutes)
  <clusters> <services>           one cell of the matrix, e.g. 10 1000
  report                          how soon a config mistake is reported, against a successful run
  converge                        converge of 10 simulated stacks against a sequential bring-up
  api                             100 event streams on one job, 20 concurrent POST up on one stack, a replay flood, slow bodies
  store                           the job store on SQLite and PostgreSQL: start-up against history, 100 streams, 50 racing ups
  replays                         300 clients replaying two finished jobs of 7,500 events at once: replays/s, /healthz p50/p99, an up, RSS
  verify [<clusters> <services>]  mesh verify of 10 clusters × 1000 services (or the given sizes) against stand-in APIs
  console                         the web console in Chromium: its gzipped bundle, the mesh page's first load, a 10,000-event job
`;

const SIMPLE = ["report", "converge", "api", "store", "replays", "console"] as const;

/** `clusters` and `services` as whole numbers (at least 2 clusters: the program measured is c1's), or why not. */
function sizes(args: readonly string[], what: string): { clusters: number; services: number } | string {
  if (args.length !== 2)
    return `${what} takes <clusters> <services>, e.g. 10 1000; got ${args.length === 1 ? "one number" : `${args.length} arguments`}`;
  const [c, s] = args as [string, string];
  if (!/^\d{1,4}$/.test(c) || Number(c) < 2) return `${c} is not a number of clusters: write a whole number from 2 to 9999`;
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1) return `${s} is not a number of services: write a whole number from 1 to 99999`;
  return { clusters: Number(c), services: Number(s) };
}

export function benchArgs(argv: readonly string[]): BenchMode {
  if (argv.length === 0) return { mode: "matrix" };
  const [first, ...rest] = argv as [string, ...string[]];
  if (argv.includes("--help") || argv.includes("-h")) return { mode: "help" };
  if ((SIMPLE as readonly string[]).includes(first)) {
    if (rest.length > 0) return { mode: "usage", problem: `${first} takes no arguments, got ${rest.join(" ")}` };
    return { mode: first as (typeof SIMPLE)[number] };
  }
  if (first === "verify") {
    if (rest.length === 0) return { mode: "verify" };
    const v = sizes(rest, "verify");
    return typeof v === "string" ? { mode: "usage", problem: v } : { mode: "verify", ...v };
  }
  if (/^\d+$/.test(first)) {
    const cell = sizes(argv, "a cell");
    return typeof cell === "string" ? { mode: "usage", problem: cell } : { mode: "cell", ...cell };
  }
  return {
    mode: "usage",
    problem: `${first} is not a mode (report, converge, api, store, replays, verify, console) nor a number of clusters`,
  };
}
