import type { IdentityStore, TokenRecord, UserRecord } from '../identity.js';
import type { MongoCollections, TokenDoc, UserDoc } from './documents.js';
import { accessWrite } from './meta.js';

export class MongoIdentity implements IdentityStore {
  constructor(private readonly c: MongoCollections) {}

  async putUser(u: UserRecord): Promise<void> {
    return accessWrite(this.c, () => this.putUserNow(u));
  }

  private async putUserNow(u: UserRecord): Promise<void> {
    await this.c.users.replaceOne(
      { _id: u.username },
      {
        kind: u.kind,
        password_hash: u.passwordHash ?? null,
        role: u.role,
        tenant: u.tenant ?? null,
        certificates: [...u.certificates].sort(),
        source: u.source,
      },
      { upsert: true },
    );
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const d = await this.c.users.findOne({ _id: username });
    return d ? toUser(d) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.c.users.find().sort({ _id: 1 }).toArray()).map(toUser);
  }

  async deleteUser(username: string): Promise<boolean> {
    return accessWrite(this.c, () => this.deleteUserNow(username));
  }

  private async deleteUserNow(username: string): Promise<boolean> {
    await this.c.tokens.deleteMany({ username });
    return (await this.c.users.deleteOne({ _id: username })).deletedCount > 0;
  }

  async userByCertificate(certificate: string): Promise<UserRecord | undefined> {
    const d = await this.c.users.findOne({ certificates: certificate });
    return d ? toUser(d) : undefined;
  }

  async countPlatformAdmins(): Promise<number> {
    return this.c.users.countDocuments({ role: 'platform-admin' });
  }

  async putToken(t: TokenRecord): Promise<void> {
    return accessWrite(this.c, () => this.putTokenNow(t));
  }

  private async putTokenNow(t: TokenRecord): Promise<void> {
    await this.c.tokens.replaceOne(
      { _id: t.id },
      {
        username: t.username,
        secret_hash: t.secretHash,
        label: t.label,
        created_at: t.createdAt,
        expires_at: t.expiresAt ?? null,
        revoked_at: t.revokedAt ?? null,
      },
      { upsert: true },
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const d = await this.c.tokens.findOne({ _id: id });
    return d ? toToken(d) : undefined;
  }

  async listTokens(username: string): Promise<TokenRecord[]> {
    return (await this.c.tokens.find({ username }).sort({ created_at: 1, _id: 1 }).toArray()).map(toToken);
  }
}

function toUser(d: UserDoc): UserRecord {
  return {
    username: d._id,
    kind: d.kind,
    ...(d.password_hash != null ? { passwordHash: d.password_hash } : {}),
    role: d.role,
    ...(d.tenant != null ? { tenant: d.tenant } : {}),
    certificates: d.certificates ?? [],
    source: d.source,
  };
}

function toToken(d: TokenDoc): TokenRecord {
  return {
    id: d._id,
    username: d.username,
    secretHash: d.secret_hash,
    label: d.label,
    createdAt: d.created_at,
    ...(d.expires_at != null ? { expiresAt: d.expires_at } : {}),
    ...(d.revoked_at != null ? { revokedAt: d.revoked_at } : {}),
  };
}
