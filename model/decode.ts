/**
 * `mesh:` config as the program receives it: the CLI hands every value over as a string (a YAML
 * scalar such as `mesh:meshId: 123` arrives as "123"; lists and objects as JSON). The program and
 * `mesh plan` both decode through here, so they accept and reject the same stack files.
 */
import { ConfigError, type ConfigIssue } from "./errors";
import type { MeshConfig } from "./types";
import { validateConfig, type RawConfig } from "./validate";

/** Keys whose values are strings rather than JSON. */
const STRING_KEYS = new Set(["meshId"]);

/**
 * The last value parsed for each key. Every stack of a project hands over the same text for
 * Pulumi.yaml's shared keys (the catalog above all): one parse gives one object, which the
 * validator's per-object cache then checks once per project instead of once per stack.
 */
const lastParsed = new Map<string, { readonly text: string; readonly value: unknown }>();
function parseShared(key: string, text: string): unknown {
  const hit = lastParsed.get(key);
  if (hit?.text === text) return hit.value;
  const value: unknown = JSON.parse(text);
  lastParsed.set(key, { text, value });
  return value;
}

export function decodeMeshConfig(strings: Readonly<Record<string, string>>): { mesh: Record<string, unknown>; issues: ConfigIssue[] } {
  const mesh: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [key, text] of Object.entries(strings)) {
    if (STRING_KEYS.has(key)) {
      mesh[key] = text;
      continue;
    }
    try {
      mesh[key] = parseShared(key, text);
    } catch {
      issues.push({
        path: `mesh:${key}`,
        message: "not a structured value (a list or object)",
        fix: `write it as YAML in the stack file, or use pulumi config set --path 'mesh:${key}...'`,
      });
    }
  }
  return { mesh, issues };
}

/**
 * Decodes and validates one stack's `mesh:` strings: a MeshConfig, or one ConfigError with every
 * problem, those of undecodable keys included (their other problems would only repeat them).
 */
export function validateStrings(input: Omit<RawConfig, "mesh"> & { readonly strings: Readonly<Record<string, string>> }): MeshConfig {
  const { mesh, issues } = decodeMeshConfig(input.strings);
  let model: MeshConfig | undefined;
  try {
    model = validateConfig({ ...input, mesh });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const undecodable = new Set(issues.map((i) => i.path));
    throw new ConfigError([...issues, ...e.issues.filter((i) => !undecodable.has(i.path))]);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return model;
}
