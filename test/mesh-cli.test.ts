/**
 * The `mesh` commands over the core, with the simulated engine standing in for the Pulumi CLI: JSON
 * lines and plain lines, exit codes, secrets hidden, destroy's confirmation, converge of the
 * repository's own stacks, and the job store read back by `jobs`.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../cli";
import type { CommandDeps } from "../automation/commands";
import type { StackEngine } from "../automation/engine";
import { MemoryEngine } from "../automation/memory-engine";
import { configInvalid, type MeshEvent } from "../automation/types";
import { PROJECT_DIR } from "../tools/mock-run";

const repoStacks = () => [
  { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
  { name: "wuxi", peers: ["cn-shanghai"] },
];

function harness(engine: StackEngine = new MemoryEngine({ stacks: repoStacks() })) {
  let printed = "";
  const database = `sqlite:${join(mkdtempSync(join(tmpdir(), "mesh-cli-")), "jobs.db")}`;
  const deps = (dir: string): CommandDeps => ({
    projectDir: dir,
    engine: () => engine,
    database,
    out: { write: (s: string) => (printed += s) },
    requestedBy: "tester",
  });
  return {
    run: async (...argv: string[]) => {
      printed = "";
      const code = await cli([...argv, "--dir", PROJECT_DIR], deps);
      return { code, printed };
    },
    engine,
  };
}

describe("mesh up / preview", () => {
  it("prints one JSON event per line with --json, ending with the job's state", async () => {
    const h = harness();
    const { code, printed } = await h.run("up", "cn-shanghai", "--json");
    assert.equal(code, 0);
    const events = printed
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as MeshEvent);
    assert.deepEqual(events[0]!.type, "job.queued");
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: "job.finished", state: "succeeded" });
    assert.ok(events.some((e) => e.type === "mesh.peerPending"));
    assert.ok(events.every((e, i) => e.seq === i + 1 && e.stack === "cn-shanghai"));
  });

  it("prints plain lines off a terminal", async () => {
    const h = harness();
    const { code, printed } = await h.run("preview", "wuxi");
    assert.equal(code, 0);
    assert.match(printed, /^wuxi: job \S+ started\n/);
    assert.match(
      printed,
      /wuxi: link to organization\/mesh\/cn-shanghai pending: pulumi up -s cn-shanghai, then pulumi up -s wuxi again\n/,
    );
    assert.match(printed, /wuxi: 20 create in \d+ s\nwuxi: succeeded\n$/);
  });

  it("exits 3 when another process holds the stack's lock", async () => {
    const engine = new MemoryEngine({ stacks: repoStacks() });
    engine.lockByOtherProcess("wuxi");
    const { code, printed } = await harness(engine).run("up", "wuxi");
    assert.equal(code, 3);
    assert.match(printed, /wuxi: failed: stack wuxi is locked by another process/);
  });

  it("exits 4 with the program's own report when the configuration is invalid", async () => {
    const report =
      "1 configuration problem; nothing was deployed:\n  - mesh:cluster.name: cluster name is not a DNS-1123 label\n    fix: use lower-case letters";
    const engine: StackEngine = {
      run: () => Promise.reject(configInvalid(report)),
      outputs: () => Promise.resolve({}),
      history: () => Promise.resolve([]),
      cancel: () => Promise.resolve(),
    };
    const { code, printed } = await harness(engine).run("up", "wuxi");
    assert.equal(code, 4);
    assert.ok(printed.endsWith(`wuxi: failed: the stack's configuration is invalid; nothing was deployed\n${report}\n`), printed);
  });
});

describe("mesh destroy", () => {
  it("does nothing unless the stack's name is typed again", async () => {
    const h = harness();
    const { code, printed } = await h.run("destroy", "wuxi", "--confirm", "cn-shanghai");
    assert.equal(code, 2);
    assert.equal(printed, "");
    assert.deepEqual((h.engine as MemoryEngine).calls, []);
  });
  it("destroys when confirmed", async () => {
    const h = harness();
    await h.run("up", "wuxi");
    const { code } = await h.run("destroy", "wuxi", "--confirm", "wuxi");
    assert.equal(code, 0);
    assert.deepEqual((h.engine as MemoryEngine).calls.at(-1), { stack: "wuxi", kind: "destroy" });
  });
});

describe("mesh converge, outputs, status, jobs", () => {
  it("converges the repository's stacks (anchor, wuxi, anchor again), then lists the jobs and shows both linked", async () => {
    const h = harness();
    const first = await h.run("converge");
    assert.equal(first.code, 0, first.printed);
    assert.match(first.printed, /round 1 \(the trust anchor makes the mesh root\): cn-shanghai succeeded \(23 create\)\n/);
    assert.match(first.printed, /round 2 \(every other stack, with the anchor's root\): wuxi succeeded \(24 create\)\n/);
    assert.match(
      first.printed,
      /round 3 \(stacks whose peers' outputs changed since they ran\): cn-shanghai succeeded \(1 create, 23 same\)\n/,
    );
    assert.match(first.printed, /settled after 3 rounds/);
    const status = await h.run("status");
    assert.equal(
      status.printed.replace(/\(\S+\)/g, "(id)"),
      "cn-shanghai (trust anchor): last up succeeded (id); links: wuxi linked\nwuxi: last up succeeded (id); links: cn-shanghai linked\n",
    );
    const jobs = await h.run("jobs", "--json");
    assert.deepEqual(
      (JSON.parse(jobs.printed) as { stack: string; requestedBy: string }[]).map((j) => [j.stack, j.requestedBy]),
      [
        ["cn-shanghai", "converge (tester)"],
        ["wuxi", "converge (tester)"],
        ["cn-shanghai", "converge (tester)"],
      ],
    );
  });

  it("hides secret outputs unless --show-secrets", async () => {
    const h = harness();
    await h.run("up", "cn-shanghai");
    const hidden = await h.run("outputs", "cn-shanghai", "--json");
    assert.equal((JSON.parse(hidden.printed) as Record<string, unknown>).remoteSecret, "[secret]");
    assert.equal((JSON.parse(hidden.printed) as Record<string, unknown>).trustRootKey, "[secret]");
    const shown = await h.run("outputs", "cn-shanghai", "--json", "--show-secrets");
    assert.equal((JSON.parse(shown.printed) as Record<string, unknown>).remoteSecret, "kubeconfig of cn-shanghai");
  });
});
