// The entries of envelopes received by this process, kept in memory beside the durable queue
// (src/store/jobs.ts) until the local ingestion worker reads them: the worker then takes them from
// here instead of reading back what was written a moment earlier. On SQLite that read ran on a
// reader thread and came back as a copy per chunk, about 7 µs of CPU per object in all.
//
// The queue stays the truth: entries are held only once their write has succeeded, a read is
// answered from memory only when memory holds every entry it asks for (or the rest of a job whose
// end is known), and anything else (a job queued by another process, a resumed job, a job larger
// than the budget) is read from the store as before. Memory is bounded by a byte budget; past it
// the oldest jobs are let go.
import type { IngestJob, JobItem, JobStore, NewJob } from '../store/jobs.js';

/** Bytes counted per entry beyond its raw bytes (the item object and its place in the list). */
const ENTRY_OVERHEAD = 64;

function entryBytes(it: JobItem): number {
  return ENTRY_OVERHEAD + ('raw' in it ? it.raw.length : it.refused.length);
}

interface Held {
  /** contiguous entries, items[k].seq === first + k */
  items: JobItem[];
  first: number;
  bytes: number;
  /** the job's entry count once it was released with every entry held here */
  end?: number;
}

export class RecentJobItems implements JobStore {
  private readonly held = new Map<string, Held>();
  private bytes = 0;

  constructor(
    private readonly inner: JobStore,
    /** bytes of entries held at most (0: none) */
    private readonly budgetBytes: number,
  ) {}

  /** Bytes held now (tests, metrics). */
  get heldBytes(): number {
    return this.bytes;
  }

  createJob(job: NewJob, nowMs: number): Promise<void> {
    return this.inner.createJob(job, nowMs);
  }

  async appendItems(jobId: string, items: readonly JobItem[]): Promise<void> {
    await this.inner.appendItems(jobId, items);
    if (items.length === 0 || this.budgetBytes <= 0) return;
    const first = items[0]!.seq;
    let h = this.held.get(jobId);
    if (h === undefined) {
      if (first !== 0) return; // the job began before this process saw it
      h = { items: [], first: 0, bytes: 0 };
      this.held.set(jobId, h);
    } else if (h.end !== undefined || first !== h.first + h.items.length) {
      this.drop(jobId); // not the continuation of what is held: read it all from the store
      return;
    }
    let bytes = 0;
    for (const it of items) bytes += entryBytes(it);
    this.makeRoom(bytes, jobId);
    if (this.bytes + bytes > this.budgetBytes) {
      // No room even after letting older jobs go: this job continues from the store.
      this.drop(jobId);
      return;
    }
    for (const it of items) h.items.push(it);
    h.bytes += bytes;
    this.bytes += bytes;
  }

  async releaseJob(jobId: string, itemCount: number): Promise<void> {
    await this.inner.releaseJob(jobId, itemCount);
    const h = this.held.get(jobId);
    if (h === undefined) return;
    if (h.first + h.items.length === itemCount) h.end = itemCount;
    else this.drop(jobId);
  }

  claimJob(worker: string, nowMs: number, leaseMs: number): Promise<IngestJob | undefined> {
    return this.inner.claimJob(worker, nowMs, leaseMs);
  }

  renewLease(jobId: string, worker: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.inner.renewLease(jobId, worker, nowMs, leaseMs);
  }

  async readItems(jobId: string, fromSeq: number, limit: number): Promise<JobItem[]> {
    const h = this.held.get(jobId);
    if (h !== undefined && h.end !== undefined && fromSeq >= h.first && limit > 0) {
      const from = fromSeq - h.first;
      const out = h.items.slice(from, from + limit);
      // A worker reads forward and asks for no entry twice (a job taken up again after a failure
      // resumes before what is held and reads from the store): the entries are let go now.
      this.forget(h, from + out.length);
      if (h.items.length === 0 && h.first >= h.end) this.drop(jobId);
      return out;
    }
    return this.inner.readItems(jobId, fromSeq, limit);
  }

  async deleteJob(jobId: string): Promise<void> {
    this.drop(jobId);
    await this.inner.deleteJob(jobId);
  }

  async purgeUnreleased(createdBeforeMs: number): Promise<string[]> {
    const ids = await this.inner.purgeUnreleased(createdBeforeMs);
    for (const id of ids) this.drop(id);
    return ids;
  }

  countQueued(): Promise<number> {
    return this.inner.countQueued();
  }

  /** Lets go of the first `count` entries held for a job. */
  private forget(h: Held, count: number): void {
    if (count <= 0) return;
    const gone = h.items.splice(0, count);
    let bytes = 0;
    for (const it of gone) bytes += entryBytes(it);
    h.first += gone.length;
    h.bytes -= bytes;
    this.bytes -= bytes;
  }

  private drop(jobId: string): void {
    const h = this.held.get(jobId);
    if (h === undefined) return;
    this.held.delete(jobId);
    this.bytes -= h.bytes;
  }

  /** Lets the oldest other jobs go until `bytes` more fit in the budget. */
  private makeRoom(bytes: number, keep: string): void {
    for (const id of this.held.keys()) {
      if (this.bytes + bytes <= this.budgetBytes) return;
      if (id !== keep) this.drop(id);
    }
  }
}
