/**
 * `mesh verify`: read each cluster with its stack's credentials, then hold what it does against the
 * plan `mesh plan` makes from the same stack files. It only reads; it never changes the mesh.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { MeshConfig } from "../model/types";
import { planMesh, validStacks, type MeshPlan } from "../plan/plan";
import type { ProjectFiles } from "../plan/stack-files";
import { controlPlaneChecks } from "./control-plane";
import { dataPlaneChecks, readDataPlane, type DataPlane } from "./data-plane";
import { endpointChecks } from "./endpoints";
import { gatewayChecks } from "./gateway";
import { clientReader, credentialsOf, type KubeReader, type ReaderOptions } from "./kube";
import { mirrorChecks } from "./mirrors";
import { remoteClusterChecks } from "./remote-clusters";
import { remoteSecretChecks } from "./remote-secrets";
import { readCluster, type ClusterSnapshot } from "./snapshot";
import {
  readPublished,
  resolveTargets,
  type CredentialOverrides,
  type PublishedOutputs,
  type StackOutputsReader,
  type Target,
} from "./targets";
import { trustChecks } from "./trust";
import { summarize, type Check, type ClusterReport, type RoutingRow, type VerifyReport } from "./types";
import { failureFix, type MeshView } from "./view";
import { ask, CLI_WORDS, worded, type FixWords } from "./fix-words";

export class VerifyUsageError extends Error {}

export interface VerifyOptions extends ReaderOptions {
  /** Short stack names; all of the project's when empty. */
  readonly stacks?: readonly string[];
  readonly credentials?: CredentialOverrides;
  readonly outputs?: StackOutputsReader;
  /** `ns/pod` per stack (`*`: every stack) whose Envoy is read for every service. */
  readonly from?: Readonly<Record<string, string>>;
  /** How a reader is made from credentials (tests count or slow requests here). */
  readonly reader?: (kc: KubeConfig, o: ReaderOptions) => KubeReader;
  /** How the default kubeconfig is loaded (KUBECONFIG or ~/.kube/config). */
  readonly loadDefaultKubeconfig?: (kc: KubeConfig) => void;
  readonly onProgress?: (stack: string, line: string) => void;
  /** Told of every credential a loaded kubeconfig carries, before it is used (the portal's job redacts them). */
  readonly onCredentials?: (values: readonly string[]) => void;
  /** How fixes word what to give verify (credentials, a pod, time): the CLI's options by default, a server's settings in a job. */
  readonly fixWords?: FixWords;
}

/**
 * The project's stacks verify can read, or a usage error that says why not. `named` are the stacks
 * options name (`--kubeconfig <stack>=…`): a misspelt one would be ignored, so it is refused too.
 */
export function selectStacks(
  files: ProjectFiles,
  names: readonly string[],
  plan: MeshPlan = planMesh(files),
  named: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
): Map<string, MeshConfig> {
  const errors = plan.findings.filter((f) => f.severity === "error");
  if (errors.length > 0)
    throw new VerifyUsageError(
      `the stack files have ${errors.length} error${errors.length === 1 ? "" : "s"}, so there is no plan to verify against: run mesh plan and fix them first`,
    );
  const all = validStacks(files);
  const stacks = `(stacks: ${[...all.keys()].join(", ")})`;
  const unknown = names.filter((n) => !all.has(n));
  if (unknown.length > 0) throw new VerifyUsageError(`no stack ${unknown.join(", ")} in this project ${stacks}`);
  const strays = Object.entries(named).flatMap(([option, pairs]) =>
    Object.entries(pairs)
      .filter(([n]) => !all.has(n))
      .map(([n, value]) => `${option} ${n}=${value}: no stack ${n} in this project ${stacks}`),
  );
  if (strays.length > 0) throw new VerifyUsageError(strays.join("; "));
  return names.length === 0 ? all : new Map(names.map((n) => [n, all.get(n)!]));
}

/** No credentials, or an API that would not answer: the one MV0001 that says which (nothing else is claimed of the cluster). */
function clusterUnreadable(t: Target, s: ClusterSnapshot | undefined): Check | undefined {
  const base = { code: "MV0001", category: "cluster", cluster: t.mesh.cluster.name, result: "error" } as const;
  if (!t.kubeConfig || !s)
    return {
      ...base,
      name: "credentials",
      detail: t.problem ?? "no credentials",
      fix: t.fix ?? ask("file-or-context", t.stack),
    };
  if (s.unreachable)
    return {
      ...base,
      name: "Kubernetes API",
      detail: `${s.unreachable.message} (${t.credentialSource})`,
      fix: failureFix(s.unreachable, t.stack),
    };
  return undefined;
}

