// The ingestion path of `palisade import` and `palisade sync`: the same one a TAXII POST takes
// (TAXII 2.1 §5.5). Entries are queued with IngestService.enqueue as the CLI principal and
// processed by an ingestion worker (this process's, or a server's on the same store: the job lease
// makes each job processed once), with the same validation, write policy and status records. The
// outcome is read back from the status records (§4.3), as a client would.
//
// A long stream of entries is cut into jobs of at most `jobSize` entries, so that every job's
// status keeps its full success and failure lists (ingest.status_detail_limit), which tell added
// from already present objects and give the failure reasons, while memory stays bounded.
import type { Admitted } from '../access/gate.js';
import type { Container } from '../container.js';
import type { EnvelopeEntry } from '../ingest/ingest-service.js';
import type { Principal } from '../auth/principal.js';
import type { StatusDetail, StatusRecord } from '../store/store.js';
import { sleep } from './data-common.js';

/** How a success without a message differs from one the store already held (ingest-service.ts). */
const ALREADY_PRESENT = 'already present';

export interface Tally {
  total: number;
  added: number;
  duplicate: number;
  /** succeeded, but the status kept no list to tell added from duplicate (a server's smaller limit) */
  stored: number;
  failed: number;
  /** the first failures, with their reasons */
  failures: StatusDetail[];
}

export const emptyTally = (): Tally => ({ total: 0, added: 0, duplicate: 0, stored: 0, failed: 0, failures: [] });

export function addTallies(a: Tally, b: Tally, keep: number): Tally {
  return {
    total: a.total + b.total,
    added: a.added + b.added,
    duplicate: a.duplicate + b.duplicate,
    stored: a.stored + b.stored,
    failed: a.failed + b.failed,
    failures: [...a.failures, ...b.failures].slice(0, keep),
  };
}

interface PendingJob {
  id: string;
  /** index of the job's first entry in its source: failures name entries by source index */
  offset: number;
  group: string;
  total: number;
  processed: number;
}

/** Statuses are read this often while jobs are pending. */
const POLL_MS = 200;

export class QueueRunner {
  private readonly pending = new Map<string, PendingJob>();
  private readonly done = new Map<string, Tally>();
  private finishedObjects = 0;
  /** entries queued per group so far */
  private readonly queued = new Map<string, number>();

  constructor(
    private readonly container: Container,
    private readonly principal: Principal,
    private readonly target: Admitted<'write'>,
    private readonly requestId: string,
    /** entries per job */
    readonly jobSize: number,
    /** failure details kept per group */
    private readonly keepFailures: number,
  ) {}

  /** Entries per job for this store's configuration (see the head of this file). */
  static jobSizeFor(c: Container, wanted = 5_000): number {
    return Math.max(1, Math.min(wanted, c.config.ingest.statusDetailLimit || wanted));
  }

  /**
   * Queues a stream of entries under `group` (a file, a page), as one job per jobSize entries.
   * Each job is released when its last entry is written; an error while reading deletes the job
   * being written (enqueue does) and is passed on. Answers the number of entries queued.
   */
  async queue(group: string, entries: AsyncIterable<EnvelopeEntry>, onEntry?: () => void): Promise<number> {
    const it = entries[Symbol.asyncIterator]();
    let count = 0;
    let ended = false;
    let head = await it.next();
    while (!head.done) {
      const first = head.value;
      const size = this.jobSize;
      const job = (async function* (): AsyncGenerator<EnvelopeEntry> {
        yield first;
        onEntry?.();
        for (let i = 1; i < size; i++) {
          const r = await it.next();
          if (r.done) {
            ended = true;
            return;
          }
          yield r.value;
          onEntry?.();
        }
      })();
      const status = await this.container.services.ingest.enqueue(this.principal, this.target, job, this.requestId);
      this.pending.set(status.id, { id: status.id, offset: count, group, total: status.totalCount, processed: 0 });
      count += status.totalCount;
      this.queued.set(group, (this.queued.get(group) ?? 0) + status.totalCount);
      if (ended) break;
      head = await it.next();
    }
    if (!this.done.has(group)) this.done.set(group, emptyTally());
    return count;
  }

  private polling: Promise<number> | undefined;

  /** Reads the statuses of the pending jobs once; answers how many entries are processed in all. */
  poll(): Promise<number> {
    // One reading at a time: two overlapping ones would both count a job that completed.
    this.polling ??= this.readStatuses().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readStatuses(): Promise<number> {
    let inFlight = 0;
    for (const job of [...this.pending.values()]) {
      const status = await this.container.store.statuses.getStatus(this.target.root.path, job.id);
      if (!status) continue; // a purge would be needed to lose it; counted as pending
      if (!this.pending.has(job.id)) continue;
      if (status.status === 'complete') {
        this.pending.delete(job.id);
        this.finishedObjects += job.total;
        const before = this.done.get(job.group) ?? emptyTally();
        this.done.set(job.group, addTallies(before, tallyOf(status, job.offset), this.keepFailures));
      } else {
        job.processed =
          (status.successCount ?? status.successes.length) + (status.failureCount ?? status.failures.length);
        inFlight += job.processed;
      }
    }
    return this.finishedObjects + inFlight;
  }

  /** Whether every job of the group is complete. */
  groupDone(group: string): boolean {
    return ![...this.pending.values()].some((j) => j.group === group);
  }

  /** The outcome of a group so far (complete once groupDone). */
  tally(group: string): Tally {
    return this.done.get(group) ?? emptyTally();
  }

  /** Entries of the group queued so far. */
  queuedCount(group: string): number {
    return this.queued.get(group) ?? 0;
  }

  get pendingJobs(): number {
    return this.pending.size;
  }

  /**
   * Polls until every queued job is complete, reporting the processed count after each poll; then
   * waits for the analyst index to apply what was stored (a store may index after the write), so
   * that the command ends with its objects searchable and leaves no backlog to a server.
   */
  async waitAll(onProgress: (processed: number) => void): Promise<void> {
    for (;;) {
      onProgress(await this.poll());
      if (this.pending.size === 0) break;
      await sleep(POLL_MS);
    }
    while ((await this.container.store.intel.catchUp()) > 0);
  }
}

/** Added, duplicate and failed entries of one complete status; failures named by source index. */
export function tallyOf(status: StatusRecord, offset: number): Tally {
  const successCount = status.successCount ?? status.successes.length;
  const failureCount = status.failureCount ?? status.failures.length;
  const listed = status.successes.length === successCount;
  const duplicate = listed ? status.successes.filter((s) => s.message === ALREADY_PRESENT).length : 0;
  return {
    total: status.totalCount,
    added: listed ? successCount - duplicate : 0,
    duplicate,
    stored: listed ? 0 : successCount,
    failed: failureCount,
    failures: status.failures.map((f) => ({ ...f, id: renumber(f.id, offset) })),
  };
}

/** `objects[i]` of a job is entry offset+i of its source. */
function renumber(id: string, offset: number): string {
  const m = /^objects\[(\d+)\]$/.exec(id);
  return m ? `objects[${offset + Number(m[1])}]` : id;
}
