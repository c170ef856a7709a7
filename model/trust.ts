/**
 * The mesh's shared trust: one root CA, an intermediate per cluster, and the `cacerts` Secret
 * istiod reads at start-up (ISTIO-FACTS §8). Shapes only; the keys are made by @pulumi/tls.
 */
import { ISTIO_NAMESPACE } from "./istio-facts";
import type { KubeObject } from "./istio";

export const CACERTS_SECRET = "cacerts";

/** `cacerts` in istio-system, as `kubectl create secret generic cacerts --from-file=...` makes it. */
export function cacertsSecret<D>(stringData: D): KubeObject & { readonly stringData: D } {
  return { apiVersion: "v1", kind: "Secret", metadata: { name: CACERTS_SECRET, namespace: ISTIO_NAMESPACE }, type: "Opaque", stringData };
}

/** RSA 4096 for root and intermediates, as Istio's own cert tooling makes them. */
export const CA_KEY = { algorithm: "RSA", rsaBits: 4096 } as const;

export const ROOT_USES = ["cert_signing", "crl_signing"] as const;
export const INTERMEDIATE_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"] as const;
/** Re-issue an intermediate a month before it expires (on the next `pulumi up`). */
export const INTERMEDIATE_EARLY_RENEWAL_HOURS = 720;

export function rootSubject(meshId: string): { organization: string; commonName: string } {
  return { organization: meshId, commonName: `${meshId} root CA` };
}

export function intermediateSubject(meshId: string, cluster: string): { organization: string; commonName: string; locality: string } {
  return { organization: meshId, commonName: `${meshId} intermediate CA ${cluster}`, locality: cluster };
}

export interface CaMaterial {
  readonly intermediateCert: string;
  readonly intermediateKey: string;
  readonly rootCert: string;
  /** Intermediate then root, unless the team's PKI gives its own chain. */
  readonly certChain?: string;
}

/** The four files of `cacerts` in istio-system. */
export function cacertsData(m: CaMaterial): Record<"ca-cert.pem" | "ca-key.pem" | "root-cert.pem" | "cert-chain.pem", string> {
  const pem = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);
  return {
    "ca-cert.pem": pem(m.intermediateCert),
    "ca-key.pem": pem(m.intermediateKey),
    "root-cert.pem": pem(m.rootCert),
    "cert-chain.pem": m.certChain !== undefined ? pem(m.certChain) : pem(m.intermediateCert) + pem(m.rootCert),
  };
}

/** Two PEM bundles name the same root (whitespace around blocks does not count). */
export function sameRoot(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r/g, "").trim();
  return norm(a) === norm(b);
}

/** Whether a value read from another stack is PEM of this kind (not a placeholder for an undecryptable secret). */
export function isPem(value: unknown, kind: "CERTIFICATE" | "PRIVATE KEY"): value is string {
  return typeof value === "string" && new RegExp(`-----BEGIN [A-Z ]*${kind}-----[\\s\\S]+-----END [A-Z ]*${kind}-----`).test(value);
}

/** The problem to report when a peer's root is not ours, else undefined. */
export function rootMismatch(ours: string, theirs: string, problem: string): string | undefined {
  return sameRoot(ours, theirs) ? undefined : problem;
}
