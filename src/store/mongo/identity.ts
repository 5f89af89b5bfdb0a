import type { IdentityStore, UserRecord } from '../identity.js';
import type { MongoCollections } from './documents.js';

export class MongoIdentity implements IdentityStore {
  constructor(private readonly c: MongoCollections) {}

  async putUser(user: UserRecord): Promise<void> {
    await this.c.users.replaceOne(
      { _id: user.username },
      { password_hash: user.passwordHash, admin: user.admin },
      { upsert: true },
    );
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const d = await this.c.users.findOne({ _id: username });
    return d ? { username, passwordHash: d.password_hash, admin: d.admin === true } : undefined;
  }

  async countAdmins(): Promise<number> {
    return this.c.users.countDocuments({ admin: true });
  }
}
