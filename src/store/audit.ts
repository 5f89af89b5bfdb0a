// Audit area: an append-only record of every authentication failure, read, write, delete and
// admin change. Never a password or a token.

export type AuditAction =
  | 'auth.failure'
  | 'taxii.read'
  | 'taxii.write'
  | 'taxii.delete'
  | 'taxii.status'
  | 'taxii.ingest'
  | 'api.read'
  | 'admin.create'
  | 'admin.update'
  | 'admin.delete';

export interface AuditRecord {
  /** unique and increasing in the order records were appended by one instance; the paging key */
  id: string;
  /** microseconds since the epoch */
  at: number;
  action: AuditAction;
  outcome: 'ok' | 'denied' | 'failed';
  requestId?: string;
  actor?: string;
  tenant?: string;
  address?: string;
  apiRoot?: string;
  collectionId?: string;
  /** what was acted on: a TAXII endpoint name or an admin resource path */
  target?: string;
  /** counts, ids and reasons; bounded in size by the writer */
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  tenant?: string;
  collectionId?: string;
  action?: AuditAction;
  /** inclusive lower and exclusive upper bound on `at` */
  from?: number;
  to?: number;
  /** keyset position: records with a larger id */
  after?: string;
  limit: number;
}

export interface AuditStore {
  append(records: readonly AuditRecord[]): Promise<void>;
  /** ascending id */
  queryAudit(q: AuditQuery): Promise<{ records: AuditRecord[]; more: boolean }>;
}
