// Users and service accounts, and their API tokens. Passwords are stored as scrypt hashes and
// never shown; a token is shown once, when it is issued, and only the hash of its secret is kept.
// Tokens belong to no file, so accounts the configuration declares get theirs here too; the
// accounts themselves are the file's to change (409). There is always at least one platform admin.
import { hashPassword } from '../auth/passwords.js';
import { issueToken } from '../auth/tokens.js';
import { normalizeCertificate } from '../config/load-config.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { toMicros } from '../stix/timestamps.js';
import type { Role, TokenRecord, UserRecord } from '../store/store.js';
import { adminPath, assertNotDeclared, without, type AdminContext, type AdminDeps } from './context.js';
import { invalid, validateBody } from './validation.js';
import { tokenView, userView, type TokenView, type UserView } from './views.js';

export interface IssuedTokenView extends TokenView {
  /** the whole token: shown this once, never stored */
  token: string;
}

export class UsersAdmin {
  constructor(private readonly d: AdminDeps) {}

  async list(ctx: AdminContext): Promise<UserView[]> {
    return this.d.rights.visibleUsers(ctx.principal, await this.d.store.identity.listUsers()).map(userView);
  }

  async get(ctx: AdminContext, username: string): Promise<UserView> {
    return userView(await this.find(ctx, username));
  }

  /** An account the caller may see, else 404. */
  async find(ctx: AdminContext, username: string): Promise<UserRecord> {
    this.d.rights.scope(ctx.principal);
    return this.d.rights.user(ctx.principal, username, await this.d.store.identity.getUser(username));
  }

  async create(ctx: AdminContext, body: unknown): Promise<UserView> {
    return this.d.recorder.change(ctx, 'admin.create', { target: adminPath('users') }, async (rec) => {
      this.d.rights.scope(ctx.principal);
      const input = validateBody('user-create', body);
      rec.at({ target: adminPath('users', input.username) });
      const kind = input.kind ?? 'user';
      const role = input.role ?? 'member';
      const tenant = input.tenant ?? this.d.rights.defaultTenant(ctx.principal);
      rec.note({ kind, role, ...(tenant !== undefined ? { tenant } : {}) });
      this.d.rights.assignAccount(ctx.principal, role, tenant);
      const problems = await this.accountProblems(kind, role, tenant, input.password);
      if (kind === 'user' && input.password === undefined)
        problems.push('password: a user needs a password; service accounts use tokens or certificates');
      if (problems.length > 0) throw invalid(problems);
      // Usernames are global: a tenant admin learns that a name is taken, not by whom.
      if (await this.d.store.identity.getUser(input.username))
        throw new ConflictError(`The username "${input.username}" is taken.`);
      const certificates = await this.certificates(input.username, input.certificates ?? []);
      const record: UserRecord = {
        username: input.username,
        kind,
        ...(input.password !== undefined ? { passwordHash: await hashPassword(input.password) } : {}),
        role,
        ...(tenant !== undefined ? { tenant } : {}),
        certificates,
        source: 'admin',
      };
      await this.d.store.identity.putUser(record);
      return userView(record);
    });
  }

  async update(ctx: AdminContext, username: string, body: unknown): Promise<UserView> {
    return this.d.recorder.change(ctx, 'admin.update', { target: adminPath('users', username) }, async (rec) => {
      const existing = await this.find(ctx, username);
      this.d.rights.manageUser(ctx.principal, existing);
      assertNotDeclared(existing, `The account "${username}"`);
      const input = validateBody('user-update', body);
      rec.note({ changed: Object.keys(input) });
      const role = input.role ?? existing.role;
      const tenant = input.tenant === undefined ? existing.tenant : (input.tenant ?? undefined);
      this.d.rights.assignAccount(ctx.principal, role, tenant);
      const problems = await this.accountProblems(existing.kind, role, tenant, input.password);
      if (problems.length > 0) throw invalid(problems);
      if (existing.role === 'platform-admin' && role !== 'platform-admin') await this.keepOnePlatformAdmin(username);
      const certificates =
        input.certificates !== undefined
          ? await this.certificates(username, input.certificates)
          : existing.certificates;
      const rest = without(existing, 'tenant', 'passwordHash');
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : existing.passwordHash;
      const record: UserRecord = {
        ...rest,
        role,
        ...(tenant !== undefined ? { tenant } : {}),
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        certificates,
      };
      await this.d.store.identity.putUser(record);
      return userView(record);
    });
  }

