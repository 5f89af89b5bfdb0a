import type { StatusRecord, StatusStore } from '../statuses.js';
import type { MongoCollections } from './documents.js';

export class MongoStatuses implements StatusStore {
  constructor(private readonly c: MongoCollections) {}

  async putStatus(s: StatusRecord): Promise<void> {
    await this.c.statuses.replaceOne(
      { _id: s.id },
      {
        api_root: s.apiRoot,
        collection_id: s.collectionId,
        owner: s.owner,
        tenant: s.tenant ?? null,
        status: s.status,
        request_ts: s.requestTimestamp,
        total: s.totalCount,
        successes: s.successes,
        failures: s.failures,
        pendings: s.pendings,
        ...(s.successCount !== undefined ? { success_count: s.successCount } : {}),
        ...(s.failureCount !== undefined ? { failure_count: s.failureCount } : {}),
        ...(s.pendingCount !== undefined ? { pending_count: s.pendingCount } : {}),
      },
      { upsert: true },
    );
  }

  async getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined> {
    const d = await this.c.statuses.findOne({ _id: id, api_root: apiRoot });
    if (!d) return undefined;
    return {
      id,
      apiRoot: d.api_root,
      collectionId: d.collection_id,
      owner: d.owner,
      ...(d.tenant != null ? { tenant: d.tenant } : {}),
      status: d.status,
      requestTimestamp: d.request_ts,
      totalCount: d.total,
      successes: d.successes,
      failures: d.failures,
      pendings: d.pendings,
      ...(d.success_count != null ? { successCount: d.success_count } : {}),
      ...(d.failure_count != null ? { failureCount: d.failure_count } : {}),
      ...(d.pending_count != null ? { pendingCount: d.pending_count } : {}),
    };
  }

  async purgeStatuses(requestedBeforeMicros: number): Promise<number> {
    return (await this.c.statuses.deleteMany({ status: 'complete', request_ts: { $lt: requestedBeforeMicros } }))
      .deletedCount;
  }
}
