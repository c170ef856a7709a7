/**
 * The audit trail: one line per mutating request and per refusal, redacted, written to the server's
 * stdout (as before) and as a row of the job store, which GET /v1/audit reads. Refusals of unauthenticated
 * requests are recorded through a NoiseCounter, so a scanner cannot flood the table. A row the store
 * cannot take is reported in the log; its stdout line is the record then.
 */
import { randomBytes } from "node:crypto";
import type { Redactor } from "../automation/redact";
import type { AuditEntry, JobStore } from "../automation/store/store";
import { NoiseCounter, type Counted, type NoiseLimits } from "./audit-noise";

export interface AuditTrailDeps {
  readonly store: JobStore;
  /** Every line, as it is (today's stdout line). */
  readonly sink: (line: Record<string, unknown>) => void;
  readonly log: (line: Record<string, unknown>) => void;
  readonly redactor: Redactor;
  readonly noise: NoiseLimits;
  readonly now: () => Date;
}

export class AuditTrail {
  private readonly noise: NoiseCounter;
  private readonly pending = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private failing = false;

  constructor(private readonly deps: AuditTrailDeps) {
    this.noise = new NoiseCounter(deps.noise);
    // a quiet server still writes a window's counts soon after it closes
    this.timer = setInterval(() => this.store(this.deps.now(), this.noise.drain()), deps.noise.windowMs);
    this.timer.unref();
  }

  /** Records a line; `unauthenticated` lines go through the noise counter. */
  record(raw: Record<string, unknown>, unauthenticated: boolean): void {
    const line = this.deps.redactor.redactDeep(raw);
    this.deps.sink(line);
    const now = this.deps.now();
    const alone =
      !unauthenticated || this.noise.admit(typeof line.ip === "string" ? line.ip : "", Number(line.status), now, (c) => this.store(now, c));
    if (alone) this.write([entry(line)]);
  }

  /** The counts of the window so far, and every row in flight, into the store (at shutdown). */
  async flush(): Promise<void> {
    clearInterval(this.timer);
    this.store(this.deps.now(), this.noise.drain());
    await Promise.all([...this.pending]);
  }

  private store(now: Date, counted: Counted[]): void {
    if (counted.length === 0) return;
    this.write(
      counted.map((c) =>
        entry({
          time: c.first,
          until: c.last,
          requestId: `counted-${randomBytes(8).toString("hex")}`,
          action: "counted",
          status: c.status,
          count: c.count,
          addresses: c.addresses,
          reason: `${c.count} more unauthenticated requests answered ${c.status}, from ${c.addresses} address${c.addresses === 1 ? "" : "es"}, by ${now.toISOString()}: counted, not recorded one by one`,
        }),
      ),
    );
  }

  private write(entries: AuditEntry[]): void {
    const p = this.deps.store.appendAudit(entries).then(
      () => void (this.failing = false),
      (e: unknown) => {
        // once per run of failures: the stdout lines carry the record meanwhile
        if (!this.failing)
          this.deps.log({
            level: "error",
            msg: "audit lines are not reaching the job store; stdout has them",
            error: this.deps.redactor.redact(e instanceof Error ? e.message : String(e)),
          });
        this.failing = true;
      },
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

function entry(line: Record<string, unknown>): AuditEntry {
  return {
    id: String(line.requestId),
    time: String(line.time),
    ...(typeof line.actor === "string" ? { actor: line.actor } : {}),
    action: String(line.action),
    status: Number(line.status),
    line,
  };
}
