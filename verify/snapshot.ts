/**
 * Everything verify reads of one cluster, read once: the checks are pure functions of these
 * snapshots and the plan. One Envoy dump per source pod serves every service of its namespace; each
 * dump is indexed as it arrives, keeping only the Envoy clusters of those services.
 */
import type { V1Deployment, V1Namespace, V1Pod, V1Secret, V1Service } from "@kubernetes/client-node";
import { serviceHost } from "../model/services";
import type { CatalogService } from "../model/types";
import { EnvoyClusters, outboundCluster } from "./envoy";
import type { KubeReader, Read, ReadFailure } from "./kube";

export const ISTIO_NAMESPACE = "istio-system";
export const GATEWAY_SERVICE = "istio-eastwestgateway";
export const CROSS_NETWORK_GATEWAY = "cross-network-gateway";
/**
 * istiod's debug endpoints (`/debug/clusterz`, `/debug/syncz`) answer only localhost or a caller istiod
 * authenticates as a proxy (`allowAuthenticatedOrLocalhost`, `pilot/pkg/xds/debug.go`); the API server's pod
 * proxy is neither (it drops the caller's token once it has authenticated it). So verify asks from inside the
 * pod, by exec in its `discovery` container: `pilot-discovery request` GETs `127.0.0.1:15014`
 * (`pilot/cmd/pilot-discovery/app/request.go`), what `istioctl bug-report` runs.
 */
export const DISCOVERY_CONTAINER = "discovery";
export const CLUSTERZ_COMMAND = ["pilot-discovery", "request", "GET", "/debug/clusterz"] as const;
/** What Istio's own tests run in `istio-proxy`: Envoy's admin port 15000 is bound to the pod's loopback. */
export const ENVOY_CLUSTERS_COMMAND = ["pilot-agent", "request", "GET", "clusters?format=json"] as const;

/** One entry of istiod's `/debug/clusterz` (`pkg/kube/multicluster`). */
export interface ClusterzEntry {
  readonly id: string;
  readonly secretName: string;
  readonly syncStatus: string;
}

export interface ClusterSnapshot {
  readonly stack: string;
  readonly cluster: string;
  /** Set when the API could not be read at all: nothing else was read. */
  readonly unreachable?: ReadFailure;
  readonly istioSystem: Read<V1Namespace>;
  readonly istiod: Read<V1Deployment[]>;
  readonly istiodPods: Read<V1Pod[]>;
  /** Per istiod revision: the pod asked and its answer. */
  readonly clusterz: ReadonlyMap<string, { readonly pod: string; readonly read: Read<ClusterzEntry[]> }>;
  readonly remoteSecrets: Read<V1Secret[]>;
  readonly gateway: Read<V1Service | null>;
  readonly crossNetworkGateway: Read<unknown>;
  readonly rootCert: Read<string | null>;
  readonly services: Read<V1Service[]>;
  /** Every pod of the cluster, in one list (the data plane's census reads it too). */
  readonly allPods: Read<V1Pod[]>;
  /** Pods of each catalog namespace: out of `allPods`, or listed per namespace when that list cannot be read. */
  readonly pods: ReadonlyMap<string, Read<V1Pod[]>>;
  /** Per catalog namespace, the pod whose Envoy answers for it (null: none found). */
  readonly sources: ReadonlyMap<string, string | null>;
  /** Envoy's clusters per source pod (`ns/pod`), indexed for the services it answers for. */
  readonly dumps: ReadonlyMap<string, Read<EnvoyClusters>>;
}

const revisionOf = (o: { metadata?: { labels?: Record<string, string> } }) => o.metadata?.labels?.["istio.io/rev"] ?? "default";

export const isReady = (p: V1Pod): boolean =>
  p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** A sidecar as a container or, since native sidecars, as a restartable init container. */
