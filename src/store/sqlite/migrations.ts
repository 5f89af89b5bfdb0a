// Numbered, forward-only schema migrations. The applied ones are rows of schema_migrations; each
// runs in its own IMMEDIATE transaction together with its row, so a crash leaves the database at
// the previous version and two processes opening one file cannot apply a step twice.
import type Database from 'better-sqlite3';
import { StoreVersionError } from '../../errors.js';
import type { MigrationLog, MigrationReport } from '../store.js';
import { versionKey } from '../../stix/timestamps.js';
import { createIntelIndex, INTEL_PENDING_SCHEMA, rebuildFullText } from './intel.js';
import { INGEST_QUEUE_SCHEMA, packQueuedItems } from './jobs-schema.js';

export interface SqliteMigration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/**
 * Migration 1 is the schema of release 0.1, which created its tables with IF NOT EXISTS and kept
 * no version: on a database written by that release it changes nothing and records version 1.
 */
const RELEASE_0_1_SCHEMA = `
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

/**
 * Migration 2: tenants and groups; users with a kind, a role, a tenant, certificates and tokens;
 * grants to a user, a tenant or a group; owners, sources and retirement for API roots and
 * collections; the tenant of a status. Release 0.1 admins become platform admins; its first-start
 * `admin` and demo API root are marked as written by the first start, everything else by the file.
 */
const TENANCY = `
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL);
CREATE TABLE tenant_groups (id TEXT PRIMARY KEY, name TEXT, source TEXT NOT NULL);
CREATE TABLE group_members (group_id TEXT NOT NULL, tenant_id TEXT NOT NULL, PRIMARY KEY (group_id, tenant_id));
CREATE INDEX ix_group_members_tenant ON group_members (tenant_id, group_id);

CREATE TABLE users_v2 (
  username TEXT PRIMARY KEY, kind TEXT NOT NULL, password_hash TEXT, role TEXT NOT NULL, tenant TEXT,
  source TEXT NOT NULL);
INSERT INTO users_v2 (username, kind, password_hash, role, tenant, source)
  SELECT username, 'user', password_hash, CASE WHEN admin = 1 THEN 'platform-admin' ELSE 'member' END, NULL,
         CASE WHEN admin = 1 AND username = 'admin' THEN 'bootstrap' ELSE 'config' END
  FROM users;
DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;
CREATE INDEX ix_users_role ON users (role);
CREATE TABLE user_certificates (certificate TEXT PRIMARY KEY, username TEXT NOT NULL);
CREATE INDEX ix_user_certificates_user ON user_certificates (username);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY, username TEXT NOT NULL, secret_hash TEXT NOT NULL, label TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER);
CREATE INDEX ix_tokens_user ON tokens (username);

CREATE TABLE collection_grants (
  collection_id TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL,
  can_read INTEGER NOT NULL, can_write INTEGER NOT NULL, source TEXT NOT NULL,
  PRIMARY KEY (collection_id, subject_kind, subject_id));
CREATE INDEX ix_collection_grants_subject ON collection_grants (subject_kind, subject_id);
INSERT INTO collection_grants (collection_id, subject_kind, subject_id, can_read, can_write, source)
  SELECT collection_id, 'user', username, can_read, can_write, 'config' FROM grants;
DROP TABLE grants;

ALTER TABLE api_roots ADD COLUMN source TEXT NOT NULL DEFAULT 'config';
ALTER TABLE api_roots ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE collections ADD COLUMN owner TEXT;
ALTER TABLE collections ADD COLUMN source TEXT NOT NULL DEFAULT 'config';
ALTER TABLE collections ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
UPDATE api_roots SET source = 'bootstrap' WHERE path = 'demo';
UPDATE collections SET source = 'bootstrap' WHERE id = '365fed99-08fa-4d3c-a8ee-0e3ac5de8d6c';
ALTER TABLE statuses ADD COLUMN tenant TEXT;
`;

/** Migration 3: the audit log, paged by id and filtered by actor, tenant, collection or action. */
const AUDIT = `
CREATE TABLE audit (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, request_id TEXT,
  actor TEXT, tenant TEXT, address TEXT, api_root TEXT, collection_id TEXT, target TEXT, detail TEXT);
