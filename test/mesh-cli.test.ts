/**
 * The `mesh` commands over the core, with the simulated engine standing in for the Pulumi CLI: JSON
 * lines and plain lines, exit codes, secrets hidden, destroy's confirmation, converge of the
 * fixture project's stacks, and the job store read back by `jobs`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../cli/mesh";
import type { CommandDeps } from "../automation/commands";
import type { StackEngine } from "../automation/engine";
import { MemoryEngine } from "../automation/memory-engine";
import { configInvalid, type MeshEvent } from "../automation/types";
import { openSqlite } from "../automation/store/sqlite";
import type { JobRecord } from "../automation/types";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { standIn } from "./fixtures/stand-in-root";

const repoStacks = () => [
  { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
  { name: "wuxi", peers: ["cn-shanghai"] },
];

/** Every job in the store's file; none when no command opened it. */
async function storedJobs(file: string): Promise<JobRecord[]> {
  if (!existsSync(file)) return [];
  const store = openSqlite(file);
  try {
    return (await store.list({ limit: 100 })).jobs;
  } finally {
    await store.close();
  }
}

function harness(engine: StackEngine = new MemoryEngine({ stacks: repoStacks() })) {
  let printed = "";
  let stderr = "";
  let calls = 0;
  const storeFile = join(mkdtempSync(join(tmpdir(), "mesh-cli-")), "jobs.db");
  const database = `sqlite:${storeFile}`;
  const deps = (dir: string): CommandDeps => ({
    projectDir: dir,
    engine: () => {
      calls++;
      return engine;
    },
    database,
    out: { write: (s: string) => (printed += s) },
    requestedBy: "tester",
  });
  return {
    run: async (...argv: string[]) => {
      printed = "";
      stderr = "";
      const io = { out: (s: string) => (printed += s), err: (s: string) => (stderr += s) };
      // the fixture project, for the commands that read one
      const noDir = argv.includes("--dir") || ["pr-comment", "pr-verify", "--version"].includes(argv[0]!);
      const code = await cli(noDir ? argv : [...argv, "--dir", FIXTURE_PROJECT], deps, io);
      return { code, printed, stderr };
    },
    engine,
    storeFile,
    /** How often a command made an engine (it finds the Pulumi CLI). */
    engines: () => calls,
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
      ensureStacks: () => Promise.resolve([]),
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
  it("creates the stacks the backend lacks before round 1 and says which, then settles", async () => {
    const h = harness(new MemoryEngine({ stacks: repoStacks(), missing: ["wuxi"] }));
    const plain = await h.run("converge");
    assert.equal(plain.code, 0, plain.printed);
    assert.match(plain.printed, /^created on the backend, which did not have them: wuxi\nround 1 /m);
    assert.match(plain.printed, /settled after 3 rounds: .*; wuxi did not exist on the backend and was created first\n/);
    const h2 = harness(new MemoryEngine({ stacks: repoStacks(), missing: ["cn-shanghai", "wuxi"] }));
    const json = await h2.run("converge", "--json");
    const lines = json.printed
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; stacks?: string[] });
    assert.deepEqual(
      lines.filter((l) => l.type === "converge.created"),
      [{ type: "converge.created", stacks: ["cn-shanghai", "wuxi"] }],
    );
  });

  it("converges the fixture project's stacks (anchor, wuxi, anchor again), then lists the jobs and shows both linked", async () => {
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
      "cn-shanghai (trust anchor): last job: up succeeded (id); links: wuxi linked\n  istiod default@1.30.3; gateway → default\nwuxi: last job: up succeeded (id); links: cn-shanghai linked\n  istiod default@1.30.3; gateway → default\n",
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

describe("arguments are checked before anything runs", () => {
  it("a stack the project has no file for: usage error, exit 2, no engine and no job", async () => {
    const h = harness();
    const r = await h.run("preview", "nosuch");
    assert.deepEqual(r, {
      code: 2,
      printed: "",
      stderr:
        "error: command-argument value 'nosuch' is invalid for argument 'stack'. nosuch is not a stack of this project (its stacks: cn-shanghai, wuxi); a new cluster starts with a Pulumi.nosuch.yaml.\n",
    });
    for (const argv of [
      ["up", "nosuch"],
      ["destroy", "nosuch", "--confirm", "nosuch"],
      ["outputs", "nosuch"],
    ]) {
      assert.equal((await h.run(...argv)).code, 2, argv.join(" "));
    }
    assert.equal(h.engines(), 0);
    assert.deepEqual(await storedJobs(h.storeFile), []);
  });

  it("a folder that is not the project: usage error naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mesh-cli-empty-"));
    const r = await harness().run("up", "wuxi", "--dir", dir);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `error: command-argument value 'wuxi' is invalid for argument 'stack'. ${dir} is not the project's folder (no Pulumi.yaml); give --dir.\n`,
    );
  });

  for (const [argv, stderr] of [
    [
      ["jobs", "--state", "bogus"],
      "error: option '--state <state>' argument 'bogus' is invalid. Allowed choices are queued, running, succeeded, failed, cancelled, interrupted.\n",
    ],
    [["jobs", "--limit", "-3"], "error: option '--limit <n>' argument '-3' is invalid. Give a whole number of at least 1.\n"],
    [["jobs", "--limit", "2.5"], "error: option '--limit <n>' argument '2.5' is invalid. Give a whole number of at least 1.\n"],
    [
      ["converge", "--max-rounds", "abc"],
      "error: option '--max-rounds <n>' argument 'abc' is invalid. Give a whole number of at least 1.\n",
    ],
    [["converge", "--parallel", "0"], "error: option '--parallel <n>' argument '0' is invalid. Give a whole number of at least 1.\n"],
  ] as const) {
    it(`mesh ${argv.join(" ")}: exit 2 with commander's message`, async () => {
      const h = harness();
      assert.deepEqual(await h.run(...argv), { code: 2, printed: "", stderr });
      assert.equal(h.engines(), 0);
    });
  }

  it("--parallel and --max-rounds are used, not replaced by defaults", async () => {
    const h = harness();
    const r = await h.run("converge", "--max-rounds", "1");
    assert.equal(r.code, 6, r.printed);
    assert.match(r.printed, /stopped after 1 rounds with wuxi still to run/);
  });
});

