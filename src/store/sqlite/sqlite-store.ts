// Embedded store on better-sqlite3 (WAL). Layout and indexes: src/store/README.md.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_roots (
  path TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT, max_content_length INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
  ckey INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, api_root TEXT NOT NULL, title TEXT NOT NULL,
  description TEXT, alias TEXT, media_types TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_collections_alias ON collections (api_root, alias) WHERE alias IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_collections_root ON collections (api_root, id);
CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, admin INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
  collection_id TEXT NOT NULL, username TEXT NOT NULL, can_read INTEGER NOT NULL, can_write INTEGER NOT NULL,
  PRIMARY KEY (collection_id, username));
CREATE INDEX IF NOT EXISTS ix_grants_user ON grants (username);
CREATE TABLE IF NOT EXISTS objects (
  seq INTEGER PRIMARY KEY,
  ckey INTEGER NOT NULL,
  id TEXT NOT NULL,
  vkey TEXT NOT NULL,
  version TEXT NOT NULL,
  date_added INTEGER NOT NULL,
  type TEXT NOT NULL,
  spec_version TEXT NOT NULL,
  is_first INTEGER NOT NULL,
  is_last INTEGER NOT NULL,
  json BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_objects_added ON objects (ckey, date_added);
CREATE UNIQUE INDEX IF NOT EXISTS ix_objects_version ON objects (ckey, id, vkey);
CREATE INDEX IF NOT EXISTS ix_objects_last ON objects (ckey, date_added) WHERE is_last = 1;
CREATE INDEX IF NOT EXISTS ix_objects_type ON objects (ckey, type, date_added);
CREATE TABLE IF NOT EXISTS statuses (
  id TEXT PRIMARY KEY, api_root TEXT NOT NULL, collection_id TEXT NOT NULL, owner TEXT NOT NULL,
  status TEXT NOT NULL, request_ts INTEGER NOT NULL, total INTEGER NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_statuses_ts ON statuses (request_ts);
`;

type Row = Record<string, unknown>;
type ObjectRow = [id: string, version: string, dateAdded: number, specVersion: string, json: Buffer];

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly ckeys = new Map<string, number>();
  private readonly lastAdded = new Map<number, number>();

  private constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Fewer checkpoints during bulk ingest (LIMITS.md §4: the version index dirties one page per row).
    this.db.pragma('wal_autocheckpoint = 10000');
    this.db.pragma('busy_timeout = 5000');
  }

  static open(file: string): SqliteStore {
    return new SqliteStore(file);
  }

  async migrate(): Promise<void> {
    this.db.exec(SCHEMA);
  }

  async close(): Promise<void> {
    if (this.db.open) {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row?.value as string | undefined;
  }

  async initMeta(key: string, value: string): Promise<string> {
    this.stmt('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return (await this.getMeta(key)) as string;
  }

  async putApiRoot(root: ApiRootRecord): Promise<void> {
    this.stmt(
      `INSERT INTO api_roots (path, title, description, max_content_length) VALUES (?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET title = excluded.title, description = excluded.description,
         max_content_length = excluded.max_content_length`,
    ).run(root.path, root.title, root.description ?? null, root.maxContentLength);
  }

  async getApiRoot(path: string): Promise<ApiRootRecord | undefined> {
    const row = this.stmt('SELECT * FROM api_roots WHERE path = ?').get(path) as Row | undefined;
    return row ? toApiRoot(row) : undefined;
  }

  async listApiRoots(): Promise<ApiRootRecord[]> {
    return (this.stmt('SELECT * FROM api_roots ORDER BY path').all() as Row[]).map(toApiRoot);
  }

  async putCollection(c: Omit<CollectionRecord, 'mediaTypes'> & { mediaTypes?: string[] }): Promise<void> {
    const mediaTypes = JSON.stringify(c.mediaTypes ?? ['application/stix+json;version=2.1']);
    this.stmt(
      `INSERT INTO collections (id, api_root, title, description, alias, media_types) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET api_root = excluded.api_root, title = excluded.title,
         description = excluded.description, alias = excluded.alias`,
    ).run(c.id, c.apiRoot, c.title, c.description ?? null, c.alias ?? null, mediaTypes);
  }

  async getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined> {
    const row = this.stmt('SELECT * FROM collections WHERE api_root = ? AND (id = ? OR alias = ?)').get(
      apiRoot,
      idOrAlias,
      idOrAlias,
    ) as Row | undefined;
    return row ? toCollection(row) : undefined;
  }

  async listCollections(apiRoot: string): Promise<CollectionRecord[]> {
    return (this.stmt('SELECT * FROM collections WHERE api_root = ? ORDER BY id').all(apiRoot) as Row[]).map(
      toCollection,
    );
  }

  async setGrants(collectionId: string, grants: readonly Omit<GrantRecord, 'collectionId'>[]): Promise<void> {
    const del = this.stmt('DELETE FROM grants WHERE collection_id = ?');
    const ins = this.stmt('INSERT INTO grants (collection_id, username, can_read, can_write) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      del.run(collectionId);
      for (const g of grants) ins.run(collectionId, g.username, g.read ? 1 : 0, g.write ? 1 : 0);
    })();
  }

  async grantsOf(username: string): Promise<GrantRecord[]> {
    return (this.stmt('SELECT * FROM grants WHERE username = ?').all(username) as Row[]).map((r) => ({
      collectionId: r.collection_id as string,
      username: r.username as string,
      read: r.can_read === 1,
      write: r.can_write === 1,
    }));
  }

  async putUser(user: UserRecord): Promise<void> {
    this.stmt(
      `INSERT INTO users (username, password_hash, admin) VALUES (?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, admin = excluded.admin`,
    ).run(user.username, user.passwordHash, user.admin ? 1 : 0);
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = this.stmt('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row
      ? { username: row.username as string, passwordHash: row.password_hash as string, admin: row.admin === 1 }
      : undefined;
  }

  async countAdmins(): Promise<number> {
    return (this.stmt('SELECT count(*) AS n FROM users WHERE admin = 1').get() as Row).n as number;
  }

  private ckey(collectionId: string): number | undefined {
    let key = this.ckeys.get(collectionId);
    if (key === undefined) {
      const row = this.stmt('SELECT ckey FROM collections WHERE id = ?').get(collectionId) as Row | undefined;
      if (!row) return undefined;
      key = row.ckey as number;
      this.ckeys.set(collectionId, key);
    }
    return key;
  }

  /** Strictly increasing per collection, even when the wall clock stalls or steps back. */
  private nextDateAdded(ckey: number, nowMicros: number): number {
    let last = this.lastAdded.get(ckey);
    if (last === undefined) {
      const row = this.stmt('SELECT max(date_added) AS m FROM objects WHERE ckey = ?').get(ckey) as Row;
      last = (row.m as number | null) ?? 0;
    }
    const next = Math.max(nowMicros, last + 1);
    this.lastAdded.set(ckey, next);
    return next;
  }

  async addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) throw new Error(`unknown collection ${collectionId}`);
    const existing = this.stmt('SELECT vkey, version, is_first, is_last FROM objects WHERE ckey = ? AND id = ?');
    const jsonOf = this.stmt('SELECT json FROM objects WHERE ckey = ? AND id = ? AND vkey = ?').pluck();
    const clearFirst = this.stmt('UPDATE objects SET is_first = 0 WHERE ckey = ? AND id = ? AND is_first = 1');
    const clearLast = this.stmt('UPDATE objects SET is_last = 0 WHERE ckey = ? AND id = ? AND is_last = 1');
    const insert = this.stmt(
      `INSERT INTO objects (ckey, id, vkey, version, date_added, type, spec_version, is_first, is_last, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const run = this.db.transaction((): AddOutcome[] => {
      const out: AddOutcome[] = [];
      for (const v of versions) {
        const rows = existing.all(ckey, v.id) as Row[];
        const bytes = Buffer.from(v.json);
        if (v.versionKey === undefined) {
          // No created/modified (T-87): the first stored copy is the only version.
          const first = rows[0];
          if (first) {
            const same = bytes.equals(jsonOf.get(ckey, v.id, first.vkey) as Buffer);
            out.push({ id: v.id, version: first.version as string, outcome: same ? 'duplicate' : 'conflict' });
            continue;
          }
        } else {
          const match = rows.find((r) => r.vkey === v.versionKey);
          if (match) {
            const same = bytes.equals(jsonOf.get(ckey, v.id, v.versionKey) as Buffer);
            out.push({ id: v.id, version: v.version as string, outcome: same ? 'duplicate' : 'conflict' });
            continue;
          }
        }
        const dateAdded = this.nextDateAdded(ckey, nowMicros);
        const version = v.version ?? formatMicros(dateAdded);
        const vkey = v.versionKey ?? (versionKey(version) as string);
        let isFirst = true;
        let isLast = true;
        for (const r of rows) {
          if ((r.vkey as string) < vkey) isFirst = false;
          if ((r.vkey as string) > vkey) isLast = false;
        }
        if (rows.length > 0 && isFirst) clearFirst.run(ckey, v.id);
        if (rows.length > 0 && isLast) clearLast.run(ckey, v.id);
        insert.run(ckey, v.id, vkey, version, dateAdded, v.type, v.specVersion, isFirst ? 1 : 0, isLast ? 1 : 0, bytes);
        out.push({ id: v.id, version, outcome: 'added' });
      }
      return out;
    });
    try {
      return run();
    } catch (err) {
      this.lastAdded.delete(ckey);
      throw err;
    }
  }

  private where(ckey: number, q: ObjectQuery, after: number | undefined): { sql: string; params: unknown[] } {
    const parts = ['ckey = ?'];
    const params: unknown[] = [ckey];
    const lower = Math.max(q.addedAfter ?? -1, after ?? -1);
    if (lower >= 0) {
      parts.push('date_added > ?');
      params.push(lower);
    }
    if (q.objectId !== undefined) {
      parts.push('id = ?');
      params.push(q.objectId);
    }
    if (q.ids) {
      parts.push(`id IN (${q.ids.map(() => '?').join(',')})`);
      params.push(...q.ids);
    }
    if (q.types) {
      parts.push(`type IN (${q.types.map(() => '?').join(',')})`);
      params.push(...q.types);
    }
    // The store only holds STIX 2.1 (the validator rejects other spec versions), so the default
    // "newest spec version per object" (T-90) needs no clause; an explicit list is a plain filter.
    if (q.specVersions) {
      parts.push(`spec_version IN (${q.specVersions.map(() => '?').join(',')})`);
      params.push(...q.specVersions);
    }
    const v = q.versions;
    if (!v.all) {
      const ors: string[] = [];
      if (v.last) ors.push('is_last = 1');
      if (v.first) ors.push('is_first = 1');
      if (v.exact.length > 0) {
        ors.push(`vkey IN (${v.exact.map(() => '?').join(',')})`);
        params.push(...v.exact);
      }
      parts.push(ors.length === 1 ? (ors[0] as string) : `(${ors.join(' OR ')})`);
    }
    return { sql: parts.join(' AND '), params };
  }

  async queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return { items: [], more: false };
    const { sql, params } = this.where(ckey, query, page.after);
    const rows = this.stmt(
      // json is stored as its UTF-8 bytes: no decode here, no re-encode when the envelope is sent.
      `SELECT id, version, date_added, spec_version, json FROM objects WHERE ${sql} ORDER BY date_added LIMIT ?`,
    )
      .raw()
      .all(...params, page.limit + 1) as ObjectRow[];
    const more = rows.length > page.limit;
    if (more) rows.pop();
    return {
      more,
      items: rows.map(([id, version, dateAdded, specVersion, json]) => ({
        id,
        version,
        dateAdded,
        specVersion,
        mediaType: `application/stix+json;version=${specVersion}`,
        json,
      })),
    };
  }

  async objectExists(collectionId: string, id: string): Promise<boolean> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return false;
    return this.stmt('SELECT 1 FROM objects WHERE ckey = ? AND id = ? LIMIT 1').get(ckey, id) !== undefined;
  }

  async deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return 0;
    const { sql, params } = this.where(ckey, query, undefined);
    const run = this.db.transaction((): number => {
      const removed = this.stmt(`DELETE FROM objects WHERE ${sql}`).run(...params).changes;
      if (removed > 0) {
        this.stmt(
          `UPDATE objects SET
             is_first = (vkey = (SELECT min(vkey) FROM objects o WHERE o.ckey = objects.ckey AND o.id = objects.id)),
             is_last = (vkey = (SELECT max(vkey) FROM objects o WHERE o.ckey = objects.ckey AND o.id = objects.id))
           WHERE ckey = ? AND id = ?`,
        ).run(ckey, query.objectId);
      }
      return removed;
    });
    return run();
  }

  async putStatus(s: StatusRecord): Promise<void> {
    this.stmt(
      `INSERT INTO statuses (id, api_root, collection_id, owner, status, request_ts, total, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, details = excluded.details`,
    ).run(
      s.id,
      s.apiRoot,
      s.collectionId,
      s.owner,
      s.status,
      s.requestTimestamp,
      s.totalCount,
      JSON.stringify({ successes: s.successes, failures: s.failures, pendings: s.pendings }),
    );
  }

  async getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined> {
    const row = this.stmt('SELECT * FROM statuses WHERE id = ? AND api_root = ?').get(id, apiRoot) as Row | undefined;
    if (!row) return undefined;
    const details = JSON.parse(row.details as string) as Pick<StatusRecord, 'successes' | 'failures' | 'pendings'>;
    return {
      id: row.id as string,
      apiRoot: row.api_root as string,
      collectionId: row.collection_id as string,
      owner: row.owner as string,
      status: row.status as StatusRecord['status'],
      requestTimestamp: row.request_ts as number,
      totalCount: row.total as number,
      ...details,
    };
  }

  async purgeStatuses(requestedBeforeMicros: number): Promise<number> {
    return this.stmt("DELETE FROM statuses WHERE status = 'complete' AND request_ts < ?").run(requestedBeforeMicros)
      .changes;
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
