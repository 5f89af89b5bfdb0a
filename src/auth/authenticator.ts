// HTTP Basic (RFC 7617, TAXII 2.1 §8.2.2 #5) through passport-http, producing a Principal.
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { UnauthenticatedError } from '../errors.js';
import type { IdentityStore } from '../store/store.js';
import { DUMMY_HASH_PROMISE, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 10_000;

/**
 * Verifies username/password against the scrypt hashes in the store. scrypt costs tens of
 * milliseconds by design, so a successful verification is remembered for a few minutes under an
 * HMAC of the credentials with a per-process key (the cache never holds a password).
 */
export class PasswordAuthenticator {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { principal: Principal; expires: number }>();

  constructor(private readonly identity: IdentityStore) {}

  async verify(username: string, password: string): Promise<Principal | undefined> {
    const tag = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const hit = this.verified.get(tag);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const user = await this.identity.getUser(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH_PROMISE));
    if (!ok || !user) return undefined;
    const principal: Principal = Object.freeze({ username: user.username, admin: user.admin });
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(tag, { principal, expires: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  /** Forget cached verifications, e.g. after a password change. */
  forget(): void {
    this.verified.clear();
  }
}

export function basicAuth(auth: PasswordAuthenticator): RequestHandler {
  const strategy = new BasicStrategy((username, password, done) => {
    auth.verify(username, password).then(
      (p) => done(null, p ?? false),
      (err: unknown) => done(err),
    );
  });
  const pp = new passport.Passport();
  pp.use('basic', strategy);
  return (req, res, next) => {
    pp.authenticate('basic', { session: false }, (err: unknown, principal: Principal | false) => {
      if (err) return next(err);
      if (!principal) return next(new UnauthenticatedError('Valid credentials are required (HTTP Basic).'));
      res.locals.principal = principal;
      next();
    })(req, res, next);
  };
}
