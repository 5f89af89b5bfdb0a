// Background processing of queued add-objects jobs (src/store/jobs.ts). Each worker loop claims the
// oldest free job, processes its entries in chunks and writes the status after every chunk, so a
// reader of the status sees progress and a crash loses at most the chunk in flight: the status
// counts say where to resume, and storing an object twice is harmless (the second is a duplicate).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../access/audit-log.js';
import type { AccessGate, Admitted } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import { PalisadeError } from '../errors.js';
import type { IngestJob, JobItem, JobStore, Role, StatusRecord, StatusStore } from '../store/store.js';
import { parseStrictObject } from './strict-json.js';
import {
  addToStatus,
  type ChunkOutcome,
  type IngestService,
  type ParsedEntry,
  type PreparedChunk,
} from './ingest-service.js';

/** How one raw entry becomes a value, or the reason it cannot (the strict JSON rules). */
export type EntryParser = (
  raw: Buffer,
) => { ok: true; value: unknown; /** JSON.stringify(value) */ text: string } | { ok: false; reason: string };

export interface WorkerOptions {
  /** concurrent jobs per process */
  concurrency: number;
  /** entries per chunk: one store write and one status update each */
  chunkSize: number;
  /** how long a claimed job stays reserved without a sign of life */
  leaseMs: number;
  /** how often an idle worker looks for jobs queued by other processes */
  pollMs: number;
  /** jobs still being received after this long were cut by a crash and are deleted */
  abandonAfterMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  concurrency: 2,
  chunkSize: 500,
  leaseMs: 60_000,
  pollMs: 1_000,
  abandonAfterMs: 3_600_000,
};

const WITHDRAWN = 'the sender may no longer write to this collection: the object was not processed';

