// Envelope ingestion: receive → queue → (worker) parse → validate → policy → store → status.
// Knows nothing of HTTP; the TAXII POST (§5.5), the demo seed and the CLI all come through here.
//
// A POST is answered as soon as its envelope is read and queued (§4.3: a status that is `pending`
// until every object is processed); src/ingest/ingest-worker.ts processes queued jobs in chunks.
import { randomUUID } from 'node:crypto';
import type { AccessGate, Admitted, CollectionRef } from '../access/gate.js';
import { writeRefusal } from '../access/write-policy.js';
import type { Principal } from '../auth/principal.js';
import type { StixValidator } from '../stix/validator.js';
import { toVersionRecord, versionOf } from '../stix/versions.js';
import { formatMicros, type Clock } from '../stix/timestamps.js';
import type {
  AddOutcome,
  JobItem,
  JobStore,
  NewVersion,
  ObjectStore,
  StatusDetail,
  StatusRecord,
  StatusStore,
} from '../store/store.js';
import { parseEnvelope } from './envelope.js';
import { DEFAULT_ENVELOPE_DEPTH, readEnvelopeBatches } from './envelope-reader.js';

const CONFLICT_REASON =
  'a different object with this id and version is already stored; a new version needs a new modified';

export type IngestInput = { bytes: Buffer } | { objects: readonly unknown[] };

/** One entry of an envelope as read from a request: its raw bytes, or why it was refused. */
export type EnvelopeEntry = { index: number; raw: Buffer } | { index: number; refused: string };

/** One entry ready for validation: its parsed value, or why it could not be parsed. */
export type ParsedEntry =
  | {
      index: number;
      value: unknown;
      /** JSON.stringify(value) when the parser already made it: the text to store */
      text?: string;
    }
  | { index: number; refused: string };

export interface IngestLimits {
  /**
   * Detail lists of a status (successes, failures) are given in full while they hold at most this
   * many entries; past it the list is left out and only its count is reported. Clients such as
   * taxii2-client require a list, when present, to be as long as its count.
   */
  statusDetailLimit: number;
  /** entries written to the queue per store call while an envelope is read */
  queueBatch: number;
  /** bytes of queued entries held in memory before they are written, at most */
  queueBatchBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: IngestLimits = {
  statusDetailLimit: 10_000,
  queueBatch: 1_000,
  queueBatchBytes: 2 * 1024 * 1024,
};

/** What happened to one processed object, as counted by the metrics (src/ops/metrics.ts). */
export type IngestOutcome = 'added' | 'duplicate' | 'failed';

/** Where processed objects are counted; the composition root passes the metrics in. */
export interface IngestCounter {
  ingested(outcome: IngestOutcome, count: number): void;
}

/** The outcome of one processed chunk of entries. */
/** A chunk validated and not yet stored (IngestService.prepareChunk). */
export interface PreparedChunk {
  /** the entries to store, in entry order */
  valid: NewVersion[];
  /** the entries refused before the store: unreadable, invalid, or kept out by the write policy */
  failures: StatusDetail[];
}

export interface ChunkOutcome {
  successes: StatusDetail[];
  failures: StatusDetail[];
}

/** What one envelope may hold (configuration `ingest`). */
export interface EnvelopeBounds {
  maxObjectsPerEnvelope: number;
  maxObjectBytes: number;
  maxDecompressedBytes: number;
  /** nesting depth inside one object */
  maxDepth: number;
}

/**
 * The entries of a streamed envelope (src/ingest/envelope-reader.ts) as the queue takes them: an
 * entry over max_object_bytes is kept as a refusal with its reason, not as bytes.
 */
export async function* envelopeEntries(
  chunks: AsyncIterable<Uint8Array>,
  b: EnvelopeBounds,
): AsyncIterable<EnvelopeEntry> {
  for await (const batch of readEnvelopeBatches(chunks, {
    maxObjects: b.maxObjectsPerEnvelope,
    maxObjectBytes: b.maxObjectBytes,
    // The reader's own bound (its fixed-size stack) stays above max_depth, so that an object
    // nested past max_depth fails alone; one past this bound refuses the envelope.
    maxDepth: Math.max(DEFAULT_ENVELOPE_DEPTH, b.maxDepth + 2),
  })) {
    for (const item of batch) {
      // raw is a view of the chunk it was read from (or its own buffer when it spanned chunks),
      // handed on without a copy: the queue copies each batch once, when it writes it, so an
      // envelope of 100 MB makes 100 MB fewer short-lived buffers. A batch holds the chunks it was
      // read from until it is written, about as many bytes as the copies would.
      if ('raw' in item) yield { index: item.index, raw: item.raw };
      else
        yield {
          index: item.index,
          refused: `the object is ${item.bytes} bytes long, more than max_object_bytes (${b.maxObjectBytes})`,
        };
    }
  }
}

export class IngestService {
  /** called when a job is queued, so that a local worker starts at once */
  onQueued: (() => void) | undefined;
  /** counts every processed object by outcome (set by the composition root) */
  counter: IngestCounter | undefined;

