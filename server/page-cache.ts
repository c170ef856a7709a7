/**
 * Pages of event frames that can no longer change, kept for the next stream that reads them: a hundred
 * clients replaying one finished job read and format each page once. Least recently used pages go first,
 * past a bound in bytes.
 */
import type { PageCache, ReadPage } from "../automation/job-follow";

export class FramePages implements PageCache<Buffer> {
  private readonly pages = new Map<string, ReadPage<Buffer>>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of frames kept. */
  get size(): number {
    return this.bytes;
  }

  get(jobId: string, after: number): ReadPage<Buffer> | undefined {
    const key = `${jobId} ${after}`;
    const page = this.pages.get(key);
    if (page) {
      // most recently used last
      this.pages.delete(key);
      this.pages.set(key, page);
    }
    return page;
  }

  set(jobId: string, after: number, page: ReadPage<Buffer>): void {
    const key = `${jobId} ${after}`;
    const size = page.shaped?.page.length ?? 0;
    if (size > this.maxBytes || this.pages.has(key)) return;
    this.pages.set(key, page);
    this.bytes += size;
    for (const [k, p] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.pages.delete(k);
      this.bytes -= p.shaped?.page.length ?? 0;
    }
  }
}
