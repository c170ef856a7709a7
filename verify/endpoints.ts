/**
 * Endpoints as a sidecar sees them: each catalog service's Envoy cluster, read from one injected pod
 * per namespace, held against the plan's routing for that caller — local endpoints at priority 0,
 * each peer's east-west gateway at its planned priority — with Istio's known failure shapes named.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { RouteStep } from "../plan/plan";
import { serviceHost } from "../model/services";
import type { CatalogService } from "../model/types";
import { outboundCluster, parseClusters, type EnvoyHost } from "./envoy";
import type { Read } from "./kube";
import { isReady, type ClusterSnapshot } from "./snapshot";
import { ask } from "./fix-words";
import type { Check, RouteStepView, RoutingRow } from "./types";
import { fail, gatewayAddresses, pass, stackOfCluster, unreadable, type MeshView } from "./view";

const CAT = "endpoints" as const;

const matches = (p: V1Pod, selector: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([k, val]) => p.metadata?.labels?.[k] === val);

/** Whether a cluster has ready pods behind the service (no pods there: no endpoints to expect). */
function hasEndpoints(s: ClusterSnapshot | undefined, svc: CatalogService): boolean {
  if (!s || s.unreachable) return true;
  const live = s.services.ok
    ? s.services.value.find((x) => x.metadata?.namespace === svc.namespace && x.metadata?.name === svc.name)
    : undefined;
  const selector = live?.spec?.selector ?? svc.selector ?? { app: svc.name };
  const pods = s.pods.get(svc.namespace);
  return !pods?.ok || pods.value.some((p) => isReady(p) && matches(p, selector));
}

interface Classified {
  readonly host: EnvoyHost;
  /** `local`, `gateway`, `pod` (another cluster's pod IP) or `unknown`. */
  readonly kind: "local" | "gateway" | "pod" | "unknown";
  readonly cluster: string;
}

export interface EndpointResult {
  readonly checks: Check[];
  readonly rows: RoutingRow[];
}

function group(hosts: readonly Classified[]): RouteStepView[] {
  const m = new Map<string, RouteStepView>();
  for (const h of hosts) {
    const k = `${h.host.priority}|${h.cluster}`;
    const g = m.get(k) ?? { priority: h.host.priority, cluster: h.cluster, addresses: [] };
    (g.addresses as string[]).push(h.host.address);
    m.set(k, g);
  }
  return [...m.values()].sort((a, b) => a.priority - b.priority || a.cluster.localeCompare(b.cluster));
}

/** Who an address belongs to: pod IPs of every cluster read, gateway addresses of every cluster. */
function addressOwners(v: MeshView): { podIp: Map<string, string>; gateways: Map<string, string> } {
  const podIp = new Map<string, string>();
  for (const o of v.snapshots.values())
    for (const list of o.pods.values()) if (list.ok) for (const p of list.value) if (p.status?.podIP) podIp.set(p.status.podIP, o.cluster);
  const gateways = new Map<string, string>();
  for (const pc of v.plan.clusters) for (const a of gatewayAddresses(v, pc.stack)) gateways.set(a, pc.name);
  return { podIp, gateways };
}

/**
 * Each source pod's Envoy clusters, parsed once for all of its namespace's services (only the clusters
 * those services need); a dump that cannot be read or parsed is one finding, pushed to `checks`.
 */
