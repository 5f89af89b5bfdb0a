// Turns credentials into one Principal (user, tenant, groups, role), whatever the method: a
// password (HTTP Basic), an API token, or a client certificate. Accounts and tokens are read
// through the access cache (src/access/access-cache.ts), which the container hands in as the
// identity and tenancy stores: a removed account, a changed password or a revoked token stops
// working at once on the instance that made the change, and within `store.access_cache_ms` on
// other instances (and after a CLI command in another process); with 0, at once everywhere.
// Unknown accounts are cached like known ones and still cost one scrypt against a dummy hash, so
// timing does not reveal which accounts exist. A successful password check is remembered briefly
// against the stored hash it was checked with, which spares scrypt on repeated requests without
// outliving a password change.
import { hash, randomBytes } from 'node:crypto';
import type { Clock } from '../stix/timestamps.js';
import type { IdentityStore, TenancyStore, UserRecord } from '../store/store.js';
import { Limiter } from './limiter.js';
import { DUMMY_HASH_PROMISE, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';
import { parseToken, secretMatches } from './tokens.js';

const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

export type Outcome = { principal: Principal } | { failure: string };

export class Authenticator {
  /**
   * The memory of recent successes is keyed by SHA-256 over this per-process random key, the
   * account and the password: no password is kept, and the key (fixed length, never shown) makes
   * the tags useless outside the process. A one-shot hash costs a tenth of an HMAC object here.
   */
  private readonly cacheKey = randomBytes(32).toString('base64');
  private readonly verified = new Map<string, { passwordHash: string; expires: number }>();
  /** scrypt runs on the libuv pool: two at a time leaves room for everything else */
  private readonly hashing = new Limiter(2, 256);

  constructor(
    private readonly identity: IdentityStore,
    private readonly tenancy: TenancyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * `rememberedOnly`: answer from the memory of recent successes alone, never running scrypt (a
   * failure then only means "not remembered"); for a caller that will ask again in full if so.
   */
  async password(username: string, password: string, rememberedOnly = false): Promise<Outcome> {
    const user = await this.identity.getUser(username);
    const stored = user?.kind === 'user' ? user.passwordHash : undefined;
    const tag = hash('sha256', `${this.cacheKey}${username}\0${password}`, 'base64');
    const hit = this.verified.get(tag);
    if (user && stored !== undefined && hit && hit.passwordHash === stored && hit.expires > Date.now()) {
      return { principal: await this.principalOf(user) };
    }
    if (rememberedOnly) return { failure: 'not remembered' };
    // Unknown accounts cost the same as known ones: no account enumeration by timing.
    const ok = await this.hashing.run(async () => verifyPassword(password, stored ?? (await DUMMY_HASH_PROMISE)));
    if (!ok || !user || stored === undefined) return { failure: user ? 'wrong password' : 'unknown account' };
    if (this.verified.size >= REMEMBER_MAX) this.verified.clear();
    this.verified.set(tag, { passwordHash: stored, expires: Date.now() + REMEMBER_MS });
    return { principal: await this.principalOf(user) };
  }

  async token(token: string): Promise<Outcome & { account?: string }> {
    const parsed = parseToken(token);
    if (!parsed) return { failure: 'malformed token' };
    const record = await this.identity.getToken(parsed.id);
    if (!record || !secretMatches(parsed.secret, record.secretHash)) return { failure: 'unknown token' };
    const now = this.clock.nowMicros();
    if (record.revokedAt !== undefined && record.revokedAt <= now)
      return { failure: 'revoked token', account: record.username };
    if (record.expiresAt !== undefined && record.expiresAt <= now)
      return { failure: 'expired token', account: record.username };
    const user = await this.identity.getUser(record.username);
    if (!user) return { failure: 'token of a removed account', account: record.username };
    return { principal: await this.principalOf(user), account: record.username };
  }

  /** A client certificate (SHA-256 fingerprint or subject DN) mapped to an account. */
  async certificate(fingerprint: string, subject: string | undefined): Promise<Outcome> {
    const user =
      (await this.identity.userByCertificate(fingerprint)) ??
      (subject !== undefined ? await this.identity.userByCertificate(subject) : undefined);
    return user ? { principal: await this.principalOf(user) } : { failure: 'certificate not mapped to an account' };
  }

  private async principalOf(user: UserRecord): Promise<Principal> {
    const groups = user.tenant !== undefined ? await this.tenancy.groupsOf(user.tenant) : [];
    return Object.freeze({
      username: user.username,
      role: user.role,
      ...(user.tenant !== undefined ? { tenant: user.tenant } : {}),
      groups: Object.freeze(groups),
    });
  }
}
