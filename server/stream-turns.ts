/**
 * The event streams' page reads, handed out in turns: one at a time, in the order asked for (a stream
 * asks again after writing its page, so a thousand replays take one page each in rounds), with the event
 * loop let through between two turns, and no turn while the pages written but not yet taken by the
 * kernel exceed a bound. On loopback the kernel takes whole replays, so backpressure alone never pauses
 * a stream: without turns, replays read, parse and write page after page without a yield, and every
 * other request waits for them.
 */
export class Turns {
  private readonly waiting: (() => Promise<void>)[] = [];
  private running = false;
  private inFlight = 0;
  private below?: () => void;
  private onIdle: (() => void)[] = [];

  /** `maxInFlight`: bytes written to streams and not yet taken by the kernel, in all, past which no turn starts. */
  constructor(private readonly maxInFlight: number) {}

  /** Bytes written and not yet taken by the kernel, in all. */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** Runs `read` in its turn. */
  run<T>(read: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => read().then(resolve, reject));
      if (!this.running) void this.loop();
    });
  }

  /** Counts `bytes` written to a stream; call the answer once its socket has taken them, or the stream is gone (once is enough). */
  sent(bytes: number): () => void {
    this.inFlight += bytes;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= bytes;
      if (this.inFlight <= this.maxInFlight && this.below) {
        const resume = this.below;
        this.below = undefined;
        resume();
      }
    };
  }

  /** Resolves once no read waits for its turn and none runs. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.onIdle.push(r));
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      if (this.inFlight > this.maxInFlight) await new Promise<void>((r) => (this.below = r));
      await this.waiting.shift()!();
      // the reader formats and writes its page in the microtasks that follow; then other requests, timers
      // and socket events get their turn before the next page is read
      await new Promise<void>((r) => setImmediate(r));
    }
    this.running = false;
    for (const r of this.onIdle.splice(0)) r();
  }
}
