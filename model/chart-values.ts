/**
 * Known value paths of Istio's charts. `istiod` and `base` accept any key silently and `gateway`
 * rejects unknown top-level keys at install time, so a misspelt value is caught here instead.
 */
import chartData from "./data/istio-1.30.3-values.json";
import { closest } from "./text";

export type ChartName = "base" | "istiod" | "gateway";

interface ChartKeys {
  /** Leaf paths; a leaf that is a map, list or null accepts anything below it. */
  readonly leaves: ReadonlyMap<string, string>;
  /** Every proper prefix of a leaf path: maps the user may descend into. */
  readonly prefixes: ReadonlySet<string>;
  /** Paths that accept anything below them (free-form or read by templates without a default). */
  readonly open: ReadonlySet<string>;
}

/** Sub-trees the charts pass through unchecked (MeshConfig is a proto, profiles select presets). */
const OPEN_PATHS: Record<ChartName, readonly string[]> = {
  base: ["profile", "compatibilityVersion", "global.platform"],
  istiod: ["meshConfig", "profile", "compatibilityVersion", "platform", "global.platform"],
  gateway: ["global", "profile", "compatibilityVersion", "platform", "pilot", "labels"],
};

const key = (segments: readonly string[]): string => JSON.stringify(segments);

function load(chart: ChartName): ChartKeys {
  const data = chartData.charts[chart] as {
    leaves: { segments: string[]; type: string }[];
    undeclared: string[];
    schemaTopLevel?: string[];
  };
  const leaves = new Map<string, string>();
  const prefixes = new Set<string>();
  for (const l of data.leaves) {
    leaves.set(key(l.segments), l.type);
    for (let i = 1; i < l.segments.length; i++) prefixes.add(key(l.segments.slice(0, i)));
  }
  const open = new Set<string>();
  for (const p of [...OPEN_PATHS[chart], ...data.undeclared]) {
    const segs = p.split(".");
    open.add(key(segs));
    for (let i = 1; i < segs.length; i++) prefixes.add(key(segs.slice(0, i)));
  }
  for (const top of data.schemaTopLevel ?? []) if (!leaves.has(key([top])) && !prefixes.has(key([top]))) open.add(key([top]));
  return { leaves, prefixes, open };
}

const cache = new Map<ChartName, ChartKeys>();
function keysOf(chart: ChartName): ChartKeys {
  let k = cache.get(chart);
  if (!k) cache.set(chart, (k = load(chart)));
  return k;
}

/** Istio versions whose chart keys ship with the program. */
export const CHECKED_CHART_VERSION = chartData.version;

export interface UnknownValuePath {
  readonly segments: readonly string[];
  readonly suggestion?: string;
}

/** Paths in `values` that Istio's chart of this version does not read. Empty for unchecked versions. */
export function unknownChartValuePaths(chart: ChartName, version: string, values: Record<string, unknown>): UnknownValuePath[] {
  if (version !== CHECKED_CHART_VERSION) return [];
  const k = keysOf(chart);
  const out: UnknownValuePath[] = [];
  const walk = (node: Record<string, unknown>, at: string[]): void => {
    for (const [name, value] of Object.entries(node)) {
      const segs = [...at, name];
      const id = key(segs);
      if (k.open.has(id) || k.leaves.has(id)) continue;
      if (k.prefixes.has(id)) {
        if (value !== null && typeof value === "object" && !Array.isArray(value)) walk(value as Record<string, unknown>, segs);
        continue;
      }
      out.push({ segments: segs, suggestion: suggest(k, segs) });
    }
  };
  walk(values, []);
  return out;
}

function suggest(k: ChartKeys, segs: readonly string[]): string | undefined {
  const parent = key(segs.slice(0, -1));
  const siblings = [...k.leaves.keys(), ...k.prefixes]
    .map((id) => JSON.parse(id) as string[])
    .filter((s) => s.length === segs.length && key(s.slice(0, -1)) === parent)
    .map((s) => s[s.length - 1]!);
  const best = closest(segs[segs.length - 1]!, siblings, 3);
  return best === undefined ? undefined : [...segs.slice(0, -1), best].join(".");
}