  constructor(
    private readonly gate: AccessGate,
    private readonly objects: ObjectStore,
    private readonly statuses: StatusStore,
    private readonly jobs: JobStore,
    private readonly validator: StixValidator,
    private readonly clock: Clock,
    readonly limits: IngestLimits,
    /** from the configuration (`ingest`), whose loader holds the defaults */
    readonly envelopeLimits: EnvelopeBounds,
  ) {}

  /** Where a principal may add objects; checked before a request body is read. */
  target(principal: Principal, ref: CollectionRef): Promise<Admitted<'write'>> {
    return this.gate.collection(principal, ref, 'write');
  }

  /**
   * Queues the entries of an envelope and answers the pending status. The entries are written
   * in batches while they are read, so memory stays bounded whatever the envelope size. When
   * reading fails (a malformed or oversized envelope, a client that goes away), the partial job is
   * deleted and the error passed on: nothing of that request is ever processed.
   */
  async enqueue(
    principal: Principal,
    target: Admitted<'write'>,
    entries: AsyncIterable<EnvelopeEntry>,
    requestId?: string,
  ): Promise<StatusRecord> {
    const id = randomUUID();
    const requestTimestamp = this.clock.nowMicros();
    await this.jobs.createJob(
      {
        id,
        apiRoot: target.root.path,
        collectionId: target.collection.id,
        principal: {
          username: principal.username,
          role: principal.role,
          ...(principal.tenant !== undefined ? { tenant: principal.tenant } : {}),
          groups: [...principal.groups],
        },
        requestTimestamp,
        ...(requestId !== undefined ? { requestId } : {}),
      },
      Date.now(),
    );
    let count = 0;
    try {
      let batch: JobItem[] = [];
      let bytes = 0;
      for await (const e of entries) {
        const item: JobItem = 'raw' in e ? { seq: count, raw: e.raw } : { seq: count, refused: e.refused };
        count++;
        batch.push(item);
        bytes += 'raw' in e ? e.raw.length : 0;
        if (batch.length >= this.limits.queueBatch || bytes >= this.limits.queueBatchBytes) {
          await this.jobs.appendItems(id, batch);
          batch = [];
          bytes = 0;
        }
      }
      if (batch.length > 0) await this.jobs.appendItems(id, batch);
      const status = this.newStatus(id, principal, target, requestTimestamp, count);
      await this.statuses.putStatus(status);
      await this.jobs.releaseJob(id, count);
      this.onQueued?.();
      return status;
    } catch (err) {
      await this.jobs.deleteJob(id);
      throw err;
    }
  }

  /**
   * Processes objects at once, without the queue: the demo seed and callers that already hold the
   * objects. Each object is validated alone: an invalid one becomes a failure with its reason and
   * the valid rest is stored. Everything is committed before the status is written.
   */
  async ingest(principal: Principal, target: Admitted<'write'>, input: IngestInput): Promise<StatusRecord> {
    const requestTimestamp = this.clock.nowMicros();
    const objects = 'bytes' in input ? parseEnvelope(input.bytes) : input.objects;
    const outcome = await this.processChunk(
      target,
      objects.map((value, index) => ({ index, value })),
    );
    const status: StatusRecord = {
      ...this.newStatus(randomUUID(), principal, target, requestTimestamp, objects.length),
      status: 'complete',
      successes: outcome.successes,
      failures: outcome.failures,
      successCount: outcome.successes.length,
      failureCount: outcome.failures.length,
      pendingCount: 0,
    };
    await this.statuses.putStatus(status);
    return status;
  }

  /**
   * Validates, applies the collection's write policy and stores one chunk of entries; one
   * success or failure per entry, in entry order (prepareChunk, then storeChunk).
   */
  async processChunk(target: Admitted<'write'>, entries: Iterable<ParsedEntry>): Promise<ChunkOutcome> {
    return this.storeChunk(target, this.prepareChunk(target, entries));
  }