export const isInjected = (p: V1Pod): boolean =>
  [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some((c) => c.name === "istio-proxy");

function parseClusterz(body: string): ClusterzEntry[] {
  const v: unknown = JSON.parse(body);
  if (!Array.isArray(v)) throw new Error("not a JSON array");
  const text = (x: unknown) => (typeof x === "string" ? x : "");
  return v.map((e: Record<string, unknown>) => ({
    id: text(e.id ?? e.ID),
    secretName: text(e.secretName),
    syncStatus: text(e.syncStatus),
  }));
}

const FATAL = new Set(["unreachable", "unauthorized", "timeout"]);

export interface SnapshotOptions {
  /** Catalog namespaces. */
  readonly namespaces: readonly string[];
  /** `ns/pod` to read Envoy from for every service, instead of the first ready one per namespace. */
  readonly from?: string;
  /** The catalog services whose Envoy clusters each dump is indexed for. @default every cluster of the dump */
  readonly services?: readonly CatalogService[];
}

/** Reads each source pod's dump once and indexes it once, for the services of the namespaces it answers for. */
async function readDumps(
  r: KubeReader,
  sources: ReadonlyMap<string, string | null>,
  services: readonly CatalogService[] | undefined,
): Promise<Map<string, Read<EnvoyClusters>>> {
  const wanted = new Map<string, Set<string>>();
  for (const src of sources.values()) if (src !== null && !wanted.has(src)) wanted.set(src, new Set());
  for (const svc of services ?? []) {
    const set = wanted.get(sources.get(svc.namespace) ?? "");
    for (const p of set ? svc.ports : []) set!.add(outboundCluster(p.port, serviceHost(svc)));
  }
  const dumps = new Map<string, Read<EnvoyClusters>>();
  await Promise.all(
    [...wanted].map(async ([src, clusters]) => {
      const [ns, pod] = src.split("/") as [string, string];
      const got = await r.exec(ns, pod, "istio-proxy", ENVOY_CLUSTERS_COMMAND);
      let read: Read<EnvoyClusters>;
      if (!got.ok) read = got;
      else
        try {
          read = { ok: true, value: EnvoyClusters.index(got.value, services ? clusters : undefined) };
        } catch (e) {
          read = {
            ok: false,
            failure: { kind: "invalid", what: `Envoy clusters of ${src}`, message: `not Envoy's admin JSON (${(e as Error).message})` },
          };
        }
      dumps.set(src, read);
    }),
  );
  return dumps;
}

/**
 * Each catalog namespace's pods, out of the list of every pod; when that cannot be read (a reader
 * allowed only some namespaces), one list per namespace.
 */
async function podsByNamespace(r: KubeReader, namespaces: readonly string[], all: Read<V1Pod[]>): Promise<Map<string, Read<V1Pod[]>>> {
  if (!all.ok) return new Map(await Promise.all(namespaces.map(async (ns) => [ns, await r.listPods(ns)] as const)));
  const pods = new Map<string, Read<V1Pod[]> & { ok: true }>(namespaces.map((ns) => [ns, { ok: true, value: [] }]));
  for (const p of all.value) pods.get(p.metadata?.namespace ?? "")?.value.push(p);
  return pods;
}

export async function readCluster(stack: string, cluster: string, r: KubeReader, opts: SnapshotOptions): Promise<ClusterSnapshot> {
  const istioSystem = await r.getNamespace(ISTIO_NAMESPACE);
  const empty = { ok: false as const, failure: undefined as unknown as ReadFailure };
  if (!istioSystem.ok && FATAL.has(istioSystem.failure.kind)) {
    return {
      stack,
      cluster,
      unreachable: istioSystem.failure,
      istioSystem,
      istiod: empty,
      istiodPods: empty,
      clusterz: new Map(),
      remoteSecrets: empty,
      gateway: empty,
      crossNetworkGateway: empty,
      rootCert: empty,
      services: empty,
      allPods: empty,
      pods: new Map(),
      sources: new Map(),
      dumps: new Map(),
    };
  }
  const [istiod, istiodPods, remoteSecrets, gateway, crossNetworkGateway, rootCert, services, allPods] = await Promise.all([
    r.listDeployments(ISTIO_NAMESPACE, "app=istiod"),
    r.listPods(ISTIO_NAMESPACE, "app=istiod"),
    r.listSecrets(ISTIO_NAMESPACE, "istio/multiCluster=true"),
    r.getService(ISTIO_NAMESPACE, GATEWAY_SERVICE),
    r.getCustomObject("networking.istio.io", "v1", ISTIO_NAMESPACE, "gateways", CROSS_NETWORK_GATEWAY),
    r.getConfigMapKey(ISTIO_NAMESPACE, "istio-ca-root-cert", "root-cert.pem"),
    r.listAllServices(),
    r.listAllPods(),
  ]);
  const pods = await podsByNamespace(r, opts.namespaces, allPods);

  // one running istiod per revision answers for it, as istioctl remote-clusters --revision does
  const clusterz = new Map<string, { pod: string; read: Read<ClusterzEntry[]> }>();
  if (istiodPods.ok) {
    const byRev = new Map<string, V1Pod>();
    for (const p of istiodPods.value.filter(isReady)) if (!byRev.has(revisionOf(p))) byRev.set(revisionOf(p), p);
    await Promise.all(
      [...byRev].map(async ([rev, p]) => {
        const got = await r.exec(ISTIO_NAMESPACE, p.metadata!.name!, DISCOVERY_CONTAINER, CLUSTERZ_COMMAND);
        let read: Read<ClusterzEntry[]>;
        if (!got.ok) read = got;
        else {
          try {
            read = { ok: true, value: parseClusterz(got.value) };
          } catch (e) {
            read = {
              ok: false,
              failure: {
                kind: "invalid",
                what: got.ok ? "debug/clusterz" : "",
                message: `debug/clusterz is not istiod's JSON (${(e as Error).message})`,
              },
            };
          }
        }
        clusterz.set(rev, { pod: p.metadata!.name!, read });
      }),
    );
  }

  const sources = new Map<string, string | null>();
  for (const ns of opts.namespaces) {
    if (opts.from) {
      sources.set(ns, opts.from);
      continue;
    }
    const list = pods.get(ns);
    const p = list?.ok ? list.value.find((x) => isReady(x) && isInjected(x)) : undefined;
    sources.set(ns, p ? `${ns}/${p.metadata!.name!}` : null);
  }
  const dumps = await readDumps(r, sources, opts.services);
  return {
    stack,
    cluster,
    istioSystem,
    istiod,
    istiodPods,
    clusterz,
    remoteSecrets,
    gateway,
    crossNetworkGateway,
    rootCert,
    services,
    allPods,
    pods,
    sources,
    dumps,
  };
}

export { revisionOf };
