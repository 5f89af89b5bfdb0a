// API tokens for service accounts: `pal_<id>_<secret>`. The id is public and keys the stored
// record; only the SHA-256 of the secret is stored (a 256-bit random secret needs no slow hash).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface IssuedToken {
  id: string;
  /** the whole token, shown once */
  token: string;
  secretHash: string;
}

const FORMAT = /^pal_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function issueToken(): IssuedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `pal_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** Splits a presented token; undefined when it is not one of ours. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = FORMAT.exec(token);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
