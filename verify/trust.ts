/**
 * Trust: every cluster's root (the `istio-ca-root-cert` ConfigMap istiod publishes from `cacerts`)
 * has one fingerprint. Only SHA-256 fingerprints are compared and shown, never the certificate.
 */
import { X509Certificate } from "node:crypto";
import type { Check } from "./types";
import { fail, pass, unreadable, type MeshView } from "./view";

const CAT = "trust" as const;

export function fingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

const short = (f: string) => `${f.slice(0, 23)}…`;

/** One check per cluster read, all against the trust anchor's root (or, without one read, the first). */
export function trustChecks(v: MeshView): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  const prints = new Map<string, string>();
  for (const [stack, s] of v.snapshots) {
    if (s.unreachable) continue;
    const name = "root certificate";
    if (!s.rootCert.ok) out.set(stack, [unreadable("MV0501", CAT, s.cluster, name, s.rootCert.failure, stack)]);
    else if (s.rootCert.value === null)
      out.set(stack, [
        fail(
          "MV0501",
          CAT,
          s.cluster,
          name,
          "no istio-ca-root-cert ConfigMap (root-cert.pem) in istio-system",
          "istiod publishes it once it runs: see the control plane checks",
        ),
      ]);
    else {
      const f = fingerprint(s.rootCert.value);
      if (f) prints.set(stack, f);
      else
        out.set(stack, [fail("MV0501", CAT, s.cluster, name, "root-cert.pem is not a PEM certificate", "recreate cacerts: mesh converge")]);
    }
  }
  const anchor = v.plan.trust.anchor;
  const refStack = anchor && prints.has(anchor) ? anchor : [...prints.keys()][0];
  const ref = refStack ? prints.get(refStack) : undefined;
  const refCluster = refStack ? v.snapshots.get(refStack)!.cluster : "";
  for (const [stack, f] of prints) {
    const c = v.snapshots.get(stack)!.cluster;
    out.set(stack, [
      f === ref
        ? pass(
            "MV0502",
            CAT,
            c,
            "root certificate",
            `SHA-256 ${short(f)}${prints.size > 1 ? `, the same in all ${prints.size} clusters read` : ""}`,
          )
        : fail(
            "MV0502",
            CAT,
            c,
            "root certificate",
            `SHA-256 ${short(f)}, but ${refCluster}'s is ${short(ref!)}: cross-cluster mTLS fails (CERTIFICATE_VERIFY_FAILED)`,
            `issue ${c}'s cacerts from the one root (mesh:trust.rootStack), run mesh converge, then restart istiod and the workloads so they take the new root`,
          ),
    ]);
  }
  return out;
}
