/**
 * The demo (`npm run serve -- --engine simulated`): the real program on the simulated engine, and a
 * simulated live mesh to verify — one stand-in Kubernetes API per stack on loopback, answering with the
 * healthy mesh the plan describes (live-mesh.ts, rebuilt from the stack files as they change), reached
 * with a kubeconfig file per stack in a private temporary folder (removed when the process exits).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProject } from "../../plan/stack-files";
import { toYaml } from "../../model/yaml";
import { startStandIn, type ClusterWorld, type StandIn } from "./kube-api";
import { liveMesh, loadBalancerAddresses } from "./live-mesh";
import { ProgramEngine, type SimulatedBackend } from "./program-engine";

export interface DemoOptions {
  readonly projectDir: string;
  /** Time each create, update, replace or delete takes. */
  readonly stepMs: number;
  readonly backend?: SimulatedBackend;
}

export interface Demo {
  readonly engine: ProgramEngine;
  /** `<stack>=<kubeconfig file>` for every stack, as verify's overrides take them. */
  readonly kubeconfig: readonly string[];
  /** The simulated clusters' API servers, by stack. */
  readonly clusters: ReadonlyMap<string, StandIn>;
  close(): Promise<void>;
}

const EMPTY: ClusterWorld = {
  namespaces: [],
  deployments: [],
  pods: [],
  secrets: [],
  services: [],
  configmaps: [],
  gateways: [],
  envoy: {},
};

/** How long a built mesh is reused: a verify makes a few dozen requests per cluster within it. */
const REBUILD_MS = 2000;

export async function startDemo(o: DemoOptions): Promise<Demo> {
  const files = () => readProject(o.projectDir);
  let built: { at: number; worlds: Map<string, ClusterWorld> } | undefined;
  const worldOf = (stack: string): ClusterWorld => {
    if (!built || Date.now() - built.at > REBUILD_MS) {
      let worlds = new Map<string, ClusterWorld>();
      try {
        worlds = liveMesh(files());
      } catch {
        // stack files that cannot be read: clusters with nothing in them, and verify says what it misses
      }
      built = { at: Date.now(), worlds };
    }
    return built.worlds.get(stack) ?? EMPTY;
  };
  const engine = new ProgramEngine({
    projectDir: o.projectDir,
    stepMs: o.stepMs,
    ...(o.backend ? { backend: o.backend } : {}),
    loadBalancerAddress: (stack) => loadBalancerAddresses(files()).get(stack),
  });
  const dir = mkdtempSync(join(tmpdir(), "mesh-demo-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", cleanup);
  const clusters = new Map<string, StandIn>();
  const kubeconfig: string[] = [];
  for (const stack of Object.keys(files().stacks)) {
    const token = randomBytes(16).toString("hex");
    const api = await startStandIn(() => worldOf(stack), { token });
    clusters.set(stack, api);
    const file = join(dir, `${stack}.kubeconfig`);
    const user = `${stack}-demo-reader`;
    writeFileSync(
      file,
      toYaml({
        apiVersion: "v1",
        kind: "Config",
        // plain HTTP on loopback: the client library refuses http:// unless told there is no TLS to verify
        clusters: [{ name: stack, cluster: { server: api.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: stack, context: { cluster: stack, user } }],
        "current-context": stack,
      }),
      { mode: 0o600 },
    );
    kubeconfig.push(`${stack}=${file}`);
  }
  return {
    engine,
    kubeconfig,
    clusters,
    close: async () => {
      await Promise.all([...clusters.values()].map((c) => c.close()));
      cleanup();
      process.removeListener("exit", cleanup);
    },
  };
}
