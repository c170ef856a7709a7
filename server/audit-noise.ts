/**
 * Unauthenticated refusals (a scanner's 401s and 404s, a flood of forged callbacks) into counts: in each
 * window, an address's first few are recorded one by one and so are the first of all addresses; the rest
 * become one counted line per status when the window closes. The table grows by a bounded number of rows
 * a minute whatever arrives; the stdout line of each request is still written.
 */

export interface NoiseLimits {
  /** Window length, ms. */
  readonly windowMs: number;
  /** Lines recorded one by one per address and window. */
  readonly perAddress: number;
  /** Lines recorded one by one per window, all addresses. */
  readonly perWindow: number;
}

export interface Counted {
  readonly status: number;
  readonly count: number;
  readonly addresses: number;
  readonly first: string;
  readonly last: string;
}

/** Distinct addresses remembered per window, per status (beyond it the count goes on, the address count stops). */
const ADDRESSES = 10_000;

export class NoiseCounter {
  private start = 0;
  private recorded = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly counted = new Map<number, { count: number; addresses: Set<string>; first: string; last: string }>();

  constructor(private readonly limits: NoiseLimits) {}

  /** Whether this refusal is recorded one by one; `closed` gets the counts of a window that has just ended. */
  admit(ip: string, status: number, time: Date, closed: (c: Counted[]) => void): boolean {
    const t = time.getTime();
    if (t - this.start >= this.limits.windowMs) {
      closed(this.drain());
      this.start = t;
    }
    const mine = this.perAddress.get(ip) ?? 0;
    if (mine < this.limits.perAddress && this.recorded < this.limits.perWindow) {
      if (this.perAddress.size < ADDRESSES || this.perAddress.has(ip)) this.perAddress.set(ip, mine + 1);
      this.recorded++;
      return true;
    }
    const iso = time.toISOString();
    const c = this.counted.get(status) ?? { count: 0, addresses: new Set<string>(), first: iso, last: iso };
    c.count++;
    c.last = iso;
    if (c.addresses.size < ADDRESSES) c.addresses.add(ip);
    this.counted.set(status, c);
    return false;
  }

  /** The counts so far, and a new window. */
  drain(): Counted[] {
    const out = [...this.counted].map(([status, c]) => ({
      status,
      count: c.count,
      addresses: c.addresses.size,
      first: c.first,
      last: c.last,
    }));
    this.counted.clear();
    this.perAddress.clear();
    this.recorded = 0;
    return out;
  }
}
