/**
 * The stack leases this process holds: admissions and releases of one stack run in order (a release must
 * not undo a later admission), one heartbeat renews them all, and it reports the leases another process
 * took and the cancels asked for elsewhere.
 */
import type { Fence, JobStore } from "./store/store";

export type Renewal = Awaited<ReturnType<JobStore["heartbeat"]>>;

export class Leases {
  private readonly held = new Map<string, Fence>();
  private readonly ops = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: JobStore,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Runs `op` once every earlier admission or release of this stack has settled. */
  serial<T>(stack: string, op: () => Promise<T>): Promise<T> {
    const next = (this.ops.get(stack) ?? Promise.resolve()).then(op, op);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.ops.set(stack, settled);
    void settled.then(() => this.ops.get(stack) === settled && this.ops.delete(stack));
    return next;
  }

  hold(fence: Fence): void {
    this.held.set(fence.stack, fence);
  }

  /** Gives the stack's lease back, unless `inUse` says a job of it is still here or a later admission holds it now. */
  release(stack: string, inUse: () => boolean): void {
    const fence = this.held.get(stack);
    if (!fence) return;
    void this.serial(stack, async () => {
      if (inUse() || this.held.get(stack) !== fence) return;
      this.held.delete(stack);
      await this.store.release(fence).catch(() => undefined);
    });
  }

  /** Renews every lease held; undefined when none is held or the store does not answer. */
  async renew(): Promise<Renewal | undefined> {
    if (this.held.size === 0) return undefined;
    try {
      const renewal = await this.store.heartbeat(this.owner, [...this.held.values()], this.leaseMs, Date.now());
      for (const f of renewal.lost) this.held.delete(f.stack);
      return renewal;
    } catch {
      // the store is down: the lease may expire, and then the fence refuses this process's late writes
      return undefined;
    }
  }

  /** Once every admission and release in progress has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.ops.values()]);
  }
}
