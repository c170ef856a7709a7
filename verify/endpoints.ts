/**
 * Endpoints as a sidecar sees them: each catalog service's Envoy cluster, read from one injected pod
 * per namespace, held against the plan's routing for that caller — local endpoints at priority 0,
 * each peer's east-west gateway at its planned priority — with Istio's known failure shapes named.
 */
import type { RouteStep } from "../plan/plan";
import { serviceHost } from "../model/services";
import type { CatalogService } from "../model/types";
import { outboundCluster, type EnvoyClusters, type EnvoyHost } from "./envoy";
import type { Read } from "./kube";
import { endpointIndex, type EndpointIndex } from "./endpoint-index";
import type { ClusterSnapshot } from "./snapshot";
import { ask } from "./fix-words";
import type { Check, RouteStepView, RoutingRow } from "./types";
import { fail, pass, unreadable, type MeshView } from "./view";

const CAT = "endpoints" as const;

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

// what String.prototype.localeCompare does, without making a collator per call
const byName = new Intl.Collator().compare;

function group(hosts: readonly Classified[]): RouteStepView[] {
  // few groups per row: a list beats a map with string keys
  const groups: { priority: number; cluster: string; addresses: string[] }[] = [];
  for (const h of hosts) {
    const g = groups.find((x) => x.priority === h.host.priority && x.cluster === h.cluster);
    if (g) g.addresses.push(h.host.address);
    else groups.push({ priority: h.host.priority, cluster: h.cluster, addresses: [h.host.address] });
  }
  return groups.sort((a, b) => a.priority - b.priority || byName(a.cluster, b.cluster));
}

/** Each source pod's Envoy clusters, as the snapshot indexed them; a dump that could not be read or indexed is one finding, pushed to `checks`. */
function dumpReader(s: ClusterSnapshot, checks: Check[]): (src: string) => Read<EnvoyClusters> {
  const reported = new Set<string>();
  return (src) => {
    const d = s.dumps.get(src)!;
    if (!d.ok && !reported.has(src)) {
      reported.add(src);
      checks.push(unreadable("MV0701", CAT, s.cluster, `Envoy of ${src}`, d.failure, s.stack));
    }
    return d;
  };
}

export function endpointChecks(v: MeshView, s: ClusterSnapshot): EndpointResult {
  const c = s.cluster;
  const mesh = v.meshes.get(s.stack)!;
  const checks: Check[] = [];
  const rows: RoutingRow[] = [];
  const idx = endpointIndex(v);

  const dumpOf = dumpReader(s, checks);

  const noSource = new Set<string>();
  let good = 0;
  let total = 0;
  for (const svc of mesh.services) {
    const host = serviceHost(svc);
    const src = s.sources.get(svc.namespace) ?? null;
    const { steps, planned } = idx.route(host, c);
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
    for (const { port } of svc.ports) {
      total++;
      const name = `${svc.name}.${svc.namespace}:${port}`;
      const cluster = outboundCluster(port, host);
      const hosts = dump.value.hosts(cluster);
      if (!hosts) {
        checks.push(
          fail(
            "MV0706",
            CAT,
            c,
            name,
            `${src}'s Envoy has no cluster ${cluster}`,
            `the sidecar does not know the service: check that the Service ${svc.namespace}/${svc.name} exists here (mirrors) and that no Sidecar resource hides it`,
          ),
        );
        rows.push({ service: host, port, caller: c, from: src, planned, observed: [], result: "fail" });
        continue;
      }
      const classified: Classified[] = hosts.map((h) => {
        const gw = idx.gatewayOwner.get(h.address);
        if (gw && gw !== c) return { host: h, kind: "gateway", cluster: gw };
        const owner = idx.podOwner.get(h.ip);
        if (owner === c) return { host: h, kind: "local", cluster: c };
        if (owner) return { host: h, kind: "pod", cluster: owner };
        return { host: h, kind: "unknown", cluster: "?" };
      });
      const finding = judge(v, idx, s, svc, steps, classified, src);
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
  idx: EndpointIndex,
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
    const net = owner === "?" ? "<network>" : (v.meshes.get(idx.stackOf(owner) ?? "")?.cluster.network ?? "<network>");
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
  if (want0 && local.length === 0 && idx.hasEndpoints(s.stack, svc))
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
      idx.hasEndpoints(idx.stackOf(st.cluster), svc),
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
