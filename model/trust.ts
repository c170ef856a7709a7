/**
 * The mesh's shared trust: one root CA, an intermediate per cluster, and the `cacerts` Secret
 * istiod reads at start-up (istio.io `docs/tasks/security/cert-management/plugin-ca-cert`). Shapes only; the keys are made by @pulumi/tls.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { ISTIO_NAMESPACE } from "./istio-facts";
import type { KubeObject } from "./kube-types";

import { INTERMEDIATE_EARLY_RENEWAL_HOURS } from "./defaults";

export { INTERMEDIATE_EARLY_RENEWAL_HOURS };

export const CACERTS_SECRET = "cacerts";

/** `cacerts` in istio-system, as `kubectl create secret generic cacerts --from-file=...` makes it. */
export function cacertsSecret<D>(stringData: D): KubeObject & { readonly stringData: D } {
  return { apiVersion: "v1", kind: "Secret", metadata: { name: CACERTS_SECRET, namespace: ISTIO_NAMESPACE }, type: "Opaque", stringData };
}

/** RSA 4096 for root and intermediates, as Istio's own cert tooling makes them. */
export const CA_KEY = { algorithm: "RSA", rsaBits: 4096 } as const;

export const ROOT_USES = ["cert_signing", "crl_signing"] as const;
export const INTERMEDIATE_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"] as const;

export function rootSubject(meshId: string): { organization: string; commonName: string } {
  return { organization: meshId, commonName: `${meshId} root CA` };
}

export function intermediateSubject(meshId: string, cluster: string): { organization: string; commonName: string; locality: string } {
  return { organization: meshId, commonName: `${meshId} intermediate CA ${cluster}`, locality: cluster };
}

/** The root's `tls.SelfSignedCert` inputs besides its key: what MeshTrust registers and `mesh plan --diff` compares. */
export function rootCertInputs(meshId: string, validityHours: number) {
  return { subject: rootSubject(meshId), isCaCertificate: true, validityPeriodHours: validityHours, allowedUses: [...ROOT_USES] };
}

/** The intermediate's `tls.LocallySignedCert` inputs besides its request and its CA. */
export function intermediateCertInputs(validityHours: number) {
  return {
    isCaCertificate: true,
    // istiod signs workload certificates only, never another CA
    maxPathLength: 0,
    validityPeriodHours: validityHours,
    earlyRenewalHours: INTERMEDIATE_EARLY_RENEWAL_HOURS,
    allowedUses: [...INTERMEDIATE_USES],
  };
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

/** The team's own CA material, as given in `mesh:trust.pki` (secret config). */
export interface PkiInput {
  readonly rootCert?: unknown;
  readonly rootKey?: unknown;
  readonly intermediateCert?: unknown;
  readonly intermediateKey?: unknown;
  readonly certChain?: unknown;
}

export interface PkiProblem {
  readonly field: keyof PkiInput;
  readonly message: string;
  readonly fix: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** The certificates of a PEM text, or why it is not one or more of them (never its content). */
function certificates(text: string): X509Certificate[] | string {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) return "not PEM";
  if (blocks.some((b) => b[1] !== "CERTIFICATE"))
    return blocks.some((b) => b[1]!.includes("PRIVATE KEY"))
      ? "holds a private key, not a certificate"
      : "holds a PEM block that is not a certificate";
  try {
    return blocks.map((b) => new X509Certificate(b[0]));
  } catch {
    return "a certificate that does not parse";
  }
}

function privateKey(text: string): KeyObject | string {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) return blocks.length === 0 ? "not PEM" : "more than one PEM block";
  if (!blocks[0]![1]!.endsWith("PRIVATE KEY"))
    return blocks[0]![1] === "CERTIFICATE" ? "a certificate, not a private key" : "not a private key";
  try {
    return createPrivateKey(blocks[0]![0]);
  } catch {
    return "a private key that does not parse";
  }
}

/**
 * Whether each field of `mesh:trust.pki` is what it says, checked with Node's own X.509 and key
 * parsers before anything is registered: a private key in `rootCert` would otherwise be exported as
 * the plain `trustRoot`, and bad material fails only after istiod is installed. Messages never carry
 * the material itself.
 */
export function pkiProblems(pki: PkiInput, now = new Date()): PkiProblem[] {
  const out: PkiProblem[] = [];
  const say = (field: keyof PkiInput, message: string, fix: string) => out.push({ field, message, fix });
  const certOf = (field: "rootCert" | "intermediateCert"): X509Certificate | undefined => {
    const v = pki[field];
    if (typeof v !== "string") return undefined;
    const certs = certificates(v);
    if (typeof certs === "string") {
      say(field, certs, "give the CA certificate as PEM (-----BEGIN CERTIFICATE-----)");
      return undefined;
    }
    const c = certs[0]!;
    if (certs.length > 1)
      say(field, `${certs.length} certificates where one is expected`, "give only the CA's own certificate; put the chain in certChain");
    else if (!c.ca)
      say(field, "not a CA certificate (basicConstraints CA:FALSE)", "give the CA's certificate, not a workload's or server's");
    else if (new Date(c.validTo) <= now)
      say(field, `expired on ${new Date(c.validTo).toISOString().slice(0, 10)}`, "renew the CA and give the new certificate");
    return c;
  };
  const keyOf = (field: "rootKey" | "intermediateKey", cert: X509Certificate | undefined, of: string) => {
    const v = pki[field];
    if (typeof v !== "string") return;
    const key = privateKey(v);
    if (typeof key === "string") say(field, key, "give the CA's private key as PEM (-----BEGIN PRIVATE KEY-----)");
    else if (cert && !cert.checkPrivateKey(key)) say(field, `does not belong to ${of}`, `give the private key of the certificate in ${of}`);
  };
  const root = certOf("rootCert");
  keyOf("rootKey", root, "rootCert");
  const intermediate = certOf("intermediateCert");
  keyOf("intermediateKey", intermediate, "intermediateCert");
  if (root && intermediate && !(intermediate.checkIssued(root) && intermediate.verify(root.publicKey))) {
    say("intermediateCert", "was not issued by rootCert", "give the intermediate your root signed, or the root that signed it");
  }
  if (typeof pki.certChain === "string") {
    const chain = certificates(pki.certChain);
    if (typeof chain === "string")
      say("certChain", chain, "give the chain as PEM certificates: the intermediate, then its issuers up to the root");
  }
  return out;
}

/**
 * Why an intermediate of `hours` issued now would outlive the root `rootPem`, or undefined (also when
 * the root is not a certificate Node can parse). The TLS provider does not clamp an intermediate to its
 * root, and every workload certificate it signs stops verifying when the root expires.
 */
export function outlivesRoot(rootPem: string, hours: number, now = new Date()): string | undefined {
  let root: X509Certificate;
  try {
    root = new X509Certificate(rootPem);
  } catch {
    return undefined;
  }
  const rootEnds = new Date(root.validTo);
  const ends = new Date(now.getTime() + hours * 3_600_000);
  if (ends <= rootEnds) return undefined;
  return `an intermediate of ${hours} hours would end on ${ends.toISOString().slice(0, 10)}, after the mesh root expires on ${rootEnds.toISOString().slice(0, 10)}`;
}
