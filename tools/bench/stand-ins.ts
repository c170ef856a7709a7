/**
 * The verify benchmark's stand-in Kubernetes APIs, in a process of their own: their JSON, TLS and
 * WebSocket work is not counted against the verify they answer. The parent talks to this process over
 * Node's IPC channel: `ready` with the servers' addresses, then `stats` on request, `close` to end.
 */
import { fork, type ChildProcess } from "node:child_process";
import { startStandIn, type StandIn } from "../../test/fixtures/kube-api";
import { verifyWorld } from "./verify-world";

export interface StandInStats {
  /** Requests each cluster's API has answered so far. */
  readonly requests: readonly number[];
  /** Most requests open at once, per cluster. */
  readonly maxInFlight: readonly number[];
  /** CPU time of the stand-ins' process so far. */
  readonly cpuMs: number;
}

type FromChild = { type: "ready"; urls: string[] } | ({ type: "stats" } & StandInStats) | { type: "error"; message: string };

export interface StandInProcess {
  /** One API server per cluster, in cluster order; cluster i's token is `t<i>`. */
  readonly urls: readonly string[];
  stats(): Promise<StandInStats>;
  close(): Promise<void>;
}

/** Starts `clusters` stand-ins of the benchmark's mesh in a child process, each answering after `latencyMs`. */
export function startStandInProcess(clusters: number, services: number, latencyMs: number): Promise<StandInProcess> {
  const child: ChildProcess = fork(__filename, [String(clusters), String(services), String(latencyMs)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type: FromChild["type"]) =>
    new Promise<FromChild>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the stand-ins' process ended (exit ${code})`));
      const onMessage = (m: FromChild) => {
        if (m.type !== type && m.type !== "error") return;
        child.off("message", onMessage).off("exit", onExit);
        if (m.type === "error") reject(new Error(`the stand-ins' process: ${m.message}`));
        else resolve(m);
      };
      child.on("message", onMessage).once("exit", onExit);
    });
  return next("ready").then((ready) => ({
    urls: (ready as { urls: string[] }).urls,
    stats: async () => {
      const reply = next("stats");
      child.send({ type: "stats" });
      const { type: _, ...s } = (await reply) as { type: "stats" } & StandInStats;
      return s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.send({ type: "close" });
      }),
  }));
}

async function serve(clusters: number, services: number, latencyMs: number): Promise<void> {
  const standIns: StandIn[] = [];
  for (let i = 0; i < clusters; i++) standIns.push(await startStandIn(verifyWorld(i, clusters, services), { token: `t${i}`, latencyMs }));
  const close = async () => {
    await Promise.all(standIns.map((s) => s.close()));
    process.exit(0);
  };
  process.on("message", (m: { type: string }) => {
    if (m.type === "close") void close();
    if (m.type === "stats") {
      const cpu = process.cpuUsage();
      process.send!({
        type: "stats",
        requests: standIns.map((s) => s.requests.length),
        maxInFlight: standIns.map((s) => s.maxInFlight()),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      });
    }
  });
  // the parent is gone: nothing is left to answer
  process.on("disconnect", () => void close());
  process.send!({ type: "ready", urls: standIns.map((s) => s.url) });
}

if (require.main === module) {
  const [clusters, services, latencyMs] = process.argv.slice(2).map(Number) as [number, number, number];
  serve(clusters, services, latencyMs).catch((e: unknown) => {
    process.send?.({ type: "error", message: (e as Error).message });
    process.exitCode = 1;
  });
}
