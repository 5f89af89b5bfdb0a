// Envelope ingestion: parse → validate each object → store → status. Knows nothing of HTTP; the
// TAXII POST (§5.5), the demo seed and the CLI all come through here.
import { randomUUID } from 'node:crypto';
import type { AccessGate, Admitted, CollectionRef } from '../access/gate.js';
import { writeRefusal } from '../access/write-policy.js';
import type { Principal } from '../auth/principal.js';
import type { StixValidator } from '../stix/validator.js';
import { toVersionRecord, versionOf } from '../stix/versions.js';
import { formatMicros, type Clock } from '../stix/timestamps.js';
import type { NewVersion, ObjectStore, StatusDetail, StatusRecord, StatusStore } from '../store/store.js';
import { parseEnvelope } from './envelope.js';

const CONFLICT_REASON =
  'a different object with this id and version is already stored; a new version needs a new modified';

export type IngestInput = { bytes: Buffer } | { objects: readonly unknown[] };

export class IngestService {
  constructor(
    private readonly gate: AccessGate,
    private readonly objects: ObjectStore,
    private readonly statuses: StatusStore,
    private readonly validator: StixValidator,
    private readonly clock: Clock,
  ) {}

  /** Where a principal may add objects; checked before a request body is read. */
  target(principal: Principal, ref: CollectionRef): Promise<Admitted<'write'>> {
    return this.gate.collection(principal, ref, 'write');
  }

  /**
   * Each object is validated alone: an invalid one becomes a failure with its reason and the
   * valid rest is stored. Everything is committed before the status is written, so `complete`
   * never reports an object that is not stored.
   */
  async ingest(principal: Principal, target: Admitted<'write'>, input: IngestInput): Promise<StatusRecord> {
    const requestTimestamp = this.clock.nowMicros();
    const objects = 'bytes' in input ? parseEnvelope(input.bytes) : input.objects;
    const successes: StatusDetail[] = [];
    const failures: StatusDetail[] = [];
    const valid: NewVersion[] = [];
    for (const [i, obj] of objects.entries()) {
      const verdict = this.validator.validate(obj);
      const refused = verdict.ok ? writeRefusal(target, obj as Record<string, unknown>) : undefined;
      if (verdict.ok && refused !== undefined)
        failures.push({ id: verdict.id, version: versionOf(obj) ?? '', message: refused });
      else if (verdict.ok) valid.push(toVersionRecord(obj as Record<string, unknown>, verdict));
      else failures.push({ id: verdict.id ?? `objects[${i}]`, version: versionOf(obj) ?? '', message: verdict.reason });
    }
    if (valid.length > 0) {
      const outcomes = await this.objects.addObjects(target.collection.id, valid, this.clock.nowMicros());
      if (!target.rights.read) {
        // A caller that may write but not read (a drop box) learns nothing about what the collection
        // holds: every object it sent is answered alike, with the version it sent, whether it was
        // added, already there, or kept out by a different stored copy.
        outcomes.forEach((o, i) =>
          successes.push({ id: o.id, version: valid[i]?.version ?? formatMicros(requestTimestamp) }),
        );
      } else {
        for (const o of outcomes) {
          if (o.outcome === 'added') successes.push({ id: o.id, version: o.version });
          else if (o.outcome === 'duplicate')
            successes.push({ id: o.id, version: o.version, message: 'already present' });
          else failures.push({ id: o.id, version: o.version, message: CONFLICT_REASON });
        }
      }
    }
    const status: StatusRecord = {
      id: randomUUID(),
      apiRoot: target.root.path,
      collectionId: target.collection.id,
      owner: principal.username,
      ...(principal.tenant !== undefined ? { tenant: principal.tenant } : {}),
      status: 'complete',
      requestTimestamp,
      totalCount: objects.length,
      successes,
      failures,
      pendings: [],
    };
    await this.statuses.putStatus(status);
    return status;
  }
}
