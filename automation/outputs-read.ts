/**
 * A stack's outputs, or why they could not be read (no CLI, no login, a wrong passphrase, no such stack,
 * no answer in time), within a bound whatever the engine does. `mesh status` and the API's stacks read
 * through it; the API shares one read per stack among concurrent requests, so a burst of them starts no
 * more CLI processes than one.
 */
import type { StackEngine, StackOutput } from "./engine";
import { Redactor } from "./redact";
import { MeshError, type JobError } from "./types";

export type OutputsRead =
  | { readonly outputs: Readonly<Record<string, StackOutput>>; readonly error?: undefined }
  | { readonly outputs?: undefined; readonly error: JobError };

/** @default bound for a read: 30 s, the engine's own. */
export const OUTPUTS_TIMEOUT_MS = 30_000;

export async function readOutputs(engine: StackEngine, stack: string, timeoutMs = OUTPUTS_TIMEOUT_MS): Promise<OutputsRead> {
  const controller = new AbortController();
  const late = new MeshError(
    "timeout",
    `the outputs of stack ${stack} were not read within ${timeoutMs / 1000} s: check that the backend (PULUMI_BACKEND_URL) answers from here`,
  );
  let timer: NodeJS.Timeout | undefined;
  // an engine that ignores the signal still gets no more than the bound
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(late);
      reject(late);
    }, timeoutMs);
  });
  try {
    return { outputs: await Promise.race([engine.outputs(stack, { signal: controller.signal }), bound]) };
  } catch (e) {
    if (e instanceof MeshError) return { error: { code: e.code, message: new Redactor(engine.secretValues).redact(e.message) } };
    return { error: { code: "engine_failed", message: `the outputs of stack ${stack} could not be read: an internal error` } };
  } finally {
    clearTimeout(timer);
  }
}

/** One read per stack at a time, shared by whoever asks while it runs. */
export class OutputsReader {
  private readonly inFlight = new Map<string, Promise<OutputsRead>>();
  constructor(
    private readonly engine: StackEngine,
    private readonly timeoutMs = OUTPUTS_TIMEOUT_MS,
  ) {}

  read(stack: string): Promise<OutputsRead> {
    let p = this.inFlight.get(stack);
    if (!p) {
      p = readOutputs(this.engine, stack, this.timeoutMs).finally(() => this.inFlight.delete(stack));
      this.inFlight.set(stack, p);
    }
    return p;
  }
}
