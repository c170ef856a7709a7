/**
 * Every job's record and events, appended to one JSON-lines file per job in a directory. A client can
 * replay a job from any event; a restarted process lists past jobs and shows the ones that were running
 * when it died as interrupted, with the recovery step.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { JobRecord, MeshEvent } from "./types";

type Line = { readonly record: JobRecord } | { readonly event: MeshEvent };

const FILE = /^job-[A-Za-z0-9-]+\.jsonl$/;

export class Journal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`not a job id: ${id}`);
    return join(this.dir, `job-${id}.jsonl`);
  }

  record(r: JobRecord): void {
    appendFileSync(this.file(r.id), `${JSON.stringify({ record: r } satisfies Line)}\n`, { mode: 0o600 });
  }

  event(e: MeshEvent): void {
    appendFileSync(this.file(e.jobId), `${JSON.stringify({ event: e } satisfies Line)}\n`, { mode: 0o600 });
  }

  /** Every job's last record and its events, oldest job first. A torn last line (a crash mid-write) is skipped. */
  load(): { record: JobRecord; events: MeshEvent[] }[] {
    const jobs: { record: JobRecord; events: MeshEvent[] }[] = [];
    for (const f of readdirSync(this.dir).filter((n) => FILE.test(n))) {
      let record: JobRecord | undefined;
      const events: MeshEvent[] = [];
      for (const line of readFileSync(join(this.dir, f), "utf8").split("\n")) {
        if (line.trim() === "") continue;
        let parsed: Line;
        try {
          parsed = JSON.parse(line) as Line;
        } catch {
          continue;
        }
        if ("record" in parsed) record = parsed.record;
        else events.push(parsed.event);
      }
      if (record) jobs.push({ record, events });
    }
    return jobs.sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt) || a.record.id.localeCompare(b.record.id));
  }
}
