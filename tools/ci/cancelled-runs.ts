/**
 * The merge runs GitHub cancelled just before this one. up.yml's concurrency group keeps one run
 * converging and one waiting; when a further merge arrives GitHub cancels the waiting run, even with
 * cancel-in-progress false (docs.github.com/actions/using-jobs/using-concurrency). The run that goes
 * on then previews main with the cancelled runs' changes too, which its own pull request's comment
 * never reviewed, and mesh pr-verify stops it. This says so and what to do, when it is the case.
 *
 *   node --import tsx tools/ci/cancelled-runs.ts <runs.json> <this run's number>
 *     <runs.json>: the workflow's runs on main, as GitHub's "list workflow runs" returns them (up.yml
 *     writes run_number, html_url, head_sha, status, conclusion, display_title of each); prints nothing
 *     when the run before this one was not cancelled.
 */
import { readFileSync } from "node:fs";

export interface WorkflowRun {
  readonly run_number: number;
  readonly html_url: string;
  readonly head_sha: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly display_title: string;
}

/** How many earlier runs are listed (GitHub's page): a longer streak of cancelled runs is said to be longer. */
export const RUNS_LISTED = 50;

const isRun = (r: unknown): r is WorkflowRun => {
  const x = r as Record<string, unknown> | null;
  return (
    typeof x === "object" &&
    x !== null &&
    Number.isSafeInteger(x.run_number) &&
    typeof x.html_url === "string" &&
    typeof x.head_sha === "string" &&
    typeof x.status === "string" &&
    (x.conclusion === null || typeof x.conclusion === "string") &&
    typeof x.display_title === "string"
  );
};

/**
 * The runs cancelled since the last run before `current` that was not, oldest first: the merges whose
 * changes reach this run unconverged. `complete` is false when every listed earlier run was cancelled.
 */
export function cancelledBefore(runs: readonly WorkflowRun[], current: number): { runs: WorkflowRun[]; complete: boolean } {
  const earlier = runs.filter((r) => r.run_number < current).sort((a, b) => b.run_number - a.run_number);
  const out: WorkflowRun[] = [];
  for (const r of earlier) {
    if (r.status !== "completed" || r.conclusion !== "cancelled") return { runs: out.reverse(), complete: true };
    out.push(r);
  }
  // every earlier run listed was cancelled: the streak may go on past the page
  return { runs: out.reverse(), complete: runs.length < RUNS_LISTED };
}

/** A commit title as one line of log text: no control character can start a workflow command. */
const oneLine = (s: string) => {
  const line = s.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
};

/** Why this run's previews may hold changes nobody reviewed on its pull request, and what to do; "" when no earlier run was cancelled. */
export function explainCancelled(found: { runs: readonly WorkflowRun[]; complete: boolean }): string {
  const { runs, complete } = found;
  if (runs.length === 0) return "";
  const n = runs.length === 1 ? "1 earlier merge run" : `${complete ? "" : "at least "}${runs.length} earlier merge runs`;
  return [
    `::error::GitHub cancelled ${n} of this workflow while ${runs.length === 1 ? "it" : "they"} waited (a concurrency group keeps one waiting run and cancels it when a newer one arrives): ${runs.length === 1 ? "its changes are" : "their changes are"} on main but not converged, so this run's previews show them too, and this pull request's comment did not review them. Re-run the cancelled runs, oldest first, then re-run this one (docs/pull-requests.md#merges-that-arrive-together)`,
    "the merge runs cancelled before this one, oldest first:",
    ...runs.map((r) => `  run ${r.run_number}, commit ${r.head_sha.slice(0, 12)}: ${oneLine(r.display_title)} (${oneLine(r.html_url)})`),
    "each re-run previews its own commit and compares it with its own pull request's comment before it converges; once they have converged, re-run this run.",
    "",
  ].join("\n");
}

function main(argv: readonly string[]): number {
  const [file, current] = argv;
  if (!file || !current || !/^[0-9]+$/.test(current)) {
    process.stderr.write("usage: tools/ci/cancelled-runs.ts <runs.json> <this run's number>\n");
    return 2;
  }
  let runs: unknown;
  try {
    runs = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    process.stderr.write(`ci-cancelled-runs: ${file}: ${e instanceof SyntaxError ? "not JSON" : (e as NodeJS.ErrnoException).code}\n`);
    return 2;
  }
  if (!Array.isArray(runs) || !runs.every(isRun)) {
    process.stderr.write(`ci-cancelled-runs: ${file}: not a list of workflow runs\n`);
    return 2;
  }
  process.stdout.write(explainCancelled(cancelledBefore(runs, Number(current))));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
