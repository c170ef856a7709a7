/**
 * Secrets out of every message a client can see: the values the core knows are secret (a passphrase,
 * tokens, every credential a job loads) as written and as base64, URL- or JSON-escaped, and what looks
 * like one whatever it is (PEM blocks, bearer tokens, JWTs, credentials in URLs, cloud and GitHub tokens,
 * `Authorization:` headers, a registry's `auth`, `--password X`, and `key=value` / `"key": "value"` pairs
 * whose key names a secret), also base64-encoded (a kubeconfig or a PEM key as base64). Prose that only
 * names a secret ("no credentials: its kubeconfig output") is left as it is.
 */

/** Key names that hold a secret: `access_token`, `"accessToken"`, `client_secret`, `AccessKeySecret`, `X-Api-Key`, ... */
const SECRET_KEY =
  /[A-Za-z0-9_-]{0,40}(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|client-key-data|client-certificate-data|certificate-authority-data)[A-Za-z0-9_-]{0,40}/
    .source;
/** A value: double- or single-quoted (escapes included), or bare up to a delimiter. */
const VALUE = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"',;}&]+/.source;

const quoted = (v: string): string => (v.startsWith('"') ? '"[secret]"' : v.startsWith("'") ? "'[secret]'" : "[secret]");

/**
 * `key: value` in a sentence, not a setting: a colon, a bare lower-case word, and the sentence going on
 * ("no credentials: its kubeconfig output could not be read"). A secret written so is still removed when
 * its value is known.
 */
const isProse = (sep: string, value: string, rest: string) => sep.includes(":") && /^[a-z]+$/.test(value) && /^ [A-Za-z(]/.test(rest);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- String.replace's replacer: the groups, then the offset and the text
const PATTERNS: readonly [RegExp, string | ((...m: any[]) => string)][] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, "[secret]"],
  // the header whatever its scheme (Bearer, Basic, token, ...): the credential goes, the scheme stays
  [
    /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)([A-Za-z][A-Za-z0-9-]*\s+)?[^\s"',;}]+/gi,
    (_m, key: string, sep: string, scheme = "") => `${key}${sep}${scheme}[secret]`,
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [secret]"],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[secret]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[secret]@"],
  // tokens whose shape names them: Alibaba Cloud AccessKey ids (LTAI + 12 to 30 characters), AWS access key
  // ids, GitHub tokens (classic and fine-grained), Google API keys and OAuth tokens, Pulumi, npm and Slack tokens
  [/\bLTAI[A-Za-z0-9]{12,30}\b/g, "[secret]"],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, "[secret]"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, "[secret]"],
  [/\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g, "[secret]"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, "[secret]"],
  [/\bya29\.[0-9A-Za-z_-]{20,}/g, "[secret]"],
  [/\bpul-[a-f0-9]{40}\b/g, "[secret]"],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, "[secret]"],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, "[secret]"],
  // a Docker / Helm registry config's `auth` (base64 of user:password)
  [
    new RegExp(`(\\bauth)(["']?\\s*[:=]\\s*)(${VALUE})`, "g"),
    (_m, key: string, sep: string, value: string) => `${key}${sep}${quoted(value)}`,
  ],
  // a command line's `--password X` (the `=` form is a key=value pair below)
  [
    /(\s--?[A-Za-z0-9-]*(?:password|passwd|passphrase|secret|token|api-key|access-key|private-key)[A-Za-z0-9-]*)(\s+)(?!-)("[^"\n]*"|'[^'\n]*'|[^\s"']+)/gi,
    (_m, flag: string, sep: string, value: string) => `${flag}${sep}${quoted(value)}`,
  ],
  [
    new RegExp(`(\\b${SECRET_KEY})(["']?\\s*[:=]\\s*)(${VALUE})`, "gi"),
    (m: string, key: string, sep: string, value: string, offset: number, text: string) =>
      isProse(sep, value, text.slice(offset + m.length)) ? m : `${key}${sep}${quoted(value)}`,
  ],
];

/** Base64 long enough to hold a credential, standard or URL-safe. */
const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{40,}={0,2}/g;

/**
 * Credential-looking environment variables' values (`*_SECRET_KEY`, `*_TOKEN`, `*_PASSWORD`, …): what a
 * job's engine passes on to the CLI and its providers, so what must never come back in its messages.
 */
export function credentialValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return (
    Object.entries(env)
      // a file's path is no secret, and a flag's `true` must not redact every "true"
      .filter(
        ([k, v]) =>
          v &&
          v.length >= 8 &&
          !/_(FILE|PATH)$/i.test(k) &&
          /SECRET|TOKEN|PASSWORD|PASSPHRASE|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS|API_KEY/i.test(k),
      )
      .map(([, v]) => v!)
  );
}

/** The forms a known value takes in text: as is, JSON- and URL-escaped, and base64 at each of the three byte alignments. */
export function encodedForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  const bytes = Buffer.from(secret, "utf8");
  // the value encoded on its own, padding included
  forms.add(bytes.toString("base64"));
  forms.add(bytes.toString("base64url"));
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
  private known: string[] = [];
  constructor(known: readonly (string | undefined)[] = []) {
    this.add(known);
  }
  /** Values from now on redacted too: the credentials a job loads as it runs (verify's kubeconfigs). */
  add(values: readonly (string | undefined)[]): void {
    // longest first, so a secret containing another is removed whole
    this.known = [
      ...new Set([...this.known, ...values.filter((s): s is string => typeof s === "string" && s.length >= 4).flatMap(encodedForms)]),
    ].sort((a, b) => b.length - a.length);
  }
  redact(text: string): string {
    return this.plain(text).replace(BASE64_RUN, (run) => {
      // an encoded kubeconfig, PEM key or known value: the whole run goes when what it decodes to holds a secret
      const decoded = Buffer.from(run, run.includes("-") || run.includes("_") ? "base64url" : "base64").toString("latin1");
      return this.plain(decoded) === decoded ? run : "[secret]";
    });
  }
  private plain(text: string): string {
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
