/**
 * The trust resources of `mesh plan --diff`: each stack's `tls` resources (the anchor's root key and root,
 * every stack's intermediate key, request and certificate) with every input, and which input changes
 * make the provider replace them. pulumi-tls wraps hashicorp/terraform-provider-tls, whose schemas
 * (`internal/provider/resource_*.go`) mark every input `RequiresReplace` except `early_renewal_hours`,
 * which is updated in place: a new validity, subject, key use or CA is a new certificate.
 */
import { CA_KEY, intermediateCertInputs, intermediateSubject, rootCertInputs } from "../model/trust";
import { stackShortName } from "../model/peers";
import type { MeshConfig } from "../model/types";
import { itemDiff, type Disruption, type FieldChange, type ItemChange } from "./diff-items";

/** One `tls` resource as the diff compares it: its Pulumi name and inputs; secrets as `[secret]`. */
export interface TrustResource {
  /** `tls.SelfSignedCert wuxi-root` */
  readonly key: string;
  readonly role: "root key" | "root" | "intermediate key" | "intermediate request" | "intermediate";
  readonly body: Readonly<Record<string, unknown>>;
}

/** Inputs a change of which the provider applies in place; every other input replaces the resource. */
const IN_PLACE = new Set(["earlyRenewalHours"]);

