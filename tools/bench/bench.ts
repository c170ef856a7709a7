/**
 * How `mesh plan` and the program scale with clusters and catalog services. Generates synthetic
 * projects (2, 5, 10 clusters × 10, 100, 1000 services), and for each measures, in fresh
 * processes: the plan (read, validate, plan, render as JSON) and one stack's program under mocks
 * (all peers converged). Prints wall time, peak memory and resources per stack.
 *
 *   npm run bench                 the full matrix
 *   npm run bench -- 10 1000      one cell
 *   npm run bench -- report       how soon a config mistake is reported, against a successful run
 *   npm run bench -- converge     converge of 10 simulated stacks against a sequential bring-up
 *   npm run bench -- api          100 event streams on one job, 20 concurrent POST up on one stack, a replay flood, slow bodies
 *   npm run bench -- verify       mesh verify of 10 clusters × 1000 services against stand-in APIs (20 ms per request)
 *   npm run bench -- store        the job store on SQLite and PostgreSQL: start-up against history, 100 streams, 50 racing ups
 *   npm run bench -- console      the web console in Chromium: gzipped bundle, the mesh page's first load, a 10,000-event job
 *   npm run bench -- replays      300 clients replaying two finished jobs at once: replays/s, /healthz p50/p99, an up, RSS
 *   npm run bench -- --help       the modes; any other argument is refused (exit 2) before anything runs
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { BENCH_USAGE, benchArgs } from "./args";
import { generate, stackName } from "./mesh";

interface Metrics {
  readonly ms: number;
  /** Resident memory once the code is loaded, before the work: node, tsx and the modules. */
  readonly loadedMiB: number;
  readonly peakMiB: number;
  readonly resources?: number;
  readonly remoteSecrets?: number;
}

const peakMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const rssMiB = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

async function child(kind: string, dir: string, clusters: number): Promise<Metrics> {
  if (kind === "plan") {
    // loaded here, so the plan's process holds only what `mesh plan` loads
    const { runPlan } = await import("../../cli/mesh");
    const loadedMiB = rssMiB();
    const t = performance.now();
    let bytes = 0;
    runPlan({ dir, format: "json" }, (s) => (bytes += s.length));
    return { ms: Math.round(performance.now() - t), loadedMiB, peakMiB: peakMiB() };
  }
  const { pem, runProgram } = await import("../engine/mock-run");
  const { remoteKubeconfig } = await import("../../test/fixtures/stacks");
  // c1's program, with every other stack converged
  const root = pem("CERTIFICATE", "c0-root");
  const peerOutputs = Object.fromEntries(
    Array.from({ length: clusters }, (_, j) => j)
      .filter((j) => j !== 1)
      .map((j) => [
        `organization/mesh/${stackName(j)}`,
        {
          clusterName: stackName(j),
          network: `network-${stackName(j)}`,
          meshId: "mesh1",
          trustRoot: root,
          ...(j === 0 ? { trustRootKey: pem("PRIVATE KEY", "c0-root-key") } : {}),
          remoteSecret: remoteKubeconfig(stackName(j), `https://10.${j}.0.10:6443`, "t"),
          peers: [{ stack: "organization/mesh/c1" }],
        },
      ]),
  );
  const loadedMiB = rssMiB();
  const t = performance.now();
  const run = await runProgram({ stack: "c1", projectDir: dir, peerOutputs });
  const ms = Math.round(performance.now() - t);
  if (run.warnings.length > 0) throw new Error(run.warnings.join("\n"));
  return {
    ms,
    loadedMiB,
    peakMiB: peakMiB(),
    resources: run.registrations.length,
    remoteSecrets: run.registrations.filter(
      (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.labels?.["istio/multiCluster"] === "true",
    ).length,
  };
}

function measure(kind: string, dir: string, clusters: number): Metrics {
  const out = execFileSync(process.execPath, ["--import", "tsx", __filename, "--child", kind, dir, String(clusters)], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Metrics;
}

// loaded when their section runs: the measuring children import only what they measure
const benchApi = async () => (await import("./api")).benchApi();
const benchVerify = async (c?: number, s?: number) => (await import("./verify")).benchVerify(c, s);
const benchConverge = async () => (await import("./converge")).benchConverge();
const benchStore = async () => (await import("./store")).benchStore();
const benchConsole = async () => (await import("./console")).benchConsole();
const benchReplays = async () => (await import("./replays")).benchReplays();
const reportLatency = async () => (await import("./report")).reportLatency();

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2));
  if (args.mode === "help") return void process.stdout.write(BENCH_USAGE);
  if (args.mode === "usage") {
    process.stderr.write(`bench: ${args.problem}\n${BENCH_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.mode === "report") return reportLatency();
  if (args.mode === "converge") return benchConverge();
  if (args.mode === "api") return benchApi();
  if (args.mode === "store") return benchStore();
  if (args.mode === "console") return benchConsole();
  if (args.mode === "replays") return benchReplays();
  if (args.mode === "verify") return benchVerify(args.clusters, args.services);
  const cells = args.mode === "cell" ? [[args.clusters, args.services]] : [2, 5, 10].flatMap((n) => [10, 100, 1000].map((m) => [n, m]));
  const rows: string[][] = [];
  for (const [clusters, services] of cells as [number, number][]) {
    const dir = generate(clusters, services);
    const plan = measure("plan", dir, clusters);
    const program = measure("program", dir, clusters);
    rmSync(dir, { recursive: true, force: true });
    const mem = (m: Metrics) => `${m.peakMiB} (${m.loadedMiB})`;
    rows.push([clusters, services, plan.ms, mem(plan), program.ms, mem(program), program.resources, program.remoteSecrets].map(String));
    console.log(
      `clusters=${clusters} services=${services} plan=${plan.ms}ms peak ${mem(plan)} MiB; program(c1)=${program.ms}ms peak ${mem(program)} MiB; resources/stack=${program.resources}; remote secrets/stack=${program.remoteSecrets}`,
    );
  }
  const header = [
    "clusters",
    "services",
    "plan ms",
    "plan peak MiB (loaded)",
    "program ms",
    "program peak MiB (loaded)",
    "resources/stack",
    "remote secrets/stack",
  ];
  console.log(`\n| ${header.join(" | ")} |\n|${header.map(() => "---:").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  if (args.mode === "matrix") {
    await reportLatency();
    await benchConverge();
    await benchApi();
  }
}

if (require.main !== module) {
  // imported: nothing runs
} else if (process.argv[2] === "--child") {
  const [, kind, dir, clusters] = process.argv.slice(2);
  child(kind!, dir!, Number(clusters))
    .then((m) => console.log(JSON.stringify(m)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
