// The audit trail: every authentication failure, read, write, delete and admin change is recorded
// with time, actor, tenant and request id. Records are buffered and written in batches off the
// request path, so recording reads costs little of paging throughput; close() writes what is left.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../stix/timestamps.js';
import type { AuditRecord, AuditStore } from '../store/store.js';

export type AuditEntry = Omit<AuditRecord, 'id' | 'at'>;

export interface AuditOptions {
  /** longest a record waits before it is written */
  flushMs: number;
  /** records written per batch */
  batch: number;
  /** records held at most while the store does not answer; beyond, the oldest are dropped (and logged) */
  maxBuffered: number;
}

const DEFAULTS: AuditOptions = { flushMs: 200, batch: 1000, maxBuffered: 100_000 };

export class AuditLog {
  private buffer: AuditRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly instance = randomBytes(4).toString('hex');
  private counter = 0;
  private lastAt = 0;
  private readonly opts: AuditOptions;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    opts: Partial<AuditOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  record(entry: AuditEntry): void {
    const at = Math.max(this.clock.nowMicros(), this.lastAt);
    this.lastAt = at;
    // Sorts by time, then by instance and sequence: unique across instances, increasing within one.
    const id = `${String(at).padStart(17, '0')}-${this.instance}-${(this.counter++ % 1e9).toString().padStart(9, '0')}`;
    this.buffer.push({ id, at, ...entry });
    if (this.buffer.length > this.opts.maxBuffered) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.opts.maxBuffered);
      this.log.error({ dropped: dropped.length }, 'audit buffer full: the store is not taking records; oldest dropped');
    }
    if (this.buffer.length >= this.opts.batch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = this.writing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.opts.batch);
        try {
          await this.store.append(batch);
          this.buffer.splice(0, batch.length);
        } catch (err) {
          this.log.error({ err, pending: this.buffer.length }, 'audit records could not be written; will retry');
          if (!this.timer) {
            this.timer = setTimeout(() => void this.flush(), this.opts.flushMs * 10);
            this.timer.unref();
          }
          return;
        }
      }
    });
    this.writing = next;
    return next;
  }
}
