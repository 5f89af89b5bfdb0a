import type { Filter } from 'mongodb';
import type { AuditQuery, AuditRecord, AuditStore } from '../audit.js';
import { type AuditDoc, type MongoCollections } from './documents.js';

export class MongoAudit implements AuditStore {
  constructor(private readonly c: MongoCollections) {}

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const docs: AuditDoc[] = records.map((r) => ({
      _id: r.id,
      at: r.at,
      action: r.action,
      outcome: r.outcome,
      request_id: r.requestId,
      actor: r.actor,
      tenant: r.tenant,
      address: r.address,
      api_root: r.apiRoot,
      collection_id: r.collectionId,
      target: r.target,
      detail: r.detail,
    }));
    try {
      await this.c.audit.insertMany(docs, { ordered: false });
    } catch (err) {
      // A retried batch may hold records already written: their ids collide, nothing is lost.
      const codes = ((err as { writeErrors?: { code?: number }[] }).writeErrors ?? []).map((e) => e.code);
      if (codes.length === 0 || codes.some((c) => c !== 11000)) throw err;
    }
  }

  async queryAudit(q: AuditQuery): Promise<{ records: AuditRecord[]; more: boolean }> {
    const f: Filter<AuditDoc> = {};
    if (q.actor !== undefined) f.actor = q.actor;
    if (q.tenant !== undefined) f.tenant = q.tenant;
    if (q.collectionId !== undefined) f.collection_id = q.collectionId;
    if (q.action !== undefined) f.action = q.action;
    if (q.from !== undefined || q.to !== undefined) {
      f.at = { ...(q.from !== undefined ? { $gte: q.from } : {}), ...(q.to !== undefined ? { $lt: q.to } : {}) };
    }
    if (q.after !== undefined) f._id = { $gt: q.after };
    const docs = await this.c.audit
      .find(f)
      .sort({ _id: 1 })
      .limit(q.limit + 1)
      .toArray();
    const more = docs.length > q.limit;
    if (more) docs.pop();
    return { records: docs.map(toRecord), more };
  }
}

function toRecord(d: AuditDoc): AuditRecord {
  return {
    id: d._id,
    at: d.at,
    action: d.action,
    outcome: d.outcome,
    ...(d.request_id != null ? { requestId: d.request_id } : {}),
    ...(d.actor != null ? { actor: d.actor } : {}),
    ...(d.tenant != null ? { tenant: d.tenant } : {}),
    ...(d.address != null ? { address: d.address } : {}),
    ...(d.api_root != null ? { apiRoot: d.api_root } : {}),
    ...(d.collection_id != null ? { collectionId: d.collection_id } : {}),
    ...(d.target != null ? { target: d.target } : {}),
    ...(d.detail != null ? { detail: d.detail } : {}),
  };
}
