/**
 * Failed token sign-ins, counted per client address: past `max` failures in a window, every attempt from
 * that address is refused until the window ends — a valid token too, or the answers would still tell
 * which guess hit. Memory is bounded: past `ADDRESSES` tracked addresses the oldest window is dropped.
 */

/** Addresses tracked at once. */
const ADDRESSES = 10_000;

export class FailedSignIns {
  /** By address, in the order their windows began (a new window moves an address to the end). */
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until this address may try again, or 0 when it may now. */
  waitMs(address: string, now: number): number {
    const w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs || w.count < this.max) return 0;
    return w.start + this.windowMs - now;
  }

  /** Counts one failure of this address. */
  failed(address: string, now: number): void {
    const w = this.windows.get(address);
    if (w && now - w.start < this.windowMs) {
      w.count++;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= ADDRESSES) this.prune(now);
    this.windows.set(address, { start: now, count: 1 });
  }

  private prune(now: number): void {
    for (const [address, w] of this.windows) {
      if (now - w.start < this.windowMs && this.windows.size < ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}