/** Whether a change of these field paths (of one resource) replaces it. */
export const replaces = (paths: readonly string[]): boolean => paths.some((p) => !IN_PLACE.has(p.split(/[.[]/)[0]!));

/**
 * The `tls` resources MeshTrust registers for a stack, with the inputs it gives them (the same model
 * functions). `caCertPem` names the root an intermediate is signed with: the anchor's own, the anchor
 * stack's `trustRoot`, or the team's root from secret config.
 */
export function trustResources(m: MeshConfig): TrustResource[] {
  const t = m.trust;
  const name = m.cluster.name;
  if (t.kind === "none" || (t.kind === "pki" && !t.issuesIntermediate)) return [];
  const out: TrustResource[] = [];
  const key = (type: string, suffix: string) => `tls.${type} ${name}-${suffix}`;
  if (t.kind === "anchor") {
    out.push({ key: key("PrivateKey", "root-key"), role: "root key", body: { ...CA_KEY } });
    out.push({
      key: key("SelfSignedCert", "root"),
      role: "root",
      body: { privateKeyPem: `${name}-root-key`, ...rootCertInputs(m.meshId, m.trustValidity.rootHours) },
    });
  }
  const ca =
    t.kind === "anchor"
      ? `${name}-root`
      : t.kind === "rootStack"
        ? `trustRoot of ${stackShortName(t.stack)}`
        : "mesh:trust.pki.rootCert [secret]";
  out.push({ key: key("PrivateKey", "intermediate-key"), role: "intermediate key", body: { ...CA_KEY } });
  out.push({
    key: key("CertRequest", "intermediate-csr"),
    role: "intermediate request",
    body: { privateKeyPem: `${name}-intermediate-key`, subject: intermediateSubject(m.meshId, name) },
  });
  out.push({
    key: key("LocallySignedCert", "intermediate"),
    role: "intermediate",
    body: {
      certRequestPem: `${name}-intermediate-csr`,
      caCertPem: ca,
      caPrivateKeyPem: "[secret]",
      ...intermediateCertInputs(m.trustValidity.intermediateHours),
    },
  });
  return out;
}

/** What each resource is made from: a replaced dependency replaces it (a new key, request or root is a new input). */
const DEPENDS: Readonly<Record<TrustResource["role"], readonly (readonly [TrustResource["role"], string])[]>> = {
  "root key": [],
  root: [["root key", "privateKeyPem"]],
  "intermediate key": [],
  "intermediate request": [["intermediate key", "privateKeyPem"]],
  intermediate: [
    ["intermediate request", "certRequestPem"],
    ["root", "caCertPem"],
  ],
};
const ROLES = Object.keys(DEPENDS) as TrustResource["role"][];

/** Marks an input that changes because what it is made from is replaced. */
const RE_ISSUED = " (re-issued)";
const shown = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
const fieldsInWords = (fields: readonly FieldChange[]) => fields.map((f) => `${f.path} ${shown(f.before)} → ${shown(f.after)}`).join(", ");

const ROOT_ADVICE =
  "a mesh-wide trust change: every stack re-issues its intermediate from the new root and must run again (mesh converge); until each has, its peers on the other root refuse its link (a different trustRoot), and if the root's key or subject changed, cross-cluster mTLS between them fails (CERTIFICATE_VERIFY_FAILED)";
const INTERMEDIATE_ADVICE =
  "cacerts gets a new intermediate CA under the same root: istiod reloads it (AUTO_RELOAD_PLUGIN_CERTS, on by default since Istio 1.18) and signs new workload certificates with it; if istiod keeps the old one, restart it (kubectl -n istio-system rollout restart deploy/istiod)";

/** One stack's trust resources, by role, as changed: directly, or because what each is made from is replaced. */
function stackTrustChanges(
  b: MeshConfig | undefined,
  h: MeshConfig | undefined,
  rootReplaced: ReadonlySet<string>,
): { byRole: Map<TrustResource["role"], ItemChange>; addedOrRemoved: ItemChange[] } {
  const rb = b ? trustResources(b) : [];
  const rh = h ? trustResources(h) : [];
  const direct = itemDiff(
    rb,
    rh,
    (r) => r.key,
    (r) => r.body,
  );
  const byRole = new Map<TrustResource["role"], ItemChange>();
  for (const r of rh) {
    const c = direct.find((x) => x.item === r.key);
    if (c?.change === "changed")
      byRole.set(r.role, { ...c, effect: replaces(c.fields.map((f) => f.path)) ? "replaced" : "updated in place" });
  }
  const replaced = (role: TrustResource["role"]) => byRole.get(role)?.effect === "replaced";
  // an intermediate issued from another stack's root follows that root
  const issuer =
    h?.trust.kind === "rootStack" && b?.trust.kind === "rootStack" && h.trust.stack === b.trust.stack ? h.trust.stack : undefined;
  for (const role of ROLES) {
    const r = rh.find((x) => x.role === role);
    if (!r || !rb.some((x) => x.key === r.key) || replaced(role)) continue;
    const deps = DEPENDS[role].filter(([dep]) => replaced(dep));
    if (role === "intermediate" && issuer && rootReplaced.has(stackShortName(issuer))) deps.push(["root", "caCertPem"]);
    if (deps.length === 0) continue;
    const marked = deps.map(([, path]) => ({ path, before: shown(r.body[path]), after: `${shown(r.body[path])}${RE_ISSUED}` }));
    byRole.set(role, { item: r.key, change: "changed", fields: [...(byRole.get(role)?.fields ?? []), ...marked], effect: "replaced" });
  }
  return { byRole, addedOrRemoved: direct.filter((c) => c.change !== "changed") };
}

/**
 * Every trust resource of every stack, field by field, with whether the provider replaces it; and the
 * replacements that disrupt: a new mesh root (every intermediate in the mesh follows), a new intermediate.
 */
export function trustDiff(
  base: ReadonlyMap<string, MeshConfig>,
  head: ReadonlyMap<string, MeshConfig>,
): { items: Map<string, ItemChange[]>; disruptions: Disruption[] } {
  const items = new Map<string, ItemChange[]>();
  const disruptions: Disruption[] = [];
  const rootReplaced = new Set<string>();
  // anchors first: the others' intermediates follow their root
  const order = [...new Set([...head.keys(), ...base.keys()])].sort(
    (a, b) => Number(head.get(b)?.trust.kind === "anchor") - Number(head.get(a)?.trust.kind === "anchor"),
  );
  for (const stack of order) {
    const b = base.get(stack);
    const h = head.get(stack);
    const { byRole, addedOrRemoved } = stackTrustChanges(b, h, rootReplaced);
    // what the user changed, by resource: a dependency's replacement is shown on the item, not as a cause
    const causes = (roles: readonly TrustResource["role"][]) =>
      roles.flatMap((role) =>
        (byRole.get(role)?.fields ?? [])
          .filter((f) => !String(f.after).endsWith(RE_ISSUED))
          .map((f) => ({ ...f, path: role === roles[roles.length - 1] ? f.path : `${role} ${f.path}` })),
      );
    if (byRole.get("root")?.effect === "replaced" && b?.trust.kind === "anchor" && h?.trust.kind === "anchor") {
      rootReplaced.add(stack);
      disruptions.push({
        severity: "disrupts",
        stack,
        what: `mesh root CA re-issued (${fieldsInWords(causes(["root key", "root"]))})`,
        advice: ROOT_ADVICE,
      });
    }
    // a new trust source or mesh id is reported as such; a new root, on the anchor
    const interCauses = causes(["intermediate key", "intermediate request", "intermediate"]);
    const sameSource = JSON.stringify(b?.trust) === JSON.stringify(h?.trust) && b?.meshId === h?.meshId;
    if (byRole.get("intermediate")?.effect === "replaced" && interCauses.length > 0 && sameSource)
      disruptions.push({
        severity: "disrupts",
        stack,
        what: `intermediate CA re-issued (${fieldsInWords(interCauses)})`,
        advice: INTERMEDIATE_ADVICE,
      });
    const changes = [...addedOrRemoved, ...ROLES.flatMap((role) => byRole.get(role) ?? [])];
    if (changes.length > 0) items.set(stack, changes);
  }
  return { items, disruptions };
}
