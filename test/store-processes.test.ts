/**
 * Real processes on one job store: the server through its entry point (`server/main.ts --engine
 * simulated`, MESH_DATABASE_URL set) and the CLI (`cli/mesh.ts up`, on the stand-in Pulumi CLI). On one SQLite
 * file the CLI and the server race on a stack: one runs, the other is refused naming it, and nothing is
 * marked interrupted. On one PostgreSQL two servers race 50 `up`s over HTTP (one runs), and an event
 * stream on one replica follows a job running on the other to `job.finished`, from a Last-Event-ID.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readEvents } from "./fixtures/api";
import { startPostgres } from "./fixtures/postgres";
import { getJob, post, run, startServer, type Server } from "./fixtures/server-process";

const ROOT = join(__dirname, "..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cancel = (url: string, id: string) => fetch(`${url}/v1/jobs/${id}/cancel`, { method: "POST", headers: { "x-requested-by": "test" } });
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const finished = (url: string, id: string) =>
  until(`job ${id} to end`, async () => {
    const j = await getJob(url, id);
    return ["succeeded", "failed", "cancelled", "interrupted"].includes(j.state) ? j : undefined;
  });

/** A Pulumi CLI root whose bin/pulumi is the stand-in (test/fixtures/stand-in-pulumi.ts), for the CLI as a process. */
function pulumiRoot(scenario: string): Record<string, string> {
  const root = mkdtempSync(join(tmpdir(), "mesh-pulumi-"));
  mkdirSync(join(root, "bin"));
  const loader = join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
  const standIn = join(__dirname, "fixtures", "stand-in-pulumi.ts");
  writeFileSync(join(root, "bin", "pulumi"), `#!/bin/sh\nexec '${process.execPath}' --import '${loader}' '${standIn}' "$@"\n`);
  chmodSync(join(root, "bin", "pulumi"), 0o755);
  writeFileSync(join(root, "argv.jsonl"), "");
  return {
    MESH_PULUMI_ROOT: root,
    MESH_PULUMI_VERSION: "3.248.0",
    PULUMI_BACKEND_URL: `file://${root}/state`,
    PULUMI_CONFIG_PASSPHRASE: "correct horse battery",
    STANDIN_LOG: join(root, "argv.jsonl"),
    STANDIN_STATE: root,
    STANDIN_SCENARIO: scenario,
    MESH_USER: "cli-user",
  };
}

describe("the CLI and the server on one SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-race-"));
  const database = `sqlite:${join(dir, "jobs.db")}`;
  let server: Server;
  before(async () => {
    // a step long enough that the server's job outlasts a CLI's start on a busy machine; the tests cancel it
    server = await startServer(database, 5000);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the server runs the stack: the CLI's up is refused (exit 3) naming the server's job, which runs on untouched", async () => {
    const started = await post(server.url, "wuxi");
    assert.equal(started.status, 202);
    const id = started.body.id!;
    const cli = run([join(ROOT, "cli", "mesh.ts"), "up", "wuxi"], { MESH_DATABASE_URL: database, ...pulumiRoot("ok") });
    const code = await cli.exited;
    assert.equal((await getJob(server.url, id)).state, "running", "the server's job outlasts the CLI's try");
    assert.equal(code, 3, cli.output());
    assert.match(
      cli.output(),
      new RegExp(`stack wuxi has an up job running in another process \\(job ${id}\\); wait for it, or cancel it`),
    );
    assert.equal((await cancel(server.url, id)).status, 202);
    assert.equal((await finished(server.url, id)).state, "cancelled");
  });

  it("the CLI runs the stack: the server answers 409 naming the CLI's job; the CLI's Ctrl-C cancels it, not interrupted", async () => {
    const cli = run([join(ROOT, "cli", "mesh.ts"), "up", "wuxi"], { MESH_DATABASE_URL: database, ...pulumiRoot("hang") });
    try {
      // the CLI's job, as the server reads it from the shared file
      const id = await until("the CLI's job", async () => {
        const page = (await (await fetch(`${server.url}/v1/jobs?stack=wuxi&state=running`)).json()) as {
          jobs: { id: string; requestedBy: string }[];
        };
        return page.jobs.find((j) => j.requestedBy === "cli-user")?.id;
      });
      const refused = await Promise.all(Array.from({ length: 5 }, () => post(server.url, "wuxi")));
      for (const r of refused) {
        assert.equal(r.status, 409);
        assert.equal(r.body.runningJob, id);
        assert.match(r.body.detail!, new RegExp(`stack wuxi has an up job running in another process \\(job ${id}\\)`));
      }
      cli.child.kill("SIGINT");
      await cli.exited;
      assert.equal((await finished(server.url, id)).state, "cancelled");
      // the stack is free again, for the server
      const next = await post(server.url, "wuxi");
      assert.equal(next.status, 202, JSON.stringify(next.body));
      assert.equal((await getJob(server.url, next.body.id!)).state, "running");
      await cancel(server.url, next.body.id!);
      assert.equal((await finished(server.url, next.body.id!)).state, "cancelled");
    } finally {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    }
  });
});

describe("two servers on one PostgreSQL", () => {
  let pg: { url: string; stop: () => Promise<void> };
  let a: Server;
  let b: Server;
  before(async () => {
    pg = await startPostgres();
    // a job's 31 steps of 50 ms: still running when the other replica starts to follow it
    [a, b] = await Promise.all([startServer(pg.url, 50), startServer(pg.url, 50)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pg?.stop();
  });

  it("50 ups racing over HTTP on both replicas: exactly one runs, 49 are 409 naming it; the other replica's stream follows it from a Last-Event-ID", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(i % 2 === 0 ? a.url : b.url, "cn-shanghai").then((r) => ({ ...r, on: i % 2 }))),
    );
    const admitted = results.filter((r) => r.status === 202);
    assert.equal(admitted.length, 1, JSON.stringify(results.map((r) => r.status)));
    const id = admitted[0]!.body.id!;
    const refused = results.filter((r) => r.status !== 202);
    assert.deepEqual(
      refused.map((r) => [r.status, r.body.runningJob]),
      Array.from({ length: 49 }, () => [409, id]),
    );
    // the replica that did not admit the job follows it, live, from the database (once the job has a fourth
    // event: the simulated engine runs the program before its first resource event)
    const [runner, viewer] = admitted[0]!.on === 0 ? [a, b] : [b, a];
    await readEvents(runner.url, `/v1/jobs/${id}/events`, "unused", undefined, 4);
    const followed = await readEvents(viewer.url, `/v1/jobs/${id}/events`, "unused", 3);
    assert.equal(followed.at(-1)!.event, "job.finished");
    assert.equal(followed.at(-1)!.data.state, "succeeded");
    const all = await readEvents(runner.url, `/v1/jobs/${id}/events`, "unused");
    assert.deepEqual(
      all.map((e) => e.id),
      all.map((_, i) => i + 1),
    );
    assert.ok(all.length > 20, `${all.length} events`);
    assert.deepEqual(followed, all.slice(3));
    assert.equal((await getJob(viewer.url, id)).state, "succeeded");
  });
});
