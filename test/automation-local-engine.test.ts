/**
 * The production adapter (LocalWorkspace) against a stand-in `pulumi` executable: the command lines the
 * Automation API runs for it, the engine events it streams back in the CLI's format, and the mapping of
 * the CLI's failures to typed errors. No real CLI is involved.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Jobs } from "../automation/jobs";
import { LocalEngine } from "../automation/local-engine";
import { MeshError } from "../automation/types";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { standIn } from "./fixtures/stand-in-root";

describe("the LocalWorkspace adapter, against a stand-in CLI", () => {
  it("selects the fully qualified stack and runs up as the Automation API does, streaming events back", async () => {
    const { engine, argv } = standIn("ok", { STANDIN_LEAK: "correct horse battery" });
    const jobs = new Jobs({ engine });
    const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "alice" });
    const r = await jobs.wait(job.id);
    assert.equal(r.state, "succeeded", JSON.stringify(r.error));
    assert.deepEqual(r.summary!.changes, { create: 2 });
    assert.deepEqual(argv(), [
      ["version"],
      ["stack", "select", "--stack", "organization/mesh/wuxi", "--non-interactive"],
      [
        "up",
        "--yes",
        "--skip-preview",
        // the project's guardrails run at every up, as at the pull request's preview
        "--policy-pack",
        join(PROJECT_DIR, "policy"),
        "--exec-kind",
        "auto.local",
        "--event-log",
        "tcp://127.0.0.1:<port>",
        "--stack",
        "organization/mesh/wuxi",
        "--non-interactive",
      ],
      ["stack", "output", "--json", "--stack", "organization/mesh/wuxi", "--non-interactive"],
      ["stack", "output", "--json", "--show-secrets", "--stack", "organization/mesh/wuxi", "--non-interactive"],
      // Stack.up reads the last update with info(showSecrets = undefined), which history() turns into --show-secrets
      [
        "stack",
        "history",
        "--json",
        "--show-secrets",
        "--page-size",
        "1",
        "--page",
        "1",
        "--stack",
        "organization/mesh/wuxi",
        "--non-interactive",
      ],
    ]);
    const events = (await jobs.events(job.id)).map(({ seq: _s, at: _a, jobId: _j, stack: _st, ...body }) => body);
    assert.deepEqual(events, [
      { type: "job.queued" },
      { type: "job.started" },
      { type: "resource.started", op: "create", resourceType: "kubernetes:core/v1:Namespace", name: "wuxi-istio-system" },
      { type: "resource.finished", op: "create", resourceType: "kubernetes:core/v1:Namespace", name: "wuxi-istio-system" },
      { type: "progress", done: 1 },
      // the passphrase the engine was given never reaches a client
      { type: "diagnostic", severity: "info", message: "token: [secret]" },
      { type: "resource.started", op: "create", resourceType: "kubernetes:core/v1:Secret", name: "wuxi-cn-shanghai-remote-secret" },
      { type: "resource.finished", op: "create", resourceType: "kubernetes:core/v1:Secret", name: "wuxi-cn-shanghai-remote-secret" },
      { type: "progress", done: 2 },
      { type: "mesh.linkEstablished", peer: "cn-shanghai" },
      { type: "summary", changes: { create: 2 }, durationSeconds: 1 },
      { type: "job.finished", state: "succeeded" },
    ]);
  });

  it("creates a stack that does not exist yet, with the secrets provider", async () => {
    const { engine, argv } = standIn("missing");
    await engine.run("wuxi", "preview", { onEvent: () => {}, signal: new AbortController().signal });
    assert.deepEqual(argv().slice(1, 4), [
      ["stack", "select", "--stack", "organization/mesh/wuxi", "--non-interactive"],
      ["stack", "init", "organization/mesh/wuxi", "--secrets-provider", "passphrase", "--non-interactive"],
      [
        "preview",
        "--policy-pack",
        join(PROJECT_DIR, "policy"),
        "--exec-kind",
        "auto.local",
        "--event-log",
        "tcp://127.0.0.1:<port>",
        "--stack",
        "organization/mesh/wuxi",
        "--non-interactive",
      ],
    ]);
  });

  it("ensureStacks selects each stack and runs stack init, with the secrets provider, only for one the backend lacks", async () => {
    // the stand-in's backend lacks every stack until one stack init
    const { engine, argv } = standIn("missing");
    assert.deepEqual(await engine.ensureStacks(["wuxi", "cn-shanghai"]), ["wuxi"]);
    assert.deepEqual(argv(), [
      ["version"],
      ["stack", "select", "--stack", "organization/mesh/wuxi", "--non-interactive"],
      ["stack", "init", "organization/mesh/wuxi", "--secrets-provider", "passphrase", "--non-interactive"],
      ["stack", "select", "--stack", "organization/mesh/cn-shanghai", "--non-interactive"],
    ]);
    const existing = standIn("ok");
    assert.deepEqual(await existing.engine.ensureStacks(["wuxi"]), []);
    assert.deepEqual(existing.argv(), [["version"], ["stack", "select", "--stack", "organization/mesh/wuxi", "--non-interactive"]]);
  });

  it("never touches protected resources on destroy unless asked", async () => {
    const { engine, argv } = standIn("ok");
    await engine.run("wuxi", "destroy", { onEvent: () => {}, signal: new AbortController().signal });
    await engine.run("wuxi", "destroy", { onEvent: () => {}, signal: new AbortController().signal, includeProtected: true });
    const destroys = argv().filter((a) => a[0] === "destroy");
    assert.ok(destroys[0]!.includes("--exclude-protected"));
    assert.ok(!destroys[1]!.includes("--exclude-protected"));
    // CrossGuard runs at preview and up; refresh and destroy take no policy pack
    assert.ok(destroys.every((a) => !a.includes("--policy-pack")));
  });

  it("refuses a preview or an up whose policy pack is missing, before the CLI selects the stack", async () => {
    const { root, argv } = standIn("ok");
    const missing = join(mkdtempSync(join(tmpdir(), "mesh-nopolicy-")), "policy");
    const engine = new LocalEngine({
      projectDir: PROJECT_DIR,
      organization: "organization",
      project: "mesh",
      envVars: {},
      pulumi: { root, version: "3.248.0" },
      policyPacks: [missing],
    });
    for (const kind of ["preview", "up"] as const) {
      await assert.rejects(
        engine.run("wuxi", kind, { onEvent: () => {}, signal: new AbortController().signal }),
        (e: unknown) =>
          e instanceof MeshError &&
          e.code === "engine_failed" &&
          e.message ===
            `the policy pack ${missing} has no PulumiPolicy.yaml: every ${kind} runs the project's guardrails (policy/); restore the folder from the repository`,
      );
    }
    assert.deepEqual(argv(), []);
  });

  it("reads outputs with their secretness, and the history", async () => {
    const { engine } = standIn("ok");
    assert.deepEqual(await engine.outputs("wuxi"), {
      clusterName: { value: "wuxi", secret: false },
      remoteSecret: { value: "apiVersion: v1\nkind: Config\n", secret: true },
    });
    assert.deepEqual(await engine.history("wuxi", 1), [
      {
        kind: "update",
        result: "succeeded",
        startTime: "2026-11-27T10:00:00.000Z",
        endTime: "2026-11-27T10:01:00.000Z",
        changes: { create: 2 },
      },
    ]);
  });

  it("maps another process's lock to busy", async () => {
    const { engine } = standIn("busy");
    await assert.rejects(
      engine.run("wuxi", "up", { onEvent: () => {}, signal: new AbortController().signal }),
      (e: unknown) => e instanceof MeshError && e.code === "busy",
    );
  });

  it("maps the program's config report to config_invalid, carrying the report and nothing else of the CLI's output", async () => {
    const { engine } = standIn("config");
    await assert.rejects(
      engine.run("wuxi", "up", { onEvent: () => {}, signal: new AbortController().signal }),
      (e: unknown) =>
        e instanceof MeshError &&
        e.code === "config_invalid" &&
        e.extra.report ===
          "1 configuration problem; nothing was deployed:\n  - mesh:cluster.name: cluster name is not a DNS-1123 label\n    fix: use lower-case letters, digits and '-', starting and ending with a letter or digit" &&
        !e.message.includes("update failed"),
    );
  });
});

/** The CLI's own words (pulumi/pulumi: backenderr.MissingEnvVarForNonInteractiveError, secrets/passphrase errorCrypter). */
const NOT_LOGGED_IN = "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions";
const WRONG_PASSPHRASE =
  "failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";