describe("small things a user notices", () => {
  it("--version prints the project's version", async () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { version: string };
    assert.deepEqual(await harness().run("--version"), { code: 0, printed: `${version}\n`, stderr: "" });
  });

  it("mesh jobs with no jobs says so, and which filters matched nothing", async () => {
    const h = harness();
    assert.deepEqual(await h.run("jobs"), { code: 0, printed: `no jobs in the job store (sqlite ${h.storeFile})\n`, stderr: "" });
    await h.run("up", "wuxi");
    const r = await h.run("jobs", "--stack", "cn-shanghai", "--state", "failed");
    assert.equal(r.printed, `no jobs of stack cn-shanghai in state failed in the job store (sqlite ${h.storeFile})\n`);
    assert.equal((await h.run("jobs", "--json")).printed.startsWith("[\n  {"), true);
  });

  it("mesh jobs: a header row, and what each job came to; status names the operation that failed and why", async () => {
    const h = harness(new MemoryEngine({ stacks: repoStacks(), failures: [{ stack: "wuxi", kind: "preview", call: 1 }] }));
    await h.run("up", "cn-shanghai");
    assert.equal((await h.run("preview", "wuxi")).code, 1);
    const jobs = await h.run("jobs");
    const [header, preview, up, ...rest] = jobs.printed.split("\n");
    assert.deepEqual(rest, [""]);
    assert.match(header!, /^JOB {16}STACK {8}KIND {5}STATE {6}CREATED {19}BY {6}OUTCOME$/);
    assert.match(
      preview!,
      /^\S{17} {2}wuxi {9}preview {2}failed {5}\S{24} {2}tester {2}pulumi preview of stack wuxi failed; the job's diagnostics say why$/,
    );
    assert.match(up!, /^\S{17} {2}cn-shanghai {2}up {7}succeeded {2}\S{24} {2}tester {2}\d+ create$/);
    const status = await h.run("status");
    assert.match(
      status.printed,
      /\nwuxi: last job: preview failed \(\S+\): pulumi preview of stack wuxi failed; the job's diagnostics say why; links: none/,
    );
    const doc = JSON.parse((await h.run("status", "--json")).printed) as {
      stacks: { stack: string; lastJob: { kind: string; error: unknown } }[];
    };
    const wuxi = doc.stacks.find((s) => s.stack === "wuxi")!.lastJob;
    assert.deepEqual(
      [wuxi.kind, wuxi.error],
      ["preview", { code: "engine_failed", message: "pulumi preview of stack wuxi failed; the job's diagnostics say why" }],
    );
  });

  it("status --json is the document its help describes", async () => {
    const h = harness();
    await h.run("up", "cn-shanghai");
    const r = await h.run("status", "--json");
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.printed) as { stacks: Record<string, unknown>[] };
    assert.deepEqual(
      doc.stacks.map((s) => ({ ...s, lastJob: s.lastJob && { ...s.lastJob, id: "id", finishedAt: "t" } })),
      [
        {
          stack: "cn-shanghai",
          anchor: true,
          lastJob: { id: "id", kind: "up", state: "succeeded", finishedAt: "t", error: null },
          links: [{ peer: "wuxi", status: "pending" }],
          outputsError: null,
          istio: { revisions: [{ name: "default", version: "1.30.3" }], tags: [], gateway: "default" },
        },
        {
          stack: "wuxi",
          anchor: false,
          lastJob: null,
          links: [],
          outputsError: null,
          istio: { revisions: [{ name: "default", version: "1.30.3" }], tags: [], gateway: "default" },
        },
      ],
    );
    const help = await h.run("status", "--help");
    assert.match(
      help.printed.replace(/\s+/g, " "),
      /one JSON document: \{"stacks": \[\{"stack", "anchor", "lastJob": \{"id", "kind", "state", "finishedAt", "error": \{"code", "message"\} \| null\} \| null, "links": \[\{"peer", "status"\}\] \| null, "outputsError": \{"code", "message"\} \| null, "istio": \{"revisions": \[\{"name", "version"\}\], "tags": \[\{"tag", "revision"\}\], "gateway"\}\}\]\}/,
    );
  });

  it("each command that runs the Pulumi CLI says so in its --help; the others do not", async () => {
    const h = harness();
    for (const cmd of ["preview", "up", "refresh", "destroy", "converge", "status", "outputs"]) {
      const r = await h.run(cmd, "--help");
      assert.equal(r.code, 0);
      assert.match(r.printed, /\nNeeds the Pulumi CLI \(pulumi on PATH, or MESH_PULUMI_ROOT\) and what pulumi up needs: /, cmd);
    }
    for (const cmd of ["plan", "jobs", "pr-comment", "pr-verify"])
      assert.doesNotMatch((await h.run(cmd, "--help")).printed, /Needs the Pulumi CLI/, cmd);
  });
});

