import { STIX_21_MEDIA_TYPE } from '../../stix/versions.js';
import type { ApiRootRecord, CatalogStore, CollectionPolicy, CollectionRecord, NewCollection } from '../catalog.js';
import type { Source } from '../identity.js';
import type { Row, SqliteDb } from './database.js';

export class SqliteCatalog implements CatalogStore {
  constructor(private readonly s: SqliteDb) {}

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO api_roots (path, title, description, max_content_length, source, retired) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT (path) DO UPDATE SET title = excluded.title, description = excluded.description,
           max_content_length = excluded.max_content_length, source = excluded.source, retired = 0`,
      )
      .run(root.path, root.title, root.description ?? null, root.maxContentLength, root.source);
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM api_roots WHERE path = ? AND retired = 0').get(path) as Row | undefined;
    return row ? toApiRoot(row) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (this.s.stmt('SELECT * FROM api_roots WHERE retired = 0 ORDER BY path').all() as Row[]).map(toApiRoot);
  }

  async retireApiRoot(path: string): Promise<void> {
    this.s.stmt('UPDATE api_roots SET retired = 1 WHERE path = ?').run(path);
  }

  async putCollection(c: NewCollection): Promise<void> {
    const mediaTypes = JSON.stringify(c.mediaTypes ?? [STIX_21_MEDIA_TYPE]);
    this.s
      .stmt(
        `INSERT INTO collections (id, api_root, title, description, alias, owner, media_types, source, retired, releasability, policy)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (id) DO UPDATE SET api_root = excluded.api_root, title = excluded.title,
           description = excluded.description, alias = excluded.alias, owner = excluded.owner,
           source = excluded.source, retired = 0, releasability = excluded.releasability, policy = excluded.policy`,
      )
      .run(
        c.id,
        c.apiRoot,
        c.title,
        c.description ?? null,
        c.alias ?? null,
        c.owner ?? null,
        mediaTypes,
        c.source,
        c.releasability === true ? 1 : 0,
        c.policy !== undefined ? JSON.stringify(c.policy) : null,
      );
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    const row = this.s
      .stmt('SELECT * FROM collections WHERE api_root = ? AND (id = ? OR alias = ?) AND retired = 0')
      .get(apiRoot, idOrAlias, idOrAlias) as Row | undefined;
    return row ? toCollection(row) : undefined;
  }

  async listCollections(apiRoot: string): Promise<CollectionRecord[]> {
    return (
      this.s.stmt('SELECT * FROM collections WHERE api_root = ? AND retired = 0 ORDER BY id').all(apiRoot) as Row[]
    ).map(toCollection);
  }

  async listAllCollections(): Promise<CollectionRecord[]> {
    return (this.s.stmt('SELECT * FROM collections WHERE retired = 0 ORDER BY api_root, id').all() as Row[]).map(
      toCollection,
    );
  }

  async retireCollection(id: string): Promise<void> {
    this.s.stmt('UPDATE collections SET retired = 1, alias = NULL WHERE id = ?').run(id);
  }
}

function toApiRoot(r: Row): ApiRootRecord {
  return {
    path: r.path as string,
    title: r.title as string,
    ...(r.description !== null ? { description: r.description as string } : {}),
    maxContentLength: r.max_content_length as number,
    source: r.source as Source,
  };
}

function toCollection(r: Row): CollectionRecord {
  return {
    id: r.id as string,
    apiRoot: r.api_root as string,
    title: r.title as string,
    ...(r.description !== null ? { description: r.description as string } : {}),
    ...(r.alias !== null ? { alias: r.alias as string } : {}),
    ...(r.owner !== null ? { owner: r.owner as string } : {}),
    mediaTypes: JSON.parse(r.media_types as string) as string[],
    source: r.source as Source,
    ...(r.releasability === 1 ? { releasability: true } : {}),
    ...(r.policy !== null ? { policy: JSON.parse(r.policy as string) as CollectionPolicy } : {}),
  };
}
