import type { GrantRecord, GrantStore, NewGrant } from '../grants.js';
import type { GrantDoc, MongoCollections } from './documents.js';

const grantId = (collectionId: string, username: string): string => `${collectionId}|${username}`;

export class MongoGrants implements GrantStore {
  constructor(private readonly c: MongoCollections) {}

  async setGrants(collectionId: string, grants: readonly NewGrant[]): Promise<void> {
    const keep = grants.map((g) => grantId(collectionId, g.username));
    for (const g of grants) {
      await this.c.grants.replaceOne(
        { _id: grantId(collectionId, g.username) },
        { collection_id: collectionId, username: g.username, read: g.read, write: g.write },
        { upsert: true },
      );
    }
    await this.c.grants.deleteMany({ collection_id: collectionId, _id: { $nin: keep } });
  }

  async grantsOf(username: string): Promise<GrantRecord[]> {
    return (await this.c.grants.find({ username }).toArray()).map(toGrant);
  }

  async grantOn(collectionId: string, username: string): Promise<GrantRecord | undefined> {
    const d = await this.c.grants.findOne({ _id: grantId(collectionId, username) });
    return d ? toGrant(d) : undefined;
  }
}

function toGrant(d: GrantDoc): GrantRecord {
  return { collectionId: d.collection_id, username: d.username, read: d.read === true, write: d.write === true };
}
