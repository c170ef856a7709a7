/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI merges them: project-level
 * config first, stack files override. No CLI, no network: for the offline plan and the tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fromYaml } from "../model/yaml";

export interface ProjectFiles {
  readonly dir: string;
  readonly project: string;
  /** Project-level config after the CLI's rules: key → value. */
  readonly projectConfig: Readonly<Record<string, unknown>>;
  /** Problems with `Pulumi.yaml` config entries that the CLI would reject. */
  readonly projectConfigProblems: readonly string[];
  /** Stack name → its own config (Pulumi.<stack>.yaml), keys fully qualified. */
  readonly stacks: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new StackFileError(`${path}: cannot be read (does it exist?)`);
  }
  try {
    return fromYaml(text);
  } catch (e) {
    throw new StackFileError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

const SCHEMA_TYPES = new Set(["string", "boolean", "integer", "array"]);

/** Applies the CLI's rules for one `Pulumi.yaml` config entry (pulumi project.go). */
function projectEntry(project: string, rawKey: string, entry: unknown, problems: string[]): [string, unknown] | undefined {
  const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
  const own = key.startsWith(`${project}:`);
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return [key, entry];
  const e = entry as Record<string, unknown>;
  if ("value" in e) {
    if ("default" in e) problems.push(`${rawKey}: "default" and "value" together`);
    return [key, e.value];
  }
  if ("type" in e || "default" in e) {
    if (!own) {
      problems.push(`${rawKey}: is not namespaced by the project and should not define a type or default (use value:)`);
      return undefined;
    }
    if (typeof e.type !== "string" || !SCHEMA_TYPES.has(e.type))
      problems.push(`${rawKey}: type must be one of string, boolean, integer, array (objects use value:)`);
    if (e.type === "array" && !("items" in e)) problems.push(`${rawKey}: an array type needs items`);
    return "default" in e ? [key, e.default] : undefined;
  }
  problems.push(`${rawKey}: an object value must be written under value:`);
  return undefined;
}

export function readProject(dir: string): ProjectFiles {
  const doc = readYaml(join(dir, "Pulumi.yaml")) as { name?: unknown; config?: Record<string, unknown> } | null;
  if (!doc || typeof doc.name !== "string") throw new StackFileError(`${join(dir, "Pulumi.yaml")}: no project name`);
  const project = doc.name;
  const problems: string[] = [];
  const projectConfig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    const entry = projectEntry(project, k, v, problems);
    if (entry) projectConfig[entry[0]] = entry[1];
  }
  const stacks: Record<string, Record<string, unknown>> = {};
  for (const file of readdirSync(dir).sort()) {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(file);
    if (!m) continue;
    const stackDoc = readYaml(join(dir, file)) as { config?: Record<string, unknown> } | null;
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(stackDoc?.config ?? {})) config[k.includes(":") ? k : `${project}:${k}`] = v;
    stacks[m[1]!] = config;
  }
  return { dir, project, projectConfig, projectConfigProblems: problems, stacks };
}

/** The config one stack's program sees: project-level merged under the stack file. */
export function stackConfig(files: ProjectFiles, stack: string): Record<string, unknown> {
  const own = files.stacks[stack];
  if (!own) {
    const known = Object.keys(files.stacks);
    throw new StackFileError(`no Pulumi.${stack}.yaml in ${files.dir}${known.length ? `; stacks here: ${known.join(", ")}` : ""}`);
  }
  return { ...files.projectConfig, ...own };
}

/** Values as the CLI hands them to a program: strings as they are, everything else as JSON. */
export function configStrings(config: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}
