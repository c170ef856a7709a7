/**
 * The portal API as a process: settings from the environment (it refuses to start without
 * authentication), the LocalWorkspace engine on the project's folder, the job store (MESH_DATABASE_URL),
 * and a graceful shutdown on SIGTERM (stop accepting, cancel running jobs gracefully, write their records).
 *
 *   npm run serve
 */
import { join } from "node:path";
import { Jobs } from "../automation/jobs";
import { LocalEngine, localEngineOptionsFromEnv } from "../automation/local-engine";
import { openStore } from "../automation/store/open";
import { retentionFromEnv } from "../automation/store/retention";
import { meshTopology, planMesh } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { buildApp } from "./app";
import { Authenticator } from "./auth";
import { settingsFromEnv } from "./settings";

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const projectDir = process.env.MESH_PROJECT_DIR ?? join(__dirname, "..");
  const engine = new LocalEngine(localEngineOptionsFromEnv(projectDir));
  const jobs = new Jobs({
    engine,
    store: openStore(process.env.MESH_DATABASE_URL, projectDir),
    retention: retentionFromEnv(process.env),
    qualify: (s) => engine.qualify(s),
  });
  await jobs.ready().catch((e: unknown) => {
    throw new Error(
      `the job store ${jobs.store.kind} ${jobs.store.location} cannot be opened: ${e instanceof Error ? e.message : String(e)}`,
    );
  });
  const app = await buildApp({
    jobs,
    engine,
    auth: new Authenticator(settings.auth),
    limits: settings.limits,
    plan: () => planMesh(readProject(projectDir)),
    topology: () => meshTopology(readProject(projectDir)),
    audit: (line) => process.stdout.write(`${JSON.stringify({ audit: true, ...line })}\n`),
    onStoreUnwritable: (detail) => process.stderr.write(`${JSON.stringify({ level: "error", msg: "job store unwritable", detail })}\n`),
  });
  const address = await app.listen({ host: settings.host, port: settings.port });
  process.stdout.write(
    `${JSON.stringify({ msg: "listening", address, auth: settings.auth.insecure ? "insecure (loopback only)" : "bearer", store: `${jobs.store.kind} ${jobs.store.location}` })}\n`,
  );
  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    // close() stops accepting, answers 503 meanwhile, and its onClose hook cancels running jobs gracefully
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`mesh api: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
