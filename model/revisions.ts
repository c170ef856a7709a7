/**
 * The control planes of one cluster as data, from either form of config: `mesh:istio.version` (and an
 * optional `mesh:istio.revision`) for one istiod, or `mesh:revisions` for several side by side. Every
 * builder (releases, namespaces, tag webhooks, plan, diff, upgrade) reads this, never the raw forms.
 */
import { DEFAULT_REVISION } from "./revisions-schema";
import type { MeshConfig } from "./types";

export { DEFAULT_REVISION } from "./revisions-schema";

export interface Revision {
  /** As config names it; `default` for the unrevisioned istiod. */
  readonly name: string;
  /** The istiod chart's `revision` value: "" for `default`. */
  readonly chartRevision: string;
  readonly version: string;
  /** Image tag of istiod and the proxies it injects. */
  readonly imageTag: string;
}

export interface NamespaceInjection {
  readonly namespace: string;
  /** The one injection label the namespace carries (two would let `istio-injection` win, istio.io `docs/setup/upgrade/canary`). */
  readonly label: { readonly key: "istio-injection" | "istio.io/rev"; readonly value: string };
  /** The revision whose injector serves it, through the tag if the label names one. */
  readonly revision: string;
  readonly tag?: string;
}

export interface ControlPlane {
  /** Sorted oldest version first, then by name. */
  readonly revisions: readonly Revision[];
  readonly tags: readonly { readonly tag: string; readonly revision: string }[];
  readonly namespaces: readonly NamespaceInjection[];
  /** The gateway chart's `revision` value ("" for the default revision) and the revision it resolves to. */
  readonly gateway: { readonly chartRevision: string; readonly revision: string; readonly tag?: string };
  /** `istio-base`'s `defaultRevision`, or undefined to keep the chart's default (`default`). */
  readonly baseDefaultRevision?: string;
  /** Whether `mesh:revisions` declares this (a canary-capable cluster). */
  readonly declared: boolean;
}

export const minorOf = (version: string): number => Number(version.split(".")[1]);
export const majorMinor = (version: string): string => version.split(".").slice(0, 2).join(".");
const byVersion = (a: Revision, b: Revision) =>
  a.version.localeCompare(b.version, undefined, { numeric: true }) || a.name.localeCompare(b.name);

const chartRevisionOf = (name: string) => (name === DEFAULT_REVISION ? "" : name);
/** The release that installs a revision's istiod. */
export const istiodReleaseName = (r: Pick<Revision, "chartRevision">): string => (r.chartRevision ? `istiod-${r.chartRevision}` : "istiod");
/** The Service (and Deployment) of a revision's istiod, which its webhooks call. */
export const istiodServiceName = istiodReleaseName;

export function controlPlane(cfg: MeshConfig): ControlPlane {
  const namespaces = [...new Set(cfg.services.map((s) => s.namespace))].sort();
  const r = cfg.revisions;
  if (!r) {
    const rev = cfg.istio.revision;
    const name = rev ?? DEFAULT_REVISION;
    return {
      revisions: [{ name, chartRevision: rev ?? "", version: cfg.istio.version, imageTag: cfg.istio.tag ?? cfg.istio.version }],
      tags: [],
      namespaces: namespaces.map((namespace) => ({
        namespace,
        label: rev ? { key: "istio.io/rev", value: rev } : { key: "istio-injection", value: "enabled" },
        revision: name,
      })),
      gateway: { chartRevision: rev ?? "", revision: name },
      ...(rev ? { baseDefaultRevision: rev } : {}),
      declared: false,
    };
  }
  const tags = Object.entries(r.tags)
    .map(([tag, revision]) => ({ tag, revision }))
    .sort((a, b) => a.tag.localeCompare(b.tag));
  const resolve = (ref: string) => {
    const t = r.tags[ref];
    return t !== undefined ? { revision: t, tag: ref } : { revision: ref };
  };
  return {
    revisions: Object.entries(r.installed)
      .map(([name, version]) => ({ name, chartRevision: chartRevisionOf(name), version, imageTag: version }))
      .sort(byVersion),
    tags,
    namespaces: namespaces.map((namespace) => {
      const ref = r.namespaces[namespace] ?? "";
      const to = resolve(ref);
      return {
        namespace,
        label: ref === DEFAULT_REVISION ? { key: "istio-injection", value: "enabled" } : { key: "istio.io/rev", value: ref },
        ...to,
      };
    }),
    gateway: { chartRevision: chartRevisionOf(r.gateway), ...resolve(r.gateway) },
    ...(r.defaultRevision !== DEFAULT_REVISION ? { baseDefaultRevision: r.defaultRevision } : {}),
    declared: true,
  };
}

/** The revision a name (revision or tag) resolves to in this control plane, if any. */
export function resolveRevision(cp: ControlPlane, ref: string): Revision | undefined {
  const name = cp.tags.find((t) => t.tag === ref)?.revision ?? ref;
  return cp.revisions.find((r) => r.name === name);
}

/**
 * Every tag, namespace and gateway that still sends pods to a revision: what must move off it before it
 * is removed. (istio-base's defaultRevision moves in the same change as the removal, so it is not one.)
 */
export function revisionUsers(cp: ControlPlane, revision: string): string[] {
  return [
    ...cp.tags.filter((t) => t.revision === revision).map((t) => `tag ${t.tag}`),
    ...cp.namespaces.filter((n) => n.revision === revision).map((n) => `namespace ${n.namespace}`),
    ...(cp.gateway.revision === revision ? ["the east-west gateway"] : []),
  ];
}

/** The catalog namespaces with their one injection label each. */
export function injectionNamespaces(cp: ControlPlane): { name: string; labels: Record<string, string> }[] {
  return cp.namespaces.map((n) => ({ name: n.namespace, labels: { [n.label.key]: n.label.value } }));
}
