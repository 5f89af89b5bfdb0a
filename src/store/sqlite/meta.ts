import type { MetaStore } from '../meta.js';
import type { Row, SqliteDb } from './database.js';

/** The meta row that holds the access generation (store/meta.ts), as decimal text like every meta value. */
const GENERATION_KEY = 'access_generation';

const BUMP = `INSERT INTO meta (key, value) VALUES ('${GENERATION_KEY}', '1')
  ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`;

/**
 * Runs one write of an access area (identity, tenancy, catalog, grants, markings) in a transaction
 * that also moves the access generation forward: a reader that saw the old generation cannot have
 * seen the write, and one that sees the write sees the new generation. A write that throws rolls
 * both back. Inside another transaction this is a savepoint of it.
 */
export function accessWrite<T>(s: SqliteDb, write: () => T): T {
  return s.db.transaction(() => {
    const result = write();
    s.stmt(BUMP).run();
    return result;
  })();
}

export class SqliteMeta implements MetaStore {
  constructor(private readonly s: SqliteDb) {}

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.s.stmt('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row?.value as string | undefined;
  }

  async initMeta(key: string, value: string): Promise<string> {
    this.s.stmt('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return (await this.getMeta(key)) as string;
  }

  async getAccessGeneration(): Promise<number> {
    const value = await this.getMeta(GENERATION_KEY);
    return value === undefined ? 0 : Number(value);
  }
}
