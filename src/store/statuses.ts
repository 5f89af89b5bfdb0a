// Status area: TAXII 2.1 §4.3 status resources of add-objects requests.

export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}

export interface StatusRecord {
  id: string;
  apiRoot: string;
  collectionId: string;
  owner: string;
  /** the owner's tenant: everyone in it may read the status */
  tenant?: string;
  status: 'complete' | 'pending';
  /** microseconds since the epoch */
  requestTimestamp: number;
  totalCount: number;
  /** detail lists, possibly capped (the counts below are then larger than the lists) */
  successes: StatusDetail[];
  failures: StatusDetail[];
  pendings: StatusDetail[];
  /** exact counts; when absent (statuses written before ingestion was queued) the list lengths */
  successCount?: number;
  failureCount?: number;
  pendingCount?: number;
}

export interface StatusStore {
  putStatus(status: StatusRecord): Promise<void>;
  getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined>;
  /** removes complete statuses requested before the given time (µs); returns how many */
  purgeStatuses(requestedBeforeMicros: number): Promise<number>;
}