export class IngestWorker {
  private readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void)[] = [];
  private lastPurge = 0;

  constructor(
    private readonly service: IngestService,
    private readonly gate: AccessGate,
    private readonly jobs: JobStore,
    private readonly statuses: StatusStore,
    private readonly parse: EntryParser,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly opts: WorkerOptions = DEFAULT_WORKER_OPTIONS,
  ) {}

  start(): void {
    if (this.loops.length > 0) return;
    this.service.onQueued = () => this.poke();
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  /** Wakes idle loops: a job was queued here. */
  poke(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** Finishes the chunks in flight, gives their jobs back to the queue and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.purgeAbandoned();
        const job = await this.jobs.claimJob(this.id, Date.now(), this.opts.leaseMs);
        if (job) await this.process(job);
        else await this.idle();
      } catch (err) {
        // A store failure: the job's lease runs out and it is tried again, here or elsewhere.
        this.log.error({ err }, 'ingestion worker: a queued job could not be processed');
        await this.idle();
      }
    }
  }

  private idle(): Promise<void> {
    // Stopped while this loop was waiting on the queue: stop() has poked the sleepers already, and
    // a sleep begun now would wait a whole poll interval on an unreferenced timer (a process with
    // nothing else to run would exit before its caller's close() returned).
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.pollMs);
      t.unref();
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake.push(done);
    });
  }

  private async purgeAbandoned(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    const ids = await this.jobs.purgeUnreleased(now - this.opts.abandonAfterMs);
    if (ids.length > 0) this.log.warn({ jobs: ids }, 'deleted add-objects requests whose upload never finished');
  }

  private async process(job: IngestJob): Promise<void> {
    let status = await this.statuses.getStatus(job.apiRoot, job.id);
    if (!status) {
      // released without a status cannot happen (the status is written first); drop it
      this.log.error({ job: job.id }, 'ingestion worker: a queued job has no status; it is dropped');
      await this.jobs.deleteJob(job.id);
      return;
    }
    const target = await this.admit(job);
    let next = processedOf(status);
    if (next > 0) this.log.info({ job: job.id, from: next, total: job.itemCount }, 'resuming an add-objects request');
    // The chunk after the one being stored, read and validated here while the store writes:
    // validation (this thread) and the write (the store) overlap instead of taking turns.
    let ahead: { items: JobItem[]; prepared: PreparedChunk | undefined } | undefined;
    while (next < job.itemCount) {
      if (this.stopping) {
        await this.jobs.renewLease(job.id, this.id, Date.now(), -1); // give it back at once
        return;
      }
      const items = ahead?.items ?? (await this.jobs.readItems(job.id, next, this.opts.chunkSize));
      // No entries although the status is not complete: another worker finished and deleted the
      // job while this one was paused. Its status is final; leave it alone.
      if (items.length === 0) return;
      const prepared = ahead ? ahead.prepared : target && this.service.prepareChunk(target, this.entries(items));
      ahead = undefined;
      const storing = target && prepared ? this.service.storeChunk(target, prepared) : undefined;
      // Its failure is handled below, once the next chunk is prepared (not an unhandled rejection).
      void storing?.catch(() => undefined);
      const after = next + items.length;
      if (storing && target && after < job.itemCount && !this.stopping) {
        const nextItems = await this.jobs.readItems(job.id, after, this.opts.chunkSize);
        ahead = {
          items: nextItems,
          prepared: nextItems.length > 0 ? this.service.prepareChunk(target, this.entries(nextItems)) : undefined,
        };
      }
      const chunk = storing ? await storing : this.withdrawn(items);
      let updated = addToStatus(status, chunk, this.service.limits.statusDetailLimit);
      next += items.length;
      if (next >= job.itemCount) updated = { ...updated, status: 'complete', pendingCount: 0 };
      // A worker paused past its lease (a stalled process, a long GC) must not overwrite the status
      // of the worker that took the job over: the lease is checked first, and a status already
      // further along is never moved back.
      if (!(await this.jobs.renewLease(job.id, this.id, Date.now(), this.opts.leaseMs))) {
        this.log.warn({ job: job.id }, 'ingestion worker: another worker took this job over');
        return;
      }
      const stored = await this.statuses.getStatus(job.apiRoot, job.id);
      if (stored && processedOf(stored) >= next) {
        this.log.warn({ job: job.id }, 'ingestion worker: the status is ahead of this worker; it stops');
        return;
      }
      if (updated.status === 'complete') this.recordOutcome(job, updated, target !== undefined);
      // Progress is written with the failures but without the successes list, which is written
      // once, with the final status: rewriting it after every chunk made a large envelope cost
      // the square of its size. After a crash the successes list is left out (the counts say
      // where to resume and stay exact).
      await this.statuses.putStatus(updated.status === 'complete' ? updated : { ...updated, successes: [] });
      status = updated;
      // let requests in between chunks
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.jobs.deleteJob(job.id);
  }

  /** Every entry fails when the sender lost the write right while the job waited. */
  private withdrawn(items: readonly JobItem[]): ChunkOutcome {
    this.service.counter?.ingested('failed', items.length);
    return {
      successes: [],
      failures: items.map((it) => ({ id: `objects[${it.seq}]`, version: '', message: WITHDRAWN })),
    };
  }

  /** The outcome of the request, in the audit trail beside the record of the POST itself. */
  private recordOutcome(job: IngestJob, status: StatusRecord, admitted: boolean): void {
    this.audit.record({
      action: 'taxii.ingest',
      outcome: admitted ? 'ok' : 'denied',
      ...(job.requestId !== undefined ? { requestId: job.requestId } : {}),
      actor: job.principal.username,
      ...(job.principal.tenant !== undefined ? { tenant: job.principal.tenant } : {}),
      apiRoot: job.apiRoot,
      collectionId: job.collectionId,
      target: 'objects',
      detail: {
        status: job.id,
        total: status.totalCount,
        succeeded: status.successCount ?? status.successes.length,
        failed: status.failureCount ?? status.failures.length,
      },
    });
  }

  /** The chunk's entries parsed one by one as processChunk takes them (see processChunk). */
  private *entries(items: readonly JobItem[]): Generator<ParsedEntry> {
    for (const it of items) yield this.toEntry(it);
  }

  private toEntry(it: JobItem): ParsedEntry {
    if ('refused' in it) return { index: it.seq, refused: it.refused };
    const r = this.parse(it.raw);
    return r.ok ? { index: it.seq, value: r.value, text: r.text } : { index: it.seq, refused: r.reason };
  }

  /** The write right is checked again: it may have been withdrawn while the job waited. */
  private async admit(job: IngestJob): Promise<Admitted<'write'> | undefined> {
    const principal: Principal = {
      username: job.principal.username,
      role: job.principal.role as Role,
      ...(job.principal.tenant !== undefined ? { tenant: job.principal.tenant } : {}),
      groups: job.principal.groups,
    };
    try {
      return await this.service.target(principal, { apiRoot: job.apiRoot, collection: job.collectionId });
    } catch (err) {
      if (err instanceof PalisadeError) return undefined;
      throw err;
    }
  }
}

/** How many entries a status reports as processed (the resume point). */
function processedOf(s: StatusRecord): number {
  return (s.successCount ?? s.successes.length) + (s.failureCount ?? s.failures.length);
}

/** The strict, lossless reading of an entry (src/ingest/strict-json.ts). */
export function strictEntryParser(maxDepth: number): EntryParser {
  return (raw) => {
    const r = parseStrictObject(raw, { maxDepth });
    return r.ok ? { ok: true, value: r.value, text: r.text } : { ok: false, reason: r.reason };
  };
}
