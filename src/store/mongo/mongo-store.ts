// MongoDB store on the official driver. Works without multi-document transactions and without
// relying on atomic read-modify-write updates: idempotent writes keyed by deterministic _id,
// date_added blocks claimed by inserting a ledger document whose _id is unique, readers held below
// any block still being written, and first/last flags re-checked after every write so concurrent
// writers converge. Layout: src/store/README.md.
import {
  MongoClient,
  MongoBulkWriteError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type IndexDescription,
} from 'mongodb';
import { formatMicros, versionKey } from '../../stix/timestamps.js';
import type {
  AddOutcome,
  ApiRootRecord,
  CollectionRecord,
  GrantRecord,
  NewVersion,
  ObjectQuery,
  Page,
  PageRequest,
  StatusRecord,
  Store,
  StoredVersion,
  UserRecord,
} from '../store.js';

interface ObjectDoc {
  _id: string;
  c: string;
  id: string;
  vkey: string;
  version: string;
  da: number;
  type: string;
  sv: string;
  first: boolean;
  last: boolean;
  json: string;
}

/**
 * One block of date_added values, claimed by one writer for one batch. _id is collection|seq, so the
 * primary key makes each seq claimable once: block n+1 starts after block n ends. While `done` is
 * false the block also holds readers back (see horizon()).
 */
interface BlockDoc {
  _id: string;
  c: string;
  seq: number;
  start: number;
  end: number;
  done: boolean;
  expires: Date;
}

/** An unversioned object (no created/modified) has exactly one stored copy: a fixed _id suffix. */
const UNVERSIONED = '~';
const ID_CHUNK = 1000;
const INSERT_CHUNK = 1000;
/** A writer that dies mid-batch stops holding readers back after this long. */
const BLOCK_LEASE_MS = 10 * 60_000;

