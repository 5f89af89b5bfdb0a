// TAXII 2.1 §3.4 `next`, Appendix B: never trusted as-is. The cursor is stateless:
// base64url(JSON position + fingerprint) and an HMAC-SHA256 over it with a secret kept in the store,
// so it survives restarts and works across instances. A cursor whose fingerprint (principal, API root,
// collection, endpoint, object, filters) differs from the current request's is a 400.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';

export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  /** Fingerprint of everything the cursor is bound to. */
  static fingerprint(parts: readonly unknown[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
  }

  encode(after: number, fingerprint: string): string {
    const payload = Buffer.from(JSON.stringify({ a: after, f: fingerprint })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** Returns the keyset position, or throws InvalidRequestError. */
  decode(token: string, fingerprint: string): number {
    const dot = token.indexOf('.');
    const payload = dot > 0 ? token.slice(0, dot) : '';
    // The signature is compared as text: a decoder would accept other spellings of the same bytes
    // (padding, stray characters, the unused low bits of the last digit), and a cursor has one form.
    const given = Buffer.from(dot > 0 ? token.slice(dot + 1) : '', 'utf8');
    const expected = Buffer.from(this.sign(payload), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidRequestError('The next parameter is not a cursor issued by this server.');
    }
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { a: unknown; f: unknown };
    if (body.f !== fingerprint) {
      throw new InvalidRequestError(
        'The next parameter belongs to a different query: repeat the original filters unchanged with it.',
      );
    }
    if (typeof body.a !== 'number' || !Number.isSafeInteger(body.a)) {
      throw new InvalidRequestError('The next parameter is malformed.');
    }
    return body.a;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
