// first/last flags of object versions (TAXII 2.1 §3.4.1 match[version]=first|last), maintained
// without transactions: recomputed from the versions actually stored after each write.
//
// A flag alone cannot be right for every reader: readers see only the versions at or below their
// horizon (DateAddedLedger.horizon), and the horizon moves independently of these documents. So
// next to `last` each superseded version keeps `sup`, the smallest date_added among its newer
// versions: a version is the latest one for a reader at horizon h exactly when no newer version is
// visible at h, i.e. when `last` is true or `sup > h`. `first`/`sub` are the same towards older
// versions. Both are pure functions of the stored (version, date_added) pairs, so they can be
// written before the new version becomes visible without a reader ever seeing no latest version.
//
// Deletes go through here too (see markDeleted): a version to delete is first marked `del`, the
// flags of the others are computed without it (raising the version that becomes the latest while
// the deleted one is still stored), and only then is it removed. A reader meanwhile sees two
// candidates of one id, never none, and keeps the newest (MongoObjects.queryObjects).
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { compareTimestamps } from '../../stix/timestamps.js';
import type { ObjectDoc } from './documents.js';

const ID_CHUNK = 1000;

type FlagView = Pick<ObjectDoc, '_id' | 'id' | 'version' | 'da' | 'first' | 'last' | 'sup' | 'sub' | 'del'>;

export class VersionFlags {
  constructor(private readonly objects: Collection<ObjectDoc>) {}

  /**
   * Sets first/last (and sup/sub) for the given ids from the versions stored, removes the versions
   * marked deleted once the others' flags no longer depend on them, and repeats until a read after
   * the writes shows the same versions. Two writers may race, but each one's final writes follow a
   * read that saw every version inserted (or marked deleted) before it, so the flags converge.
   */
  async fix(collectionId: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      let chunk = ids.slice(i, i + ID_CHUNK);
      for (let round = 0; round < 10 && chunk.length > 0; round++) {
        const before = await this.versionSets(collectionId, chunk);
        const writes = flagWrites(before);
        const doomed = [...before.values()].flat().filter((d) => d.del === true);
        if (writes.length === 0 && doomed.length === 0) break;
        // The flags first: a version that becomes first/last is raised while the one it replaces
        // is still stored (two candidates for a moment, which readers resolve), never after.
        if (writes.length > 0) await this.objects.bulkWrite(writes, { ordered: false });
        if (doomed.length > 0) await this.objects.deleteMany({ _id: { $in: doomed.map((d) => d._id) } });
        const after = await this.versionSets(collectionId, chunk);
        chunk = chunk.filter((id) => signature(before.get(id)) !== signature(after.get(id)));
      }
    }
  }

  /**
   * Deletes the given versions of one object: marks them, then lets fix() recompute the flags of
   * the remaining versions and remove the marked ones, in that order.
   */
  async deleteVersions(collectionId: string, id: string, docIds: readonly string[]): Promise<void> {
    if (docIds.length === 0) return;
    await this.objects.updateMany({ _id: { $in: [...docIds] } }, { $set: { del: true } });
    await this.fix(collectionId, [id]);
  }

  private async versionSets(collectionId: string, ids: string[]): Promise<Map<string, FlagView[]>> {
    const docs = await this.objects
      .find(
        { c: collectionId, id: { $in: ids } },
        { projection: { id: 1, version: 1, da: 1, first: 1, last: 1, sup: 1, sub: 1, del: 1 } },
      )
      .toArray();
    const out = new Map<string, FlagView[]>();
    for (const d of docs) {
      const list = out.get(d.id) ?? [];
      list.push(d);
      out.set(d.id, list);
    }
    return out;
  }
}

/** The flags of every version not marked deleted, from those versions alone. */
function flagWrites(sets: Map<string, FlagView[]>): AnyBulkWriteOperation<ObjectDoc>[] {
  const writes: AnyBulkWriteOperation<ObjectDoc>[] = [];
  for (const all of sets.values()) {
    const live = all.filter((d) => d.del !== true);
    for (const d of live) {
      // sup: the first date_added at which a newer version exists; sub: the same for older ones.
      let sup: number | undefined;
      let sub: number | undefined;
      for (const o of live) {
        const cmp = compareTimestamps(o.version, d.version);
        if (cmp > 0 && (sup === undefined || o.da < sup)) sup = o.da;
        if (cmp < 0 && (sub === undefined || o.da < sub)) sub = o.da;
      }
      const first = sub === undefined;
      const last = sup === undefined;
      if (d.first === first && d.last === last && d.sup === sup && d.sub === sub) continue;
      const $unset: { sup?: ''; sub?: '' } = {};
      if (sup === undefined) $unset.sup = '';
      if (sub === undefined) $unset.sub = '';
      writes.push({
        updateOne: {
          filter: { _id: d._id },
          update: {
            $set: { first, last, ...(sup !== undefined ? { sup } : {}), ...(sub !== undefined ? { sub } : {}) },
            ...(sup === undefined || sub === undefined ? { $unset } : {}),
          },
        },
      });
    }
  }
  return writes;
}

/** Which versions are stored and which of them are marked deleted. */
function signature(docs: FlagView[] | undefined): string {
  return (docs ?? [])
    .map((d) => (d.del === true ? `${d._id}!` : d._id))
    .sort()
    .join(',');
}
