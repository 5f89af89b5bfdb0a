import type { Collection } from 'mongodb';
import type { MetaStore } from '../meta.js';
import { isDuplicateKey, type MongoCollections } from './documents.js';

/** The meta document that counts access writes (store/meta.ts); a number, unlike the string values. */
const GENERATION_ID = 'access_generation';

interface GenerationDoc {
  _id: string;
  generation: number;
}

function generations(c: MongoCollections): Collection<GenerationDoc> {
  return c.meta as unknown as Collection<GenerationDoc>;
}

/**
 * Runs one write of an access area (identity, tenancy, catalog, grants, markings), then moves the
 * access generation forward, also when the write failed part-way (some of its steps may have
 * landed). MongoDB has no transaction here, so the order carries the guarantee: the increment
 * comes after every step of the write, hence a reader that saw the old generation may have read
 * the old data, and will see the new generation at its next check. The write's own error wins over
 * a failed increment.
 */
export async function accessWrite<T>(c: MongoCollections, write: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (err) {
    await generations(c)
      .updateOne({ _id: GENERATION_ID }, { $inc: { generation: 1 } }, { upsert: true })
      .catch(() => undefined);
    throw err;
  }
  await generations(c).updateOne({ _id: GENERATION_ID }, { $inc: { generation: 1 } }, { upsert: true });
  return result;
}

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

  async getAccessGeneration(): Promise<number> {
    const doc = await generations(this.c).findOne({ _id: GENERATION_ID }, { projection: { generation: 1 } });
    return doc?.generation ?? 0;
  }
}
