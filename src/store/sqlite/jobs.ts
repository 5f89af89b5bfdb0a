// The ingestion queue on SQLite: ingest_jobs holds one row per add-objects request and its lease,
// ingest_items the raw envelope entries. A claim is one UPDATE … RETURNING, which SQLite runs under
// its single write lock, so two workers (threads or processes on one file) never take one job.
import type { IngestJob, JobItem, JobPrincipal, JobStore, NewJob } from '../jobs.js';
import type { Row, SqliteDb } from './database.js';

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
    const insert = this.s.stmt('INSERT INTO ingest_items (job_id, seq, raw, refused) VALUES (?, ?, ?, ?)');
    this.s.db.transaction(() => {
      for (const it of items)
        insert.run(jobId, it.seq, 'raw' in it ? it.raw : null, 'refused' in it ? it.refused : null);
    })();
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
    const rows = this.s
      .stmt('SELECT seq, raw, refused FROM ingest_items WHERE job_id = ? AND seq >= ? ORDER BY seq LIMIT ?')
      .all(jobId, fromSeq, limit) as Row[];
    return rows.map((r) =>
      r.refused !== null
        ? { seq: r.seq as number, refused: r.refused as string }
        : { seq: r.seq as number, raw: r.raw as Buffer },
    );
  }

  async deleteJob(jobId: string): Promise<void> {
    this.s.db.transaction(() => {
      this.s.stmt('DELETE FROM ingest_items WHERE job_id = ?').run(jobId);
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
