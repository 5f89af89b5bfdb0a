import type { IdentityStore, Role, Source, TokenRecord, UserRecord } from '../identity.js';
import type { Row, SqliteDb } from './database.js';
import { accessWrite } from './meta.js';

export class SqliteIdentity implements IdentityStore {
  constructor(private readonly s: SqliteDb) {}

  async putUser(u: UserRecord): Promise<void> {
    const upsert = this.s.stmt(
      `INSERT INTO users (username, kind, password_hash, role, tenant, source) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET kind = excluded.kind, password_hash = excluded.password_hash,
         role = excluded.role, tenant = excluded.tenant, source = excluded.source`,
    );
    const clear = this.s.stmt('DELETE FROM user_certificates WHERE username = ?');
    const addCert = this.s.stmt('INSERT OR REPLACE INTO user_certificates (certificate, username) VALUES (?, ?)');
    accessWrite(this.s, () => {
      upsert.run(u.username, u.kind, u.passwordHash ?? null, u.role, u.tenant ?? null, u.source);
      clear.run(u.username);
      for (const c of u.certificates) addCert.run(c, u.username);
    });
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row ? this.toUser(row) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.s.stmt('SELECT * FROM users ORDER BY username').all() as Row[]).map((r) => this.toUser(r));
  }

  async deleteUser(username: string): Promise<boolean> {
    return accessWrite(this.s, () => {
      this.s.stmt('DELETE FROM user_certificates WHERE username = ?').run(username);
      this.s.stmt('DELETE FROM tokens WHERE username = ?').run(username);
      return this.s.stmt('DELETE FROM users WHERE username = ?').run(username).changes > 0;
    });
  }

  async userByCertificate(certificate: string): Promise<UserRecord | undefined> {
    const row = this.s
      .stmt('SELECT u.* FROM user_certificates c JOIN users u ON u.username = c.username WHERE c.certificate = ?')
      .get(certificate) as Row | undefined;
    return row ? this.toUser(row) : undefined;
  }

  async countPlatformAdmins(): Promise<number> {
    return (this.s.stmt("SELECT count(*) AS n FROM users WHERE role = 'platform-admin'").get() as Row).n as number;
  }

  async putToken(t: TokenRecord): Promise<void> {
    accessWrite(this.s, () =>
      this.s
        .stmt(
          `INSERT INTO tokens (id, username, secret_hash, label, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET label = excluded.label, expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
        )
        .run(t.id, t.username, t.secretHash, t.label, t.createdAt, t.expiresAt ?? null, t.revokedAt ?? null),
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM tokens WHERE id = ?').get(id) as Row | undefined;
    return row ? toToken(row) : undefined;
  }

  async listTokens(username: string): Promise<TokenRecord[]> {
    return (this.s.stmt('SELECT * FROM tokens WHERE username = ? ORDER BY created_at, id').all(username) as Row[]).map(
      toToken,
    );
  }

  private toUser(r: Row): UserRecord {
    const certificates = this.s
      .stmt('SELECT certificate FROM user_certificates WHERE username = ? ORDER BY certificate')
      .pluck()
      .all(r.username) as string[];
    return {
      username: r.username as string,
      kind: r.kind as UserRecord['kind'],
      ...(r.password_hash !== null ? { passwordHash: r.password_hash as string } : {}),
      role: r.role as Role,
      ...(r.tenant !== null ? { tenant: r.tenant as string } : {}),
      certificates,
      source: r.source as Source,
    };
  }
}

function toToken(r: Row): TokenRecord {
  return {
    id: r.id as string,
    username: r.username as string,
    secretHash: r.secret_hash as string,
    label: r.label as string,
    createdAt: r.created_at as number,
    ...(r.expires_at !== null ? { expiresAt: r.expires_at as number } : {}),
    ...(r.revoked_at !== null ? { revokedAt: r.revoked_at as number } : {}),
  };
}
