// TAXII 2.1 §4.3 status resources: read by their owner, purged after the retention period.
import type { AccessGate } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../stix/timestamps.js';
import type { StatusRecord, StatusStore } from '../store/store.js';

const MICROS_PER_HOUR = 3_600_000_000;

/** Complete statuses remembered at most, and their detail entries in all (the memory bound). */
const REMEMBERED_STATUSES = 2_000;
const REMEMBERED_DETAILS = 50_000;

export class StatusService {
  /**
   * Complete statuses, by API root and id, in order of last use. A complete status never changes
   * again (ingestion writes only pending ones), so it is served from here until its retention
   * period has passed, when any instance may purge it: no store read, which for a client polling a
   * finished request is the whole cost. Who may read it is decided on every request.
   */
  private readonly complete = new Map<string, { status: StatusRecord; weight: number }>();
  private weight = 0;

  constructor(
    private readonly gate: AccessGate,
    private readonly statuses: StatusStore,
    private readonly clock: Clock,
    private readonly retentionHours: number,
  ) {}

  async get(principal: Principal, apiRoot: string, statusId: string): Promise<StatusRecord> {
    await this.gate.apiRoot(principal, apiRoot);
    return this.gate.status(principal, await this.read(apiRoot, statusId));
  }

  /** Removes complete statuses older than the retention period; returns how many. */
  purge(): Promise<number> {
    const before = this.retainedSince();
    for (const [key, e] of this.complete) if (e.status.requestTimestamp < before) this.forget(key);
    return this.statuses.purgeStatuses(before);
  }

  /** Requests made before this instant (µs) may have been purged. */
  private retainedSince(): number {
    return this.clock.nowMicros() - this.retentionHours * MICROS_PER_HOUR;
  }

  private async read(apiRoot: string, id: string): Promise<StatusRecord | undefined> {
    const key = `${apiRoot}\u0000${id}`;
    const hit = this.complete.get(key);
    if (hit !== undefined) {
      this.complete.delete(key);
      if (hit.status.requestTimestamp >= this.retainedSince()) {
        this.complete.set(key, hit);
        return hit.status;
      }
      this.weight -= hit.weight;
    }
    const status = await this.statuses.getStatus(apiRoot, id);
    if (status?.status === 'complete') this.remember(key, status);
    return status;
  }

  private remember(key: string, status: StatusRecord): void {
    const weight = 1 + status.successes.length + status.failures.length + status.pendings.length;
    if (weight > REMEMBERED_DETAILS / 10) return;
    this.forget(key);
    this.complete.set(key, { status: Object.freeze(status), weight });
    this.weight += weight;
    // least recently used first (a Map iterates in insertion order)
    for (const k of this.complete.keys()) {
      if (this.complete.size <= REMEMBERED_STATUSES && this.weight <= REMEMBERED_DETAILS) break;
      this.forget(k);
    }
  }

  private forget(key: string): void {
    const e = this.complete.get(key);
    if (e === undefined) return;
    this.complete.delete(key);
    this.weight -= e.weight;
  }
}
