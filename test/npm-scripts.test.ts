/**
 * package.json's scripts as a user runs them. `npm run serve` is one process under npm: SIGTERM to the
 * PID npm started (what a supervisor, a container runtime or `kill` sends) stops the server and closes
 * its port; a script of `sh -c "tsx …"` leaves the server running, since sh dies without passing the
 * signal on.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_DIR } from "../tools/engine/project-dir";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scripts = (JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** Whether something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

/** npm, offline, on a fresh cache of its own: nothing of the user's ~/.npm is read or written. */
function npm(args: readonly string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_cache: mkdtempSync(join(tmpdir(), "mesh-npm-cache-")),
    npm_config_offline: "true",
  };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const r = spawnSync(args[0]!, args.slice(1), { cwd, env, encoding: "utf8", timeout: 120_000 });
  // npm's own warnings about the environment it was given (.ci/run's build-from-source) are not the command's
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, "") };
}

describe("the mesh command from a clone", () => {
  const version = (JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { version: string }).version;

  it("package.json's bin is cli/bin.cjs, an executable node script", () => {
    assert.deepEqual((JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { bin: unknown }).bin, {
      mesh: "cli/bin.cjs",
    });
    assert.match(readFileSync(join(PROJECT_DIR, "cli", "bin.cjs"), "utf8"), /^#!\/usr\/bin\/env node\n/);
    assert.ok(statSync(join(PROJECT_DIR, "cli", "bin.cjs")).mode & 0o111, "executable");
  });

  it("npx mesh runs the project's own bin, from the clone and from a folder inside it, with the command's exit code", () => {
    assert.deepEqual(npm(["npx", "mesh", "--version"], PROJECT_DIR), { code: 0, stdout: `${version}\n`, stderr: "" });
    const plan = npm(["npx", "mesh", "plan", "--dir", "..", "--format", "json"], join(PROJECT_DIR, "docs"));
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal((JSON.parse(plan.stdout) as { schemaVersion: number }).schemaVersion, 1);
    const usage = npm(["npx", "mesh", "plan", "--fail-on", "destroys"], PROJECT_DIR);
    assert.deepEqual(
      [usage.code, usage.stderr],
      [2, "mesh plan: --fail-on applies to --diff only: add --diff <base>, or drop --fail-on\n"],
    );
  });

  it("npm run -s mesh -- runs it too", () => {
    assert.deepEqual(npm(["npm", "run", "-s", "mesh", "--", "--version"], PROJECT_DIR), { code: 0, stdout: `${version}\n`, stderr: "" });
  });
});

describe("npm's scripts", () => {
  it("each script that starts a program is that one process: exec node --import tsx", () => {
    for (const name of ["serve", "mesh", "plan", "evaluate", "bench", "fuzz", "update-docs"])
      assert.match(scripts[name]!, /^exec node --import tsx \S+\.ts\b/, name);
  });

  describe("npm run serve", () => {
    let group: number | undefined;
    // a server left running by a failing run is stopped with its whole process group
    after(() => {
      if (group)
        try {
          process.kill(-group, "SIGKILL");
        } catch {
          // already gone
        }
    });

    it("SIGTERM to the PID npm run serve started stops the server: its port closes, npm exits", async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, MESH_API_INSECURE: "loopback-only", MESH_API_PORT: "0" };
      delete env.NODE_TEST_CONTEXT;
      delete env.NODE_OPTIONS;
      const npm = spawn("npm", ["run", "-s", "serve", "--", "--engine", "simulated"], {
        cwd: PROJECT_DIR,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      group = npm.pid;
      let out = "";
      npm.stdout.on("data", (d: Buffer) => (out += d.toString()));
      npm.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<string>((r) => npm.once("exit", (code, signal) => r(`${code ?? signal}`)));
      const end = Date.now() + 60_000;
      while (!out.includes('"msg":"listening"')) {
        if (Date.now() > end || npm.exitCode !== null) throw new Error(`no listening line: ${out}`);
        await sleep(50);
      }
      const line = out.split("\n").find((l) => l.includes('"msg":"listening"'))!;
      const port = Number(new URL((JSON.parse(line) as { address: string }).address).port);
      assert.ok(await listening(port));

      process.kill(npm.pid!, "SIGTERM");
      // npm ends with the signal its child ended by, or the child's exit code
      assert.match(await exited, /^(0|SIGTERM|143)$/);
      assert.equal(await listening(port), false, "the server's port is closed");
      assert.match(out, /"msg":"SIGTERM: stopping"/);
      group = undefined;
    });
  });
});
