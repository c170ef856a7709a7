/**
 * The portal API as a process: settings from the environment (it refuses to start without
 * authentication), the LocalWorkspace engine on the project's folder, the job store (MESH_DATABASE_URL),
 * and a graceful shutdown on SIGTERM or SIGINT (stop accepting, cancel running jobs within the grace period,
 * end every event stream, write their records, exit).
 *
 *   npm run serve
 *   npm run serve -- --engine simulated     the demo: the real program on a simulated engine, loopback only
 */
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import type { StackEngine } from "../automation/engine";
import { firstLine } from "../automation/error-line";
import { Jobs } from "../automation/jobs";
import { Redactor } from "../automation/redact";
import { openStore } from "../automation/store/open";
import { retentionFromEnv } from "../automation/store/retention";
import { VerifyJobs } from "../automation/verify-job";
import { meshTopology, planMesh } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { buildApp } from "./app";
import { Authenticator } from "./auth";
import { LOOPBACK, settingsFromEnv } from "./settings";

interface Args {
  readonly engine: "local" | "simulated";
  readonly stepMs: number;
}

const write = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** The arguments, or the exit code when there is nothing to run: 0 after --help, 2 on a usage error (one line, as the mesh CLI). */
function parseArgs(argv: readonly string[]): Args | number {
  let problem = "";
  const program = new Command("mesh-api")
    .description("The portal's HTTP API over the automation core; settings come from the environment (docs/portal-api.md).")
    .addOption(
      new Option("--engine <engine>", "local: the Pulumi CLI on this project; simulated: a simulation, nothing deployed (loopback only)")
        .choices(["local", "simulated"])
        .default("local"),
    )
    .option(
      "--step-ms <ms>",
      "simulated engine: time each create, update, replace or delete takes",
      (v) => {
        if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError("a whole number of milliseconds");
        return Number(v);
      },
      250,
    )
    .configureOutput({ writeErr: (s) => (problem += s), outputError: (s, write) => write(s) })
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    if (code === 0) return 0;
    process.stderr.write(`mesh api: ${problem.replace(/^error: /, "").trim()} (npm run serve -- --help lists the options)\n`);
    return 2;
  }
  return program.opts<Args>();
}

