/**
 * `mesh plan --diff <base> --format json` read back (by `mesh pr-comment`): its shape checked with zod
 * before anything renders it, so a wrong or truncated file is one clear message naming the fields, not a
 * TypeError. Objects are loose: fields a newer `mesh plan` adds pass through to the renderer.
 */
import { z } from "zod";
import { given, oneOf, wrongType } from "../model/rules/zod-messages";
import { DIFF_SCHEMA_VERSION, type MeshDiff } from "./diff";

const Change = z.enum(["added", "removed"]);
const Item = z.looseObject({
  item: z.string(),
  change: z.enum(["added", "removed", "changed"]),
  fields: z.array(z.looseObject({ path: z.string() })),
  effect: z.enum(["replaced", "updated in place"]).optional(),
});
const Finding = z.looseObject({
  severity: z.enum(["error", "warning"]),
  stack: z.string(),
  path: z.string(),
  message: z.string(),
});

const DisruptionSeverity = z.enum(["destroys", "disrupts", "no-effect", "refused"]);
// the enum must name exactly the severities plan/diff.ts writes: a new one fails the type-check here
type Severity = MeshDiff["disruptions"][number]["severity"];
const sameSeverities: [z.infer<typeof DisruptionSeverity>] extends [Severity]
  ? [Severity] extends [z.infer<typeof DisruptionSeverity>]
    ? true
    : false
  : false = true;
void sameSeverities;

export const MeshDiffSchema = z.looseObject({
  schemaVersion: z.literal(DIFF_SCHEMA_VERSION),
  base: z.string(),
  disruptions: z.array(z.looseObject({ severity: DisruptionSeverity, stack: z.string(), what: z.string(), advice: z.string() })),
  stacks: z.array(
    z.looseObject({
      stack: z.string(),
      change: z.enum(["added", "removed", "changed", "unchanged"]),
      objects: z.array(Item),
      releases: z.array(Item),
      cloud: z.array(Item),
      certificates: z.array(Item),
    }),
  ),
  routing: z.array(z.looseObject({ change: Change, line: z.string() })),
  links: z.array(z.looseObject({ change: Change, link: z.string() })),
  trust: z.array(z.looseObject({ change: Change, line: z.string() })),
  checks: z.array(z.looseObject({ change: z.enum(["appeared", "resolved"]), finding: Finding })),
  errors: z.number().int(),
});

export class DiffJsonError extends Error {}

/** The diff in `text` (the file `label`), or a DiffJsonError saying what is wrong and how to make a right one. */
export function parseDiffJson(text: string, label: string): MeshDiff {
  const remake = `make it with mesh plan --diff <base> --format json > ${label}`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DiffJsonError(`${label} is not JSON (${(e as Error).message}); ${remake}`);
  }
  const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === "number" && version !== DIFF_SCHEMA_VERSION)
    throw new DiffJsonError(
      `${label} is a mesh plan diff of schemaVersion ${version}; this mesh reads schemaVersion ${DIFF_SCHEMA_VERSION}: ${remake}, with this checkout`,
    );
  const r = MeshDiffSchema.safeParse(doc, { reportInput: true });
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => {
      const path = i.path.length ? i.path.join(".") : "(the document)";
      // in JSON's words, as config problems are: "required", "a list, not a string"
      if (i.code === "invalid_type") return `${path}: ${wrongType(path, i.expected, i.input, undefined, false)[0]}`;
      if (i.code === "invalid_value")
        return `${path}: ${i.input === undefined ? "required" : `${given(i.input, false)} is not one of ${oneOf(i.values)}`}`;
      return `${path}: ${i.message}`;
    });
    const more = r.error.issues.length > 5 ? `; and ${r.error.issues.length - 5} more` : "";
    throw new DiffJsonError(`${label} is not a mesh plan diff (${issues.join("; ")}${more}); ${remake}`);
  }
  return r.data as unknown as MeshDiff;
}
