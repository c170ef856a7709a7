/** Helpers every section's rules share: how a problem is added, parts of a key, CIDR arithmetic, zod issues as config problems. */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { configPath, type ConfigIssue } from "../errors";
import { closest } from "../text";
import { RevisionsSchema } from "../revisions-schema";
import { ClusterSchema, FIX, GatewaySchema, IstioSchema, MeshIdSchema, PeersSchema, ServicesSchema, TrustSchema } from "../schema";

export const NS = "mesh";

export const SCHEMAS = {
  meshId: MeshIdSchema,
  istio: IstioSchema,
  services: ServicesSchema,
  cluster: ClusterSchema,
  eastWestGateway: GatewaySchema,
  peers: PeersSchema,
  trust: TrustSchema,
  revisions: RevisionsSchema,
} as const;

export type Add = (path: string, message: string, fix: string) => void;

export const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** One part of a key parsed on its own: its data if it is well formed (its problems are reported with the key). */
export function part<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** The keys of `raw` among `keys`; a problem at `path` unless exactly one is set. */
export function exactlyOne<K extends string>(
  raw: Record<string, unknown>,
  keys: readonly K[],
  path: string,
  what: string,
  fix: string,
  add: Add,
): K[] {
  const set = keys.filter((k) => raw[k] !== undefined);
  if (set.length !== 1) add(path, set.length === 0 ? `no ${what}` : `several ${what}s (${set.join(", ")})`, fix);
  return set;
}

export function cidrRange(c: string): [number, number] {
  const [addr, bits] = ipaddr.parseCIDR(c);
  const start = (addr as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
  return [start, start + 2 ** (32 - bits) - 1];
}

export function cidrOverlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

export function cidrContains(outer: string, inner: string): boolean {
  const [o0, o1] = cidrRange(outer);
  const [i0, i1] = cidrRange(inner);
  return o0 <= i0 && i1 <= o1;
}

export function zodIssues(key: string, zissues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const zi of zissues) {
    if (zi.code === "unrecognized_keys") {
      for (const k of zi.keys) {
        const known = knownKeysAt(key, zi.path);
        const guess = closest(k, known);
        out.push({
          path: configPath(NS, [key, ...zi.path, k]),
          message: "unknown key",
          fix: guess ? `did you mean ${guess}?` : `remove it${known.length ? `; known keys here: ${known.join(", ")}` : ""}`,
        });
      }
      continue;
    }
    if (zi.code === "invalid_key") {
      // a record's key (a label key): the key's own problem, at the key's path
      out.push(
        ...zodIssues(
          key,
          zi.issues.map((e) => ({ ...e, path: [...zi.path, ...e.path] })),
        ),
      );
      continue;
    }
    if (zi.code === "invalid_union") {
      // report the first alternative's problems: they name the concrete field
      out.push(
        ...zodIssues(
          key,
          zi.errors[0]!.map((e) => ({ ...e, path: [...zi.path, ...e.path] })),
        ),
      );
      continue;
    }
    const [message, fix] = zi.message.includes(FIX) ? zi.message.split(FIX) : [zi.message, genericFix(zi)];
    out.push({ path: configPath(NS, [key, ...zi.path]), message: message!, fix: fix! });
  }
  return out;
}

export function genericFix(zi: z.core.$ZodIssue): string {
  switch (zi.code) {
    case "invalid_type":
      return zi.input === undefined ? `set it (a ${zi.expected})` : `use a ${zi.expected}`;
    case "too_small":
      return `use at least ${String(zi.minimum)}`;
    case "too_big":
      return `use at most ${String(zi.maximum)}`;
    case "invalid_value":
      return `use one of ${zi.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return "correct the value";
  }
}

/** The keys an object at `path` of `key` accepts, for typo suggestions. */
export function knownKeysAt(key: string, path: readonly PropertyKey[]): string[] {
  let schema: unknown = SCHEMAS[key as keyof typeof SCHEMAS];
  for (const seg of path) {
    schema = unwrap(schema);
    if (typeof seg === "number") schema = (schema as z.ZodArray).element;
    else schema = (schema as z.ZodObject).shape?.[seg as string];
  }
  const obj = unwrap(schema) as z.ZodObject | undefined;
  return obj?.shape ? Object.keys(obj.shape) : [];
}

export function unwrap(s: unknown): unknown {
  let cur = s as { unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  while (cur && (cur.def?.innerType || (typeof cur.unwrap === "function" && !(cur instanceof z.ZodArray)))) {
    cur = (cur.def?.innerType ?? cur.unwrap!()) as typeof cur;
  }
  return cur;
}