/** How browsers sign in, for the listening line (names only, never a secret). */
function signInMethods(settings: ReturnType<typeof settingsFromEnv>): string {
  if (settings.auth.insecure) return "none needed (insecure mode)";
  const b = settings.browser;
  if (!b) return "off: set MESH_PUBLIC_URL for browser sign-in";
  const ways = [...(b.oidc ? [`oidc (${b.oidc.issuer})`] : []), ...(settings.auth.tokens.length > 0 ? ["token form"] : [])];
  return `${ways.join(", ") || "none"} at ${b.publicUrl ?? "loopback"}; sessions ${b.maxAgeMs / 60_000} min, idle ${b.idleMs / 60_000} min`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "number") return void (process.exitCode = args);
  const settings = settingsFromEnv(process.env);
  const projectDir = process.env.MESH_PROJECT_DIR ?? join(__dirname, "..");
  const simulated = args.engine === "simulated";
  // without authentication, any process on this machine (another user's, a compromised dependency's) could run up and destroy
  if (settings.auth.insecure && !simulated)
    throw new Error(
      "MESH_API_INSECURE=loopback-only runs only with --engine simulated: the real engine needs authentication, since any process on this machine could otherwise run up and destroy. Set MESH_API_TOKENS (docs/portal-api.md shows how to make one) and unset MESH_API_INSECURE",
    );
  if (simulated && !LOOPBACK.has(settings.host))
    throw new Error(`--engine simulated serves on loopback only, not ${settings.host}: unset MESH_API_HOST or set it to 127.0.0.1`);
  let engine: StackEngine;
  let jobs: Jobs;
  let verifyFrom = settings.verify;
  const cancelGraceMs = settings.limits.shutdownGraceMs;
  if (simulated) {
    // the project's program on the simulated engine, its verify on simulated clusters; jobs in memory only, unless MESH_DATABASE_URL names a store
    const { startDemo } = await import("../automation/simulated/demo");
    const demo = await startDemo({ projectDir, stepMs: args.stepMs });
    engine = demo.engine;
    verifyFrom = { ...settings.verify, kubeconfig: demo.kubeconfig };
    const url = process.env.MESH_DATABASE_URL?.trim();
    jobs = new Jobs({
      engine,
      cancelGraceMs,
      ...(url ? { store: openStore(url, projectDir), retention: retentionFromEnv(process.env) } : {}),
    });
  } else {
    let localEngine: typeof import("../automation/local-engine");
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the Automation API loads only for the engine that uses it, not at a simulated start
      localEngine = require("../automation/local-engine") as typeof import("../automation/local-engine");
    } catch (e) {
      throw new Error(`the Pulumi SDK (@pulumi/pulumi) cannot be loaded (${firstLine(e)}): run npm ci in ${projectDir}`);
    }
    const { LocalEngine, localEngineOptionsFromEnv } = localEngine;
    const local = new LocalEngine(localEngineOptionsFromEnv(projectDir));
    engine = local;
    jobs = new Jobs({
      engine,
      store: openStore(process.env.MESH_DATABASE_URL, projectDir),
      retention: retentionFromEnv(process.env),
      qualify: (s) => local.qualify(s),
      cancelGraceMs,
    });
  }
  await jobs.ready().catch((e: unknown) => {
    throw new Error(
      `the job store ${jobs.store.kind} ${jobs.store.location} cannot be opened: ${e instanceof Error ? e.message : String(e)}`,
    );
  });
  const redactor = new Redactor(engine.secretValues ?? []);
  const app = await buildApp({
    jobs,
    engine,
    auth: new Authenticator(settings.auth),
    limits: settings.limits,
    plan: () => planMesh(readProject(projectDir)),
    topology: () => meshTopology(readProject(projectDir)),
    audit: (line) => write({ audit: true, ...line }),
    log: write,
    onStoreUnwritable: (detail) => write({ level: "error", msg: "job store unwritable", detail }),
    // verify finds credentials as mesh verify does: this process's kubeconfig, the stacks' outputs, the settings' files
    verify: new VerifyJobs({
      jobs,
      projectDir,
      outputs: engine,
      ...verifyFrom,
      log: (line) => write({ ...line, ...(typeof line.error === "string" ? { error: redactor.redact(line.error) } : {}) }),
    }),
    ...(simulated ? { engineName: "simulated" } : {}),
    ...(settings.browser ? { browser: settings.browser } : {}),
    consoleDir: settings.consoleDir ?? join(projectDir, "console", "dist"),
  });
  const address = await app.listen({ host: settings.host, port: settings.port });
  write({
    msg: "listening",
    address,
    auth: settings.auth.insecure ? "insecure (loopback only)" : "bearer",
    signIn: signInMethods(settings),
    engine: simulated
      ? `simulated: jobs run this project's program on a simulated engine and verify reads simulated clusters, nothing is deployed, jobs are kept ${jobs.store.location === "in memory" ? "in memory only" : "in the store"}`
      : "local (the Pulumi CLI)",
    store: `${jobs.store.kind} ${jobs.store.location}`,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    write({ level: "info", msg: `${signal}: stopping` });
    // the last word if a client or a job holds on past the grace period and the stream bound
    setTimeout(() => {
      write({ level: "error", msg: "shutdown did not finish in time; exiting" });
      process.exit(1);
    }, settings.limits.shutdownGraceMs + 10_000).unref();
    // close() answers 503 from now on; its preClose hook cancels running jobs and ends the event streams
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e: unknown) => {
  process.stderr.write(`mesh api: ${e instanceof Error ? e.message : String(e)}\n`);
  // a start that failed ends the process, whatever it had opened by then (the demo's simulated clusters)
  process.exit(1);
});