  /**
   * The part of a chunk that runs here: each entry validated and checked against the collection's
   * write policy. The entries are taken one at a time: given lazily (a generator that parses each
   * as it is asked for), only the record made of an entry is kept, not its parsed value.
   */
  prepareChunk(target: Admitted<'write'>, entries: Iterable<ParsedEntry>): PreparedChunk {
    const failures: StatusDetail[] = [];
    const valid: NewVersion[] = [];
    for (const e of entries) {
      if ('refused' in e) {
        failures.push({ id: `objects[${e.index}]`, version: '', message: e.refused });
        continue;
      }
      const obj = e.value;
      const verdict = this.validator.validate(obj);
      const refused = verdict.ok ? writeRefusal(target, obj as Record<string, unknown>) : undefined;
      if (verdict.ok && refused !== undefined)
        failures.push({ id: verdict.id, version: versionOf(obj) ?? '', message: refused });
      else if (verdict.ok) valid.push(toVersionRecord(obj as Record<string, unknown>, verdict, e.text));
      else
        failures.push({
          id: verdict.id ?? `objects[${e.index}]`,
          version: versionOf(obj) ?? '',
          message: verdict.reason,
        });
    }
    return { valid, failures };
  }

  /** The part of a chunk that the store does: its valid entries written, the outcome of each. */
  async storeChunk(target: Admitted<'write'>, prepared: PreparedChunk): Promise<ChunkOutcome> {
    const successes: StatusDetail[] = [];
    const failures = [...prepared.failures];
    const { valid } = prepared;
    if (valid.length === 0) {
      this.counter?.ingested('failed', failures.length);
      return { successes, failures };
    }
    const outcomes = await this.objects.addObjects(target.collection.id, valid, this.clock.nowMicros());
    this.count(failures.length, outcomes);
    if (!target.rights.read) {
      // A caller that may write but not read (a drop box) learns nothing about what the collection
      // holds: every object it sent is answered alike, with the version it sent, whether it was
      // added, already there, or kept out by a different stored copy.
      outcomes.forEach((o, i) =>
        successes.push({ id: o.id, version: valid[i]?.version ?? formatMicros(this.clock.nowMicros()) }),
      );
    } else {
      for (const o of outcomes) {
        if (o.outcome === 'added') successes.push({ id: o.id, version: o.version });
        else if (o.outcome === 'duplicate')
          successes.push({ id: o.id, version: o.version, message: 'already present' });
        else failures.push({ id: o.id, version: o.version, message: CONFLICT_REASON });
      }
    }
    return { successes, failures };
  }

  /** Counts by what the store did, also for a drop box whose caller is told success for each. */
  private count(refused: number, outcomes: readonly AddOutcome[]): void {
    if (this.counter === undefined) return;
    let added = 0;
    let duplicate = 0;
    let failed = refused;
    for (const o of outcomes) {
      if (o.outcome === 'added') added++;
      else if (o.outcome === 'duplicate') duplicate++;
      else failed++;
    }
    this.counter.ingested('added', added);
    this.counter.ingested('duplicate', duplicate);
    this.counter.ingested('failed', failed);
  }

  private newStatus(
    id: string,
    principal: Principal,
    target: Admitted<'write'>,
    requestTimestamp: number,
    total: number,
  ): StatusRecord {
    return {
      id,
      apiRoot: target.root.path,
      collectionId: target.collection.id,
      owner: principal.username,
      ...(principal.tenant !== undefined ? { tenant: principal.tenant } : {}),
      status: total === 0 ? 'complete' : 'pending',
      requestTimestamp,
      totalCount: total,
      successes: [],
      failures: [],
      pendings: [],
      successCount: 0,
      failureCount: 0,
      pendingCount: total,
    };
  }
}

/** Adds a chunk's details to a status, dropping a list once it grows past the limit (see IngestLimits). */
export function addToStatus(status: StatusRecord, chunk: ChunkOutcome, limit: number): StatusRecord {
  const merge = (list: StatusDetail[], count: number, more: StatusDetail[]): StatusDetail[] =>
    list.length === count && count + more.length <= limit ? [...list, ...more] : [];
  const successCount = status.successCount ?? status.successes.length;
  const failureCount = status.failureCount ?? status.failures.length;
  const done = chunk.successes.length + chunk.failures.length;
  return {
    ...status,
    successes: merge(status.successes, successCount, chunk.successes),
    failures: merge(status.failures, failureCount, chunk.failures),
    successCount: successCount + chunk.successes.length,
    failureCount: failureCount + chunk.failures.length,
    pendingCount: Math.max(0, (status.pendingCount ?? status.pendings.length) - done),
  };
}
