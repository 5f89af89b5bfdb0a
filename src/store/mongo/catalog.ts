import { STIX_21_MEDIA_TYPE } from '../../stix/versions.js';
import type { ApiRootRecord, CatalogStore, CollectionRecord, NewCollection } from '../catalog.js';
import type { ApiRootDoc, CollectionDoc, MongoCollections } from './documents.js';

export class MongoCatalog implements CatalogStore {
  constructor(private readonly c: MongoCollections) {}

  async putApiRoot(root: ApiRootRecord): Promise<void> {
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
    await this.c.apiRoots.updateOne({ _id: path }, { $set: { retired: true } });
  }

  async putCollection(col: NewCollection): Promise<void> {
    await this.c.collections.updateOne(
      { _id: col.id },
      {
        $set: {
          api_root: col.apiRoot,
          title: col.title,
          description: col.description ?? null,
          alias: col.alias ?? null,
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
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    const d = await this.c.collections.findOne({
      api_root: apiRoot,
      retired: false,
      $or: [{ _id: idOrAlias }, { alias: idOrAlias }],
    });
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
    await this.c.collections.updateOne({ _id: id }, { $set: { retired: true, alias: null } });
  }
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
