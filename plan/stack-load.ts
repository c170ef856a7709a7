/** Each stack of a project validated as the program would see it, once per read of the project. */
import { ConfigError, type ConfigIssue } from "../model/errors";
import { validateStrings } from "../model/decode";
import type { MeshConfig } from "../model/types";
import { localCharts } from "../io/local-charts";
import type { ValidStack } from "./checks/context";
import { configStrings, stackConfig, type ProjectFiles } from "./stack-files";

/**
 * `{ secure: ... }` values stay encrypted: the plan sees them as `[secret]`. A value without any
 * is returned as it is, so the catalog every stack shares is still one object (validated once).
 */
function maskSecure(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (!Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) return "[secret]";
  const entries = Object.entries(v);
  const masked = entries.map(([, c]) => maskSecure(c));
  if (masked.every((m, i) => m === entries[i]![1])) return v;
  return Array.isArray(v) ? masked : Object.fromEntries(entries.map(([k], i) => [k, masked[i]]));
}

export type Loaded = { valid?: ValidStack; issues: readonly ConfigIssue[] };

/**
 * Each stack of a project read once is validated once: the plan, `--out`, the topology and the diff all
 * ask for the same stacks of the same (never modified) ProjectFiles.
 */
const loadedStacks = new WeakMap<ProjectFiles, Map<string, Loaded>>();

export function loadStack(files: ProjectFiles, stack: string): Loaded {
  let byStack = loadedStacks.get(files);
  if (!byStack) loadedStacks.set(files, (byStack = new Map<string, Loaded>()));
  let loaded = byStack.get(stack);
  if (!loaded) byStack.set(stack, (loaded = validateStack(files, stack)));
  return loaded;
}

function validateStack(files: ProjectFiles, stack: string): Loaded {
  const config = stackConfig(files, stack);
  const own: Record<string, unknown> = {};
  // a key holding a `secure:` value anywhere is one the CLI passes as a secret
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (!k.startsWith(`${files.project}:`)) continue;
    const key = k.slice(files.project.length + 1);
    own[key] = maskSecure(v);
    if (own[key] !== v) secretKeys.push(key);
  }
  const region = config["alicloud:region"];
  const identity = { organization: "organization", project: files.project, stack };
  try {
    // as the CLI hands config to the program: every value a string, so the two accept the same files
    const m = validateStrings({
      stack: identity,
      strings: configStrings(own),
      alicloudRegion: region === undefined || region === null ? undefined : configStrings({ region }).region,
      secretKeys,
      localChartProblems: (dir, version) => localCharts(files.dir, dir, version).problems,
    });
    const istioFile = files.stacks[stack]![`${files.project}:istio`] !== undefined ? `Pulumi.${stack}.yaml` : "Pulumi.yaml";
    return { valid: { stack, fq: `organization/${files.project}/${stack}`, mesh: m, istioFile }, issues: [] };
  } catch (e) {
    if (e instanceof ConfigError) return { issues: e.issues };
    throw e;
  }
}

/** Every stack whose config is valid, by short name. */
export function validStacks(files: ProjectFiles): Map<string, MeshConfig> {
  const out = new Map<string, MeshConfig>();
  for (const s of Object.keys(files.stacks)) {
    const v = loadStack(files, s).valid;
    if (v) out.set(s, v.mesh);
  }
  return out;
}
