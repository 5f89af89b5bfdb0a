// Versioned schema steps for MongoDB: index creation and backfills. Every step is idempotent, so
// several instances starting at once may run the same step; each records itself by inserting
// {_id: version} into schema_migrations, where a duplicate key means another instance did.
import type { Collection, Document, IndexDescription } from 'mongodb';
import { StoreVersionError } from '../../errors.js';
import type { MigrationLog, MigrationReport } from '../store.js';
import { isDuplicateKey, type MongoCollections } from './documents.js';

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

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  { version: 1, name: 'release 0.1 indexes', up: release01Indexes },
];

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
