/**
 * Zod's own issues as config problems a user can act on: what was given, what is wanted, and the
 * edit that fixes it. Zod's wording ("Invalid input: expected int, received number") names its
 * types, not YAML's, and never reaches a report.
 */
import { z } from "zod";

/** What a schema wants, in YAML's terms. `int` is zod's name for an integer check. */
export function wanted(expected: string, leaf: unknown): string {
  if (expected === "int" || (expected === "number" && leaf instanceof z.ZodNumber && leaf.isInt)) return "a whole number";
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    boolean: "true or false",
    array: "a list",
    object: "a map of keys",
    record: "a map of keys",
  };
  return names[expected] ?? `${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}`;
}

/** A number or boolean written in quotes: `"2"`, `"true"`. */
const QUOTED_LITERAL = /^(-?\d+(\.\d+)?|true|false)$/;

/**
 * What was given. A string is echoed only when it reads as a number or boolean (the quotes are the
 * mistake), or when it is short and its key is not a secret: anything else could be a credential.
 */
export function given(input: unknown, secret: boolean): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "string") {
    const echo = QUOTED_LITERAL.test(input) || (!secret && input.length <= 64 && ![...input].some((ch) => ch < " "));
    return echo ? `the string ${JSON.stringify(input)}` : "a string";
  }
  if (typeof input === "number" || typeof input === "boolean") return String(input);
  if (typeof input === "object") return "a map of keys";
  return typeof input;
}

/** The message and fix of a value of the wrong type, or of a required key that is missing. */
export function wrongType(path: string, expected: string, input: unknown, leaf: unknown, secret: boolean): [string, string] {
  const want = wanted(expected, leaf);
  if (input === undefined) return ["required", `set ${path} (${want})`];
  const message = `${want}, not ${given(input, secret)}`;
  if (input === null) return [message, `set ${path} (${want})`];
  const numeric = expected === "number" || expected === "int";
  if (typeof input === "string" && QUOTED_LITERAL.test(input)) {
    const literalFits = numeric
      ? !/^(true|false)$/.test(input) && (want !== "a whole number" || /^-?\d+$/.test(input))
      : expected === "boolean";
    if (literalFits) return [message, `write ${input} without quotes`];
  }
  if (want === "a whole number" && typeof input === "number") return [message, "write an integer"];
  if (expected === "string" && (typeof input === "number" || typeof input === "boolean")) return [message, "write it in quotes"];
  return [message, `write ${want}`];
}

/** Values listed for a choice: `"LoadBalancer", "NodePort"`. */
export const oneOf = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(", ");
