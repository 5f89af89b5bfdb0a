import type { MetaStore } from '../meta.js';
import { isDuplicateKey, type MongoCollections } from './documents.js';

export class MongoMeta implements MetaStore {
  constructor(private readonly c: MongoCollections) {}

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.c.meta.findOne({ _id: key }))?.value;
  }

  async initMeta(key: string, value: string): Promise<string> {
    try {
      await this.c.meta.updateOne({ _id: key }, { $setOnInsert: { value } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another instance inserted it first
    }
    return (await this.getMeta(key)) as string;
  }
}
