/**
 * Stack outputs for the read routes, without a CLI process per request: each stack's outputs are kept for
 * a short time and until a job on the stack ends (its `version`), concurrent reads of one stack share one
 * engine call, and engine reads run a few at a time. A failed read is kept as long, so a stack that cannot
 * be read is not asked again on every request.
 */
import type { StackEngine, StackOutput } from "../automation/engine";

type Outputs = Readonly<Record<string, StackOutput>>;

export interface StackReadOptions {
  /** How long a read is reused. @default 5000 */
  readonly ttlMs?: number;
  /** Engine reads at once, all stacks. @default 2 */
  readonly concurrency?: number;
  readonly now?: () => number;
}

export class StackReads {
  private readonly cache = new Map<string, { readonly version: string; readonly at: number; readonly result: Promise<Outputs> }>();
  private readonly pending = new Set<Promise<Outputs>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly ttlMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  constructor(
    private readonly engine: Pick<StackEngine, "outputs">,
    o: StackReadOptions = {},
  ) {
    this.ttlMs = o.ttlMs ?? 5000;
    this.concurrency = o.concurrency ?? 2;
    this.now = o.now ?? Date.now;
  }

  /** The stack's outputs; `version` changes when they may have (e.g. the id and state of its last job). */
  outputs(stack: string, version: string): Promise<Outputs> {
    const hit = this.cache.get(stack);
    if (hit && hit.version === version && (this.now() - hit.at < this.ttlMs || this.pending.has(hit.result))) return hit.result;
    const result = this.limited(() => this.engine.outputs(stack));
    this.pending.add(result);
    const settled = () => {
      this.pending.delete(result);
      // the time to live counts from the answer, not the question
      if (this.cache.get(stack)?.result === result) this.cache.set(stack, { version, at: this.now(), result });
    };
    result.then(settled, settled);
    this.cache.set(stack, { version, at: this.now(), result });
    return result;
  }

  /** Engine reads running now, and waiting for a slot. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  private async limited<T>(f: () => Promise<T>): Promise<T> {
    // a slot is handed from the read that ends to the next waiting one, so no newcomer slips in between
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
