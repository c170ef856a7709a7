/**
 * What the endpoint checks look up for every service port, built once per verify round instead of once
 * per cluster or per row: who owns each address, each cluster's gateway addresses, the planned steps of
 * each routing policy per caller, and whether a cluster has ready pods behind a service.
 */
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import type { RouteStep, RoutingPolicy } from "../plan/plan";
import type { CatalogService } from "../model/types";
import { isReady, type ClusterSnapshot } from "./snapshot";
import type { RouteStepView } from "./types";
import { gatewayAddresses, type MeshView } from "./view";

export interface PlannedRoute {
  readonly steps: readonly RouteStep[];
  /** The steps as the report shows them; shared by every row of the same policy and caller. */
  readonly planned: readonly RouteStepView[];
}

export interface EndpointIndex {
  /** Pod IP → the cluster it runs in, over every cluster read (a later snapshot wins on a clash). */
  readonly podOwner: ReadonlyMap<string, string>;
  /** `address:port` → the cluster whose east-west gateway it is (a later planned cluster wins). */
  readonly gatewayOwner: ReadonlyMap<string, string>;
  /** The stack of a cluster name (the first planned cluster of that name). */
  stackOf(cluster: string): string | undefined;
  /** The plan's route of a service host for calls from `caller` (no steps when the plan has none). */
  route(host: string, caller: string): PlannedRoute;
  /** Whether the cluster of `stack` has ready pods behind the service (true when it was not read: nothing to hold against it). */
  hasEndpoints(stack: string | undefined, svc: CatalogService): boolean;
}

const NO_ROUTE: PlannedRoute = { steps: [], planned: [] };

const matches = (p: V1Pod, selector: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([k, val]) => p.metadata?.labels?.[k] === val);

/** One snapshot's Services by `namespace/name` (the first of each) and its ready pods by namespace, made when first asked. */
function readiness(s: ClusterSnapshot): (svc: CatalogService) => boolean {
  let services: Map<string, V1Service> | undefined;
  const ready = new Map<string, V1Pod[]>();
  const memo = new WeakMap<CatalogService, boolean>();
  return (svc) => {
    const known = memo.get(svc);
    if (known !== undefined) return known;
    if (!services) {
      services = new Map();
      for (const x of s.services.ok ? s.services.value : []) {
        const key = `${x.metadata?.namespace}/${x.metadata?.name}`;
        if (!services.has(key)) services.set(key, x);
      }
    }
    const live = services.get(`${svc.namespace}/${svc.name}`);
    const selector = live?.spec?.selector ?? svc.selector ?? { app: svc.name };
    const pods = s.pods.get(svc.namespace);
    let answer = true;
    if (pods?.ok) {
      let list = ready.get(svc.namespace);
      if (!list) ready.set(svc.namespace, (list = pods.value.filter(isReady)));
      answer = list.some((p) => matches(p, selector));
    }
    memo.set(svc, answer);
    return answer;
  };
}

function build(v: MeshView): EndpointIndex {
  const podOwner = new Map<string, string>();
  for (const o of v.snapshots.values())
    for (const list of o.pods.values())
      if (list.ok) for (const p of list.value) if (p.status?.podIP) podOwner.set(p.status.podIP, o.cluster);
  const stacks = new Map<string, string>();
  for (const pc of v.plan.clusters) if (!stacks.has(pc.name)) stacks.set(pc.name, pc.stack);
  const gatewayOwner = new Map<string, string>();
  for (const pc of v.plan.clusters) for (const a of gatewayAddresses(v, pc.stack)) gatewayOwner.set(a, pc.name);
  // the addresses a step through a cluster's gateway shows, sorted, per cluster name
  const shown = new Map<string, readonly string[]>();
  const gatewaysOf = (cluster: string) => {
    let a = shown.get(cluster);
    if (!a) shown.set(cluster, (a = [...gatewayAddresses(v, stacks.get(cluster) ?? "")].sort()));
    return a;
  };

  const policyOf = new Map<string, RoutingPolicy | undefined>();
  const policies = new Map(v.plan.routing.map((r) => [r.id, r]));
  for (const s of v.plan.services) policyOf.set(s.host, policies.get(s.routing));
  const routes = new Map<RoutingPolicy, Map<string, PlannedRoute>>();
  const route = (host: string, caller: string): PlannedRoute => {
    const policy = policyOf.get(host);
    if (!policy) return NO_ROUTE;
    let byCaller = routes.get(policy);
    if (!byCaller) routes.set(policy, (byCaller = new Map<string, PlannedRoute>()));
    let r = byCaller.get(caller);
    if (!r) {
      const steps = policy.routes.find((x) => x.caller === caller)?.steps ?? [];
      const planned = steps.map((st) => ({
        priority: st.priority,
        cluster: st.cluster,
        addresses: st.via === "local endpoints" ? ["local endpoints"] : gatewaysOf(st.cluster),
      }));
      byCaller.set(caller, (r = { steps, planned }));
    }
    return r;
  };

  const ready = new Map<string, (svc: CatalogService) => boolean>();
  const hasEndpoints = (stack: string | undefined, svc: CatalogService): boolean => {
    const s = v.snapshots.get(stack ?? "");
    if (!s || s.unreachable) return true;
    let f = ready.get(s.stack);
    if (!f) ready.set(s.stack, (f = readiness(s)));
    return f(svc);
  };

  return { podOwner, gatewayOwner, stackOf: (c) => stacks.get(c), route, hasEndpoints };
}

const built = new WeakMap<MeshView, EndpointIndex>();

/** The index of a view, built on first use; a view does not change once its checks run. */
export function endpointIndex(v: MeshView): EndpointIndex {
  let i = built.get(v);
  if (!i) built.set(v, (i = build(v)));
  return i;
}
