import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { InvalidRequestError, NotAcceptableError, UnsupportedMediaTypeError } from '../../src/errors.js';
import { CursorCodec } from '../../src/taxii/cursor.js';
import { assertAcceptable, assertTaxiiContentType } from '../../src/taxii/media-types.js';
import { toProblem } from '../../src/http/problems.js';
import { taxiiErrorResource } from '../../src/taxii/respond.js';

const toErrorResponse = (err: unknown, id: string) => {
  const p = toProblem(err, id);
  return { status: p.status, body: taxiiErrorResource(p) };
};

describe('next cursors (§3.4, Appendix B)', () => {
  const codec = new CursorCodec(randomBytes(32));
  const fp = CursorCodec.fingerprint(['alice', 'eu', 'c1', 'objects', null, []]);

  it('T-79 round-trips the keyset position', () => {
    expect(codec.decode(codec.encode(1_700_000_000_123_456, fp), fp)).to.equal(1_700_000_000_123_456);
  });

  it('T-80 T-127 rejects a cursor bound to another query, a forged one and one signed with another key', () => {
    const token = codec.encode(42, fp);
    const other = CursorCodec.fingerprint(['bob', 'eu', 'c1', 'objects', null, []]);
    expect(() => codec.decode(token, other)).to.throw(InvalidRequestError, /different query/);
    const forged = `${Buffer.from(JSON.stringify({ a: 1, f: fp })).toString('base64url')}.${token.split('.')[1]}`;
    expect(() => codec.decode(forged, fp)).to.throw(InvalidRequestError);
    expect(() => new CursorCodec(randomBytes(32)).decode(token, fp)).to.throw(InvalidRequestError);
    expect(() => codec.decode('no-dot-at-all', fp)).to.throw(InvalidRequestError);
  });
});

describe('media types (§1.6.8, §3.1)', () => {
  it('T-16 accepts TAXII 2.1, versionless TAXII, wildcards and a missing header', () => {
    for (const a of [
      undefined,
      '',
      '*/*',
      'application/*',
      'application/taxii+json',
      'application/taxii+json ; version = 2.1',
      'text/plain, application/taxii+json;version=2.1;q=0.2',
    ]) {
      expect(() => assertAcceptable(a), String(a)).not.to.throw();
    }
  });

  it('T-16 refuses other versions, q=0 and unrelated types', () => {
    for (const a of [
      'application/taxii+json;version=2.0',
      'application/taxii+json;version=2.1;q=0',
      'application/json',
      'garbage',
    ]) {
      expect(() => assertAcceptable(a), a).to.throw(NotAcceptableError);
    }
  });

  it('T-18 accepts the TAXII 2.1 Content-Type with parameters and refuses others', () => {
    expect(() => assertTaxiiContentType('Application/TAXII+JSON; Version=2.1; charset=utf-8')).not.to.throw();
    for (const c of [undefined, 'application/json', 'application/taxii+json;version=2.0', 'multipart/form-data']) {
      expect(() => assertTaxiiContentType(c), String(c)).to.throw(UnsupportedMediaTypeError);
    }
  });
});

describe('error mapping (§3.6)', () => {
  it('T-31 maps each kind to its status, with http_status as a string and no internals for unknown errors', () => {
    const known = toErrorResponse(new InvalidRequestError('bad limit', { details: { limit: '0' } }), 'req-1');
    expect(known).to.deep.equal({
      status: 400,
      body: {
        title: 'Invalid request',
        description: 'bad limit',
        error_id: 'req-1',
        error_code: 'invalid-request',
        http_status: '400',
        details: { limit: '0' },
      },
    });
    const unknown = toErrorResponse(new Error('SQLITE_CORRUPT at /var/lib/x.db'), 'req-2');
    expect(unknown.status).to.equal(500);
    expect(JSON.stringify(unknown.body)).not.to.contain('SQLITE');
    expect(toErrorResponse({ type: 'entity.too.large' }, 'r').status).to.equal(413);
  });
});
