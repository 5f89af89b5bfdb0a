// The ingestion queue on MongoDB. Entries and jobs are plain inserts; a worker takes a job by
// inserting its next lease document (unique _id `job|n`), so two workers racing for one job are
// told apart by the duplicate-key error, as elsewhere in this backend.
import { Binary } from 'mongodb';
import type { IngestJob, JobItem, JobStore, NewJob } from '../jobs.js';
import { isDuplicateKey, type JobDoc, type MongoCollections } from './documents.js';

const itemId = (job: string, seq: number): string => `${job}|${String(seq).padStart(10, '0')}`;

export class MongoJobs implements JobStore {
  constructor(private readonly c: MongoCollections) {}

  async createJob(job: NewJob, nowMs: number): Promise<void> {
    await this.c.jobs.insertOne({
      _id: job.id,
      api_root: job.apiRoot,
      collection_id: job.collectionId,
      principal: { ...job.principal },
      request_ts: job.requestTimestamp,
      request_id: job.requestId ?? null,
      created_ms: nowMs,
      item_count: null,
      released: false,
    });
  }

  async appendItems(jobId: string, items: readonly JobItem[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.c.jobItems.insertMany(
        items.map((it) => ({
          _id: itemId(jobId, it.seq),
          job: jobId,
          seq: it.seq,
          raw: 'raw' in it ? new Binary(it.raw) : null,
          refused: 'refused' in it ? it.refused : null,
        })),
        { ordered: false },
      );
    } catch (err) {
      // a retried append after a lost acknowledgement: the same entries are already there
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async releaseJob(jobId: string, itemCount: number): Promise<void> {
    await this.c.jobs.updateOne({ _id: jobId }, { $set: { released: true, item_count: itemCount } });
  }

  async claimJob(worker: string, nowMs: number, leaseMs: number): Promise<IngestJob | undefined> {
    const candidates = await this.c.jobs.find({ released: true }).sort({ created_ms: 1, _id: 1 }).limit(50).toArray();
    for (const job of candidates) {
      const latest = await this.latestLease(job._id);
      if (latest && latest.until >= nowMs) continue;
      const n = (latest?.n ?? 0) + 1;
      try {
        await this.c.jobLeases.insertOne({ _id: `${job._id}|${n}`, job: job._id, n, worker, until: nowMs + leaseMs });
        return toJob(job);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // another worker took this lease first
      }
    }
    return undefined;
  }

  async renewLease(jobId: string, worker: string, nowMs: number, leaseMs: number): Promise<boolean> {
    const latest = await this.latestLease(jobId);
    if (!latest || latest.worker !== worker) return false;
    const r = await this.c.jobLeases.updateOne({ _id: latest._id, worker }, { $set: { until: nowMs + leaseMs } });
    return r.matchedCount === 1 && (await this.latestLease(jobId))?.worker === worker;
  }

  async readItems(jobId: string, fromSeq: number, limit: number): Promise<JobItem[]> {
    // limit(0) would mean no limit to the driver
    if (limit <= 0) return [];
    const docs = await this.c.jobItems
      .find({ _id: { $gte: itemId(jobId, fromSeq), $lt: `${jobId}|~` } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) =>
      d.refused !== null
        ? { seq: d.seq, refused: d.refused }
        : { seq: d.seq, raw: Buffer.from((d.raw as Binary).buffer) },
    );
  }

  async deleteJob(jobId: string): Promise<void> {
    // the job document last: while it exists, a crash here leaves a job that can still be purged
    await this.c.jobItems.deleteMany({ job: jobId });
    await this.c.jobLeases.deleteMany({ job: jobId });
    await this.c.jobs.deleteOne({ _id: jobId });
  }

  async purgeUnreleased(createdBeforeMs: number): Promise<string[]> {
    const stale = await this.c.jobs.find({ released: false, created_ms: { $lt: createdBeforeMs } }).toArray();
    for (const j of stale) await this.deleteJob(j._id);
    return stale.map((j) => j._id);
  }

  async countQueued(): Promise<number> {
    return this.c.jobs.countDocuments({ released: true });
  }

  private async latestLease(jobId: string) {
    return this.c.jobLeases.find({ job: jobId }).sort({ n: -1 }).limit(1).next();
  }
}

function toJob(d: JobDoc): IngestJob {
  return {
    id: d._id,
    apiRoot: d.api_root,
    collectionId: d.collection_id,
    principal: {
      username: d.principal.username,
      role: d.principal.role,
      ...(d.principal.tenant !== undefined ? { tenant: d.principal.tenant } : {}),
      groups: d.principal.groups,
    },
    requestTimestamp: d.request_ts,
    ...(d.request_id != null ? { requestId: d.request_id } : {}),
    itemCount: d.item_count ?? 0,
  };
}
