// Object versions on MongoDB: deterministic _id per (collection, id, version key) so a retried or
// concurrent write of one version is a duplicate-key error, never a second copy; date_added from
// the ledger; first/last flags from VersionFlags.
import { MongoBulkWriteError, type Collection, type Filter } from 'mongodb';
import { formatMicros, versionKey } from '../../stix/timestamps.js';
import { stixMediaType } from '../../stix/versions.js';
import type { AddOutcome, NewVersion, ObjectQuery, ObjectStore, Page, PageRequest, StoredVersion } from '../objects.js';
import type { DateAddedLedger } from './date-added-ledger.js';
import { withDeadline } from './deadline.js';
import { UNVERSIONED, type BlockDoc, type ObjectDoc } from './documents.js';
import type { MongoIntelWriter } from './intel.js';
import type { VersionFlags } from './version-flags.js';
import { readVersionPage, selectionClauses } from './visible-versions.js';

const ID_CHUNK = 1000;
const INSERT_CHUNK = 1000;
/** the longest a read may run on the server (store.query_timeout_ms) */
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

interface Pending {
  index: number;
  docId: string;
  version: string;
}

export class MongoObjects implements ObjectStore {
  constructor(
    private readonly objects: Collection<ObjectDoc>,
    private readonly ledger: DateAddedLedger,
    private readonly flags: VersionFlags,
    private readonly queryTimeoutMs: number = DEFAULT_QUERY_TIMEOUT_MS,
    /** keeps the intel area in step (absent only in tests of the version flags alone) */
    private readonly intel?: MongoIntelWriter,
  ) {}

  /** Reads carry a server-side deadline; one that expires is the caller's 503, not a 500. */
  private deadline<T>(read: Promise<T>): Promise<T> {
    return withDeadline(read, this.queryTimeoutMs);
  }

