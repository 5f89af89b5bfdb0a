// The ingestion queue on SQLite: ingest_jobs holds one row per add-objects request and its lease,
// ingest_packs the raw envelope entries, one row per append (item-packs.ts). A claim is one
// UPDATE … RETURNING, which SQLite runs under its single write lock, so two workers (threads or
// processes on one file) never take one job.
import type { IngestJob, JobItem, JobPrincipal, JobStore, NewJob } from '../jobs.js';
import type { Row, SqliteDb } from './database.js';
import { packItems, unpackItems } from './item-packs.js';
import { INSERT_PACK } from './jobs-schema.js';

export class SqliteJobs implements JobStore {
  constructor(private readonly s: SqliteDb) {}

  async createJob(job: NewJob, nowMs: number): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO ingest_jobs (id, api_root, collection_id, principal, request_ts, request_id, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.id,
        job.apiRoot,
        job.collectionId,
        JSON.stringify(job.principal),
        job.requestTimestamp,
        job.requestId ?? null,
        nowMs,
      );
  }

  async appendItems(jobId: string, items: readonly JobItem[]): Promise<void> {
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    this.s.stmt(INSERT_PACK).run(jobId, first.seq, last.seq, packItems(items));
  }

  async releaseJob(jobId: string, itemCount: number): Promise<void> {
    this.s.stmt('UPDATE ingest_jobs SET released = 1, item_count = ? WHERE id = ?').run(itemCount, jobId);
  }

  async claimJob(worker: string, nowMs: number, leaseMs: number): Promise<IngestJob | undefined> {
    const row = this.s
      .stmt(
        `UPDATE ingest_jobs SET lease_owner = ?, lease_until = ?
         WHERE id = (SELECT id FROM ingest_jobs WHERE released = 1 AND lease_until < ? ORDER BY created_ms, rowid LIMIT 1)
         RETURNING *`,
      )
      .get(worker, nowMs + leaseMs, nowMs) as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  async renewLease(jobId: string, worker: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return (
      this.s
        .stmt('UPDATE ingest_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?')
        .run(nowMs + leaseMs, jobId, worker).changes === 1
    );
  }

  async readItems(jobId: string, fromSeq: number, limit: number): Promise<JobItem[]> {
    const out: JobItem[] = [];
    if (limit <= 0) return out;
    const packs = this.s
      .stmt('SELECT first_seq, data FROM ingest_packs WHERE job_id = ? AND last_seq >= ? ORDER BY first_seq')
      .iterate(jobId, fromSeq) as IterableIterator<{ first_seq: number; data: Buffer }>;
    for (const p of packs) {
      unpackItems(p.data, p.first_seq, fromSeq, limit, out);
      if (out.length >= limit) break;
    }
    return out;
  }

  async deleteJob(jobId: string): Promise<void> {
    this.s.db.transaction(() => {
      this.s.stmt('DELETE FROM ingest_packs WHERE job_id = ?').run(jobId);
      this.s.stmt('DELETE FROM ingest_jobs WHERE id = ?').run(jobId);
    })();
  }

  async purgeUnreleased(createdBeforeMs: number): Promise<string[]> {
    const rows = this.s
      .stmt('SELECT id FROM ingest_jobs WHERE released = 0 AND created_ms < ?')
      .all(createdBeforeMs) as Row[];
    const ids = rows.map((r) => r.id as string);
    for (const id of ids) await this.deleteJob(id);
    return ids;
  }

  async countQueued(): Promise<number> {
    return (this.s.stmt('SELECT count(*) AS n FROM ingest_jobs WHERE released = 1').get() as Row).n as number;
  }
}

function toJob(r: Row): IngestJob {
  return {
    id: r.id as string,
    apiRoot: r.api_root as string,
    collectionId: r.collection_id as string,
    principal: JSON.parse(r.principal as string) as JobPrincipal,
    requestTimestamp: r.request_ts as number,
    ...(r.request_id !== null ? { requestId: r.request_id as string } : {}),
    itemCount: r.item_count as number,
  };
}
