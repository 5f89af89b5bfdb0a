// Jobs area: the durable queue of add-objects requests (TAXII 2.1 §5.5). A POST stores the raw
// objects of its envelope here and is answered with a pending status at once; ingestion workers
// (src/ingest/ingest-worker.ts) claim a job, process its items in chunks and delete it when done.
// A job survives a crash: its lease runs out and a worker, here or in another instance, claims it.

/** Who sent the request, as the access gate needs it to re-check the write right. */
export interface JobPrincipal {
  username: string;
  role: string;
  tenant?: string;
  groups: string[];
}

export interface NewJob {
  /** the id of the status resource that reports on this job */
  id: string;
  apiRoot: string;
  collectionId: string;
  principal: JobPrincipal;
  /** microseconds since the epoch */
  requestTimestamp: number;
  /** the HTTP request id, so the audit record of the outcome can be matched with the request */
  requestId?: string;
}

/** One envelope entry: its raw JSON bytes, or why it was refused while reading the envelope. */
export type JobItem = { seq: number; raw: Buffer } | { seq: number; refused: string };

export interface IngestJob extends NewJob {
  itemCount: number;
}

export interface JobStore {
  /** Registers a job that is still being received: no worker sees it yet. */
  createJob(job: NewJob, nowMs: number): Promise<void>;
  /** Appends entries in order; seq numbers start at 0 and have no gaps. */
  appendItems(jobId: string, items: readonly JobItem[]): Promise<void>;
  /** The envelope was read to its end: workers may claim the job. */
  releaseJob(jobId: string, itemCount: number): Promise<void>;
  /**
   * The oldest released job whose lease is free or expired, leased to `worker` until
   * nowMs + leaseMs; undefined when there is none. Two workers never hold one lease.
   */
  claimJob(worker: string, nowMs: number, leaseMs: number): Promise<IngestJob | undefined>;
  /** Extends the lease; false when another worker took the job over (stop working on it). */
  renewLease(jobId: string, worker: string, nowMs: number, leaseMs: number): Promise<boolean>;
  /** Items with fromSeq ≤ seq, in order, at most limit. */
  readItems(jobId: string, fromSeq: number, limit: number): Promise<JobItem[]>;
  /** Deletes a job and its items (done, or abandoned while being received). */
  deleteJob(jobId: string): Promise<void>;
  /** Deletes jobs still being received that were created before the given time (an upload cut by a crash). */
  purgeUnreleased(createdBeforeMs: number): Promise<string[]>;
  /** Number of released jobs not yet deleted (readiness and metrics). */
  countQueued(): Promise<number>;
}
