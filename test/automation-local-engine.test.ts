/**
 * The production adapter (LocalWorkspace) against a stand-in `pulumi` executable: the command lines the
 * Automation API runs for it, the engine events it streams back in the CLI's format, and the mapping of
 * the CLI's failures to typed errors. No real CLI is involved.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Jobs } from "../automation/jobs";
import { LocalEngine } from "../automation/local-engine";
import { MeshError } from "../automation/types";
import { PROJECT_DIR } from "../tools/mock-run";

/** A CLI root whose bin/pulumi runs the stand-in, with its own log and state. */
function standIn(scenario: string, extraEnv: Record<string, string> = {}): { engine: LocalEngine; argv: () => string[][] } {
  const root = mkdtempSync(join(tmpdir(), "mesh-pulumi-"));
  mkdirSync(join(root, "bin"));
  const log = join(root, "argv.jsonl");
  writeFileSync(log, "");
  const loader = join(PROJECT_DIR, "node_modules", "tsx", "dist", "loader.mjs");
  writeFileSync(
    join(root, "bin", "pulumi"),
    `#!/bin/sh\nexec '${process.execPath}' --import '${loader}' '${join(__dirname, "fixtures", "stand-in-pulumi.ts")}' "$@"\n`,
  );
  chmodSync(join(root, "bin", "pulumi"), 0o755);
  Object.assign(process.env, { STANDIN_LOG: log, STANDIN_STATE: root, STANDIN_SCENARIO: scenario, ...extraEnv });
  const engine = new LocalEngine({
    projectDir: PROJECT_DIR,
    organization: "organization",
    project: "mesh",
    envVars: { PULUMI_BACKEND_URL: "file:///tmp/mesh-state", PULUMI_CONFIG_PASSPHRASE: "correct horse battery" },
    secretsProvider: "passphrase",
    pulumi: { root, version: "3.248.0" },
  });
  const argv = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as string[]).map((a) => a.replace(/^tcp:\/\/127\.0\.0\.1:\d+$/, "tcp://127.0.0.1:<port>")));
  return { engine, argv };
}

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

  it("never touches protected resources on destroy unless asked", async () => {
    const { engine, argv } = standIn("ok");
    await engine.run("wuxi", "destroy", { onEvent: () => {}, signal: new AbortController().signal });
    await engine.run("wuxi", "destroy", { onEvent: () => {}, signal: new AbortController().signal, includeProtected: true });
    const destroys = argv().filter((a) => a[0] === "destroy");
    assert.ok(destroys[0]!.includes("--exclude-protected"));
    assert.ok(!destroys[1]!.includes("--exclude-protected"));
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
