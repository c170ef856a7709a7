/**
 * Replays under load: the server as a process (`server/main.ts --engine simulated` on a SQLite file that
 * holds two finished jobs of about 7,500 events each), 300 clients replaying them from the start at once
 * (150 on each, in another process, each checking that it received every event in order), and meanwhile
 * `GET /healthz` every 10 ms and one `POST up` from this process. Prints replays per second, events per
 * second, /healthz p50/p99/max during the replays, how soon the up was admitted, and the server's RSS.
 *
 *   npm run bench -- replays
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Jobs } from "../../automation/jobs";
import { MemoryEngine } from "../../automation/memory-engine";
import { openSqlite } from "../../automation/store/sqlite";

const ROOT = join(__dirname, "..", "..");
const CLIENTS = 300;
/** Resources per simulated up: three events each, about 7,500 events a job. */
const RESOURCES = 2490;
/** Callers the clients are spread over (each may hold 50 streams). */
const CALLERS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const token = (i: number) => `bench-replay-token-${i}-0123456789`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** Two finished jobs written by the simulated engine into `file`; their ids and event counts. */
async function seed(file: string): Promise<{ id: string; events: number }[]> {
  const jobs = new Jobs({
    engine: new MemoryEngine({
      stacks: [
        { name: "cn-shanghai", anchor: true, peers: [] },
        { name: "wuxi", peers: [] },
      ],
      baseResources: RESOURCES,
    }),
    store: openSqlite(file),
  });
  const out: { id: string; events: number }[] = [];
  for (const stack of ["cn-shanghai", "wuxi"]) {
    const r = await jobs.submit({ stack, kind: "up", requestedBy: "bench" });
    await jobs.wait(r.id);
    out.push({ id: r.id, events: (await jobs.events(r.id, 0, 100_000)).length });
  }
  await jobs.close();
  return out;
}

function startServer(file: string): Promise<{ child: ChildProcess; url: string }> {
  const tokens = [
    ...Array.from({ length: CALLERS }, (_, i) => ({ name: `viewer-${i}`, role: "viewer", sha256: sha(token(i)) })),
    { name: "operator", role: "operator", sha256: sha(token(CALLERS)) },
  ];
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "server", "main.ts"), "--engine", "simulated", "--step-ms", "10"], {
    cwd: ROOT,
    env: { ...process.env, MESH_API_PORT: "0", MESH_DATABASE_URL: `sqlite:${file}`, MESH_API_TOKENS: JSON.stringify(tokens) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"msg":"listening"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { address: string }).address });
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
}

/** One GET or POST; the time to its answer, ms, and the status. */
function timed(url: string, method: string, path: string, auth?: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: auth ? { authorization: `Bearer ${auth}` } : {}, agent: false }, (res) => {
      res.resume();
      res.once("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0 }));
    });
    req.once("error", reject);
    req.end();
  });
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};
/** CPU time the process has used, user and system, s. */
const cpuS = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