function dumpReader(
  s: ClusterSnapshot,
  services: readonly CatalogService[],
  checks: Check[],
): (src: string) => Read<Map<string, EnvoyHost[]>> {
  const parsed = new Map<string, Read<Map<string, EnvoyHost[]>>>();
  // the Envoy clusters each source pod is read for: its namespace's services
  const wanted = new Map<string, Set<string>>();
  for (const svc of services) {
    const src = s.sources.get(svc.namespace);
    if (!src) continue;
    const set = wanted.get(src) ?? new Set<string>();
    for (const p of svc.ports) set.add(outboundCluster(p.port, serviceHost(svc)));
    wanted.set(src, set);
  }
  return (src: string): Read<Map<string, EnvoyHost[]>> => {
    let p = parsed.get(src);
    if (p) return p;
    const d = s.dumps.get(src)!;
    if (!d.ok) p = d;
    else {
      try {
        p = { ok: true, value: parseClusters(d.value, wanted.get(src)) };
      } catch (e) {
        p = {
          ok: false,
          failure: { kind: "invalid", what: `Envoy clusters of ${src}`, message: `not Envoy's admin JSON (${(e as Error).message})` },
        };
      }
      const failure = p.ok ? undefined : p.failure;
      if (failure) checks.push(unreadable("MV0701", CAT, s.cluster, `Envoy of ${src}`, failure, s.stack));
    }
    if (!d.ok) checks.push(unreadable("MV0701", CAT, s.cluster, `Envoy of ${src}`, d.failure, s.stack));
    parsed.set(src, p);
    return p;
  };
}

export function endpointChecks(v: MeshView, s: ClusterSnapshot): EndpointResult {
  const c = s.cluster;
  const mesh = v.meshes.get(s.stack)!;
  const checks: Check[] = [];
  const rows: RoutingRow[] = [];
  const { podIp, gateways } = addressOwners(v);
  const serviceById = new Map(v.plan.services.map((x) => [x.host, x.routing]));
  const policyById = new Map(v.plan.routing.map((r) => [r.id, r]));

  const dumpOf = dumpReader(s, mesh.services, checks);

  const noSource = new Set<string>();
  let good = 0;
  let total = 0;
  for (const svc of mesh.services) {
    const host = serviceHost(svc);
    const src = s.sources.get(svc.namespace) ?? null;
    const policy = policyById.get(serviceById.get(host) ?? "");
    const steps: readonly RouteStep[] = policy?.routes.find((r) => r.caller === c)?.steps ?? [];
    if (!src) {
      if (!noSource.has(svc.namespace)) {
        noSource.add(svc.namespace);
        checks.push(
          fail(
            "MV0701",
            CAT,
            c,
            `sidecar in ${svc.namespace}`,
            `no ready pod with an istio-proxy sidecar in namespace ${svc.namespace}: its services' endpoints were not read`,
            `deploy a workload there (the namespace is labelled for injection)${ask("or-from")}`,
            "warn",
          ),
        );
      }
      continue;
    }
    const dump = dumpOf(src);
    if (!dump.ok) continue;
    for (const port of svc.ports.map((p) => p.port)) {
      total++;
      const name = `${svc.name}.${svc.namespace}:${port}`;
      const planned: RouteStepView[] = steps.map((st) => ({
        priority: st.priority,
        cluster: st.cluster,
        addresses:
          st.via === "local endpoints" ? ["local endpoints"] : [...gatewayAddresses(v, stackOfCluster(v, st.cluster) ?? "")].sort(),
      }));
      const hosts = dump.value.get(outboundCluster(port, host));
      if (!hosts) {
        checks.push(
          fail(
            "MV0706",
            CAT,
            c,
            name,
            `${src}'s Envoy has no cluster ${outboundCluster(port, host)}`,
            `the sidecar does not know the service: check that the Service ${svc.namespace}/${svc.name} exists here (mirrors) and that no Sidecar resource hides it`,
          ),
        );
        rows.push({ service: host, port, caller: c, from: src, planned, observed: [], result: "fail" });
        continue;
      }
      const classified: Classified[] = hosts.map((h) => {
        const gw = gateways.get(h.address);
        if (gw && gw !== c) return { host: h, kind: "gateway", cluster: gw };
        const owner = podIp.get(h.ip);
        if (owner === c) return { host: h, kind: "local", cluster: c };
        if (owner) return { host: h, kind: "pod", cluster: owner };
        return { host: h, kind: "unknown", cluster: "?" };
      });
      const finding = judge(v, s, svc, steps, classified, src);
      if (finding) checks.push({ ...finding, name });
      else good++;
      rows.push({
        service: host,
        port,
        caller: c,
        from: src,
        planned,
        observed: group(classified),
        result: finding ? finding.result : "pass",
      });
    }
  }
  if (good > 0) checks.unshift(pass("MV0702", CAT, c, "service routing", `${good} of ${total} service ports route as planned`));
  return { checks, rows };
}

