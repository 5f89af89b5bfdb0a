// Indexes of the ingestion queue (src/store/mongo/jobs.ts), created by a numbered migration.
import type { IndexDescription } from 'mongodb';

export const JOB_INDEXES: IndexDescription[] = [{ key: { released: 1, created_ms: 1 }, name: 'released_created' }];
export const JOB_ITEM_INDEXES: IndexDescription[] = [{ key: { job: 1 }, name: 'job' }];
export const JOB_LEASE_INDEXES: IndexDescription[] = [{ key: { job: 1, n: -1 }, name: 'job_n' }];
