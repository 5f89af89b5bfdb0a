import { STIX_21_MEDIA_TYPE } from '../../stix/versions.js';
import {
  aliasTaken,
  collectionIdTaken,
  type ApiRootRecord,
  type CatalogStore,
  type CollectionPolicy,
  type CollectionRecord,
  type NewCollection,
} from '../catalog.js';
import type { Source } from '../identity.js';
import type { Row, SqliteDb } from './database.js';
import { accessWrite } from './meta.js';

const UPSERT = `INSERT INTO collections (id, api_root, title, description, alias, owner, media_types, source, retired, releasability, policy)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
  ON CONFLICT (id) DO UPDATE SET api_root = excluded.api_root, title = excluded.title,
    description = excluded.description, alias = excluded.alias, owner = excluded.owner,
    source = excluded.source, retired = 0, releasability = excluded.releasability, policy = excluded.policy`;

export class SqliteCatalog implements CatalogStore {
  constructor(private readonly s: SqliteDb) {}

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    accessWrite(this.s, () =>
      this.s
        .stmt(
          `INSERT INTO api_roots (path, title, description, max_content_length, source, retired) VALUES (?, ?, ?, ?, ?, 0)
           ON CONFLICT (path) DO UPDATE SET title = excluded.title, description = excluded.description,
             max_content_length = excluded.max_content_length, source = excluded.source, retired = 0`,
        )
        .run(root.path, root.title, root.description ?? null, root.maxContentLength, root.source),
    );
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM api_roots WHERE path = ? AND retired = 0').get(path) as Row | undefined;
    return row ? toApiRoot(row) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (this.s.stmt('SELECT * FROM api_roots WHERE retired = 0 ORDER BY path').all() as Row[]).map(toApiRoot);
  }

  async retireApiRoot(path: string): Promise<void> {
    accessWrite(this.s, () => this.s.stmt('UPDATE api_roots SET retired = 1 WHERE path = ?').run(path));
  }

  async putCollection(c: NewCollection): Promise<void> {
    accessWrite(this.s, () => this.writeCollection(c, UPSERT));
  }

  async createCollection(c: NewCollection): Promise<void> {
    // The update branch runs only over a retired row: a live one with that id changes nothing.
    // Thrown inside the transaction: a refused creation leaves the generation as it was.
    accessWrite(this.s, () => {
      if (this.writeCollection(c, `${UPSERT} WHERE collections.retired = 1`) === 0) throw collectionIdTaken(c.id);
    });
  }

  /** The number of rows written; the unique alias index answers a taken alias (also under a race). */
  private writeCollection(c: NewCollection, sql: string): number {
    try {
      return this.s
        .stmt(sql)
        .run(
          c.id,
          c.apiRoot,
          c.title,
          c.description ?? null,
          c.alias ?? null,
          c.owner ?? null,
          JSON.stringify(c.mediaTypes ?? [STIX_21_MEDIA_TYPE]),
          c.source,
          c.releasability === true ? 1 : 0,
          c.policy !== undefined ? JSON.stringify(c.policy) : null,
        ).changes;
    } catch (err) {
      if (c.alias !== undefined && isAliasViolation(err)) throw aliasTaken(c.apiRoot, c.alias);
      throw err;
    }
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    // By id first: an alias equal to another collection's id (refused today, possible in older
    // data) must never shadow that collection.
    const row = (this.s
      .stmt('SELECT * FROM collections WHERE id = ? AND api_root = ? AND retired = 0')
      .get(idOrAlias, apiRoot) ??
      this.s
        .stmt('SELECT * FROM collections WHERE api_root = ? AND alias = ? AND retired = 0')
        .get(apiRoot, idOrAlias)) as Row | undefined;
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
    accessWrite(this.s, () => this.s.stmt('UPDATE collections SET retired = 1, alias = NULL WHERE id = ?').run(id));
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

/** A unique violation of ix_collections_alias (SQLite names the columns of the index). */
function isAliasViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    typeof e.message === 'string' &&
    e.message.includes('collections.api_root, collections.alias')
  );
}