  async addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]> {
    const out: (AddOutcome | undefined)[] = new Array(versions.length);
    const keyOf = (v: NewVersion): string => `${collectionId}|${v.id}|${v.versionKey ?? UNVERSIONED}`;

    // No read before the write: every distinct version is inserted, and a duplicate-key error on
    // its deterministic _id says it is already stored (compare bodies: duplicate or conflict).
    const fresh: number[] = [];
    const inBatch = new Set<string>();
    const compareWith: Pending[] = [];
    versions.forEach((v, i) => {
      const key = keyOf(v);
      if (inBatch.has(key)) {
        // A repeat within the batch is compared with whatever ends up stored under that key.
        compareWith.push({ index: i, docId: key, version: v.version ?? '' });
        return;
      }
      inBatch.add(key);
      fresh.push(i);
    });

    const block = fresh.length > 0 ? await this.ledger.claim(collectionId, fresh.length, nowMicros) : undefined;
    try {
      if (block) {
        const docs: ObjectDoc[] = fresh.map((i, n) => {
          const v = versions[i] as NewVersion;
          const da = block.start + n;
          const version = v.version ?? formatMicros(da);
          return {
            _id: keyOf(v),
            c: collectionId,
            id: v.id,
            vkey: v.versionKey ?? (versionKey(version) as string),
            version,
            da,
            type: v.type,
            sv: v.specVersion,
            first: true,
            last: true,
            mk: v.markings,
            json: v.json,
          };
        });
        const failed = new Set<number>();
        for (let from = 0; from < docs.length; from += INSERT_CHUNK) {
          if (from > 0) await this.ledger.renew(block);
          try {
            await this.objects.insertMany(docs.slice(from, from + INSERT_CHUNK), { ordered: false });
          } catch (err) {
            if (!(err instanceof MongoBulkWriteError)) throw err;
            const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
            for (const we of errors) {
              if (we.code !== 11000) throw err;
              failed.add(from + we.index);
            }
          }
        }
        docs.forEach((d, n) => {
          const i = fresh[n] as number;
          // Another writer stored the same version meanwhile: compare with what it stored.
          if (failed.has(n)) compareWith.push({ index: i, docId: d._id, version: d.version });
          else out[i] = { id: d.id, version: d.version, outcome: 'added' };
        });
        const written = [...new Set(docs.filter((_, n) => !failed.has(n)).map((d) => d.id))];
        await this.flags.fix(collectionId, written);
        // After the flags: the intel entry follows the version now flagged latest.
        await this.intel?.sync(collectionId, written);
      }
      await this.resolveDuplicates(versions, compareWith, out);
    } finally {
      if (block) await this.ledger.release(block);
    }
    return out as AddOutcome[];
  }

  private async resolveDuplicates(
    versions: readonly NewVersion[],
    pending: Pending[],
    out: (AddOutcome | undefined)[],
  ): Promise<void> {
    const docIds = [...new Set(pending.map((p) => p.docId))];
    const stored = new Map<string, { json: string; version: string }>();
    for (let i = 0; i < docIds.length; i += ID_CHUNK) {
      const docs = await this.objects
        .find({ _id: { $in: docIds.slice(i, i + ID_CHUNK) } }, { projection: { json: 1, version: 1 } })
        .toArray();
      for (const d of docs) stored.set(d._id, { json: d.json, version: d.version });
    }
    for (const p of pending) {
      const v = versions[p.index] as NewVersion;
      const s = stored.get(p.docId);
      out[p.index] = {
        id: v.id,
        // §5.5 status details name the version the client sent; unversioned objects have the stored one.
        version: v.version ?? s?.version ?? p.version,
        outcome: s !== undefined && s.json === v.json ? 'duplicate' : 'conflict',
      };
    }
  }

  private filter(collectionId: string, q: ObjectQuery, after: number | undefined, horizon?: number): Filter<ObjectDoc> {
    const f: Filter<ObjectDoc> = { c: collectionId };
    const lower = Math.max(q.addedAfter ?? -1, after ?? -1);
    const da: { $gt?: number; $lte?: number } = {};
    if (lower >= 0) da.$gt = lower;
    if (horizon !== undefined) da.$lte = horizon;
    if (da.$gt !== undefined || da.$lte !== undefined) f.da = da;
    const ids: string[] | undefined =
      q.objectId !== undefined
        ? q.ids && !q.ids.includes(q.objectId)
          ? []
          : [q.objectId]
        : q.ids
          ? [...q.ids]
          : undefined;
    if (ids) f.id = ids.length === 1 ? (ids[0] as string) : { $in: ids };
    if (q.types) f.type = q.types.length === 1 ? (q.types[0] as string) : { $in: [...q.types] };
    // Only STIX 2.1 is stored (see README): the default spec_version selection needs no clause.
    if (q.specVersions) f.sv = { $in: [...q.specVersions] };
    // Releasability: `$nin` on the marking array keeps versions carrying none of the denied ids.
    if (q.deniedMarkings && q.deniedMarkings.length > 0) f.mk = { $nin: [...q.deniedMarkings] };
    const v = q.versions;
    if (!v.all) {
      // first/last as seen at the reader's horizon (visible-versions.ts); the flags alone for deletes.
      const ors = selectionClauses(v, horizon);
      if (ors.length === 1) Object.assign(f, ors[0]);
      else f.$or = ors;
    }
    return f;
  }

  async queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>> {
    const horizon = await this.ledger.horizon(collectionId, (block) => this.repairBlock(block));
    const docs = await readVersionPage({
      objects: this.objects,
      collectionId,
      versions: query.versions,
      horizon,
      limit: page.limit,
      filter: this.filter(collectionId, query, page.after, horizon),
      run: (read) => this.deadline(read({ maxTimeMS: this.queryTimeoutMs })),
      claimedAbove: () => this.ledger.claimedAbove(collectionId, horizon),
      repair: (ids) => this.flags.fix(collectionId, ids),
    });
    const more = docs.length > page.limit;
    if (more) docs.pop();
    return {
      more,
      items: docs.map((d) => ({
        id: d.id,
        version: d.version,
        dateAdded: d.da,
        specVersion: d.sv,
        mediaType: stixMediaType(d.sv),
        json: d.json,
      })),
    };
  }

  async objectExists(collectionId: string, id: string, deniedMarkings?: readonly string[]): Promise<boolean> {
    const f = this.filter(
      collectionId,
      { objectId: id, versions: { all: true }, ...(deniedMarkings ? { deniedMarkings } : {}) },
      undefined,
    );
    return (
      (await this.deadline(this.objects.findOne(f, { projection: { _id: 1 }, maxTimeMS: this.queryTimeoutMs }))) !==
      null
    );
  }

  async deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number> {
    // Marked first, removed after the remaining versions' flags are set (VersionFlags.deleteVersions).
    const docs = await this.objects
      .find(this.filter(collectionId, query, undefined), { projection: { _id: 1 } })
      .toArray();
    await this.flags.deleteVersions(
      collectionId,
      query.objectId,
      docs.map((d) => d._id),
    );
    if (docs.length > 0) await this.intel?.sync(collectionId, [query.objectId], Date.now() * 1000);
    return docs.length;
  }

  /** An abandoned block: set the flags of the ids it wrote before its versions become visible. */
  private async repairBlock(block: BlockDoc): Promise<void> {
    const docs = await this.objects
      .find({ c: block.c, da: { $gte: block.start, $lte: block.end } }, { projection: { _id: 0, id: 1 } })
      .toArray();
    await this.flags.fix(block.c, [...new Set(docs.map((d) => d.id))]);
  }
}
