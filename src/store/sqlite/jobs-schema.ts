// Schema of the ingestion queue (src/store/jobs.ts), registered as a numbered migration in
// migrations.ts.
export const INGEST_QUEUE_SCHEMA = `
CREATE TABLE ingest_jobs (
  id TEXT PRIMARY KEY, api_root TEXT NOT NULL, collection_id TEXT NOT NULL, principal TEXT NOT NULL,
  request_ts INTEGER NOT NULL, request_id TEXT, created_ms INTEGER NOT NULL, item_count INTEGER,
  released INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0);
CREATE INDEX ix_ingest_jobs_queue ON ingest_jobs (released, created_ms);
CREATE TABLE ingest_items (
  job_id TEXT NOT NULL, seq INTEGER NOT NULL, raw BLOB, refused TEXT, PRIMARY KEY (job_id, seq));
`;
