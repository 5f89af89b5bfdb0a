// Versioned schema steps for MongoDB: index creation and backfills. Every step is idempotent, so
// several instances starting at once may run the same step; each records itself by inserting
// {_id: version} into schema_migrations, where a duplicate key means another instance did.
import type { AnyBulkWriteOperation, Collection, Document, IndexDescription } from 'mongodb';
import { objectMarkingRefs } from '../../stix/markings.js';
import { versionKey } from '../../stix/timestamps.js';
import { StoreVersionError } from '../../errors.js';
import type { MigrationLog, MigrationReport } from '../store.js';
import { JOB_INDEXES, JOB_ITEM_INDEXES, JOB_LEASE_INDEXES } from './jobs-indexes.js';
import { aliasKey } from './catalog.js';
import {
  backfillIntel,
  INTEL_CHANGE_INDEXES,
  INTEL_EDGE_INDEXES,
  INTEL_ENTRY_INDEXES,
  intelCollections,
} from './intel.js';
import { isDuplicateKey, type MongoCollections, type ObjectDoc } from './documents.js';

export interface MongoMigration {
  version: number;
  name: string;
  up(c: MongoCollections): Promise<void>;
}

/** Migration 1: the indexes of release 0.1, each named after the query it serves (src/store/README.md). */
async function release01Indexes(c: MongoCollections): Promise<void> {
  await ensureIndexes(c.objects, [
    { key: { c: 1, da: 1 }, name: 'c_da', unique: true },
    { key: { c: 1, last: 1, da: 1 }, name: 'c_last_da' },
    { key: { c: 1, id: 1, vkey: 1 }, name: 'c_id_vkey', unique: true },
    { key: { c: 1, type: 1, da: 1 }, name: 'c_type_da' },
  ]);
  await ensureIndexes(c.collections, [
    { key: { api_root: 1, _id: 1 }, name: 'root_id' },
    { key: { api_root: 1, alias: 1 }, name: 'root_alias' },
  ]);
  await ensureIndexes(c.grants, [
    { key: { username: 1 }, name: 'username' },
    { key: { collection_id: 1 }, name: 'collection' },
  ]);
  await ensureIndexes(c.statuses, [{ key: { request_ts: 1 }, name: 'request_ts' }]);
  await ensureIndexes(c.blocks, [
    { key: { c: 1, seq: 1 }, name: 'c_seq' },
    { key: { c: 1, done: 1, seq: 1 }, name: 'c_done_seq' },
  ]);
}

/** Release 0.1 documents, before migration 2 gave them their new fields. */
interface LegacyUser {
  _id: string;
  admin?: boolean;
  role?: string;
  kind?: string;
}
interface LegacyGrant {
  _id: string;
  collection_id: string;
  username: string;
  read: boolean;
  write: boolean;
}

/**
 * Migration 2: roles, kinds and sources on users (release 0.1 admins become platform admins, its
 * first-start `admin` is marked as such), grants keyed by subject kind, sources and retirement on
 * API roots and collections, and the indexes of the new collections. Every write is conditional
 * on the old shape, so running it twice changes nothing.
 */
async function tenancy(c: MongoCollections): Promise<void> {
  const users = c.db.collection<LegacyUser>('users');
  const legacy = { role: { $exists: false } };
  await users.updateMany(
    { ...legacy, _id: 'admin', admin: true },
    { $set: { role: 'platform-admin', source: 'bootstrap' } },
  );
  await users.updateMany({ ...legacy, admin: true }, { $set: { role: 'platform-admin', source: 'config' } });
  await users.updateMany(legacy, { $set: { role: 'member', source: 'config' } });
  await users.updateMany(
    { kind: { $exists: false } },
    { $set: { kind: 'user', tenant: null, certificates: [] }, $unset: { admin: '' } },
  );

  const oldGrants = c.db.collection<LegacyGrant>('grants');
  for (const g of await oldGrants.find({ kind: { $exists: false } }).toArray()) {
    await c.grants.replaceOne(
      { _id: `${g.collection_id}|user|${g.username}` },
      {
        collection_id: g.collection_id,
        kind: 'user',
        subject: g.username,
        read: g.read,
        write: g.write,
        source: 'config',
      },
      { upsert: true },
    );
    await oldGrants.deleteOne({ _id: g._id });
  }

  const unsourced = { source: { $exists: false } };
  await c.apiRoots.updateMany({ ...unsourced, _id: 'demo' }, { $set: { source: 'bootstrap', retired: false } });
  await c.apiRoots.updateMany(unsourced, { $set: { source: 'config', retired: false } });
  await c.collections.updateMany(
    { ...unsourced, _id: '365fed99-08fa-4d3c-a8ee-0e3ac5de8d6c' },
    { $set: { source: 'bootstrap', retired: false, owner: null } },
  );
  await c.collections.updateMany(unsourced, { $set: { source: 'config', retired: false, owner: null } });

  await ensureIndexes(c.grants, [
    { key: { kind: 1, subject: 1 }, name: 'subject' },
    { key: { collection_id: 1, source: 1 }, name: 'collection_source' },
  ]);
  await ensureIndexes(c.users, [
    { key: { role: 1 }, name: 'role' },
    { key: { certificates: 1 }, name: 'certificates' },
  ]);
  await ensureIndexes(c.tokens, [{ key: { username: 1 }, name: 'username' }]);
  await ensureIndexes(c.groups, [{ key: { tenants: 1 }, name: 'tenants' }]);
}

