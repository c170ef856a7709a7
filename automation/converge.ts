/**
 * Brings every stack of the mesh to a steady state in rounds. First every stack of the project is made
 * to exist on the backend (a stack naming a peer the backend lacks fails by design, so a new cluster's
 * stack, or a fresh backend, would otherwise deadlock the anchor's round). Then the trust anchor; then
 * every other stack, in parallel; then only the stacks whose peers' outputs they consume have changed
 * since they last ran; until a round has nothing to do. With outputs that are stable from run to run a
 * fresh mesh settles in three rounds whatever its size (not the 2N−1 runs of a sequential bring-up); a
 * settled mesh applies no changes; a failure stops at the end of its round with what ran and how to
 * resume; a mesh that keeps changing stops at a bound and says why.
 */
import type { StackEngine, StackOutput } from "./engine";
import type { Jobs } from "./jobs";
import { MeshError, type ChangeSummary, type JobRecord } from "./types";

export interface ConvergeStack {
  readonly name: string;
  readonly anchor: boolean;
  /** Short names of the stacks whose outputs this one reads. */
  readonly peers: readonly string[];
}

export interface RoundReport {
  readonly round: number;
  readonly why: string;
  readonly jobs: readonly {
    readonly stack: string;
    readonly jobId: string;
    readonly state: JobRecord["state"];
    readonly changes?: ChangeSummary;
  }[];
}

export interface ConvergeResult {
  readonly state: "settled" | "failed" | "bound";
  readonly rounds: readonly RoundReport[];
  /** The stacks the backend did not have, created before round 1. */
  readonly created: readonly string[];
  /** In words: what happened, and what to do next. */
  readonly message: string;
}

export interface ConvergeOptions {
  readonly stacks: readonly ConvergeStack[];
  readonly jobs: Jobs;
  readonly engine: StackEngine;
  readonly requestedBy: string;
  /** @default 5 (a fresh mesh needs 3) */
  readonly maxRounds?: number;
  readonly onRound?: (r: RoundReport) => void;
  /** The stacks created on the backend before round 1, when there were any. */
  readonly onCreated?: (stacks: readonly string[]) => void;
  /** Each job as it is submitted, e.g. to follow its events. */
  readonly onJob?: (r: JobRecord) => void;
}

/** The outputs a stack reads of its anchor and peers, and that change what it deploys (`peers` only warns). */
export const CONSUMED_OUTPUTS = ["clusterName", "network", "meshId", "trustRoot", "trustRootKey", "remoteSecret"] as const;

