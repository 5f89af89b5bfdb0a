import type { GrantRecord, GrantStore, NewGrant, Subject } from '../grants.js';
import type { Source } from '../identity.js';
import type { GrantDoc, MongoCollections } from './documents.js';
import { accessWrite } from './meta.js';

const grantId = (collectionId: string, s: Subject): string => `${collectionId}|${s.kind}|${s.id}`;

export class MongoGrants implements GrantStore {
  constructor(private readonly c: MongoCollections) {}

  async setGrants(collectionId: string, grants: readonly NewGrant[], source: Source): Promise<void> {
    return accessWrite(this.c, () => this.setGrantsNow(collectionId, grants, source));
  }

  private async setGrantsNow(collectionId: string, grants: readonly NewGrant[], source: Source): Promise<void> {
    const keep = grants.map((g) => grantId(collectionId, g.subject));
    for (const g of grants) {
      await this.c.grants.replaceOne(
        { _id: grantId(collectionId, g.subject) },
        {
          collection_id: collectionId,
          kind: g.subject.kind,
          subject: g.subject.id,
          read: g.read,
          write: g.write,
          source,
        },
        { upsert: true },
      );
    }
    await this.c.grants.deleteMany({ collection_id: collectionId, source, _id: { $nin: keep } });
  }

  async listGrants(collectionId: string): Promise<GrantRecord[]> {
    return (await this.c.grants.find({ collection_id: collectionId }).sort({ kind: 1, subject: 1 }).toArray()).map(
      toGrant,
    );
  }

  async grantsOf(subjects: readonly Subject[]): Promise<GrantRecord[]> {
    if (subjects.length === 0) return [];
    const docs = await this.c.grants.find({ $or: subjects.map((s) => ({ kind: s.kind, subject: s.id })) }).toArray();
    return docs.map(toGrant);
  }

  async grantsOn(collectionId: string, subjects: readonly Subject[]): Promise<GrantRecord[]> {
    if (subjects.length === 0) return [];
    // Grant _ids are deterministic: one _id lookup per subject, in one query.
    const docs = await this.c.grants.find({ _id: { $in: subjects.map((s) => grantId(collectionId, s)) } }).toArray();
    return docs.map(toGrant);
  }

  async deleteGrantsOf(subject: Subject): Promise<number> {
    return accessWrite(this.c, () => this.deleteGrantsOfNow(subject));
  }

  private async deleteGrantsOfNow(subject: Subject): Promise<number> {
    return (await this.c.grants.deleteMany({ kind: subject.kind, subject: subject.id })).deletedCount;
  }
}

function toGrant(d: GrantDoc): GrantRecord {
  return {
    collectionId: d.collection_id,
    subject: { kind: d.kind, id: d.subject },
    read: d.read === true,
    write: d.write === true,
    source: d.source,
  };
}
