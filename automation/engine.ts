/**
 * What the core needs from Pulumi, and nothing more. The production implementation is a thin layer over
 * the Automation API's LocalWorkspace (`local-engine.ts`); tests and benchmarks use the simulation in
 * `memory-engine.ts`. Implementations throw only `MeshError`s.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { ChangeSummary, EngineKind } from "./types";

export interface OperationOptions {
  /** Every engine event, in order. */
  readonly onEvent: (event: EngineEvent) => void;
  /** Graceful cancellation: the CLI gets one SIGINT. */
  readonly signal: AbortSignal;
  /**
   * The number of resources the operation has, when the engine knows it before applying them (the
   * simulated engine does once the program has registered everything; the Pulumi CLI's up does not say).
   */
  readonly onTotal?: (total: number) => void;
  /** destroy: also protected resources (the ACK cluster, its VPC). @default false */
  readonly includeProtected?: boolean;
}

export interface OperationResult {
  readonly changes: ChangeSummary;
}

export interface StackOutput {
  readonly value: unknown;
  readonly secret: boolean;
}

export interface HistoryEntry {
  readonly kind: string;
  readonly result: string;
  readonly startTime: string;
  readonly endTime?: string;
  readonly changes?: ChangeSummary;
}

export interface ReadOptions {
  /** Stops the read (the CLI gets one SIGINT); the engine then throws the signal's reason if it is a MeshError. */
  readonly signal?: AbortSignal;
}

export interface StackEngine {
  /** Runs one operation on a stack (selecting it, or creating it if it does not exist yet). */
  run(stack: string, kind: EngineKind, options: OperationOptions): Promise<OperationResult>;
  /** The stack's outputs after its last update; `{}` for a stack that has none; `not_found` for one the backend does not have. */
  outputs(stack: string, options?: ReadOptions): Promise<Readonly<Record<string, StackOutput>>>;
  history(stack: string, limit: number, options?: ReadOptions): Promise<readonly HistoryEntry[]>;
  /**
   * Makes sure each stack exists on the backend: selects it, or creates it (as `run` would, with the same
   * secrets provider) when the backend does not have it. Returns the stacks it created, in the order given.
   * A program that names a peer the backend lacks fails by design (a misspelt name must fail), so
   * converge creates every stack of the project before its first round.
   */
  ensureStacks(stacks: readonly string[], options?: ReadOptions): Promise<readonly string[]>;
  /** `pulumi cancel`: on a self-managed backend it removes the lock; it does not stop a running process. */
  cancel(stack: string): Promise<void>;
  /** Values to remove from every message (the passphrase, credentials the engine was given). */
  readonly secretValues?: readonly string[];
}
