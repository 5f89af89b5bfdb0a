import type { StatusRecord, StatusStore } from '../statuses.js';
import type { Row, SqliteDb } from './database.js';

type Details = Pick<
  StatusRecord,
  'successes' | 'failures' | 'pendings' | 'successCount' | 'failureCount' | 'pendingCount'
>;

export class SqliteStatuses implements StatusStore {
  constructor(private readonly s: SqliteDb) {}

  async putStatus(st: StatusRecord): Promise<void> {
    const details: Details = {
      successes: st.successes,
      failures: st.failures,
      pendings: st.pendings,
      ...(st.successCount !== undefined ? { successCount: st.successCount } : {}),
      ...(st.failureCount !== undefined ? { failureCount: st.failureCount } : {}),
      ...(st.pendingCount !== undefined ? { pendingCount: st.pendingCount } : {}),
    };
    this.s
      .stmt(
        `INSERT INTO statuses (id, api_root, collection_id, owner, tenant, status, request_ts, total, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, total = excluded.total, details = excluded.details`,
      )
      .run(
        st.id,
        st.apiRoot,
        st.collectionId,
        st.owner,
        st.tenant ?? null,
        st.status,
        st.requestTimestamp,
        st.totalCount,
        JSON.stringify(details),
      );
  }

  async getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM statuses WHERE id = ? AND api_root = ?').get(id, apiRoot) as Row | undefined;
    if (!row) return undefined;
    const details = JSON.parse(row.details as string) as Details;
    return {
      id: row.id as string,
      apiRoot: row.api_root as string,
      collectionId: row.collection_id as string,
      owner: row.owner as string,
      ...(row.tenant !== null ? { tenant: row.tenant as string } : {}),
      status: row.status as StatusRecord['status'],
      requestTimestamp: row.request_ts as number,
      totalCount: row.total as number,
      ...details,
    };
  }

  async purgeStatuses(requestedBeforeMicros: number): Promise<number> {
    return this.s.stmt("DELETE FROM statuses WHERE status = 'complete' AND request_ts < ?").run(requestedBeforeMicros)
      .changes;
  }
}