export async function benchReplays(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-bench-replays-"));
  const file = join(dir, "jobs.db");
  let server: ChildProcess | undefined;
  try {
    const jobs = await seed(file);
    const started = await startServer(file);
    server = started.child;
    const { url } = started;
    const pid = server.pid!;
    // a server that has been up a while: its routes have answered once
    for (const path of ["/healthz", "/v1/jobs", `/v1/jobs/${jobs[0]!.id}`]) await timed(url, "GET", path, token(0));
    // the same probes with nothing else to do first: what the machine itself gives (it is shared)
    const idle: number[] = [];
    for (const end = performance.now() + 3000; performance.now() < end; await sleep(10))
      idle.push((await timed(url, "GET", "/healthz")).ms);
    idle.sort((a, b) => a - b);
    const rssBefore = rssMiB(pid);
    const cpuBefore = cpuS(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 100);
    // the clients: another process, so that their parsing does not delay this one's probes
    const clients = spawn(process.execPath, ["--import", "tsx", __filename, "--clients", url, JSON.stringify(jobs)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let report = "";
    clients.stdout.on("data", (d: Buffer) => (report += d.toString()));
    const finished = new Promise<void>((r) => clients.once("exit", () => r()));
    let done = false;
    void finished.then(() => (done = true));
    while (!report.includes("started")) await sleep(5);
    const probes: number[] = [];
    const probe = (async () => {
      while (!done) {
        probes.push((await timed(url, "GET", "/healthz")).ms);
        await sleep(10);
      }
    })();
    await sleep(1000);
    const up = await timed(url, "POST", "/v1/stacks/wuxi/up", token(CALLERS));
    await probe;
    clearInterval(sampler);
    const cpu = cpuS(pid) - cpuBefore;
    const result = JSON.parse(report.trim().split("\n").at(-1)!) as {
      ms: number;
      complete: number;
      inOrder: boolean;
      events: number;
      refused: Record<string, number>;
    };
    const refused = Object.entries(result.refused).map(([status, n]) => `${n} × ${status}`);
    probes.sort((a, b) => a - b);
    const s = result.ms / 1000;
    const total = jobs.reduce((a, j) => a + j.events, 0);
    console.log(
      `replays: ${CLIENTS} clients replaying two finished jobs (${jobs.map((j) => j.events).join(" and ")} events) from the start, at once, on SQLite:`,
    );
    console.log(
      `  replays      ${result.complete} of ${CLIENTS} complete${refused.length > 0 ? ` (refused: ${refused.join(", ")})` : ""}, every event in order: ${result.inOrder}; ${result.events} events in ${s.toFixed(1)} s: ${(CLIENTS / s).toFixed(1)} replays/s, ${Math.round(result.events / s)} events/s (${total} per pair of jobs)`,
    );
    console.log(
      `  /healthz     ${probes.length} probes during the replays: p50 ${pct(probes, 50).toFixed(1)} ms, p99 ${pct(probes, 99).toFixed(1)} ms, max ${probes.at(-1)!.toFixed(1)} ms`,
    );
    console.log(
      `  /healthz     idle before, ${idle.length} probes: p50 ${pct(idle, 50).toFixed(1)} ms, p99 ${pct(idle, 99).toFixed(1)} ms, max ${idle.at(-1)!.toFixed(1)} ms`,
    );
    console.log(`  POST up      ${up.status} in ${up.ms.toFixed(0)} ms, 1 s into the replays`);
    console.log(
      `  server       ${cpu.toFixed(1)} s of CPU during the replays; memory (RSS) ${rssBefore} MiB before, ${rssPeak} MiB at peak`,
    );
  } finally {
    server?.kill("SIGTERM");
    if (server) await new Promise((r) => server!.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The clients' process: every replay at once, each checking its ids run 1, 2, 3, … to job.finished. */
async function clients(url: string, jobs: { id: string; events: number }[]): Promise<void> {
  const t0 = performance.now();
  let complete = 0;
  let inOrder = true;
  let events = 0;
  const refused: Record<number, number> = {};
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const job = jobs[i % jobs.length]!;
      const req = request(
        `${url}/v1/jobs/${job.id}/events`,
        { headers: { authorization: `Bearer ${token(i % CALLERS)}`, "last-event-id": "0" }, agent: false },
        (res) => {
          if (res.statusCode !== 200) {
            refused[res.statusCode ?? 0] = (refused[res.statusCode ?? 0] ?? 0) + 1;
            res.resume();
            return resolve();
          }
          let next = 1;
          let tail = "";
          let ended = false;
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            const text = tail + chunk;
            let from = 0;
            for (let end = text.indexOf("\n\n", from); end >= 0; end = text.indexOf("\n\n", from)) {
              if (text.startsWith("id: ", from)) {
                const id = Number(text.slice(from + 4, text.indexOf("\n", from)));
                if (id !== next) inOrder = false;
                next = id + 1;
                events++;
                if (text.startsWith("event: job.finished", text.indexOf("\n", from) + 1)) ended = true;
              }
              from = end + 2;
            }
            tail = text.slice(from);
          });
          res.once("end", () => {
            if (ended && next - 1 === job.events) complete++;
            resolve();
          });
        },
      );
      req.once("error", reject);
      req.end();
    });
  const all = Promise.all(Array.from({ length: CLIENTS }, (_, i) => one(i)));
  process.stdout.write("started\n");
  await all;
  process.stdout.write(`${JSON.stringify({ ms: Math.round(performance.now() - t0), complete, inOrder, events, refused })}\n`);
}

if (require.main === module && process.argv[2] === "--clients")
  clients(process.argv[3]!, JSON.parse(process.argv[4]!) as { id: string; events: number }[]).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
