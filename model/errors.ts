/** One problem in the stack's configuration: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Config path as `pulumi config set --path` spells it, e.g. `mesh:cluster.ack.zones[1]`. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** Every configuration problem at once, raised before any resource is registered. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = "ConfigError";
  }
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}\n    fix: ${i.fix}`);
  const n = issues.length;
  return `${n} configuration problem${n === 1 ? "" : "s"}; nothing was deployed:\n${lines.join("\n")}`;
}

/** `["cluster","ack","zones",1]` → `mesh:cluster.ack.zones[1]`. */
export function configPath(namespace: string, segments: readonly PropertyKey[]): string {
  let out = namespace;
  segments.forEach((s, i) => {
    if (typeof s === "number") out += `[${s}]`;
    else if (i === 0) out += `:${String(s)}`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(s))) out += `.${String(s)}`;
    // quoted as JSON: a key with `"`, `\` or a line break stays one readable segment
    else out += `[${JSON.stringify(String(s))}]`;
  });
  return out;
}