export class MongoStore implements Store {
  private readonly objects: Collection<ObjectDoc>;
  private readonly blocks: Collection<BlockDoc>;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    this.objects = db.collection<ObjectDoc>('objects');
    this.blocks = db.collection<BlockDoc>('date_added_blocks');
  }

  static async connect(uri: string, database?: string): Promise<MongoStore> {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, ignoreUndefined: true });
    await client.connect();
    return new MongoStore(client, client.db(database));
  }

  async migrate(): Promise<void> {
    // Each index names the query it serves (see src/store/README.md).
    await ensureIndexes(this.objects, [
      { key: { c: 1, da: 1 }, name: 'c_da', unique: true },
      { key: { c: 1, last: 1, da: 1 }, name: 'c_last_da' },
      { key: { c: 1, id: 1, vkey: 1 }, name: 'c_id_vkey', unique: true },
      { key: { c: 1, type: 1, da: 1 }, name: 'c_type_da' },
    ]);
    await ensureIndexes(this.db.collection('collections'), [
      { key: { api_root: 1, _id: 1 }, name: 'root_id' },
      { key: { api_root: 1, alias: 1 }, name: 'root_alias' },
    ]);
    await ensureIndexes(this.db.collection('grants'), [
      { key: { username: 1 }, name: 'username' },
      { key: { collection_id: 1 }, name: 'collection' },
    ]);
    await ensureIndexes(this.db.collection('statuses'), [{ key: { request_ts: 1 }, name: 'request_ts' }]);
    await ensureIndexes(this.blocks, [
      { key: { c: 1, seq: 1 }, name: 'c_seq' },
      { key: { c: 1, done: 1, seq: 1 }, name: 'c_done_seq' },
    ]);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async getMeta(key: string): Promise<string | undefined> {
    const doc = await this.db.collection<{ _id: string; value: string }>('meta').findOne({ _id: key });
    return doc?.value;
  }

  async initMeta(key: string, value: string): Promise<string> {
    const meta = this.db.collection<{ _id: string; value: string }>('meta');
    try {
      await meta.updateOne({ _id: key }, { $setOnInsert: { value } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another instance inserted it first
    }
    return (await this.getMeta(key)) as string;
  }

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    await this.db.collection<Document>('api_roots').replaceOne(
      { _id: root.path as unknown as Document['_id'] },
      { title: root.title, description: root.description, max_content_length: root.maxContentLength },
      { upsert: true },
    );
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const d = await this.db.collection<Document>('api_roots').findOne({ _id: path as unknown as Document['_id'] });
    return d ? toApiRoot(d) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (await this.db.collection('api_roots').find().sort({ _id: 1 }).toArray()).map(toApiRoot);
  }

  async putCollection(c: Omit<CollectionRecord, 'mediaTypes'> & { mediaTypes?: string[] }): Promise<void> {
    const cols = this.db.collection<Document>('collections');
    await cols.updateOne(
      { _id: c.id as unknown as Document['_id'] },
      {
        $set: { api_root: c.apiRoot, title: c.title, description: c.description ?? null, alias: c.alias ?? null },
        $setOnInsert: { media_types: c.mediaTypes ?? ['application/stix+json;version=2.1'] },
      },
      { upsert: true },
    );
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    const d = await this.db
      .collection<Document>('collections')
      .findOne({ api_root: apiRoot, $or: [{ _id: idOrAlias as unknown as Document['_id'] }, { alias: idOrAlias }] });
    return d ? toCollection(d) : undefined;
  }

  async listCollections(apiRoot: string): Promise<CollectionRecord[]> {
    return (await this.db.collection('collections').find({ api_root: apiRoot }).sort({ _id: 1 }).toArray()).map(toCollection);
  }

  async setGrants(collectionId: string, grants: readonly Omit<GrantRecord, 'collectionId'>[]): Promise<void> {
    const col = this.db.collection<Document>('grants');
    const keep = grants.map((g) => `${collectionId}|${g.username}`);
    for (const g of grants) {
      await col.replaceOne(
        { _id: `${collectionId}|${g.username}` as unknown as Document['_id'] },
        { collection_id: collectionId, username: g.username, read: g.read, write: g.write },
        { upsert: true },
      );
    }
    await col.deleteMany({ collection_id: collectionId, _id: { $nin: keep as unknown as Document['_id'][] } });
  }

  async grantsOf(username: string): Promise<GrantRecord[]> {
    return (await this.db.collection('grants').find({ username }).toArray()).map((d) => ({
      collectionId: d.collection_id as string,
      username: d.username as string,
      read: d.read === true,
      write: d.write === true,
    }));
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.db
      .collection<Document>('users')
      .replaceOne(
        { _id: user.username as unknown as Document['_id'] },
        { password_hash: user.passwordHash, admin: user.admin },
        { upsert: true },
      );
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const d = await this.db.collection<Document>('users').findOne({ _id: username as unknown as Document['_id'] });
    return d ? { username, passwordHash: d.password_hash as string, admin: d.admin === true } : undefined;
  }

  async countAdmins(): Promise<number> {
    return this.db.collection('users').countDocuments({ admin: true });
  }

  /**
   * Claims `count` date_added values after every block claimed so far: read the newest block, insert
   * the next one; a duplicate _id means another writer claimed that seq first, so read again.
   * (Only the uniqueness of _id is relied on: FerretDB 1.x does not make findAndModify atomic.)
   */
  private async claimBlock(collectionId: string, count: number, nowMicros: number): Promise<BlockDoc> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const newest = await this.newestBlock(collectionId);
      const seq = (newest?.seq ?? 0) + 1;
      const start = Math.max(nowMicros, (newest?.end ?? 0) + 1);
      const block: BlockDoc = {
        _id: `${collectionId}|${String(seq).padStart(15, '0')}`,
        c: collectionId,
        seq,
        start,
        end: start + count - 1,
        done: false,
        expires: new Date(Date.now() + BLOCK_LEASE_MS),
      };
      try {
        await this.blocks.insertOne(block);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        continue;
      }
      // A seq freed by the clean-up in releaseBlock can be claimed again by a writer whose read of
      // the newest block is stale; a block above ours then exists (the newest is never deleted),
      // so give the seq back and start over.
      if ((await this.blocks.findOne({ c: collectionId, seq: { $gt: seq } }, { projection: { _id: 1 } })) === null) {
        return block;
      }
      await this.blocks.deleteOne({ _id: block._id });
    }
    throw new Error(`could not claim a date_added block for collection ${collectionId}`);
  }

  private newestBlock(collectionId: string): Promise<BlockDoc | null> {
    return this.blocks.find({ c: collectionId }).sort({ seq: -1 }).limit(1).next();
  }

  private async renewLease(block: BlockDoc): Promise<void> {
    await this.blocks.updateOne({ _id: block._id }, { $set: { expires: new Date(Date.now() + BLOCK_LEASE_MS) } });
  }

  private async releaseBlock(block: BlockDoc): Promise<void> {
    await this.blocks.updateOne({ _id: block._id }, { $set: { done: true } });
    // Older finished (or abandoned) blocks are no longer needed; the newest one always stays.
    await this.blocks.deleteMany({
      c: block.c,
      seq: { $lt: block.seq },
      $or: [{ done: true }, { expires: { $lt: new Date() } }],
    });
  }

  async addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]> {
    const out: (AddOutcome | undefined)[] = new Array(versions.length);
    const keyOf = (v: NewVersion): string => `${collectionId}|${v.id}|${v.versionKey ?? UNVERSIONED}`;

    // No read before the write: every distinct version is inserted, and a duplicate-key error on
    // its deterministic _id says it is already stored (compare bodies: duplicate or conflict).
    const fresh: number[] = [];
    const inBatch = new Set<string>();
    const compareWith: { index: number; docId: string; version: string }[] = [];
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

    const block = fresh.length > 0 ? await this.claimBlock(collectionId, fresh.length, nowMicros) : undefined;
    try {
      if (block) {
        const start = block.start;
        const docs: ObjectDoc[] = fresh.map((i, n) => {
          const v = versions[i] as NewVersion;
          const da = start + n;
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
            json: v.json,
          };
        });
        const failed = new Set<number>();
        for (let from = 0; from < docs.length; from += INSERT_CHUNK) {
          if (from > 0) await this.renewLease(block); // a long batch keeps holding readers back
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
          if (failed.has(n)) {
            // Another writer stored the same version meanwhile: compare with what it stored.
            compareWith.push({ index: i, docId: d._id, version: d.version });
          } else {
            out[i] = { id: d.id, version: d.version, outcome: 'added' };
          }
        });
        await this.fixFlags(collectionId, [...new Set(docs.filter((_, n) => !failed.has(n)).map((d) => d.id))]);
      }
      await this.resolveDuplicates(versions, compareWith, out);
    } finally {
      if (block) await this.releaseBlock(block);
    }
    return out as AddOutcome[];
  }

  private async resolveDuplicates(
    versions: readonly NewVersion[],
    pending: { index: number; docId: string; version: string }[],
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
        version: s?.version ?? p.version,
        outcome: s !== undefined && s.json === v.json ? 'duplicate' : 'conflict',
      };
    }
  }

  /**
   * Sets first/last for the given ids from the versions actually stored, and repeats until a read
   * after the writes shows the same set of versions. Without transactions two writers may race,
   * but each one's final writes follow a read that saw every version inserted before it, so the
   * flags converge to the right answer.
   */
  private async fixFlags(collectionId: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      let chunk = ids.slice(i, i + ID_CHUNK);
      for (let round = 0; round < 10 && chunk.length > 0; round++) {
        const before = await this.versionSets(collectionId, chunk);
        const writes: AnyBulkWriteOperation<ObjectDoc>[] = [];
        for (const docs of before.values()) {
          if (docs.length === 1 && docs[0]?.first && docs[0].last) continue;
          const keys = docs.map((d) => d.vkey).sort();
          const min = keys[0] as string;
          const max = keys[keys.length - 1] as string;
          for (const d of docs) {
            const first = d.vkey === min;
            const last = d.vkey === max;
            if (d.first !== first || d.last !== last) {
              writes.push({ updateOne: { filter: { _id: d._id }, update: { $set: { first, last } } } });
            }
          }
        }
        if (writes.length === 0) break;
        await this.objects.bulkWrite(writes, { ordered: false });
        const after = await this.versionSets(collectionId, chunk);
        chunk = chunk.filter((id) => signature(before.get(id)) !== signature(after.get(id)));
      }
    }
  }

  private async versionSets(
    collectionId: string,
    ids: string[],
  ): Promise<Map<string, { _id: string; vkey: string; first: boolean; last: boolean }[]>> {
    const docs = await this.objects
      .find({ c: collectionId, id: { $in: ids } }, { projection: { id: 1, vkey: 1, first: 1, last: 1 } })
      .toArray();
    const out = new Map<string, { _id: string; vkey: string; first: boolean; last: boolean }[]>();
    for (const d of docs) {
      const list = out.get(d.id) ?? [];
      list.push({ _id: d._id, vkey: d.vkey, first: d.first, last: d.last });
      out.set(d.id, list);
    }
    return out;
  }

  /**
   * The highest date_added a reader may see now: at most the end of the newest block (read first,
   * so a block claimed later starts above it), and below the oldest block still being written, so a
   * page never shows an object while an older one may still appear beneath it.
   */
  private async horizon(collectionId: string): Promise<number> {
    const newest = await this.newestBlock(collectionId);
    let limit = newest?.end ?? 0;
    const open = await this.blocks
      .find({ c: collectionId, done: false, expires: { $gt: new Date() } })
      .sort({ seq: 1 })
      .limit(1)
      .next();
    if (open) limit = Math.min(limit, open.start - 1);
    return limit;
  }

  private filter(collectionId: string, q: ObjectQuery, after: number | undefined, horizon?: number): Filter<ObjectDoc> {
    const f: Filter<ObjectDoc> = { c: collectionId };
    const lower = Math.max(q.addedAfter ?? -1, after ?? -1);
    const da: { $gt?: number; $lte?: number } = {};
    if (lower >= 0) da.$gt = lower;
    if (horizon !== undefined) da.$lte = horizon;
    if (da.$gt !== undefined || da.$lte !== undefined) f.da = da;
    const ids: string[] | undefined =
      q.objectId !== undefined ? (q.ids && !q.ids.includes(q.objectId) ? [] : [q.objectId]) : q.ids ? [...q.ids] : undefined;
    if (ids) f.id = ids.length === 1 ? (ids[0] as string) : { $in: ids };
    if (q.types) f.type = q.types.length === 1 ? (q.types[0] as string) : { $in: [...q.types] };
    // Only STIX 2.1 is stored (see README): the default spec_version selection needs no clause.
    if (q.specVersions) f.sv = { $in: [...q.specVersions] };
    const v = q.versions;
    if (!v.all) {
      const ors: Filter<ObjectDoc>[] = [];
      if (v.last) ors.push({ last: true });
      if (v.first) ors.push({ first: true });
      if (v.exact.length > 0) ors.push({ vkey: { $in: [...v.exact] } });
      if (ors.length === 1) Object.assign(f, ors[0]);
      else f.$or = ors;
    }
    return f;
  }

  async queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>> {
    const horizon = await this.horizon(collectionId);
    const docs = await this.objects
      .find(this.filter(collectionId, query, page.after, horizon), {
        projection: { _id: 0, id: 1, version: 1, da: 1, sv: 1, json: 1 },
      })
      .sort({ da: 1 })
      .limit(page.limit + 1)
      .toArray();
    const more = docs.length > page.limit;
    if (more) docs.pop();
    return {
      more,
      items: docs.map((d) => ({
        id: d.id,
        version: d.version,
        dateAdded: d.da,
        specVersion: d.sv,
        mediaType: `application/stix+json;version=${d.sv}`,
        json: d.json,
      })),
    };
  }

  async objectExists(collectionId: string, id: string): Promise<boolean> {
    return (await this.objects.findOne({ c: collectionId, id }, { projection: { _id: 1 } })) !== null;
  }

  async deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number> {
    const res = await this.objects.deleteMany(this.filter(collectionId, query, undefined));
    if (res.deletedCount > 0) await this.fixFlags(collectionId, [query.objectId]);
    return res.deletedCount;
  }

  async putStatus(s: StatusRecord): Promise<void> {
    await this.db.collection<Document>('statuses').replaceOne(
      { _id: s.id as unknown as Document['_id'] },
      {
        api_root: s.apiRoot,
        collection_id: s.collectionId,
        owner: s.owner,
        status: s.status,
        request_ts: s.requestTimestamp,
        total: s.totalCount,
        successes: s.successes,
        failures: s.failures,
        pendings: s.pendings,
      },
      { upsert: true },
    );
  }

  async getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined> {
    const d = await this.db.collection<Document>('statuses').findOne({ _id: id as unknown as Document['_id'], api_root: apiRoot });
    if (!d) return undefined;
    return {
      id,
      apiRoot: d.api_root as string,
      collectionId: d.collection_id as string,
      owner: d.owner as string,
      status: d.status as StatusRecord['status'],
      requestTimestamp: d.request_ts as number,
      totalCount: d.total as number,
      successes: d.successes as StatusRecord['successes'],
      failures: d.failures as StatusRecord['failures'],
      pendings: d.pendings as StatusRecord['pendings'],
    };
  }

  async purgeStatuses(requestedBeforeMicros: number): Promise<number> {
    return (await this.db.collection('statuses').deleteMany({ status: 'complete', request_ts: { $lt: requestedBeforeMicros } }))
      .deletedCount;
  }

  /** For tests: drop the whole database. */
  async dropDatabase(): Promise<void> {
    await this.db.dropDatabase();
  }
}