export async function converge(o: ConvergeOptions): Promise<ConvergeResult> {
  const maxRounds = o.maxRounds ?? 5;
  const anchor = o.stacks.find((s) => s.anchor)?.name;
  const sources = (s: ConvergeStack) => [...new Set([...(anchor && anchor !== s.name ? [anchor] : []), ...s.peers])];
  // a stack the backend does not have yet is created by its round: until then it has no outputs
  const outputsOf = (p: string): Promise<Readonly<Record<string, StackOutput>>> =>
    o.engine.outputs(p).catch((e: unknown) => {
      if (e instanceof MeshError && e.code === "not_found") return {};
      throw e;
    });
  const consumed = async (s: ConvergeStack): Promise<string> => {
    const parts = await Promise.all(
      sources(s).map(async (p) => {
        const out = await outputsOf(p);
        return [p, CONSUMED_OUTPUTS.map((k) => out[k]?.value ?? null)] as const;
      }),
    );
    return JSON.stringify(parts);
  };
  const seen = new Map<string, string>();
  const rounds: RoundReport[] = [];
  const created = await ensureAll(o);
  if (!Array.isArray(created)) return created as ConvergeResult;
  const made =
    created.length > 0
      ? `; ${created.join(", ")} did not exist on the backend and ${created.length === 1 ? "was" : "were"} created first`
      : "";

  for (let round = 1; ; round++) {
    let batch: ConvergeStack[];
    let why: string;
    if (round === 1) {
      batch = anchor ? o.stacks.filter((s) => s.name === anchor) : [...o.stacks];
      why = anchor ? "the trust anchor makes the mesh root" : "no trust anchor: every stack";
    } else if (round === 2 && anchor) {
      batch = o.stacks.filter((s) => s.name !== anchor);
      why = "every other stack, with the anchor's root";
    } else {
      batch = [];
      why = "stacks whose peers' outputs changed since they ran";
      try {
        for (const s of o.stacks) if ((await consumed(s)) !== seen.get(s.name)) batch.push(s);
      } catch (e) {
        return unreadable(e, round, why, rounds, created);
      }
    }
    if (batch.length === 0) {
      const n = rounds.length;
      return {
        state: "settled",
        rounds,
        created,
        message: `settled after ${n} round${n === 1 ? "" : "s"}: no stack has a peer whose outputs changed since it ran${made}`,
      };
    }
    if (round > maxRounds) {
      return {
        state: "bound",
        rounds,
        created,
        message: `stopped after ${maxRounds} rounds with ${batch.map((s) => s.name).join(", ")} still to run: their peers' outputs change on every run (a token or certificate re-issued each time?). Look at those stacks' last jobs; mesh converge runs again from here`,
      };
    }
    try {
      for (const s of batch) seen.set(s.name, await consumed(s));
    } catch (e) {
      return unreadable(e, round, why, rounds, created);
    }
    const settled = await Promise.allSettled(batch.map((s) => o.jobs.submit({ stack: s.name, kind: "up", requestedBy: o.requestedBy })));
    const submitted = settled.flatMap((r, i) => (r.status === "fulfilled" ? [{ stack: batch[i]!.name, record: r.value }] : []));
    for (const j of submitted) o.onJob?.(j.record);
    const refused = settled.flatMap((r, i) =>
      r.status === "rejected" ? [`${batch[i]!.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : [],
    );
    if (refused.length > 0) {
      // a stack held by another process (or a store that cannot be written): let what started finish, then stop
      await Promise.all(submitted.map((j) => o.jobs.wait(j.record.id)));
      return {
        state: "failed",
        rounds,
        created,
        message: `round ${round} (${why}): ${refused.join("; ")}. Resolve that, then resume with mesh converge: stacks already converged apply no changes`,
      };
    }
    const ended = await Promise.all(submitted.map(async (j) => ({ stack: j.stack, record: await o.jobs.wait(j.record.id) })));
    const report: RoundReport = {
      round,
      why,
      jobs: ended.map((j) => ({
        stack: j.stack,
        jobId: j.record.id,
        state: j.record.state,
        ...(j.record.summary ? { changes: j.record.summary.changes } : {}),
      })),
    };
    rounds.push(report);
    o.onRound?.(report);
    const failed = ended.filter((j) => j.record.state !== "succeeded");
    if (failed.length > 0) {
      const what = failed
        .map((f) => `${f.stack} ${f.record.state}${f.record.error ? ` (${f.record.error.code}: ${f.record.error.message})` : ""}`)
        .join("; ");
      const ok = ended.filter((j) => j.record.state === "succeeded").map((j) => j.stack);
      return {
        state: "failed",
        rounds,
        created,
        message: `round ${round} (${why}): ${what}.${ok.length ? ` ${ok.join(", ")} ran.` : ""} Fix the cause, then resume with mesh converge: stacks already converged apply no changes`,
      };
    }
  }
}

/** Every stack of the project on the backend, the missing ones created (and reported); or why not. */
async function ensureAll(o: ConvergeOptions): Promise<readonly string[] | ConvergeResult> {
  try {
    const created = await o.engine.ensureStacks(o.stacks.map((s) => s.name));
    if (created.length > 0) o.onCreated?.(created);
    return created;
  } catch (e) {
    if (!(e instanceof MeshError)) throw e;
    return {
      state: "failed",
      rounds: [],
      created: [],
      message: `no round started: the stacks could not be selected or created on the backend: ${e.message}. Fix the cause, then run mesh converge again`,
    };
  }
}

/** Converge stops, saying why, when a peer's outputs cannot be read (no login, a wrong passphrase, no answer). */
function unreadable(e: unknown, round: number, why: string, rounds: readonly RoundReport[], created: readonly string[]): ConvergeResult {
  if (!(e instanceof MeshError)) throw e;
  return {
    state: "failed",
    rounds,
    created,
    message: `round ${round} (${why}) did not start: ${e.message}. Fix the cause, then resume with mesh converge: stacks already converged apply no changes`,
  };
}
