/**
 * Secrets out of every message a client can see: the values the core knows are secret (a passphrase,
 * tokens) as written and as base64, URL- or JSON-escaped, and what looks like one whatever it is (PEM
 * blocks, bearer tokens, JWTs, credentials in URLs, Alibaba Cloud access-key ids, `Authorization:`
 * headers, and `key=value` / `"key": "value"` pairs whose key names a secret).
 */

/** Key names that hold a secret: `access_token`, `"accessToken"`, `client_secret`, `AccessKeySecret`, `X-Api-Key`, ... */
const SECRET_KEY =
  /[A-Za-z0-9_-]{0,40}(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|client-key-data|client-certificate-data|certificate-authority-data)[A-Za-z0-9_-]{0,40}/
    .source;
/** A value: double- or single-quoted (escapes included), or bare up to a delimiter. */
const VALUE = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"',;}&]+/.source;

const quoted = (v: string): string => (v.startsWith('"') ? '"[secret]"' : v.startsWith("'") ? "'[secret]'" : "[secret]");

const PATTERNS: readonly [RegExp, string | ((...m: string[]) => string)][] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, "[secret]"],
  // the header whatever its scheme (Bearer, Basic, token, ...): the credential goes, the scheme stays
  [
    /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)([A-Za-z][A-Za-z0-9-]*\s+)?[^\s"',;}]+/gi,
    (_m, key: string, sep: string, scheme = "") => `${key}${sep}${scheme}[secret]`,
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [secret]"],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[secret]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[secret]@"],
  // Alibaba Cloud AccessKey ids (LTAI + 12 to 30 characters)
  [/\bLTAI[A-Za-z0-9]{12,30}\b/g, "[secret]"],
  [
    new RegExp(`(\\b${SECRET_KEY})(["']?\\s*[:=]\\s*)(${VALUE})`, "gi"),
    (_m, key: string, sep: string, value: string) => `${key}${sep}${quoted(value)}`,
  ],
];

/** The forms a known value takes in text: as is, JSON- and URL-escaped, and base64 at each of the three byte alignments. */
export function encodedForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  const bytes = Buffer.from(secret, "utf8");
  for (let skip = 0; skip < 3; skip++) {
    // inside a longer base64 text only the whole 3-byte groups of the secret are encoded the same everywhere
    const rest = bytes.subarray(skip);
    const whole = Math.floor(rest.length / 3) * 3;
    if (whole < 6) continue;
    const b64 = rest.subarray(0, whole).toString("base64");
    forms.add(b64);
    forms.add(b64.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...forms].filter((s) => s.length >= 4);
}

export class Redactor {
  private readonly known: string[];
  constructor(known: readonly (string | undefined)[] = []) {
    // longest first, so a secret containing another is removed whole
    this.known = [...new Set(known.filter((s): s is string => typeof s === "string" && s.length >= 4).flatMap(encodedForms))].sort(
      (a, b) => b.length - a.length,
    );
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.known) out = out.split(s).join("[secret]");
    for (const [re, by] of PATTERNS) out = typeof by === "string" ? out.replace(re, by) : out.replace(re, by);
    return out;
  }
  /** Every string in a JSON-like value redacted, its shape kept. */
  redactDeep<T>(value: T): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactDeep(v)) as T;
    if (typeof value === "object" && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v as unknown)])) as T;
    return value;
  }
}
