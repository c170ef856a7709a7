/**
 * What `mesh verify` reports: named checks in categories, each with a stable code a user can search
 * for, one line of detail and, when it did not pass, the fix (the shape of `istioctl analyze` and
 * `linkerd multicluster check`).
 */

export type Category =
  | "cluster"
  | "control-plane"
  | "data-plane"
  | "remote-clusters"
  | "remote-secrets"
  | "east-west-gateway"
  | "trust"
  | "mirrors"
  | "endpoints";

export const CATEGORY_TITLES: Readonly<Record<Category, string>> = {
  cluster: "Kubernetes API",
  "control-plane": "Control plane",
  "data-plane": "Data plane (istiod /debug/syncz, each pod's istio.io/rev)",
  "remote-clusters": "Remote clusters (istiod /debug/clusterz)",
  "remote-secrets": "Remote secrets",
  "east-west-gateway": "East-west gateway",
  trust: "Trust",
  mirrors: "Mirrored Services",
  endpoints: "Endpoints as a sidecar sees them",
};

/** `error`: the cluster (or this part of it) could not be read, so nothing was proven. */
export type Result = "pass" | "fail" | "warn" | "error";

export interface Check {
  /** Stable: `MV0201` always means the same finding. */
  readonly code: string;
  readonly category: Category;
  readonly cluster: string;
  /** What was checked, e.g. `istiod (revision default) sees wuxi`. */
  readonly name: string;
  readonly result: Result;
  readonly detail: string;
  /** How to fix it; absent when the check passed. */
  readonly fix?: string;
}

export interface RouteStepView {
  readonly priority: number;
  readonly cluster: string;
  readonly addresses: readonly string[];
}

/** One service as one cluster's sidecar should and does route it. */
export interface RoutingRow {
  readonly service: string;
  readonly port: number;
  readonly caller: string;
  /** `ns/pod` whose Envoy was read. */
  readonly from: string | null;
  readonly planned: readonly RouteStepView[];
  /** Observed hosts grouped by priority; `cluster` is who the address belongs to (`?` when unknown). */
  readonly observed: readonly RouteStepView[];
  readonly result: Result;
}

export interface ClusterReport {
  readonly stack: string;
  readonly cluster: string;
  /** False when the API could not be read at all (unreachable, refused credentials). */
  readonly reachable: boolean;
  readonly checks: readonly Check[];
  /** API requests made to this cluster. */
  readonly requests: number;
}

export interface VerifyReport {
  readonly schemaVersion: 1;
  readonly clusters: readonly ClusterReport[];
  readonly routing: readonly RoutingRow[];
  readonly summary: { readonly passed: number; readonly failed: number; readonly warnings: number; readonly errors: number };
  /** 0 all passed, 1 a check failed, 2 a cluster (or part of one) could not be read. */
  readonly exitCode: 0 | 1 | 2;
}

export function summarize(clusters: readonly ClusterReport[], routing: readonly RoutingRow[]): VerifyReport {
  const all = clusters.flatMap((c) => c.checks);
  const n = (r: Result) => all.filter((c) => c.result === r).length;
  const summary = { passed: n("pass"), failed: n("fail"), warnings: n("warn"), errors: n("error") };
  const exitCode = summary.errors > 0 ? 2 : summary.failed > 0 ? 1 : 0;
  return { schemaVersion: 1, clusters, routing, summary, exitCode };
}