describe("mesh pr-comment's input", () => {
  const file = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), "mesh-pr-")), "plan-diff.json");
    writeFileSync(f, text);
    return f;
  };
  it("a JSON document that is not a diff: exit 2 naming the fields", async () => {
    const f = file("{}");
    assert.deepEqual(await harness().run("pr-comment", "--diff-json", f), {
      code: 2,
      printed: "",
      stderr: `mesh pr-comment: ${f} is not a mesh plan diff (schemaVersion: required; base: required; disruptions: required; stacks: required; routing: required; and 4 more); make it with mesh plan --diff <base> --format json > ${f}\n`,
    });
  });
  it("a missing file: exit 2, no ENOENT", async () => {
    assert.deepEqual(await harness().run("pr-comment", "--diff-json", "/nonexistent/plan-diff.json"), {
      code: 2,
      printed: "",
      stderr:
        "mesh pr-comment: --diff-json /nonexistent/plan-diff.json: no such file; make it with mesh plan --diff <base> --format json > /nonexistent/plan-diff.json\n",
    });
  });
  it("not JSON, and a wrong field deep inside: exit 2", async () => {
    const f = file("{not json");
    const r = await harness().run("pr-comment", "--diff-json", f);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^mesh pr-comment: \S+ is not JSON \(/);
    const d = JSON.parse(
      execFileSync(
        process.execPath,
        ["--import", "tsx", "cli/mesh.ts", "plan", "--dir", FIXTURE_PROJECT, "--diff", FIXTURE_PROJECT, "--format", "json"],
        {
          cwd: PROJECT_DIR,
          encoding: "utf8",
        },
      ),
    ) as {
      stacks: { releases: unknown }[];
    };
    d.stacks[0]!.releases = "none";
    const g = file(JSON.stringify(d));
    assert.equal(
      (await harness().run("pr-comment", "--diff-json", g)).stderr,
      `mesh pr-comment: ${g} is not a mesh plan diff (stacks.0.releases: a list, not the string "none"); make it with mesh plan --diff <base> --format json > ${g}\n`,
    );
    d.stacks[0]!.releases = [];
    const ok = await harness().run("pr-comment", "--diff-json", file(JSON.stringify(d)));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.printed, /^<!-- mesh-pr-comment -->\n/);
  });
  it("a missing --preview file: exit 2 naming it", async () => {
    const f = file(
      JSON.stringify({
        schemaVersion: 1,
        base: "b",
        disruptions: [],
        stacks: [],
        routing: [],
        links: [],
        trust: [],
        checks: [],
        errors: 0,
      }),
    );
    assert.deepEqual(await harness().run("pr-comment", "--diff-json", f, "--preview", "wuxi=/nonexistent/wuxi.json"), {
      code: 2,
      printed: "",
      stderr: "mesh pr-comment: --preview /nonexistent/wuxi.json: no such file\n",
    });
  });
});