const LOGIN_FIX =
  "the CLI is not logged in to the stacks' backend: set PULUMI_BACKEND_URL (s3://…, file://…), or PULUMI_ACCESS_TOKEN for Pulumi Cloud, or run pulumi login";
const PASSPHRASE_FIX =
  "the stacks' secrets cannot be decrypted: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stacks were created with";
const rejection = async (p: Promise<unknown>): Promise<MeshError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MeshError, String(e));
    return e;
  }
  assert.fail("it did not fail");
};
/** Whether a process of this id still runs. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const bodies = async (jobs: Jobs, id: string) => (await jobs.events(id)).map(({ seq: _s, at: _a, jobId: _j, stack: _st, ...body }) => body);

describe("the CLI's own reason for a failure, under the operation that failed", () => {
  it("outputs without a backend login: the CLI's line and what to do, typed not_logged_in", async () => {
    const { engine } = standIn("not-logged-in");
    const e = await rejection(engine.outputs("wuxi"));
    assert.equal(e.code, "not_logged_in");
    assert.equal(e.message, `pulumi stack output of stack wuxi failed: ${NOT_LOGGED_IN} — ${LOGIN_FIX}`);
  });

  it("a job without a backend login: the CLI's line is the job's error diagnostic, and its error names up", async () => {
    const { engine } = standIn("not-logged-in");
    const jobs = new Jobs({ engine });
    const r = await jobs.wait((await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "alice" })).id);
    assert.deepEqual(r.error, { code: "not_logged_in", message: `pulumi up of stack wuxi failed: ${NOT_LOGGED_IN} — ${LOGIN_FIX}` });
    assert.deepEqual(await bodies(jobs, r.id), [
      { type: "job.queued" },
      { type: "job.started" },
      { type: "diagnostic", severity: "error", message: NOT_LOGGED_IN },
      { type: "job.finished", state: "failed", error: r.error },
    ]);
  });

  it("a wrong passphrase: outputs and preview say so, typed secrets_locked", async () => {
    const { engine } = standIn("passphrase");
    const e = await rejection(engine.outputs("wuxi"));
    assert.equal(e.code, "secrets_locked");
    assert.equal(e.message, `pulumi stack output of stack wuxi failed: ${WRONG_PASSPHRASE} — ${PASSPHRASE_FIX}`);
    const p = await rejection(engine.run("wuxi", "preview", { onEvent: () => {}, signal: new AbortController().signal }));
    assert.equal(p.message, `pulumi preview of stack wuxi failed: ${WRONG_PASSPHRASE} — ${PASSPHRASE_FIX}`);
  });

  it("reading a stack the backend does not have is not_found, and creates nothing", async () => {
    const { engine, argv } = standIn("missing");
    const e = await rejection(engine.outputs("wuxi"));
    assert.equal(e.code, "not_found");
    assert.equal(
      e.message,
      "stack organization/mesh/wuxi does not exist on this backend: mesh up wuxi creates it (pulumi stack ls lists the backend's stacks)",
    );
    assert.deepEqual(argv(), [["version"], ["stack", "select", "--stack", "organization/mesh/wuxi", "--non-interactive"]]);
  });

  it("any other CLI error passes as the CLI wrote it, redacted, without its other lines", async () => {
    const { engine } = standIn("backend-denied", { STANDIN_LEAK: "correct horse battery" });
    const e = await rejection(engine.history("wuxi", 1));
    assert.equal(e.code, "engine_failed");
    assert.equal(
      e.message,
      'pulumi stack history of stack wuxi failed: failed to load checkpoint: blob (key ".pulumi/stacks/mesh/wuxi.json") (code=PermissionDenied): api error AccessDenied: Access Denied (token=[secret]',
    );
  });

  it("a read the backend never answers is stopped at the bound: timeout, and the CLI process ends", async () => {
    // the CLI's version check runs inside the bound, then stack select hangs
    const { engine, root } = standIn("hang", {}, 2000);
    const started = Date.now();
    const e = await rejection(engine.outputs("wuxi"));
    const took = Date.now() - started;
    assert.equal(e.code, "timeout");
    assert.equal(
      e.message,
      "pulumi stack output of stack wuxi did not finish within 2 s and was stopped: check that the backend (PULUMI_BACKEND_URL) answers from here; MESH_PULUMI_TIMEOUT sets the bound in seconds",
    );
    assert.ok(took >= 2000 && took < 3500, `${took} ms`);
    const pid = Number(readFileSync(join(root, "hung.pid"), "utf8"));
    // ended within a second of the timeout
    for (const until = Date.now() + 1000; Date.now() < until && alive(pid);) await new Promise((r) => setTimeout(r, 20));
    assert.throws(() => process.kill(pid, 0), /ESRCH/, "the hung CLI process is still running");
  });

  it("a cancel before the CLI's first command of the job starts none: the job ends cancelled, no CLI left hanging", async () => {
    const { engine, argv, root } = standIn("hang");
    // the stand-in's version check waits until the cancel is in
    const hold = join(root, "hold-version");
    writeFileSync(hold, "");
    const jobs = new Jobs({ engine });
    const job = await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "alice" });
    // running, in the CLI's version check: nothing of the stack has been run yet
    assert.equal((await jobs.get(job.id))!.state, "running");
    await jobs.cancel(job.id);
    rmSync(hold);
    const started = Date.now();
    const r = await jobs.wait(job.id);
    assert.equal(r.state, "cancelled");
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    assert.deepEqual(
      argv().filter((a) => a[0] !== "version"),
      [],
    );
    await jobs.close();
  });
});

describe("no Pulumi CLI where it is looked for", () => {
  const missing =
    "the Pulumi CLI was not found: install it (pulumi version works), or name a pinned one with MESH_PULUMI_ROOT and MESH_PULUMI_VERSION";
  const engine = () =>
    new LocalEngine({
      projectDir: PROJECT_DIR,
      organization: "organization",
      project: "mesh",
      envVars: {},
      pulumi: { root: mkdtempSync(join(tmpdir(), "mesh-no-pulumi-")), version: "3.248.0" },
    });

  it("outputs: cli_missing, saying what to install or name", async () => {
    const e = await rejection(engine().outputs("wuxi"));
    assert.deepEqual([e.code, e.message], ["cli_missing", missing]);
  });

  it("a job: the same, as its error diagnostic and its error", async () => {
    const jobs = new Jobs({ engine: engine() });
    const r = await jobs.wait((await jobs.submit({ stack: "wuxi", kind: "preview", requestedBy: "alice" })).id);
    assert.deepEqual(r.error, { code: "cli_missing", message: missing });
    assert.deepEqual((await bodies(jobs, r.id)).slice(2), [
      { type: "diagnostic", severity: "error", message: missing },
      { type: "job.finished", state: "failed", error: r.error },
    ]);
  });
});
