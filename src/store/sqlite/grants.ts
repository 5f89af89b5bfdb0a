import type { GrantRecord, GrantStore, NewGrant } from '../grants.js';
import type { Row, SqliteDb } from './database.js';

export class SqliteGrants implements GrantStore {
  constructor(private readonly s: SqliteDb) {}

  async setGrants(collectionId: string, grants: readonly NewGrant[]): Promise<void> {
    const del = this.s.stmt('DELETE FROM grants WHERE collection_id = ?');
    const ins = this.s.stmt('INSERT INTO grants (collection_id, username, can_read, can_write) VALUES (?, ?, ?, ?)');
    this.s.db.transaction(() => {
      del.run(collectionId);
      for (const g of grants) ins.run(collectionId, g.username, g.read ? 1 : 0, g.write ? 1 : 0);
    })();
  }

  async grantsOf(username: string): Promise<GrantRecord[]> {
    return (this.s.stmt('SELECT * FROM grants WHERE username = ?').all(username) as Row[]).map(toGrant);
  }

  async grantOn(collectionId: string, username: string): Promise<GrantRecord | undefined> {
    // The primary key (collection_id, username) answers this with one index probe.
    const row = this.s
      .stmt('SELECT * FROM grants WHERE collection_id = ? AND username = ?')
      .get(collectionId, username) as Row | undefined;
    return row ? toGrant(row) : undefined;
  }
}

function toGrant(r: Row): GrantRecord {
  return {
    collectionId: r.collection_id as string,
    username: r.username as string,
    read: r.can_read === 1,
    write: r.can_write === 1,
  };
}
