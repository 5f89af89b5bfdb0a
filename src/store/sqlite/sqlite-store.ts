// Embedded store on better-sqlite3 (WAL), one module per data area. Layout: src/store/README.md.
import type { MigrationLog, MigrationReport, Store } from '../store.js';
import { SqliteAudit } from './audit.js';
import { SqliteCatalog } from './catalog.js';
import { SqliteDb, type SqliteDbOptions } from './database.js';
import { SqliteGrants } from './grants.js';
import { SqliteIdentity } from './identity.js';
import { SqliteIntel } from './intel.js';
import { SqliteJobs } from './jobs.js';
import { SqliteMarkings } from './markings.js';
import { SqliteMeta } from './meta.js';
import { migrateSqlite, SQLITE_MIGRATIONS, type SqliteMigration } from './migrations.js';
import { SqliteObjects } from './objects.js';
import { SqliteStatuses } from './statuses.js';
import { SqliteTenancy } from './tenancy.js';

export interface SqliteStore extends Store {
  /**
   * Background work of the connection that writes: applies the analyst index's queued changes
   * (sqlite/intel.ts), at most `maxBatches` transactions of them; returns how many it applied.
   */
  applyQueued(maxBatches: number): number;
}

/**
 * The store on one connection, in the calling thread: every query runs on it. The server uses
 * openThreadedSqliteStore (threads/threaded-store.ts), which runs this in worker threads; this
 * form serves ':memory:' databases, custom migration lists and the threads themselves.
 */
export function openSqliteStore(
  file: string,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
  opts: SqliteDbOptions = {},
): SqliteStore {
  const s = new SqliteDb(file, opts);
  const intel = new SqliteIntel(s, opts.intelWaitMs);
  return {
    meta: new SqliteMeta(s),
    catalog: new SqliteCatalog(s),
    identity: new SqliteIdentity(s),
    tenancy: new SqliteTenancy(s),
    grants: new SqliteGrants(s),
    markings: new SqliteMarkings(s),
    objects: new SqliteObjects(s),
    statuses: new SqliteStatuses(s),
    audit: new SqliteAudit(s),
    jobs: new SqliteJobs(s),
    intel,
    applyQueued: (maxBatches) => intel.applyQueued(maxBatches),
    migrate: async (log?: MigrationLog): Promise<MigrationReport> => migrateSqlite(s.db, migrations, log),
    ping: async () => {
      s.stmt('SELECT 1').get();
    },
    close: async () => s.close(),
  };
}