/**
 * Creates the indexes that do not exist yet, one by one. (FerretDB 1.24 drops the connection when
 * createIndexes names an index that already exists, so existing ones are skipped by name.)
 */
async function ensureIndexes<T extends Document>(col: Collection<T>, specs: IndexDescription[]): Promise<void> {
  const existing = new Set<string>();
  try {
    for (const ix of await col.listIndexes().toArray()) existing.add(ix.name as string);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 26) throw err; // 26: namespace does not exist yet
  }
  for (const spec of specs) {
    if (!existing.has(spec.name as string)) await col.createIndexes([spec]);
  }
}

function signature(docs: { vkey: string }[] | undefined): string {
  return (docs ?? [])
    .map((d) => d.vkey)
    .sort()
    .join(',');
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

function toApiRoot(d: Document): ApiRootRecord {
  return {
    path: d._id as string,
    title: d.title as string,
    ...(d.description != null ? { description: d.description as string } : {}),
    maxContentLength: d.max_content_length as number,
  };
}

function toCollection(d: Document): CollectionRecord {
  return {
    id: d._id as string,
    apiRoot: d.api_root as string,
    title: d.title as string,
    ...(d.description != null ? { description: d.description as string } : {}),
    ...(d.alias != null ? { alias: d.alias as string } : {}),
    mediaTypes: d.media_types as string[],
  };
}
