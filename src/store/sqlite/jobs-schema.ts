// Schema of the ingestion queue (src/store/jobs.ts), registered as numbered migrations in
// migrations.ts.
import type Database from 'better-sqlite3';
import { packItems } from './item-packs.js';
import type { JobItem } from '../jobs.js';
export const INGEST_QUEUE_SCHEMA = `
CREATE TABLE ingest_jobs (
  id TEXT PRIMARY KEY, api_root TEXT NOT NULL, collection_id TEXT NOT NULL, principal TEXT NOT NULL,
  request_ts INTEGER NOT NULL, request_id TEXT, created_ms INTEGER NOT NULL, item_count INTEGER,
  released INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0);
CREATE INDEX ix_ingest_jobs_queue ON ingest_jobs (released, created_ms);
CREATE TABLE ingest_items (
  job_id TEXT NOT NULL, seq INTEGER NOT NULL, raw BLOB, refused TEXT, PRIMARY KEY (job_id, seq));
`;

/** Migration 13: the entries of a job as packs (item-packs.ts), one row per append. */
export const INGEST_PACKS_SCHEMA = `
CREATE TABLE ingest_packs (
  job_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (job_id, first_seq));
`;

/** One pack of a job's entries: its job, first and last seq, and the pack (item-packs.ts). */
export const INSERT_PACK = 'INSERT INTO ingest_packs (job_id, first_seq, last_seq, data) VALUES (?, ?, ?, ?)';

/** Entries per pack when the rows of an earlier release are converted (the queue's append batch). */
const CONVERTED_PACK = 1_000;

/**
 * Migration 13: creates ingest_packs and moves the entries an earlier release queued (one row each
 * in ingest_items) into it, in packs of consecutive entries, then drops ingest_items. A job cut
 * short by a crash before this release is processed after it as it would have been before.
 */
export function packQueuedItems(db: Database.Database): void {
  db.exec(INGEST_PACKS_SCHEMA);
  const insert = db.prepare(INSERT_PACK);
  const page = db.prepare(
    'SELECT seq, raw, refused FROM ingest_items WHERE job_id = ? AND seq >= ? ORDER BY seq LIMIT ?',
  );
  const jobs = db.prepare('SELECT DISTINCT job_id FROM ingest_items').pluck().all() as string[];
  for (const job of jobs) {
    // A page at a time (one job may hold a whole large envelope), written between reads.
    for (let from = 0; ;) {
      const rows = page.all(job, from, CONVERTED_PACK) as { seq: number; raw: Buffer | null; refused: string | null }[];
      if (rows.length === 0) break;
      let run: JobItem[] = [];
      const flush = (): void => {
        const first = run[0];
        const last = run[run.length - 1];
        if (first && last) insert.run(job, first.seq, last.seq, packItems(run));
        run = [];
      };
      for (const r of rows) {
        const previous = run[run.length - 1];
        // a gap (not written by any release, but kept as it is): the next pack starts at it
        if (previous && r.seq !== previous.seq + 1) flush();
        run.push(
          r.refused !== null ? { seq: r.seq, refused: r.refused } : { seq: r.seq, raw: r.raw ?? Buffer.alloc(0) },
        );
      }
      flush();
      from = (rows[rows.length - 1] as { seq: number }).seq + 1;
    }
  }
  db.exec('DROP TABLE ingest_items');
}
