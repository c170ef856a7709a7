/**
 * The data plane: which revision every proxy of a cluster belongs to, read two ways. Connected: istiod's
 * `/debug/syncz` (`pilot/pkg/xds/debug.go`, `Syncz`), the list of proxies connected to one istiod, asked of
 * every ready istiod pod of every revision as `istioctl proxy-status` asks each (`istioctl/pkg/multixds`).
 * Injected: every pod carrying `istio-proxy`, as a container or, with native sidecars, as a restartable init
 * container, and the revision its injector wrote into its `istio.io/rev` annotation (`sidecar.istio.io/status`
 * as a fallback; `pkg/kube/inject/webhook.go`). A proxy is on a revision if either says so: a pod whose proxy is
 * down right now is still on it.
 *
 * syncz is read by exec, `pilot-discovery request GET /debug/syncz` in istiod's `discovery` container, as
 * clusterz is (snapshot.ts says why; `istioctl bug-report` runs the same, `tools/bug-report/pkg/content/content.go`).
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { EAST_WEST_GATEWAY_NAME } from "../model/istio-facts";
import { controlPlane, resolveRevision } from "../model/revisions";
import type { KubeReader, Read } from "./kube";
import { DISCOVERY_CONTAINER, ISTIO_NAMESPACE, isReady, revisionOf } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, unreadable, type MeshView } from "./view";

export const SYNCZ_COMMAND = ["pilot-discovery", "request", "GET", "/debug/syncz"] as const;

/** One proxy, as `ns/pod`, with how it was seen. */
export interface Proxy {
  readonly namespace: string;
  readonly pod: string;
  /** The istiod pod it is connected to, if it is. */
  readonly connectedTo?: string;
  /** Injected as a native sidecar (a restartable init container). */
  readonly native?: boolean;
}

export interface DataPlane {
  /** Per revision with a ready istiod: the pods asked and the proxies connected to any of them. */
  readonly connected: ReadonlyMap<string, { readonly istiods: readonly string[]; readonly read: Read<Proxy[]> }>;
  /** Per revision: the pods its injector injected. */
  readonly injected: Read<ReadonlyMap<string, readonly Proxy[]>>;
}

/** The entries of syncz this reads (`SyncStatus`: `proxy` is the node id, `<pod>.<namespace>`). */
export function parseSyncz(body: string, istiod: string): Proxy[] {
  const v: unknown = JSON.parse(body);
  if (!Array.isArray(v)) throw new Error("not a JSON array");
  return v.flatMap((e: { proxy?: unknown }) => {
    const id = typeof e?.proxy === "string" ? e.proxy : "";
    // a namespace is a DNS label (no dot); a pod name may hold dots
    const dot = id.lastIndexOf(".");
    return dot > 0 ? [{ pod: id.slice(0, dot), namespace: id.slice(dot + 1), connectedTo: istiod }] : [];
  });
}

const proxyIn = (cs: readonly V1Container[] | undefined) => (cs ?? []).some((c) => c.name === "istio-proxy");

/** The revision that injected a pod, or undefined when it carries no proxy. */
export function injectedBy(p: V1Pod): { revision: string; native: boolean } | undefined {
  const native = proxyIn(p.spec?.initContainers);
  if (!native && !proxyIn(p.spec?.containers)) return undefined;
  const annotations = p.metadata?.annotations ?? {};
  let revision = annotations["istio.io/rev"];
  if (!revision) {
    try {
      revision = (JSON.parse(annotations["sidecar.istio.io/status"] ?? "{}") as { revision?: string }).revision;
    } catch {
      revision = undefined;
    }
  }
  return { revision: revision || "unknown", native };
}

/** `allPods`: every pod of the cluster, when the caller has read them already. */
export async function readDataPlane(r: KubeReader, istiodPods: Read<V1Pod[]>, allPods?: Read<V1Pod[]>): Promise<DataPlane> {
  const byRev = new Map<string, V1Pod[]>();
  if (istiodPods.ok) for (const p of istiodPods.value.filter(isReady)) byRev.set(revisionOf(p), [...(byRev.get(revisionOf(p)) ?? []), p]);
  const [connected, all] = await Promise.all([
    Promise.all(
      [...byRev].map(async ([rev, pods]) => {
        const reads = await Promise.all(
          pods.map(async (p) => {
            const name = p.metadata!.name!;
            const got = await r.exec(ISTIO_NAMESPACE, name, DISCOVERY_CONTAINER, SYNCZ_COMMAND);
            if (!got.ok) return got;
            try {
              return { ok: true as const, value: parseSyncz(got.value, name) };
            } catch (e) {
              return {
                ok: false as const,
                failure: {
                  kind: "invalid" as const,
                  what: `debug/syncz of ${name}`,
                  message: `not istiod's JSON (${(e as Error).message})`,
                },
              };
            }
          }),
        );
        const failed = reads.find((x) => !x.ok);
        const read: Read<Proxy[]> = failed ?? { ok: true, value: reads.flatMap((x) => (x.ok ? x.value : [])) };
        return [rev, { istiods: pods.map((p) => p.metadata!.name!), read }] as const;
      }),
    ),
    allPods ?? r.listAllPods(),
  ]);
  let injected: DataPlane["injected"];
  if (!all.ok) injected = all;
  else {
    const out = new Map<string, Proxy[]>();
    for (const p of all.value) {
      const by = injectedBy(p);
      if (!by) continue;
      const proxy = { namespace: p.metadata?.namespace ?? "", pod: p.metadata?.name ?? "", native: by.native };
      const list = out.get(by.revision);
      if (list) list.push(proxy);
      else out.set(by.revision, [proxy]);
    }
    injected = { ok: true, value: out };
  }
  return { connected: new Map(connected), injected };
}

