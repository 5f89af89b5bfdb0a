import { STIX_21_MEDIA_TYPE } from '../../stix/versions.js';
import type { ApiRootRecord, CatalogStore, CollectionRecord, NewCollection } from '../catalog.js';
import type { Row, SqliteDb } from './database.js';

export class SqliteCatalog implements CatalogStore {
  constructor(private readonly s: SqliteDb) {}

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO api_roots (path, title, description, max_content_length) VALUES (?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET title = excluded.title, description = excluded.description,
           max_content_length = excluded.max_content_length`,
      )
      .run(root.path, root.title, root.description ?? null, root.maxContentLength);
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM api_roots WHERE path = ?').get(path) as Row | undefined;
    return row ? toApiRoot(row) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (this.s.stmt('SELECT * FROM api_roots ORDER BY path').all() as Row[]).map(toApiRoot);
  }

  async putCollection(c: NewCollection): Promise<void> {
    const mediaTypes = JSON.stringify(c.mediaTypes ?? [STIX_21_MEDIA_TYPE]);
    this.s
      .stmt(
        `INSERT INTO collections (id, api_root, title, description, alias, media_types) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET api_root = excluded.api_root, title = excluded.title,
           description = excluded.description, alias = excluded.alias`,
      )
      .run(c.id, c.apiRoot, c.title, c.description ?? null, c.alias ?? null, mediaTypes);
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    const row = this.s
      .stmt('SELECT * FROM collections WHERE api_root = ? AND (id = ? OR alias = ?)')
      .get(apiRoot, idOrAlias, idOrAlias) as Row | undefined;
    return row ? toCollection(row) : undefined;
  }

  async listCollections(apiRoot: string): Promise<CollectionRecord[]> {
    return (this.s.stmt('SELECT * FROM collections WHERE api_root = ? ORDER BY id').all(apiRoot) as Row[]).map(
      toCollection,
    );
  }
}

function toApiRoot(r: Row): ApiRootRecord {
  return {
    path: r.path as string,
    title: r.title as string,
    ...(r.description !== null ? { description: r.description as string } : {}),
    maxContentLength: r.max_content_length as number,
  };
}

function toCollection(r: Row): CollectionRecord {
  return {
    id: r.id as string,
    apiRoot: r.api_root as string,
    title: r.title as string,
    ...(r.description !== null ? { description: r.description as string } : {}),
    ...(r.alias !== null ? { alias: r.alias as string } : {}),
    mediaTypes: JSON.parse(r.media_types as string) as string[],
  };
}