CREATE INDEX ix_audit_at ON audit (at, id);
CREATE INDEX ix_audit_actor ON audit (actor, id);
CREATE INDEX ix_audit_tenant ON audit (tenant, id);
CREATE INDEX ix_audit_collection ON audit (collection_id, id);
CREATE INDEX ix_audit_action ON audit (action, id);
`;

/**
 * Migration 4: releasability and write policies. The object-level markings of every stored
 * version (backfilled from the stored JSON), the tenants and groups bound to a marking, the STIX
 * identities of a tenant, and a collection's releasability switch and write policy.
 */
const RELEASABILITY = `
CREATE TABLE object_markings (seq INTEGER NOT NULL, marking_id TEXT NOT NULL, PRIMARY KEY (seq, marking_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO object_markings (seq, marking_id)
  SELECT o.seq, j.value FROM objects o, json_each(CAST(o.json AS TEXT), '$.object_marking_refs') j
  WHERE json_type(CAST(o.json AS TEXT), '$.object_marking_refs') = 'array' AND j.type = 'text';
CREATE TRIGGER tr_objects_markings AFTER DELETE ON objects BEGIN
  DELETE FROM object_markings WHERE seq = old.seq;
END;
CREATE TABLE marking_bindings (
  marking_id TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, source TEXT NOT NULL,
  PRIMARY KEY (marking_id, subject_kind, subject_id));
CREATE TABLE tenant_identities (identity_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);
CREATE INDEX ix_tenant_identities_tenant ON tenant_identities (tenant_id);
ALTER TABLE collections ADD COLUMN releasability INTEGER NOT NULL DEFAULT 0;
ALTER TABLE collections ADD COLUMN policy TEXT;
`;

/**
 * Migration 5: a retired collection holds no alias. Retired rows give theirs up, and the unique
 * alias index covers live rows only, so a retired collection never blocks a new one from taking
 * its alias (before, reusing it could stop the start with a unique constraint error).
 */
const FREE_RETIRED_ALIASES = `
UPDATE collections SET alias = NULL WHERE retired = 1 AND alias IS NOT NULL;
DROP INDEX IF EXISTS ix_collections_alias;
CREATE UNIQUE INDEX ix_collections_alias ON collections (api_root, alias) WHERE alias IS NOT NULL AND retired = 0;
`;

/**
 * Migration 7: version keys of versions before 1970. Earlier releases computed them with Date.UTC,
 * which reads the years 0–99 as 1900–1999, and padded negative seconds into keys that do not sort.
 * Only the key changes: first/last were decided by comparing the timestamps themselves.
 */
function rekeyEarlyVersions(db: Database.Database): void {
  const rows = db.prepare("SELECT seq, vkey, version FROM objects WHERE version < '1970'").all() as {
    seq: number;
    vkey: string;
    version: string;
  }[];
  const update = db.prepare('UPDATE objects SET vkey = ? WHERE seq = ?');
  for (const r of rows) {
    const key = versionKey(r.version);
    if (key !== undefined && key !== r.vkey) update.run(key, r.seq);
  }
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  { version: 1, name: 'release 0.1 schema', up: (db) => db.exec(RELEASE_0_1_SCHEMA) },
  { version: 2, name: 'tenants, groups, roles, tokens, subject grants', up: (db) => db.exec(TENANCY) },
  { version: 3, name: 'audit log', up: (db) => db.exec(AUDIT) },
  { version: 4, name: 'releasability and write policies', up: (db) => db.exec(RELEASABILITY) },
  { version: 5, name: 'retired collections free their aliases', up: (db) => db.exec(FREE_RETIRED_ALIASES) },
  { version: 6, name: 'ingestion queue', up: (db) => db.exec(INGEST_QUEUE_SCHEMA) },
  { version: 7, name: 'version keys of years before 1970', up: rekeyEarlyVersions },
  {
    version: 8,
    name: 'index for exact match[version] without match[id]',
    up: (db) => db.exec('CREATE INDEX ix_objects_vkey ON objects (ckey, vkey, date_added)'),
  },
  // Migration 9: the intel area (store/intel.ts, sqlite/intel.ts), backfilled from the latest versions.
  { version: 9, name: 'intel index: latest entries, full-text search, edges, change log', up: createIntelIndex },
  {
    version: 10,
    name: 'date_added high-water mark per collection, kept across deletions',
    up: (db) =>
      db.exec(`CREATE TABLE date_added_marks (ckey INTEGER PRIMARY KEY, last INTEGER NOT NULL);
               INSERT INTO date_added_marks (ckey, last) SELECT ckey, max(date_added) FROM objects GROUP BY ckey;`),
  },
  { version: 11, name: 'intel full-text table without positions or prefix indexes', up: rebuildFullText },
  {
    version: 12,
    name: 'intel index changes queued by writes, applied after them',
    up: (db) => db.exec(INTEL_PENDING_SCHEMA),
  },
  { version: 13, name: 'ingestion queue entries packed, one row per append', up: packQueuedItems },
];

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;

function currentVersion(db: Database.Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function migrateSqlite(
  db: Database.Database,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
  log?: MigrationLog,
): MigrationReport {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`SQLite migrations must be numbered 1, 2, 3…; found ${m.version} at ${i + 1}`);
  });
  db.exec(LEDGER);
  const from = currentVersion(db);
  if (from > known) throw new StoreVersionError(db.name, from, known);
  const applied: MigrationReport['applied'] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    const step = db.transaction(() => {
      // Another process may have applied it since we looked: re-check inside the lock.
      if (currentVersion(db) >= m.version) return false;
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
      return true;
    });
    if (step.immediate()) {
      applied.push({ version: m.version, name: m.name });
      log?.info({ store: 'sqlite', version: m.version, migration: m.name }, 'applied schema migration');
    }
  }
  return { from, to: Math.max(from, known), applied };
}
