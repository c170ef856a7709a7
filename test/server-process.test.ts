/**
 * The server as a process (`npm run serve -- --engine simulated`, insecure on loopback): it announces
 * its engine, and on SIGTERM with event streams open it cancels the running jobs, ends every stream and
 * exits, well within the grace period. It refuses to run the simulation anywhere but loopback.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readEvents } from "./fixtures/api";
import { getJob, listeningLine, run } from "./fixtures/server-process";

const ROOT = join(__dirname, "..");
const MAIN = join(ROOT, "server", "main.ts");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** main.ts run to its end (a refusal, a failed start), `env` over this process's; one that stayed up is ended after a minute, its status then null. */
const runToEnd = (args: readonly string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });

describe("the server process", () => {
  it("on SIGTERM with watchers: jobs cancelled, every stream ended, exit 0 within the grace period", async () => {
    const p = run([MAIN, "--engine", "simulated", "--step-ms", "100"], { MESH_API_INSECURE: "loopback-only", MESH_API_PORT: "0" });
    const { child, exited } = p;
    try {
      const listening = await listeningLine(p);
      assert.match(listening.engine!, /^simulated: /);
      const url = listening.address!;
      const post = async (stack: string) => {
        const r = await fetch(`${url}/v1/stacks/${stack}/up`, { method: "POST", headers: { "x-requested-by": "test" } });
        assert.equal(r.status, 202);
        assert.equal(r.headers.get("mesh-engine"), "simulated");
        return ((await r.json()) as { id: string }).id;
      };
      const ids = [await post("cn-shanghai"), await post("wuxi")];
      // insecure mode: the fixture's bearer header is ignored
      let open = 0;
      const watchers = ids.flatMap((id) =>
        Array.from({ length: 3 }, () => readEvents(url, `/v1/jobs/${id}/events`, "unused", undefined, undefined, () => open++)),
      );
      // every watcher's stream open, and both jobs running
      const end = Date.now() + 60_000;
      while (open < watchers.length || !(await Promise.all(ids.map((id) => getJob(url, id)))).every((j) => j.state === "running")) {
        if (Date.now() > end) throw new Error(`${open} streams open; ${p.output()}`);
        await sleep(20);
      }
      const t0 = Date.now();
      child.kill("SIGTERM");
      const code = await exited;
      const took = Date.now() - t0;
      assert.equal(code, 0, p.output());
      assert.ok(took < 10_000, `exited ${took} ms after SIGTERM`);
      for (const events of await Promise.all(watchers)) {
        assert.equal(events.at(-1)!.event, "job.finished");
        assert.equal(events.at(-1)!.data.state, "cancelled");
        assert.ok(events.some((e) => e.event === "job.cancelling"));
      }
      const log = p
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        log.filter((l) => l.level).map((l) => l.msg),
        ["SIGTERM: stopping", "shutting down", "jobs stopped"],
      );
      assert.deepEqual(
        (log.find((l) => l.msg === "jobs stopped")!.jobs as { id: string; state: string }[]).map((j) => [j.id, j.state]),
        ids.map((id) => [id, "cancelled"]),
      );
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses the simulated engine on a non-loopback address", () => {
    const r = runToEnd(["--engine", "simulated"], {
      MESH_API_HOST: "0.0.0.0",
      MESH_API_TOKENS: JSON.stringify([{ name: "t", role: "viewer", sha256: "0".repeat(64) }]),
      MESH_API_INSECURE: "",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--engine simulated serves on loopback only, not 0\.0\.0\.0/);
  });

  it("refuses the insecure mode with the real engine: any local process could run up and destroy", () => {
    // a server that started anyway would serve until runToEnd ends it, and the status below fails
    const r = runToEnd([], {
      MESH_API_INSECURE: "loopback-only",
      MESH_API_PORT: "0",
      MESH_API_TOKENS: "",
      MESH_DATABASE_URL: "sqlite::memory:",
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      "mesh api: MESH_API_INSECURE=loopback-only runs only with --engine simulated: the real engine needs authentication, since any process on this machine could otherwise run up and destroy. Set MESH_API_TOKENS (docs/portal-api.md shows how to make one) and unset MESH_API_INSECURE\n",
    );
  });

  it("ends when its job store cannot be opened at start, though the simulated clusters were already serving", () => {
    // a process that stayed up would be ended by runToEnd, and the status below fails
    const r = runToEnd(["--engine", "simulated"], {
      MESH_API_INSECURE: "loopback-only",
      MESH_API_PORT: "0",
      MESH_DATABASE_URL: "postgres://mesh:hunter2@127.0.0.1:1/jobs",
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^mesh api: the job store postgres .* cannot be opened: .*ECONNREFUSED/);
    assert.ok(!r.stderr.includes("hunter2"), r.stderr);
  });

  it("says how browsers sign in when it starts, and never prints a secret", async () => {
    const secret = "session-secret-that-must-not-be-printed-0123456789";
    const p = run([MAIN, "--engine", "simulated"], {
      MESH_API_INSECURE: "",
      MESH_API_PORT: "0",
      MESH_API_TOKENS: JSON.stringify([{ name: "t", role: "viewer", sha256: "0".repeat(64) }]),
      MESH_SESSION_SECRET: secret,
      MESH_CONSOLE_DIR: join(ROOT, "test", "fixtures", "console-dist"),
    });
    const { child, exited } = p;
    try {
      const listening = await listeningLine(p);
      assert.equal(listening.signIn, "token form at loopback; sessions 480 min, idle 30 min");
      const page = await fetch(`${listening.address}/jobs/1`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("cache-control"), "no-cache");
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.ok(!p.output().includes(secret), p.output());
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  for (const [args, stderr] of [
    [["--engine", "bogus"], "mesh api: option '--engine <engine>' argument 'bogus' is invalid. Allowed choices are local, simulated."],
    [["--frob"], "mesh api: unknown option '--frob'"],
  ] as const) {
    it(`a usage error on ${args.join(" ")}: one line, exit 2, no help`, () => {
      const r = runToEnd(args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `${stderr} (npm run serve -- --help lists the options)\n`);
    });
  }
});