  /** Deletes the account, its tokens and every grant naming it. */
  async delete(ctx: AdminContext, username: string): Promise<void> {
    await this.d.recorder.change(ctx, 'admin.delete', { target: adminPath('users', username) }, async () => {
      const existing = await this.find(ctx, username);
      this.d.rights.manageUser(ctx.principal, existing);
      assertNotDeclared(existing, `The account "${username}"`);
      if (existing.role === 'platform-admin') await this.keepOnePlatformAdmin(username);
      await this.d.store.identity.deleteUser(username);
      await this.d.store.grants.deleteGrantsOf({ kind: 'user', id: username });
    });
  }

  private async accountProblems(
    kind: UserRecord['kind'],
    role: Role,
    tenant: string | undefined,
    password: string | undefined,
  ): Promise<string[]> {
    const problems: string[] = [];
    if (kind === 'service' && password !== undefined)
      problems.push('password: a service account has no password; it uses tokens or certificates');
    if (role === 'tenant-admin' && tenant === undefined) problems.push('tenant: a tenant-admin needs a tenant');
    if (tenant !== undefined && !(await this.d.store.tenancy.getTenant(tenant)))
      problems.push(`tenant: there is no tenant "${tenant}"`);
    return problems;
  }

  /** Normalized certificates, none of them mapped to another account already (409). */
  private async certificates(username: string, given: readonly string[]): Promise<string[]> {
    const out = [...new Set(given.map(normalizeCertificate))].sort();
    for (const c of out) {
      const holder = await this.d.store.identity.userByCertificate(c);
      if (holder && holder.username !== username)
        throw new ConflictError(`The certificate "${c}" is mapped to another account already.`);
    }
    return out;
  }

  private async keepOnePlatformAdmin(username: string): Promise<void> {
    if ((await this.d.store.identity.countPlatformAdmins()) <= 1)
      throw new ConflictError(`"${username}" is the last platform administrator; make another one first.`);
  }
}

export class TokensAdmin {
  constructor(
    private readonly d: AdminDeps,
    private readonly users: UsersAdmin,
  ) {}

  /** The account's tokens, revoked and expired ones included; never a secret. */
  async list(ctx: AdminContext, username: string): Promise<TokenView[]> {
    const user = await this.users.find(ctx, username);
    this.d.rights.manageUser(ctx.principal, user);
    return (await this.d.store.identity.listTokens(username)).map(tokenView);
  }

  async issue(ctx: AdminContext, username: string, body: unknown): Promise<IssuedTokenView> {
    const target = adminPath('users', username, 'tokens');
    return this.d.recorder.change(ctx, 'admin.create', { target }, async (rec) => {
      const user = await this.users.find(ctx, username);
      this.d.rights.manageUser(ctx.principal, user);
      const input = validateBody('token-create', body);
      const now = this.d.clock.nowMicros();
      let expiresAt: number | undefined;
      if (input.expires_at !== undefined) {
        expiresAt = toMicros(input.expires_at);
        if (expiresAt === undefined) throw invalid([`expires_at: "${input.expires_at}" is not a valid time`]);
        if (expiresAt <= now) throw invalid(['expires_at: must lie in the future']);
      }
      const issued = issueToken();
      const record: TokenRecord = {
        id: issued.id,
        username,
        secretHash: issued.secretHash,
        label: input.label ?? '',
        createdAt: now,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      };
      await this.d.store.identity.putToken(record);
      rec.at({ target: adminPath('users', username, 'tokens', issued.id) });
      rec.note({ token: issued.id, ...(input.expires_at !== undefined ? { expires_at: input.expires_at } : {}) });
      return { ...tokenView(record), token: issued.token };
    });
  }

  /** Revokes the token at once on every instance (the authenticator reads it at each request). */
  async revoke(ctx: AdminContext, username: string, id: string): Promise<void> {
    const target = adminPath('users', username, 'tokens', id);
    await this.d.recorder.change(ctx, 'admin.delete', { target }, async (rec) => {
      const user = await this.users.find(ctx, username);
      this.d.rights.manageUser(ctx.principal, user);
      const token = await this.d.store.identity.getToken(id);
      if (!token || token.username !== username) throw new NotFoundError(`There is no token "${id}" for this account.`);
      if (token.revokedAt !== undefined) {
        rec.note({ already: true });
        return;
      }
      await this.d.store.identity.putToken({ ...token, revokedAt: this.d.clock.nowMicros() });
    });
  }
}
