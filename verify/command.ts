/**
 * `mesh verify [stack…]` as the CLI runs it: the project's files, credentials per stack, `--wait`,
 * the report as text, Markdown or JSON, a progress line per cluster on a terminal. Exit 0 all passed,
 * 1 a check failed, 2 a cluster could not be read or the arguments are wrong.
 */
import { readProject, StackFileError } from "../plan/stack-files";
import { renderVerifyMarkdown, renderVerifyText } from "./report";
import { stackPairs, type StackOutputsReader } from "./targets";
import type { VerifyReport } from "./types";
import { verifyMesh, VerifyUsageError, type VerifyOptions } from "./verify";
import { parseDuration, untilPassed, waitProblem } from "./wait";

export type VerifyFormat = "text" | "markdown" | "json";

export interface VerifyFlags {
  readonly dir: string;
  readonly format: VerifyFormat;
  readonly wait?: string;
  readonly from?: readonly string[];
  readonly kubeconfig?: readonly string[];
  readonly context?: readonly string[];
}

export interface VerifyDeps {
  readonly out: { write(s: string): unknown };
  /** Progress lines; only given on a terminal. */
  readonly progress?: { write(s: string): unknown };
  /** The stacks' outputs (the automation core's engine); made only when verify runs. */
  readonly outputs?: () => StackOutputsReader;
  /** Tests: reader options, the default kubeconfig's loader, the clock. */
  readonly options?: Partial<VerifyOptions>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly intervalMs?: number;
  /** Stops `--wait` between rounds (the portal's cancel). */
  readonly signal?: AbortSignal;
}

const USAGE = 2;

/** `--from ns/pod` for every stack, or `--from <stack>=ns/pod` for one. */
function fromPairs(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf("=");
    const [stack, pod] = i > 0 ? [v.slice(0, i), v.slice(i + 1)] : ["*", v];
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(pod))
      throw new TypeError(`--from ${v}: write <namespace>/<pod> or <stack>=<namespace>/<pod>`);
    out[stack] = pod;
  }
  return out;
}

/** What one verify (with its `--wait`) came to: the report, or the usage problem that stopped it before any cluster was read. */
export type VerifyOutcome = { readonly report: VerifyReport } | { readonly usage: string };

/** The verify behind `mesh verify`, `mesh converge --verify` and the portal's verify job; it renders nothing. */
export async function verifyOutcome(
  stacks: readonly string[],
  flags: Omit<VerifyFlags, "format">,
  deps: VerifyDeps,
): Promise<VerifyOutcome> {
  let options: VerifyOptions;
  let waitMs: number | undefined;
  try {
    if (flags.wait !== undefined) {
      waitMs = parseDuration(flags.wait);
      if (waitMs === undefined) throw new TypeError(waitProblem(flags.wait));
    }
    options = {
      ...deps.options,
      stacks,
      from: fromPairs(flags.from ?? []),
      credentials: {
        kubeconfig: stackPairs("--kubeconfig", flags.kubeconfig ?? []),
        context: stackPairs("--context", flags.context ?? []),
      },
      ...(deps.outputs ? { outputs: deps.outputs() } : {}),
      ...(deps.progress ? { onProgress: (stack: string, line: string) => deps.progress!.write(`${stack}: ${line}\n`) } : {}),
    };
  } catch (e) {
    return { usage: (e as Error).message };
  }
  let files;
  try {
    files = readProject(flags.dir);
  } catch (e) {
    if (e instanceof StackFileError) return { usage: e.message };
    throw e;
  }
  const once = () => verifyMesh(files, options);
  try {
    return {
      report:
        waitMs === undefined
          ? await once()
          : await untilPassed(once, {
              waitMs,
              ...(deps.intervalMs !== undefined ? { intervalMs: deps.intervalMs } : {}),
              ...(deps.sleep ? { sleep: deps.sleep } : {}),
              ...(deps.signal ? { signal: deps.signal } : {}),
              onRetry: (r, left) =>
                deps.progress?.write(
                  `not yet: ${r.summary.failed} failed, ${r.summary.errors} unreadable; checking again (${Math.ceil(left / 1000)} s left)\n`,
                ),
            }),
    };
  } catch (e) {
    if (e instanceof VerifyUsageError) return { usage: e.message };
    throw e;
  }
}

export async function runVerify(stacks: readonly string[], flags: VerifyFlags, deps: VerifyDeps): Promise<number> {
  const outcome = await verifyOutcome(stacks, flags, deps);
  if ("usage" in outcome) {
    deps.out.write(`mesh verify: ${outcome.usage}\n`);
    return USAGE;
  }
  const report = outcome.report;
  deps.out.write(
    flags.format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : flags.format === "markdown"
        ? renderVerifyMarkdown(report)
        : renderVerifyText(report),
  );
  return report.exitCode;
}
