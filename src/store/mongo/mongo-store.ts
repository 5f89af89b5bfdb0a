// MongoDB store on the official driver, one module per data area. Works without multi-document
// transactions and without atomic read-modify-write updates: idempotent writes keyed by
// deterministic _id, date_added blocks claimed through a ledger whose _id is unique, readers held
// below any block still being written, and first/last flags re-checked after every write so
// concurrent writers converge. Layout: src/store/README.md.
import { MongoClient } from 'mongodb';
import type { MigrationLog, MigrationReport, Store } from '../store.js';
import { MongoAudit } from './audit.js';
import { MongoCatalog } from './catalog.js';
import { DateAddedLedger } from './date-added-ledger.js';
import { mongoCollections } from './documents.js';
import { MongoGrants } from './grants.js';
import { MongoIdentity } from './identity.js';
import { deadlineArea } from './deadline.js';
import { intelCollections, MongoIntel, MongoIntelWriter } from './intel.js';
import { MongoJobs } from './jobs.js';
import { MongoMarkings } from './markings.js';
import { MongoMeta } from './meta.js';
import { migrateMongo, MONGO_MIGRATIONS, type MongoMigration } from './migrations.js';
import { DEFAULT_QUERY_TIMEOUT_MS, MongoObjects } from './objects.js';
import { MongoStatuses } from './statuses.js';
import { MongoTenancy } from './tenancy.js';
import { VersionFlags } from './version-flags.js';

export interface MongoStore extends Store {
  /** drops the whole database (tests) */
  dropDatabase(): Promise<void>;
}

export async function connectMongoStore(
  uri: string,
  database?: string,
  migrations: readonly MongoMigration[] = MONGO_MIGRATIONS,
  opts: { queryTimeoutMs?: number } = {},
): Promise<MongoStore> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, ignoreUndefined: true });
  await client.connect();
  const db = client.db(database);
  const c = mongoCollections(db);
  const ic = intelCollections(db);
  const queryTimeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return {
    meta: new MongoMeta(c),
    catalog: new MongoCatalog(c),
    identity: new MongoIdentity(c),
    tenancy: new MongoTenancy(c),
    grants: new MongoGrants(c),
    markings: new MongoMarkings(c),
    objects: new MongoObjects(
      c.objects,
      new DateAddedLedger(c.blocks),
      new VersionFlags(c.objects),
      queryTimeoutMs,
      new MongoIntelWriter(c.objects, ic),
    ),
    statuses: new MongoStatuses(c),
    audit: new MongoAudit(c),
    jobs: new MongoJobs(c),
    // Its reads carry maxTimeMS; one cancelled there is a 503, as for the objects area.
    intel: deadlineArea(new MongoIntel(ic, queryTimeoutMs), queryTimeoutMs),
    migrate: (log?: MigrationLog): Promise<MigrationReport> =>
      migrateMongo(c, `mongodb database ${db.databaseName}`, migrations, log),
    ping: async () => {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
    dropDatabase: async () => {
      await db.dropDatabase();
    },
  };
}
