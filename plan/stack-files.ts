/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI merges them: project-level
 * config first, stack files override. No CLI, no network: for the offline plan and the tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fromYaml } from "../model/yaml";
import { MAX_FILE_BYTES, onRegularFile } from "../io/regular-file";

export { MAX_FILE_BYTES, onRegularFile } from "../io/regular-file";

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

/** Values a file may expand to once YAML aliases are followed: a 1 KB alias bomb expands to billions. */
export const MAX_EXPANDED_VALUES = 200_000;

/** A regular file's text, at most MAX_FILE_BYTES. */
function readRegularFile(path: string): string {
  const r = onRegularFile(path, (fd, size) => {
    if (size > MAX_FILE_BYTES) throw new StackFileError(`${path}: larger than ${MAX_FILE_BYTES} bytes, which no stack file is`);
    return readFileSync(fd, "utf8");
  });
  if (r === "missing") throw new StackFileError(`${path}: cannot be read (does it exist?)`);
  if (r === "not a regular file") throw new StackFileError(`${path}: not a regular file`);
  return r.value;
}

/** How many values `v` holds with every alias expanded, counted without expanding (shared nodes once). */
export function expandedSize(v: unknown, limit: number): number {
  const memo = new Map<object, number>();
  const size = (x: unknown, depth: number): number => {
    if (x === null || typeof x !== "object") return 1;
    const known = memo.get(x);
    if (known !== undefined) {
      if (known < 0) throw new StackFileError("a YAML alias refers to a value that contains it");
      return known;
    }
    if (depth > 256) return Infinity;
    memo.set(x, -1);
    let n = 1;
    for (const c of Object.values(x)) {
      n += size(c, depth + 1);
      if (n > limit) break;
    }
    memo.set(x, n);
    return n;
  };
  return size(v, 0);
}

/** Where a project's files come from: a folder, or a commit of its repository. */
export interface FileSource {
  /** Names of the files at the project's root. */
  list(): string[];
  /** A file's text; throws StackFileError when it cannot be read. */
  read(name: string): string;
  /** How to name a file in a message. */
  label(name: string): string;
}

export const folderSource = (dir: string): FileSource => ({
  list: () => readdirSync(dir),
  read: (name) => readRegularFile(join(dir, name)),
  label: (name) => join(dir, name),
});

function readYaml(source: FileSource, name: string): unknown {
  const path = source.label(name);
  const text = source.read(name);
  let doc: unknown;
  try {
    doc = fromYaml(text);
  } catch (e) {
    throw new StackFileError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    if (expandedSize(doc, MAX_EXPANDED_VALUES) > MAX_EXPANDED_VALUES) {
      throw new StackFileError(`more than ${MAX_EXPANDED_VALUES} values once its YAML aliases are expanded`);
    }
  } catch (e) {
    if (e instanceof StackFileError) throw new StackFileError(`${path}: ${e.message}`);
    throw e;
  }
  return doc;
}

/** The CLI's rule for a stack name (pulumi tokens.ParseStackName), less `.` and `..`, which are paths. */
export const isStackName = (s: string): boolean => /^[A-Za-z0-9_.-]{1,100}$/.test(s) && !/^\.+$/.test(s);

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
  return readProjectFrom(dir, folderSource(dir));
}

export function readProjectFrom(dir: string, source: FileSource): ProjectFiles {
  const doc = readYaml(source, "Pulumi.yaml") as { name?: unknown; config?: Record<string, unknown> } | null;
  if (!doc || typeof doc.name !== "string") throw new StackFileError(`${source.label("Pulumi.yaml")}: no project name`);
  const project = doc.name;
  const problems: string[] = [];
  const projectConfig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    const entry = projectEntry(project, k, v, problems);
    if (entry) projectConfig[entry[0]] = entry[1];
  }
  const stacks: Record<string, Record<string, unknown>> = {};
  for (const file of source.list().sort()) {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(file);
    if (!m) continue;
    if (!isStackName(m[1]!)) {
      throw new StackFileError(
        `${source.label(file)}: "${m[1]}" is not a stack name (letters, digits, '-', '_' and '.', at most 100, not only dots); rename or remove the file`,
      );
    }
    const stackDoc = readYaml(source, file) as { config?: Record<string, unknown> } | null;
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
