/**
 * A request that fails its route's schema, in the API's words: which field, what it takes. Zod's own
 * messages ("expected number, received NaN", a regex's source) name the validator's internals and never
 * reach a caller; nor does the value sent.
 */
import { z } from "zod";

/** One failing field as fastify-type-provider-zod hands it over: the zod issue's code and its details. */
export interface ValidationEntry {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params?: Record<string, unknown>;
}

/** The schema under `path`, through optional, default, coercion and objects; undefined where it cannot tell. */
function schemaAt(schema: unknown, path: readonly string[]): unknown {
  let cur = unwrap(schema);
  for (const seg of path) {
    if (cur instanceof z.ZodObject) cur = unwrap(cur.shape[seg]);
    else if (cur instanceof z.ZodArray) cur = unwrap(cur.element);
    else return undefined;
  }
  return cur;
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { innerType?: unknown } } | undefined;
  while (cur?.def?.innerType) cur = cur.def.innerType;
  return cur;
}

/** `limit must be a whole number from 1 to 500`, from the schema's own bounds. */
function numberRule(name: string, n: z.ZodNumber): string {
  const what = n.isInt ? "a whole number" : "a number";
  const min = Number.isFinite(n.minValue) ? n.minValue : undefined;
  const max = Number.isFinite(n.maxValue) && !(n.isInt && n.maxValue === Number.MAX_SAFE_INTEGER) ? n.maxValue : undefined;
  if (min !== undefined && max !== undefined) return `${name} must be ${what} from ${min} to ${max}`;
  if (min !== undefined) return `${name} must be ${what} of at least ${min}`;
  if (max !== undefined) return `${name} must be ${what} of at most ${max}`;
  return `${name} must be ${what}`;
}

const TYPES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

/** What an object takes, field by field: `{"confirm": the stack's name again (required), ...}`. */
function objectFields(o: z.ZodObject): string {
  const fields = Object.entries(o.shape).map(([k, f]) => {
    const field = f as z.ZodType;
    const inner = unwrap(field) as z.ZodType;
    const what =
      field.description ??
      inner.description ??
      TYPES[inner.type === "number" && (inner as z.ZodNumber).isInt ? "int" : inner.type] ??
      inner.type;
    return `"${k}": ${what} (${field.safeParse(undefined).success ? "optional" : "required"})`;
  });
  return `{${fields.join(", ")}}`;
}

/**
 * The message for one failing field. `schema` is the route's schema for the part of the request
 * (body, querystring, params, headers); `value` what the request held at that field.
 */
export function validationMessage(v: ValidationEntry, schema: unknown, value: unknown): string {
  const path = v.instancePath.split("/").filter(Boolean);
  const name = path.at(-1) ?? "the request";
  const leaf = schemaAt(schema, path);
  const p = v.params ?? {};
  if (v.keyword === "unrecognized_keys") {
    const keys = (p.keys as string[] | undefined) ?? [];
    return `unknown field${keys.length === 1 ? "" : "s"}: ${keys.join(", ")}`;
  }
  if (value === undefined && v.keyword === "invalid_type")
    return path.length === 0 && leaf instanceof z.ZodObject ? `a JSON body is required: ${objectFields(leaf)}` : `${name} is required`;
  if (leaf instanceof z.ZodNumber) return numberRule(name, leaf);
  switch (v.keyword) {
    case "invalid_type":
      return `${name} must be ${TYPES[String(p.expected)] ?? String(p.expected)}`;
    case "invalid_value":
      return `${name} must be one of ${((p.values as unknown[] | undefined) ?? []).map(String).join(", ")}`;
    case "too_big":
      return `${name} is longer than ${String(p.maximum)}${p.origin === "string" ? " characters" : " entries"}`;
    case "too_small":
      return `${name} is shorter than ${String(p.minimum)}${p.origin === "string" ? " characters" : " entries"}`;
    case "invalid_format":
      return `${name} is not in the form it takes`;
    case "custom": {
      // a refinement's rule is its schema's description
      const what = (leaf as z.ZodType | undefined)?.description;
      return what ? `${name} must be ${what}` : `${name} is not valid`;
    }
    default:
      return `${name} is not valid`;
  }
}
