/** `--wait <duration>`: verify again until everything passes or the time is up (a fresh up takes a while to settle). */
import type { VerifyReport } from "./types";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `10m`, `1h30m`, `500ms` → milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  const ms = parts.reduce((t, p) => t + Number(p[1]) * UNITS[p[2]!]!, 0);
  return ms > 0 && ms <= 24 * 3_600_000 ? ms : undefined;
}

/** `--wait` that is no duration, in the words `mesh verify` and `mesh converge --verify` both use. */
export const waitProblem = (text: string, option = "--wait"): string =>
  `${option} ${text}: write a duration such as 90s, 10m or 1h (at most 24h)`;

export interface WaitOptions {
  readonly waitMs: number;
  /** Pause between rounds. @default 10 s */
  readonly intervalMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told after every round that did not pass, with the time left. */
  readonly onRetry?: (report: VerifyReport, leftMs: number) => void;
  /** Ends the wait after the round in progress, with that round's report. */
  readonly signal?: AbortSignal;
}

export async function untilPassed(round: () => Promise<VerifyReport>, o: WaitOptions): Promise<VerifyReport> {
  const now = o.now ?? Date.now;
  const sleep =
    o.sleep ??
    ((ms: number) =>
      new Promise<void>((r) => {
        const done = () => {
          clearTimeout(timer);
          o.signal?.removeEventListener("abort", done);
          r();
        };
        const timer = setTimeout(done, ms);
        o.signal?.addEventListener("abort", done, { once: true });
      }));
  const deadline = now() + o.waitMs;
  for (;;) {
    const report = await round();
    const left = deadline - now();
    if (report.exitCode === 0 || left <= 0 || o.signal?.aborted) return report;
    o.onRetry?.(report, left);
    await sleep(Math.min(o.intervalMs ?? 10_000, left));
    if (o.signal?.aborted) return report;
  }
}
