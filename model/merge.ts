/** Helm values: plain JSON. */
export type Values = { [key: string]: unknown };

const isMap = (v: unknown): v is Values => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Merges `over` onto `base` as Helm merges values files: maps merge key by key, anything else
 * (lists included) is replaced, and `null` is kept so Helm can delete a chart default.
 */
export function deepMerge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    out[k] = isMap(cur) && isMap(v) ? deepMerge(cur, v) : v;
  }
  return out;
}
