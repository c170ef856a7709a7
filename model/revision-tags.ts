/**
 * Revision tags as the istiod chart renders them for `revisionTags` (istio/istio
 * `manifests/charts/istio-control/istio-discovery/templates/revision-tags-mwc.yaml`): one
 * MutatingWebhookConfiguration `istio-revision-tag-<tag>` per tag, calling the injector of the revision it
 * points at, with that revision's injector settings. The program applies them as its own objects, not from a
 * release: moving a tag is then one in-place update, where moving it between two releases would have the
 * gaining release refuse an object the other still owns.
 *
 * The chart's per-tag Service (`templates/revision-tags-svc.yaml`, `istiod-revision-tag-<tag>`) is left out:
 * it carries no traffic (every tag webhook, and every proxy it injects, talks to `istiod-<revision>`), and
 * istiod learns its tags from the tag webhooks as well as from those Services (`pkg/revisions/tag_watcher.go`,
 * `GetMyTags`); the Services were added so that ambient meshes, which have no injection webhooks, can keep
 * tags (istio/istio#56963).
 */
import { istiodRevisionRelease } from "./istio";
import { ISTIO_NAMESPACE } from "./istio-facts";
import type { KubeObject } from "./kube-types";
import { controlPlane, istiodServiceName, type Revision } from "./revisions";
import { DEFAULT_REVISION } from "./revisions-schema";
import type { MeshConfig } from "./types";

/** What `revision-tags-mwc.yaml` reads from the values of the revision's istiod, at the chart's defaults. */
export interface InjectorSettings {
  /** The chart's `revision`: "" for the default revision. */
  readonly revision: string;
  /** `istiodRemote.injectionPath` @default "/inject" */
  readonly injectionPath: string;
  /** `istiodRemote.injectionURL`: when set, the webhooks call this URL instead of the Service. @default "" */
  readonly injectionURL: string;
  /** `sidecarInjectorWebhook.reinvocationPolicy` @default "Never" */
  readonly reinvocationPolicy: string;
  /** `sidecarInjectorWebhook.enableNamespacesByDefault`: the `default` tag also injects unlabelled namespaces. @default false */
  readonly enableNamespacesByDefault: boolean;
  /** `sidecarInjectorWebhookAnnotations` @default {} */
  readonly annotations: Readonly<Record<string, string>>;
}

const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((a, k) => (a !== null && typeof a === "object" ? (a as Record<string, unknown>)[k] : undefined), o);
// Helm prints a scalar as its text; anything else as JSON
const text = (v: unknown, fallback: string): string => {
  if (v === undefined || v === null) return fallback;
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
};

/** The settings from an istiod release's values (ours merged with `mesh:istio.values.istiod`). */
export function injectorSettings(values: unknown): InjectorSettings {
  const annotations = at(values, "sidecarInjectorWebhookAnnotations");
  return {
    revision: text(at(values, "revision"), ""),
    injectionPath: text(at(values, "istiodRemote", "injectionPath"), "/inject"),
    injectionURL: text(at(values, "istiodRemote", "injectionURL"), ""),
    reinvocationPolicy: text(at(values, "sidecarInjectorWebhook", "reinvocationPolicy"), "Never"),
    // the chart tests it with `if`; its values schema makes it a boolean, so only true (or "true") turns it on
    enableNamespacesByDefault: [true, "true"].includes(at(values, "sidecarInjectorWebhook", "enableNamespacesByDefault") as never),
    annotations:
      annotations !== null && typeof annotations === "object"
        ? Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, text(v, "")]))
        : {},
  };
}

/** The MutatingWebhookConfiguration of a revision's own injector, whose caBundle istiod keeps current. */
export const injectorConfigName = (r: Pick<Revision, "chartRevision">): string =>
  `istio-sidecar-injector${r.chartRevision ? `-${r.chartRevision}` : ""}`;

/**
 * The caBundle a tag copies from its revision's injector: that of its first `…sidecar-injector.istio.io`
 * webhook, as `istioctl tag set` takes it (istioctl/pkg/tag/generate.go); undefined while istiod has not
 * patched one in.
 */
export function injectorCaBundle(
  hooks: readonly { readonly name?: string; readonly clientConfig?: { readonly caBundle?: string } }[],
): string | undefined {
  const ca = hooks.find((h) => h.name?.endsWith("sidecar-injector.istio.io"))?.clientConfig?.caBundle;
  return ca ? ca : undefined;
}

