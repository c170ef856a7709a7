/**
 * The SHA-256 fingerprint of a PEM certificate, in the `AB:CD:…` form `openssl x509 -fingerprint -sha256`
 * and Node's X509Certificate.fingerprint256 print (what mesh verify compares), computed over the DER.
 */
export async function fingerprint256(pem: unknown): Promise<string | undefined> {
  if (typeof pem !== "string") return undefined;
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m || !globalThis.crypto?.subtle) return undefined;
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(m[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
