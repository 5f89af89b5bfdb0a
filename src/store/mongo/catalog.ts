import { STIX_21_MEDIA_TYPE } from '../../stix/versions.js';
import {
  aliasTaken,
  collectionIdTaken,
  type ApiRootRecord,
  type CatalogStore,
  type CollectionRecord,
  type NewCollection,
} from '../catalog.js';
import { isDuplicateKey, type ApiRootDoc, type CollectionDoc, type MongoCollections } from './documents.js';
import { accessWrite } from './meta.js';

/**
 * Every collection document also has `alias_key`, which keeps aliases unique: migration 5 adds it
 * and its unique index `alias_key`. It is `api_root/alias` while the collection is live and has an
 * alias, else `#id`, so every document has a key of its own: a unique index counts missing or null
 * values as equal, and FerretDB 1.x has no partial or sparse unique indexes to leave them out.
 * Neither an API root path nor an alias contains `/` or starts with `#`, so the two forms never meet.
 */
export function aliasKey(apiRoot: string, alias: string | null | undefined, id: string, retired: boolean): string {
  return alias != null && !retired ? `${apiRoot}/${alias}` : `#${id}`;
}

export class MongoCatalog implements CatalogStore {
  constructor(private readonly c: MongoCollections) {}

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    return accessWrite(this.c, () => this.putApiRootNow(root));
  }

  private async putApiRootNow(root: ApiRootRecord): Promise<void> {
    await this.c.apiRoots.replaceOne(
      { _id: root.path },
      {
        title: root.title,
        description: root.description ?? null,
        max_content_length: root.maxContentLength,
        source: root.source,
        retired: false,
      },
      { upsert: true },
    );
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const d = await this.c.apiRoots.findOne({ _id: path, retired: false });
    return d ? toApiRoot(d) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (await this.c.apiRoots.find({ retired: false }).sort({ _id: 1 }).toArray()).map(toApiRoot);
  }

  async retireApiRoot(path: string): Promise<void> {
    return accessWrite(this.c, () => this.retireApiRootNow(path));
  }

  private async retireApiRootNow(path: string): Promise<void> {
    await this.c.apiRoots.updateOne({ _id: path }, { $set: { retired: true } });
  }

  async putCollection(col: NewCollection): Promise<void> {
    return accessWrite(this.c, () => this.putCollectionNow(col));
  }

  private async putCollectionNow(col: NewCollection): Promise<void> {
    await this.writeCollection(col, false);
  }

  async createCollection(col: NewCollection): Promise<void> {
    return accessWrite(this.c, () => this.createCollectionNow(col));
  }

  private async createCollectionNow(col: NewCollection): Promise<void> {
    await this.writeCollection(col, true);
  }

  /**
   * One upsert: the unique index on alias_key refuses a taken alias. A creation matches a retired
   * document only, so over a live one its upsert inserts a second `_id` and fails on the primary key.
   */
  private async writeCollection(col: NewCollection, create: boolean): Promise<void> {
    try {
      await this.c.collections.updateOne(
        create ? { _id: col.id, retired: true } : { _id: col.id },
        {
          $set: {
            api_root: col.apiRoot,
            title: col.title,
            description: col.description ?? null,
            alias: col.alias ?? null,
            alias_key: aliasKey(col.apiRoot, col.alias, col.id, false),
            owner: col.owner ?? null,
            source: col.source,
            retired: false,
            releasability: col.releasability === true,
            policy: col.policy ?? null,
          },
          $setOnInsert: { media_types: col.mediaTypes ?? [STIX_21_MEDIA_TYPE] },
        },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicateKey(err) && !isFerretUpdateViolation(err)) throw err;
      throw (await this.duplicateOf(err, col, create)) ?? err;
    }
  }

  /**
   * Which key a duplicate-key error is about. MongoDB names the key pattern; FerretDB does not, so
   * there a creation asks whether a live collection has the id, and otherwise the alias is it
   * (the only other unique key a collection write can break).
   */
  private async duplicateOf(err: unknown, col: NewCollection, create: boolean): Promise<Error | undefined> {
    const pattern = (err as { keyPattern?: Record<string, unknown> }).keyPattern;
    const onAlias = pattern !== undefined ? 'alias_key' in pattern : isFerretUpdateViolation(err) || undefined;
    if (create && onAlias !== true) {
      const idTaken =
        onAlias === false || (await this.c.collections.countDocuments({ _id: col.id, retired: false })) > 0;
      if (idTaken) return collectionIdTaken(col.id);
    }
    if (col.alias !== undefined && onAlias !== false) return aliasTaken(col.apiRoot, col.alias);
    return undefined;
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    // By id first: an alias equal to another collection's id (refused today, possible in older
    // data) must never shadow that collection.
    const d =
      (await this.c.collections.findOne({ _id: idOrAlias, api_root: apiRoot, retired: false })) ??
      (await this.c.collections.findOne({ api_root: apiRoot, alias: idOrAlias, retired: false }));
    return d ? toCollection(d) : undefined;
  }

  async listCollections(apiRoot: string): Promise<CollectionRecord[]> {
    return (await this.c.collections.find({ api_root: apiRoot, retired: false }).sort({ _id: 1 }).toArray()).map(
      toCollection,
    );
  }

  async listAllCollections(): Promise<CollectionRecord[]> {
    return (await this.c.collections.find({ retired: false }).sort({ api_root: 1, _id: 1 }).toArray()).map(
      toCollection,
    );
  }

  async retireCollection(id: string): Promise<void> {
    return accessWrite(this.c, () => this.retireCollectionNow(id));
  }

  private async retireCollectionNow(id: string): Promise<void> {
    await this.c.collections.updateOne(
      { _id: id },
      { $set: { retired: true, alias: null, alias_key: aliasKey('', null, id, true) } },
    );
  }
}

/**
 * FerretDB 1.x answers an update (not an insert) that breaks a unique index with an internal
 * error naming the index (`…_alias_key`) rather than with code 11000. The only unique index an
 * update of an existing collection document can break is alias_key.
 */
function isFerretUpdateViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === 1 && typeof e.message === 'string' && /UNIQUE constraint failed: index '\w*alias_key'/.test(e.message)
  );
}

function toApiRoot(d: ApiRootDoc): ApiRootRecord {
  return {
    path: d._id,
    title: d.title,
    ...(d.description != null ? { description: d.description } : {}),
    maxContentLength: d.max_content_length,
    source: d.source,
  };
}

function toCollection(d: CollectionDoc): CollectionRecord {
  return {
    id: d._id,
    apiRoot: d.api_root,
    title: d.title,
    ...(d.description != null ? { description: d.description } : {}),
    ...(d.alias != null ? { alias: d.alias } : {}),
    ...(d.owner != null ? { owner: d.owner } : {}),
    mediaTypes: d.media_types,
    source: d.source,
    ...(d.releasability === true ? { releasability: true } : {}),
    ...(d.policy != null ? { policy: d.policy } : {}),
  };
}
