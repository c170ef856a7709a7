/**
 * package.json's scripts as a user runs them. `npm run serve` is one process under npm: SIGTERM to the
 * PID npm started (what a supervisor, a container runtime or `kill` sends) stops the server and closes
 * its port; a script of `sh -c "tsx …"` leaves the server running, since sh dies without passing the
 * signal on.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_DIR } from "../tools/engine/mock-run";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scripts = (JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** Whether something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
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
