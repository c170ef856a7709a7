/** `mesh jobs` and `mesh status` in words: a table with a header row, and what a job came to. */
import type { JobRecord } from "./types";

const OP_ORDER = ["create", "update", "replace", "create-replacement", "delete-replaced", "delete", "import", "read", "refresh", "same"];
const opRank = (op: string) => (OP_ORDER.includes(op) ? OP_ORDER.indexOf(op) : OP_ORDER.length);

/** `2 create, 1 update, 20 same`, in the order Pulumi prints them. */
export const formatChanges = (c: Readonly<Record<string, number>>): string =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => opRank(a) - opRank(b))
    .map(([op, n]) => `${n} ${op}`)
    .join(", ") || "no changes";

/** What a job came to: its changes, a verify's counts, or why it failed, was cancelled or interrupted. */
export function jobOutcome(r: JobRecord): string {
  if (r.error) return `${r.error.message}${r.recovery ? `; ${r.recovery}` : ""}`;
  if (r.verify) return `${r.verify.passed} passed, ${r.verify.failed} failed, ${r.verify.errors} unreadable`;
  if (r.summary) return formatChanges(r.summary.changes);
  return r.recovery ?? "";
}

/** The jobs, newest first, under a header row; every column as wide as its widest cell. */
export function jobsTable(records: readonly JobRecord[]): string {
  const rows = [
    ["JOB", "STACK", "KIND", "STATE", "CREATED", "BY", "OUTCOME"],
    ...records.map((r) => [r.id, r.stack, r.kind, r.state, r.createdAt, r.requestedBy, jobOutcome(r)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}
