import type { MetaStore } from '../meta.js';
import type { Row, SqliteDb } from './database.js';

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
}
