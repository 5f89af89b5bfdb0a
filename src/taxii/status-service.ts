// TAXII 2.1 §4.3 status resources: read by their owner, purged after the retention period.
import type { AccessGate } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../stix/timestamps.js';
import type { StatusRecord, StatusStore } from '../store/store.js';

const MICROS_PER_HOUR = 3_600_000_000;

export class StatusService {
  constructor(
    private readonly gate: AccessGate,
    private readonly statuses: StatusStore,
    private readonly clock: Clock,
    private readonly retentionHours: number,
  ) {}

  async get(principal: Principal, apiRoot: string, statusId: string): Promise<StatusRecord> {
    await this.gate.apiRoot(principal, apiRoot);
    return this.gate.status(principal, await this.statuses.getStatus(apiRoot, statusId));
  }

  /** Removes complete statuses older than the retention period; returns how many. */
  purge(): Promise<number> {
    return this.statuses.purgeStatuses(this.clock.nowMicros() - this.retentionHours * MICROS_PER_HOUR);
  }
}