/** The finding for one service port, or undefined when it routes as planned. */
function judge(
  v: MeshView,
  s: ClusterSnapshot,
  svc: CatalogService,
  steps: readonly RouteStep[],
  hosts: readonly Classified[],
  src: string,
): Check | undefined {
  const c = s.cluster;
  const stray = hosts.filter((h) => h.kind === "pod" || h.kind === "unknown");
  if (stray.length > 0) {
    const owner = stray[0]!.cluster;
    const peer = owner === "?" ? "the peer" : owner;
    const net = owner === "?" ? "<network>" : (v.meshes.get(stackOfCluster(v, owner) ?? "")?.cluster.network ?? "<network>");
    return fail(
      "MV0703",
      CAT,
      c,
      "",
      `remote pod IPs instead of a gateway: ${stray.map((h) => h.host.address).join(", ")} (${owner === "?" ? "not an address of this cluster or a known gateway" : `pods of ${owner}`}), unreachable across networks`,
      `${c}'s istiod knows no gateway for ${peer}'s network: ${peer}'s east-west gateway has no address (<pending>) or its Service lacks the label topology.istio.io/network=${net} (see ${peer}'s east-west gateway checks), or ${peer}'s pods have no network (label istio-system there)`,
    );
  }
  const local = hosts.filter((h) => h.kind === "local");
  const want0 = steps.find((st) => st.priority === 0 && st.cluster === c);
  if (want0 && local.length === 0 && hasEndpoints(s, svc))
    return fail(
      "MV0702",
      CAT,
      c,
      "",
      `no endpoint of ${c} itself in ${src}'s Envoy, though ready pods run here`,
      "check the Service's selector and the pods' readiness: kubectl get endpointslices -n " + svc.namespace,
    );
  const missing = steps.filter(
    (st) =>
      st.cluster !== c &&
      !hosts.some((h) => h.kind === "gateway" && h.cluster === st.cluster) &&
      hasEndpoints(v.snapshots.get(stackOfCluster(v, st.cluster) ?? ""), svc),
  );
  if (missing.length > 0) {
    const names = missing.map((m) => m.cluster);
    return fail(
      "MV0704",
      CAT,
      c,
      "",
      `only local endpoints: nothing through ${names.map((n) => `${n}'s gateway`).join(", ")}`,
      `${c}'s istiod does not read ${names.join(", ")}: istio-remote-secret-${names[0]} is missing or not synced (see the remote secrets and remote clusters checks); mesh converge installs it`,
    );
  }
  const flat = steps.filter(
    (st) => st.priority > 0 && hosts.some((h) => h.kind === "gateway" && h.cluster === st.cluster && h.host.priority !== st.priority),
  );
  if (flat.length > 0 && hosts.every((h) => h.host.priority === 0)) {
    return fail(
      "MV0705",
      CAT,
      c,
      "",
      `every endpoint at priority 0, ${flat.map((f) => `${f.cluster}'s gateway`).join(", ")} too: locality failover is off, calls are spread across clusters`,
      `the DestinationRule ${svc.namespace}/${svc.name} needs outlierDetection next to localityLbSetting (Istio only warns without it): run mesh converge; kubectl -n ${svc.namespace} get destinationrule ${svc.name} -o yaml shows what is applied`,
    );
  }
  if (flat.length > 0) {
    const f = flat[0]!;
    const got = hosts.find((h) => h.kind === "gateway" && h.cluster === f.cluster)!.host.priority;
    return fail(
      "MV0702",
      CAT,
      c,
      "",
      `${f.cluster}'s gateway at priority ${got}, planned ${f.priority}`,
      "compare the DestinationRule's failoverPriority with the plan: run mesh converge",
    );
  }
  return undefined;
}
