import type { IdentityStore, UserRecord } from '../identity.js';
import type { Row, SqliteDb } from './database.js';

export class SqliteIdentity implements IdentityStore {
  constructor(private readonly s: SqliteDb) {}

  async putUser(user: UserRecord): Promise<void> {
    this.s
      .stmt(
        `INSERT INTO users (username, password_hash, admin) VALUES (?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, admin = excluded.admin`,
      )
      .run(user.username, user.passwordHash, user.admin ? 1 : 0);
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row
      ? { username: row.username as string, passwordHash: row.password_hash as string, admin: row.admin === 1 }
      : undefined;
  }

  async countAdmins(): Promise<number> {
    return (this.s.stmt('SELECT count(*) AS n FROM users WHERE admin = 1').get() as Row).n as number;
  }
}