describe("the Pulumi CLI present but not logged in (the stand-in CLI, with the real CLI's message)", () => {
  const said = "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions";
  const fix =
    "the CLI is not logged in to the stacks' backend: set PULUMI_BACKEND_URL (s3://…, file://…), or PULUMI_ACCESS_TOKEN for Pulumi Cloud, or run pulumi login";

  it("mesh outputs: the CLI's reason under stack output, exit 1", async () => {
    const h = harness(standIn("not-logged-in").engine);
    assert.deepEqual(await h.run("outputs", "wuxi"), {
      code: 1,
      printed: `mesh: pulumi stack output of stack wuxi failed: ${said} — ${fix}\n`,
      stderr: "",
    });
  });

  it("mesh status: each stack says why its outputs were not read, exit 1; --json carries the code", async () => {
    const h = harness(standIn("not-logged-in").engine);
    assert.deepEqual(await h.run("status"), {
      code: 1,
      printed: [
        `cn-shanghai (trust anchor): no job yet; outputs not read: pulumi stack output of stack cn-shanghai failed: ${said} — ${fix}`,
        "  istiod default@1.30.3; gateway → default",
        `wuxi: no job yet; outputs not read: pulumi stack output of stack wuxi failed: ${said} — ${fix}`,
        "  istiod default@1.30.3; gateway → default",
        "",
      ].join("\n"),
      stderr: "",
    });
    const r = await h.run("status", "--json");
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.printed) as { stacks: { outputsError: unknown }[] }).stacks[1]!.outputsError, {
      code: "not_logged_in",
      message: `pulumi stack output of stack wuxi failed: ${said} — ${fix}`,
    });
  });

  it("mesh up: the job's events, its record in the store and the last line carry the CLI's reason", async () => {
    const h = harness(standIn("not-logged-in").engine);
    const r = await h.run("up", "wuxi");
    assert.equal(r.code, 1);
    assert.match(
      r.printed,
      new RegExp(`\nwuxi: error: ${said}\nwuxi: failed: pulumi up of stack wuxi failed: ${said} — ${fix.replace(/[()…]/g, ".")}\n$`),
    );
    const store = openSqlite(h.storeFile);
    try {
      const [job] = (await store.list({ limit: 10 })).jobs;
      assert.deepEqual(job!.error, { code: "not_logged_in", message: `pulumi up of stack wuxi failed: ${said} — ${fix}` });
      const events = await store.events(job!.id, 0, 1000);
      assert.ok(events.some((e) => e.type === "diagnostic" && e.severity === "error" && e.message === said));
    } finally {
      await store.close();
    }
  });

  it("mesh converge: stops before its first round, saying why, not an internal error", async () => {
    const h = harness(standIn("not-logged-in").engine);
    const r = await h.run("converge");
    assert.equal(r.code, 1);
    assert.equal(
      r.printed,
      `no round started: the stacks could not be selected or created on the backend: pulumi stack select of stack cn-shanghai failed: ${said} — ${fix}. Fix the cause, then run mesh converge again\n`,
    );
  });
});
