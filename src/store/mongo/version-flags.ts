// first/last flags of object versions (TAXII 2.1 §3.4.1 match[version]=first|last), maintained
// without transactions: recomputed from the versions actually stored after each write.
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { compareTimestamps } from '../../stix/timestamps.js';
import type { ObjectDoc } from './documents.js';

const ID_CHUNK = 1000;

type FlagView = Pick<ObjectDoc, '_id' | 'id' | 'version' | 'first' | 'last'>;

export class VersionFlags {
  constructor(private readonly objects: Collection<ObjectDoc>) {}

  /**
   * Sets first/last for the given ids from the versions stored, and repeats until a read after the
   * writes shows the same set of versions. Two writers may race, but each one's final writes follow
   * a read that saw every version inserted before it, so the flags converge to the right answer.
   */
  async fix(collectionId: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      let chunk = ids.slice(i, i + ID_CHUNK);
      for (let round = 0; round < 10 && chunk.length > 0; round++) {
        const before = await this.versionSets(collectionId, chunk);
        const writes = flagWrites(before);
        if (writes.length === 0) break;
        await this.objects.bulkWrite(writes, { ordered: false });
        const after = await this.versionSets(collectionId, chunk);
        chunk = chunk.filter((id) => signature(before.get(id)) !== signature(after.get(id)));
      }
    }
  }

  private async versionSets(collectionId: string, ids: string[]): Promise<Map<string, FlagView[]>> {
    const docs = await this.objects
      .find({ c: collectionId, id: { $in: ids } }, { projection: { id: 1, version: 1, first: 1, last: 1 } })
      .toArray();
    const out = new Map<string, FlagView[]>();
    for (const d of docs) {
      const list = out.get(d.id) ?? [];
      list.push({ _id: d._id, id: d.id, version: d.version, first: d.first, last: d.last });
      out.set(d.id, list);
    }
    return out;
  }
}

function flagWrites(sets: Map<string, FlagView[]>): AnyBulkWriteOperation<ObjectDoc>[] {
  const writes: AnyBulkWriteOperation<ObjectDoc>[] = [];
  for (const docs of sets.values()) {
    if (docs.length === 1 && docs[0]?.first && docs[0].last) continue;
    let min = docs[0] as FlagView;
    let max = min;
    for (const d of docs) {
      if (compareTimestamps(d.version, min.version) < 0) min = d;
      if (compareTimestamps(d.version, max.version) > 0) max = d;
    }
    for (const d of docs) {
      const first = d === min;
      const last = d === max;
      if (d.first !== first || d.last !== last) {
        writes.push({ updateOne: { filter: { _id: d._id }, update: { $set: { first, last } } } });
      }
    }
  }
  return writes;
}

function signature(docs: FlagView[] | undefined): string {
  return (docs ?? [])
    .map((d) => d._id)
    .sort()
    .join(',');
}