type Selector = { matchExpressions: { key: string; operator: string; values?: string[] }[] };
const expr = (key: string, operator: string, ...values: string[]) => ({ key, operator, ...(values.length ? { values } : {}) });

function hook(s: InjectorSettings, prefix: string, namespaceSelector: Selector, objectSelector: Selector) {
  return {
    name: `${prefix}sidecar-injector.istio.io`,
    clientConfig: s.injectionURL
      ? { url: s.injectionURL }
      : {
          service: {
            name: istiodServiceName({ chartRevision: s.revision }),
            namespace: ISTIO_NAMESPACE,
            path: s.injectionPath,
            port: 443,
          },
        },
    sideEffects: "None",
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
    failurePolicy: "Fail",
    reinvocationPolicy: s.reinvocationPolicy,
    admissionReviewVersions: ["v1"],
    namespaceSelector,
    objectSelector,
  };
}

/**
 * `istio-revision-tag-<tag>` for a revision with these injector settings, less Helm's own labels and the
 * caBundle (copied from the revision's injector when applied: components/istio-control-plane.ts).
 */
export function revisionTagWebhook(tag: string, s: InjectorSettings): KubeObject {
  const notDisabled = expr("sidecar.istio.io/inject", "NotIn", "false");
  const webhooks = [
    hook(
      s,
      "rev.namespace.",
      { matchExpressions: [expr("istio.io/rev", "In", tag), expr("istio-injection", "DoesNotExist")] },
      {
        matchExpressions: [notDisabled],
      },
    ),
    hook(
      s,
      "rev.object.",
      { matchExpressions: [expr("istio.io/rev", "DoesNotExist"), expr("istio-injection", "DoesNotExist")] },
      { matchExpressions: [notDisabled, expr("istio.io/rev", "In", tag)] },
    ),
  ];
  // the default tag also serves the default revision's selectors: istio-injection=enabled namespaces and
  // sidecar.istio.io/inject=true pods, as the unrevisioned istiod's own injector does (templates/mutatingwebhook.yaml)
  if (tag === DEFAULT_REVISION) {
    webhooks.push(
      hook(s, "namespace.", { matchExpressions: [expr("istio-injection", "In", "enabled")] }, { matchExpressions: [notDisabled] }),
      hook(
        s,
        "object.",
        { matchExpressions: [expr("istio-injection", "DoesNotExist"), expr("istio.io/rev", "DoesNotExist")] },
        { matchExpressions: [expr("sidecar.istio.io/inject", "In", "true"), expr("istio.io/rev", "DoesNotExist")] },
      ),
    );
    if (s.enableNamespacesByDefault)
      webhooks.push(
        hook(
          s,
          "auto.",
          {
            matchExpressions: [
              expr("istio-injection", "DoesNotExist"),
              expr("istio.io/rev", "DoesNotExist"),
              expr("kubernetes.io/metadata.name", "NotIn", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"),
            ],
          },
          { matchExpressions: [expr("sidecar.istio.io/inject", "DoesNotExist"), expr("istio.io/rev", "DoesNotExist")] },
        ),
      );
  }
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: {
      name: `istio-revision-tag-${tag}`,
      labels: {
        "istio.io/tag": tag,
        "istio.io/rev": s.revision || DEFAULT_REVISION,
        app: "sidecar-injector",
        "app.kubernetes.io/name": "istiod",
      },
      ...(Object.keys(s.annotations).length > 0 ? { annotations: s.annotations } : {}),
    },
    webhooks,
  };
}

export interface RevisionTag {
  readonly tag: string;
  readonly revision: Revision;
  /** The revision's own injector configuration, whose caBundle the tag's webhooks take. */
  readonly injector: string;
  readonly webhook: KubeObject;
}

/** Every tag of the cluster's control plane, with the injector settings of the istiod it points at. */
export function revisionTags(cfg: MeshConfig): RevisionTag[] {
  const cp = controlPlane(cfg);
  return cp.tags.map((t) => {
    const revision = cp.revisions.find((r) => r.name === t.revision)!;
    const settings = injectorSettings(istiodRevisionRelease(cfg, revision).values);
    return { tag: t.tag, revision, injector: injectorConfigName(revision), webhook: revisionTagWebhook(t.tag, settings) };
  });
}