const key = (p: Proxy) => `${p.namespace}/${p.pod}`;

/** Every proxy still on a revision, connected or injected, once each, sorted; what each says of it. */
export function proxiesOn(d: DataPlane, revision: string): { readonly name: string; readonly how: string }[] {
  const out = new Map<string, string[]>();
  const c = d.connected.get(revision)?.read;
  for (const p of c?.ok ? c.value : []) out.set(key(p), [...(out.get(key(p)) ?? []), `connected to ${p.connectedTo}`]);
  for (const p of d.injected.ok ? (d.injected.value.get(revision) ?? []) : [])
    out.set(key(p), [...(out.get(key(p)) ?? []), `injected by ${revision}${p.native ? " (native sidecar)" : ""}`]);
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([name, how]) => ({ name, how: how.join(", ") }));
}

/** `dev 2, istio-system 1` */
const perNamespace = (names: readonly string[]) => {
  const n = new Map<string, number>();
  for (const x of names) n.set(x.split("/")[0]!, (n.get(x.split("/")[0]!) ?? 0) + 1);
  return [...n].map(([ns, k]) => `${ns} ${k}`).join(", ");
};
const CAT = "data-plane" as const;
const SHOWN = 10;
const some = (xs: readonly string[]) => `${xs.slice(0, SHOWN).join(", ")}${xs.length > SHOWN ? ` and ${xs.length - SHOWN} more` : ""}`;

export function dataPlaneChecks(v: MeshView, stack: string, cluster: string, d: DataPlane): Check[] {
  const cp = controlPlane(v.meshes.get(stack)!);
  const planned = new Set(cp.revisions.map((r) => r.name));
  const out: Check[] = [];
  for (const [rev, { istiods, read }] of [...d.connected].sort(([a], [b]) => a.localeCompare(b))) {
    const name = `proxies on revision ${rev}`;
    if (!read.ok) out.push(unreadable("MV0801", CAT, cluster, name, read.failure, stack));
    else {
      const names = [...new Set(read.value.map(key))].sort();
      out.push(
        pass(
          "MV0801",
          CAT,
          cluster,
          name,
          `${names.length} connected to ${istiods.join(", ")}${names.length ? ` (${perNamespace(names)})` : ""}`,
        ),
      );
    }
  }
  if (!d.injected.ok) return [...out, unreadable("MV0802", CAT, cluster, "injected pods", d.injected.failure, stack)];
  // on a revision the plan no longer installs: its istiod is gone or going, so its proxies stop being configured
  const revisions = new Set([...d.injected.value.keys(), ...d.connected.keys()]);
  for (const rev of [...revisions].filter((r) => !planned.has(r)).sort()) {
    const left = proxiesOn(d, rev).map((p) => p.name);
    if (left.length === 0) continue;
    out.push(
      fail(
        "MV0802",
        CAT,
        cluster,
        `proxies on revision ${rev}`,
        `${left.length} prox${left.length === 1 ? "y" : "ies"} on ${rev}, which the plan does not install (${perNamespace(left)}): ${some(left)}; without their istiod they get no new configuration and their certificates are not renewed`,
        `restart them so the revision their namespace names injects them (kubectl -n <ns> rollout restart deployment,statefulset,daemonset; a Job's pods when they end)`,
      ),
    );
  }
  // the catalog's namespaces and the gateway on another revision than the plan gives them: restarts not done yet
  const want = new Map(cp.namespaces.map((n) => [n.namespace, resolveRevision(cp, n.tag ?? n.revision)?.name]));
  const gatewayRev = resolveRevision(cp, cp.gateway.tag ?? cp.gateway.revision)?.name;
  for (const [rev, proxies] of [...d.injected.value].sort(([a], [b]) => a.localeCompare(b))) {
    if (!planned.has(rev)) continue;
    const stale = proxies
      .filter((p) =>
        p.namespace === ISTIO_NAMESPACE
          ? // the gateway's pods are named after its Deployment
            p.pod.startsWith(`${EAST_WEST_GATEWAY_NAME}-`) && gatewayRev !== rev
          : want.has(p.namespace) && want.get(p.namespace) !== rev,
      )
      .map(key)
      .sort();
    if (stale.length === 0) continue;
    out.push(
      fail(
        "MV0803",
        CAT,
        cluster,
        `proxies on revision ${rev}`,
        `${some(stale)}: injected by ${rev}, while the plan puts ${[...new Set(stale.map((s) => s.split("/")[0]!))].map((ns) => (ns === ISTIO_NAMESPACE ? `the gateway on ${gatewayRev}` : `${ns} on ${want.get(ns)}`)).join(", ")}`,
        "restart them (the upgrade step's printed restarts) to move them onto the revision their namespace's tag names",
        "warn",
      ),
    );
  }
  return out;
}