/** Migration 3: indexes of the audit log (filters, then the id order). */
async function audit(c: MongoCollections): Promise<void> {
  await ensureIndexes(c.audit, [
    { key: { at: 1, _id: 1 }, name: 'at' },
    { key: { actor: 1, _id: 1 }, name: 'actor' },
    { key: { tenant: 1, _id: 1 }, name: 'tenant' },
    { key: { collection_id: 1, _id: 1 }, name: 'collection' },
    { key: { action: 1, _id: 1 }, name: 'action' },
  ]);
}

/**
 * Migration 4: releasability and write policies. Every stored version gets its object-level
 * marking ids (`mk`, read from its JSON) so that reads can filter on them; tenants get their
 * identities. Documents that already have `mk` are left alone, so the step can run twice.
 */
async function releasability(c: MongoCollections): Promise<void> {
  const pending = c.objects.find({ mk: { $exists: false } }, { projection: { _id: 1, json: 1 } });
  let batch: AnyBulkWriteOperation<ObjectDoc>[] = [];
  for await (const d of pending) {
    let mk: string[] = [];
    try {
      mk = objectMarkingRefs(JSON.parse(d.json) as Record<string, unknown>);
    } catch {
      // stored JSON is always valid; an unreadable document keeps no markings
    }
    batch.push({ updateOne: { filter: { _id: d._id }, update: { $set: { mk } } } });
    if (batch.length === 1000) {
      await c.objects.bulkWrite(batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length > 0) await c.objects.bulkWrite(batch, { ordered: false });
  await ensureIndexes(c.tenants, [{ key: { identities: 1 }, name: 'identities' }]);
}

/** A collection document as migration 5 finds it: written by any earlier release. */
interface UnkeyedCollection {
  _id: string;
  api_root: string;
  alias?: string | null;
  retired?: boolean;
  source?: string;
  alias_key?: string;
}

/**
 * Migration 5: aliases kept unique by the store (see aliasKey in catalog.ts). Retired
 * collections give their aliases up; every document gets its alias key; then the unique index
 * `alias_key` is built. Earlier releases did not enforce the rule here, so two live collections of
 * one API root may share an alias: the one the configuration file declares, else the lowest id,
 * keeps it, the others lose it (a lookup by that alias could only ever reach one of them). Every
 * write depends only on the documents, so running the step twice changes nothing.
 */
async function uniqueAliases(c: MongoCollections): Promise<void> {
  const docs = c.db.collection<UnkeyedCollection>('collections');
  await docs.updateMany({ retired: true, alias: { $ne: null } }, { $set: { alias: null } });
  const all = await docs
    .find({}, { projection: { _id: 1, api_root: 1, alias: 1, retired: 1, source: 1, alias_key: 1 } })
    .toArray();
  all.sort((a, b) => Number(b.source === 'config') - Number(a.source === 'config') || (a._id < b._id ? -1 : 1));
  const held = new Set<string>();
  let batch: AnyBulkWriteOperation<UnkeyedCollection>[] = [];
  for (const d of all) {
    let key = aliasKey(d.api_root, d.alias, d._id, d.retired === true);
    const taken = !key.startsWith('#') && held.has(key);
    if (taken) key = aliasKey(d.api_root, null, d._id, false);
    held.add(key);
    if (taken) batch.push({ updateOne: { filter: { _id: d._id }, update: { $set: { alias: null, alias_key: key } } } });
    else if (d.alias_key !== key)
      batch.push({ updateOne: { filter: { _id: d._id }, update: { $set: { alias_key: key } } } });
    if (batch.length === 1000) {
      await docs.bulkWrite(batch, { ordered: false });
      batch = [];
    }
  }
  if (batch.length > 0) await docs.bulkWrite(batch, { ordered: false });
  await ensureIndexes(c.collections, [{ key: { alias_key: 1 }, name: 'alias_key', unique: true }]);
}

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  { version: 1, name: 'release 0.1 indexes', up: release01Indexes },
  { version: 2, name: 'tenants, groups, roles, tokens, subject grants', up: tenancy },
  { version: 3, name: 'audit log', up: audit },
  { version: 4, name: 'releasability and write policies', up: releasability },
  { version: 5, name: 'unique aliases; retired collections free theirs', up: uniqueAliases },
  { version: 6, name: 'ingestion queue', up: ingestQueue },
  { version: 7, name: 'version keys of years before 1970', up: rekeyEarlyVersions },
  {
    version: 8,
    name: 'index for exact match[version] without match[id]',
    up: (c) => ensureIndexes(c.objects, [{ key: { c: 1, vkey: 1, da: 1 }, name: 'c_vkey_da' }]),
  },
  { version: 9, name: 'intel index: latest entries, search tokens, edges, change log', up: intelIndex },
];

/** Migration 6: the indexes of the ingestion queue (src/store/mongo/jobs.ts). */
/**
 * Migration 9: the intel area (store/intel.ts, mongo/intel.ts): its indexes, then an entry with its
 * edges for the latest version of every stored object (replaced by _id, so a second instance running
 * the step at once writes the same documents). The change log starts empty.
 */
async function intelIndex(c: MongoCollections): Promise<void> {
  const ic = intelCollections(c.db);
  await ensureIndexes(ic.entries, INTEL_ENTRY_INDEXES);
  await ensureIndexes(ic.edges, INTEL_EDGE_INDEXES);
  await ensureIndexes(ic.changes, INTEL_CHANGE_INDEXES);
  await backfillIntel(c.objects, ic);
}

async function ingestQueue(c: MongoCollections): Promise<void> {
  await ensureIndexes(c.jobs, JOB_INDEXES);
  await ensureIndexes(c.jobItems, JOB_ITEM_INDEXES);
  await ensureIndexes(c.jobLeases, JOB_LEASE_INDEXES);
}

/**
 * Migration 7: version keys (and so _ids) of versions before 1970. Earlier releases computed them
 * with Date.UTC, which reads the years 0–99 as 1900–1999, and padded negative seconds into keys that
 * do not sort. A document cannot be renamed, and the unique date_added index keeps the old and the
 * new copy from coexisting, so each move is parked in `rekey_moves` first: delete the old copy,
 * insert the new one, drop the note. Run again after a crash, it finishes the parked moves.
 */
async function rekeyEarlyVersions(c: MongoCollections): Promise<void> {
  const moves = c.db.collection<{ _id: string; doc: ObjectDoc }>('rekey_moves');
  const finish = async (): Promise<void> => {
    for (const m of await moves.find().toArray()) {
      await c.objects.deleteOne({ _id: m._id });
      try {
        await c.objects.insertOne(m.doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // moved before a crash
      }
      await moves.deleteOne({ _id: m._id });
    }
  };
  await finish();
  for (const d of await c.objects.find({ version: { $lt: '1970' } }).toArray()) {
    const key = versionKey(d.version);
    if (key === undefined || key === d.vkey) continue;
    const doc: ObjectDoc = { ...d, _id: `${d.c}|${d.id}|${key}`, vkey: key };
    try {
      await moves.insertOne({ _id: d._id, doc });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  await finish();
}

export async function migrateMongo(
  c: MongoCollections,
  location: string,
  migrations: readonly MongoMigration[] = MONGO_MIGRATIONS,
  log?: MigrationLog,
): Promise<MigrationReport> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`MongoDB migrations must be numbered 1, 2, 3…; found ${m.version} at ${i + 1}`);
  });
  const known = migrations.length;
  const newest = await c.migrations.find().sort({ _id: -1 }).limit(1).next();
  const from = newest?._id ?? 0;
  if (from > known) throw new StoreVersionError(location, from, known);
  const applied: MigrationReport['applied'] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    await m.up(c);
    try {
      await c.migrations.insertOne({ _id: m.version, name: m.name, applied_at: new Date() });
      applied.push({ version: m.version, name: m.name });
      log?.info({ store: 'mongodb', version: m.version, migration: m.name }, 'applied schema migration');
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another instance recorded the same step first
    }
  }
  return { from, to: Math.max(from, known), applied };
}

/**
 * Creates the indexes that do not exist yet, one by one. FerretDB 1.24 drops the connection when
 * createIndexes names an index that already exists, so existing ones are skipped by name; when a
 * concurrent instance wins the race, the failure is accepted once the index is there.
 */
async function ensureIndexes<T extends Document>(col: Collection<T>, specs: IndexDescription[]): Promise<void> {
  let existing = await indexNames(col);
  for (const spec of specs) {
    const name = spec.name as string;
    if (existing.has(name)) continue;
    try {
      await col.createIndexes([spec]);
    } catch (err) {
      existing = await indexNames(col);
      if (!existing.has(name)) throw err;
    }
  }
}

async function indexNames<T extends Document>(col: Collection<T>): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for (const ix of await col.listIndexes().toArray()) names.add(ix.name as string);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 26) throw err; // 26: namespace does not exist yet
  }
  return names;
}
