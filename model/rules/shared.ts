/** Helpers every section's rules share: how a problem is added, parts of a key, CIDR arithmetic, zod issues as config problems. */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { configPath, type ConfigIssue } from "../errors";
import { closest } from "../text";
import { RevisionsSchema } from "../revisions-schema";
import { ClusterSchema, FIX, GatewaySchema, IstioSchema, MeshIdSchema, PeersSchema, ServicesSchema, TrustSchema } from "../schema";
import { given, oneOf, wrongType } from "./zod-messages";

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

/**
 * Zod's issues as config problems. `zissues` come from a parse with `reportInput: true`, so a
 * wrong value can be told from a missing one; `secret` keeps the key's strings out of the report.
 */
export function zodIssues(key: string, zissues: readonly z.core.$ZodIssue[], secret = false): ConfigIssue[] {
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
          secret,
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
          secret,
        ),
      );
      continue;
    }
    const path = configPath(NS, [key, ...zi.path]);
    const [message, fix] = zi.message.includes(FIX) ? zi.message.split(FIX) : described(zi, path, schemaAt(key, zi.path), secret);
    out.push({ path, message: message!, fix: fix! });
  }
  return out;
}

/** A zod issue that carries no message of ours, in a report's words. */
function described(zi: z.core.$ZodIssue, path: string, leaf: unknown, secret: boolean): [string, string] {
  const input = (zi as { input?: unknown }).input;
  switch (zi.code) {
    case "invalid_type":
      return wrongType(path, zi.expected, input, leaf, secret);
    case "too_small":
      return zi.origin === "number"
        ? [`${String(input)} is less than ${String(zi.minimum)}`, `use ${String(zi.minimum)} or more`]
        : [`fewer than ${String(zi.minimum)} ${zi.origin === "string" ? "characters" : "entries"}`, `write at least ${String(zi.minimum)}`];
    case "too_big":
      return zi.origin === "number"
        ? [`${String(input)} is more than ${String(zi.maximum)}`, `use ${String(zi.maximum)} or less`]
        : [`more than ${String(zi.maximum)} ${zi.origin === "string" ? "characters" : "entries"}`, `write at most ${String(zi.maximum)}`];
    case "invalid_value":
      return [`${given(input, secret)} is not one of ${oneOf(zi.values)}`, `use one of ${oneOf(zi.values)}`];
    default:
      return ["not a valid value", "correct the value"];
  }
}

/** The keys an object at `path` of `key` accepts, for typo suggestions. */
export function knownKeysAt(key: string, path: readonly PropertyKey[]): string[] {
  const obj = unwrap(schemaAt(key, path)) as z.ZodObject | undefined;
  return obj?.shape ? Object.keys(obj.shape) : [];
}

/** The schema at `path` of `key`, or undefined where a union or a transform hides it. */
export function schemaAt(key: string, path: readonly PropertyKey[]): unknown {
  let schema: unknown = SCHEMAS[key as keyof typeof SCHEMAS];
  for (const seg of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else if (typeof seg === "number") schema = (schema as z.ZodArray | undefined)?.element;
    else schema = (schema as z.ZodObject | undefined)?.shape?.[seg as string];
  }
  return unwrap(schema);
}

export function unwrap(s: unknown): unknown {
  let cur = s as { unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  while (cur && (cur.def?.innerType || (typeof cur.unwrap === "function" && !(cur instanceof z.ZodArray)))) {
    cur = (cur.def?.innerType ?? cur.unwrap!()) as typeof cur;
  }
  return cur;
}
