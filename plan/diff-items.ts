/** The parts every diff is made of: a field's change, an item's (object, release, resource), a disruption. */
export interface FieldChange {
  /** e.g. `spec.ports[0].port` */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ItemChange {
  /** `Service dev/helloworld`, `release istiod`, `tls.SelfSignedCert cn-shanghai-root`. */
  readonly item: string;
  readonly change: "added" | "removed" | "changed";
  readonly fields: readonly FieldChange[];
  /** A trust resource only: whether the provider replaces it (a new certificate or key) or updates it in place. */
  readonly effect?: "replaced" | "updated in place";
}

export interface Disruption {
  /** `no-effect`: the provider keeps the old value; `refused`: the change cannot be applied (an error). */
  readonly severity: "destroys" | "disrupts" | "no-effect" | "refused";
  readonly stack: string;
  readonly what: string;
  readonly advice: string;
}

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);
const seg = (path: string, k: string | number) =>
  typeof k === "number"
    ? `${path}[${k}]`
    : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)
      ? path
        ? `${path}.${k}`
        : k
      : `${path}[${JSON.stringify(k)}]`;

/** Field-level differences of two JSON values. */
export function fieldDiff(before: Json, after: Json, path = ""): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObj(before) && isObj(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .sort()
      .flatMap((k) => fieldDiff(before[k], after[k], seg(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => fieldDiff(b, after[i], seg(path, i)));
  }
  return [{ path: path || "(whole)", ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
}

export function itemDiff<T>(before: readonly T[], after: readonly T[], key: (x: T) => string, body: (x: T) => Json): ItemChange[] {
  const b = new Map(before.map((x) => [key(x), x]));
  const a = new Map(after.map((x) => [key(x), x]));
  const out: ItemChange[] = [];
  for (const [k, x] of a) {
    const old = b.get(k);
    if (!old) out.push({ item: k, change: "added", fields: [] });
    else {
      const fields = fieldDiff(body(old), body(x));
      if (fields.length > 0) out.push({ item: k, change: "changed", fields });
    }
  }
  for (const k of b.keys()) if (!a.has(k)) out.push({ item: k, change: "removed", fields: [] });
  return out;
}
