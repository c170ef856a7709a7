/**
 * Secrets out of every message a client can see: the values the core knows are secret (a passphrase,
 * tokens), and what looks like one whatever it is (PEM blocks, bearer tokens, JWTs, credentials in URLs,
 * `password=`/`token:` pairs, kubeconfig data fields).
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, "[secret]"],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [secret]"],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[secret]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[secret]@"],
  [
    /\b(password|passphrase|secret|token|client-key-data|client-certificate-data|certificate-authority-data)(["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi,
    "$1$2[secret]",
  ],
];

export class Redactor {
  private readonly known: string[];
  constructor(known: readonly (string | undefined)[] = []) {
    // longest first, so a secret containing another is removed whole
    this.known = known.filter((s): s is string => typeof s === "string" && s.length >= 4).sort((a, b) => b.length - a.length);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.known) out = out.split(s).join("[secret]");
    for (const [re, by] of PATTERNS) out = out.replace(re, by);
    return out;
  }
}