export async function verifyMesh(files: ProjectFiles, o: VerifyOptions = {}): Promise<VerifyReport> {
  // planned once: the plan is most of verify's own work on a large mesh
  const plan = planMesh(files);
  const selected = selectStacks(files, o.stacks ?? [], plan, {
    "--kubeconfig": o.credentials?.kubeconfig ?? {},
    "--context": o.credentials?.context ?? {},
    "--from": Object.fromEntries(Object.entries(o.from ?? {}).filter(([s]) => s !== "*")),
  });
  const meshes = validStacks(files);
  const targets = await resolveTargets(selected, o.credentials ?? {}, o.outputs, o.loadDefaultKubeconfig);
  for (const t of targets) if (t.kubeConfig) o.onCredentials?.(credentialsOf(t.kubeConfig));
  const namespaces = [...new Set([...meshes.values()][0]?.services.map((s) => s.namespace) ?? [])];
  const readers = new Map<string, KubeReader>();
  const snapshots = new Map<string, ClusterSnapshot>();
  const dataPlanes = new Map<string, DataPlane>();
  await Promise.all(
    targets.map(async (t) => {
      if (!t.kubeConfig) return;
      const r = (o.reader ?? clientReader)(t.kubeConfig, o);
      readers.set(t.stack, r);
      o.onProgress?.(t.stack, `reading ${t.mesh.cluster.name} (${t.credentialSource}, ${r.server})`);
      const from = o.from?.[t.stack] ?? o.from?.["*"];
      const snap = await readCluster(t.stack, t.mesh.cluster.name, r, { namespaces, services: t.mesh.services, ...(from ? { from } : {}) });
      snapshots.set(t.stack, snap);
      if (!snap.unreachable) dataPlanes.set(t.stack, await readDataPlane(r, snap.istiodPods, snap.allPods));
      o.onProgress?.(
        t.stack,
        snap.unreachable
          ? `${t.mesh.cluster.name}: ${snap.unreachable.message}`
          : `${t.mesh.cluster.name}: read in ${r.requests()} requests`,
      );
    }),
  );
  // the peers not read still tell, through their outputs, where their gateways are
  const published = new Map<string, PublishedOutputs>(targets.map((t) => [t.stack, t.published]));
  await Promise.all(
    [...meshes.keys()].filter((s) => !published.has(s)).map(async (s) => published.set(s, (await readPublished(s, o.outputs)).published)),
  );
  const view: MeshView = { plan, meshes, snapshots, published };
  const trust = trustChecks(view);
  const rows: RoutingRow[] = [];
  const clusters: ClusterReport[] = targets.map((t) => {
    const c = t.mesh.cluster.name;
    const s = snapshots.get(t.stack);
    const requests = readers.get(t.stack)?.requests() ?? 0;
    const unreadable = clusterUnreadable(t, s);
    if (unreadable || !s) return { stack: t.stack, cluster: c, reachable: false, requests, checks: unreadable ? [unreadable] : [] };
    const ep = endpointChecks(view, s);
    rows.push(...ep.rows);
    const checks: Check[] = [
      {
        code: "MV0001",
        category: "cluster",
        cluster: c,
        name: "Kubernetes API",
        result: "pass",
        detail: `${readers.get(t.stack)!.server} with ${t.credentialSource}`,
      },
      ...controlPlaneChecks(view, s),
      ...dataPlaneChecks(view, t.stack, c, dataPlanes.get(t.stack)!),
      ...remoteClusterChecks(view, s),
      ...remoteSecretChecks(view, s),
      ...gatewayChecks(view, s),
      ...(trust.get(t.stack) ?? []),
      ...mirrorChecks(view, s),
      ...ep.checks,
    ];
    return { stack: t.stack, cluster: c, reachable: true, requests, checks };
  });
  const words = o.fixWords ?? CLI_WORDS;
  const inWords = clusters.map((r) => ({ ...r, checks: r.checks.map((k) => (k.fix ? { ...k, fix: worded(k.fix, words) } : k)) }));
  return summarize(inWords, rows);
}
