/**
 * Why a Pulumi CLI command failed, from what the CLI wrote on stderr: its own `error: …` lines (the CLI
 * prints every error it returns that way, cmdutil.DisplayErrorMessage), redacted and bounded, and the
 * causes an operator meets first — no CLI, no backend login, a wrong passphrase — with what to do; and the
 * program's own configuration report, when that is why.
 */
import type { Redactor } from "./redact";
import type { ErrorCode } from "./types";

export interface CliFailure {
  readonly code: ErrorCode;
  /** The CLI's own words, redacted; undefined when it printed no error line. */
  readonly said?: string;
  /** What to do, when the cause is known. */
  readonly fix?: string;
}

const MAX_CHARS = 2000;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export const CLI_MISSING_FIX = "install it (pulumi version works), or name a pinned one with MESH_PULUMI_ROOT and MESH_PULUMI_VERSION";
export const LOGIN_FIX =
  "the CLI is not logged in to the stacks' backend: set PULUMI_BACKEND_URL (s3://…, file://…), or PULUMI_ACCESS_TOKEN for Pulumi Cloud, or run pulumi login";
export const PASSPHRASE_FIX =
  "the stacks' secrets cannot be decrypted: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stacks were created with";

/** The CLI's `error:` lines and what follows them (a multi-error list), without the prefix or colour. */
export function cliErrorText(stderr: string, redactor: Redactor): string | undefined {
  const lines = stderr.replace(ANSI, "").replace(/\r/g, "").split("\n");
  const first = lines.findIndex((l) => l.startsWith("error: "));
  if (first < 0) return undefined;
  const text = lines
    .slice(first)
    .filter((l) => l.trim() !== "")
    .map((l) => (l.startsWith("error: ") ? l.slice("error: ".length) : l))
    .join("\n")
    .trim();
  const safe = redactor.redact(text);
  return safe.length > MAX_CHARS ? `${safe.slice(0, MAX_CHARS)}…` : safe;
}

/** Classifies a failed command by its stderr (execa puts its own spawn error there when the CLI cannot start). */
export function classifyCliFailure(stderr: string, redactor: Redactor): CliFailure {
  if (/spawn \S*pulumi ENOENT/.test(stderr)) return { code: "cli_missing", fix: CLI_MISSING_FIX };
  const said = cliErrorText(stderr, redactor);
  const with_ = (code: ErrorCode, fix?: string): CliFailure => ({ code, ...(said ? { said } : {}), ...(fix ? { fix } : {}) });
  // backenderr.MissingEnvVarForNonInteractiveError: "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"
  if (/must be set for login during non-interactive CLI sessions|not logged in/i.test(said ?? "")) return with_("not_logged_in", LOGIN_FIX);
  // secrets/passphrase: "failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE …",
  // "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
  if (/incorrect passphrase|passphrase must be set/i.test(said ?? "")) return with_("secrets_locked", PASSPHRASE_FIX);
  return with_("engine_failed");
}

/** The program's own configuration report in the CLI's output (config.ts: "N configuration problem(s); nothing was deployed"). */
export function configReport(stderr: string): string | undefined {
  const m = /(\d+ configuration problems?; nothing was deployed:\n(?: {2}- .*\n {4}fix: .*(?:\n|$))+)/.exec(stderr.replace(/\r/g, ""));
  return m?.[1]?.trimEnd();
}
