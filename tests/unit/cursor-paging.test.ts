// `next` cursors (src/taxii/cursor.ts) and the pager that issues and checks them (src/taxii/paging.ts),
// against a recording fake store so that every part of the query handed to the store is visible.
import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { Admitted } from '../../src/access/gate.js';
import type { Principal } from '../../src/auth/principal.js';
import { InvalidRequestError } from '../../src/errors.js';
import type { ObjectQuery, ObjectStore, Page, PageRequest, StoredVersion } from '../../src/store/store.js';
import { CursorCodec } from '../../src/taxii/cursor.js';
import { Pager } from '../../src/taxii/paging.js';
import { parseTaxiiQuery, type Endpoint } from '../../src/taxii/query.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const sign = (payload: string): string => createHmac('sha256', SECRET).update(payload).digest('base64url');
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token this server would accept as genuine: any payload, correctly signed. */
const signed = (body: unknown): string => `${b64(body)}.${sign(b64(body))}`;

function decodeError(codec: CursorCodec, token: string, fp: string): InvalidRequestError {
  try {
    codec.decode(token, fp);
  } catch (err) {
    expect(err, token).to.be.instanceOf(InvalidRequestError);
    return err as InvalidRequestError;
  }
  return expect.fail(`expected ${token} to be refused`);
}

describe('next cursors: token format and every refusal (src/taxii/cursor.ts)', () => {
  const codec = new CursorCodec(SECRET);
  const fp = CursorCodec.fingerprint(['alice', 'eu', 'c1', 'objects', null, []]);
  const NOT_OURS = 'The next parameter is not a cursor issued by this server.';
  const OTHER_QUERY = 'The next parameter belongs to a different query: repeat the original filters unchanged with it.';
  const MALFORMED = 'The next parameter is malformed.';

  it('fingerprints are 22 base64url characters, stable, and differ when any part differs', () => {
    expect(fp).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(CursorCodec.fingerprint(['alice', 'eu', 'c1', 'objects', null, []])).to.equal(fp);
    const full = Buffer.from(JSON.stringify(['alice', 'eu', 'c1', 'objects', null, []]));
    expect(fp).to.equal(createHash('sha256').update(full).digest('base64url').slice(0, 22));
    for (const other of [
      ['bob', 'eu', 'c1', 'objects', null, []],
      ['alice', 'us', 'c1', 'objects', null, []],
      ['alice', 'eu', 'c2', 'objects', null, []],
      ['alice', 'eu', 'c1', 'manifest', null, []],
      ['alice', 'eu', 'c1', 'objects', 'x', []],
      ['alice', 'eu', 'c1', 'objects', null, [1]],
    ]) {
      expect(CursorCodec.fingerprint(other), JSON.stringify(other)).not.to.equal(fp);
    }
  });

  it('encodes the position and the fingerprint as signed base64url JSON', () => {
    const token = codec.encode(1_700_000_000_000_001, fp);
    const [payload, signature, ...rest] = token.split('.');
    expect(rest).to.deep.equal([]);
    expect(JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8'))).to.deep.equal({
      a: 1_700_000_000_000_001,
      f: fp,
    });
    expect(signature).to.equal(sign(payload as string));
    expect(codec.decode(token, fp)).to.equal(1_700_000_000_000_001);
    expect(codec.decode(codec.encode(0, fp), fp)).to.equal(0);
  });

  it('refuses tokens without a payload before the dot, with a bad or truncated signature', () => {
    for (const token of [
      'no-dot-at-all',
      '',
      '.',
      `.${sign('')}`, // an empty payload, even with the right signature for it
      `${b64({ a: 1, f: fp })}.`,
      `${b64({ a: 1, f: fp })}.${sign(b64({ a: 1, f: fp })).slice(0, 20)}`,
      `${b64({ a: 1, f: fp })}.${sign(b64({ a: 2, f: fp }))}`,
      `${b64({ a: 1, f: fp })}${sign(b64({ a: 1, f: fp }))}`,
    ]) {
      expect(decodeError(codec, token, fp).message, token).to.equal(NOT_OURS);
    }
  });

  it('refuses a genuine cursor of another query with its own reason', () => {
    const other = CursorCodec.fingerprint(['alice', 'eu', 'c1', 'manifest', null, []]);
    expect(decodeError(codec, codec.encode(5, other), fp).message).to.equal(OTHER_QUERY);
    expect(decodeError(codec, signed({ a: 5 }), fp).message).to.equal(OTHER_QUERY);
  });

  it('refuses a signed cursor whose position is not a safe integer', () => {
    for (const a of [1.5, '5', null, true, 2 ** 53, -(2 ** 53), [3]]) {
      expect(decodeError(codec, signed({ a, f: fp }), fp).message, JSON.stringify(a)).to.equal(MALFORMED);
    }
    expect(decodeError(codec, signed({ f: fp }), fp).message).to.equal(MALFORMED);
    expect(codec.decode(signed({ a: 2 ** 53 - 1, f: fp }), fp)).to.equal(2 ** 53 - 1);
    expect(codec.decode(signed({ a: -3, f: fp }), fp)).to.equal(-3);
  });
});

// ---- Pager ---------------------------------------------------------------------------------------------

interface Call {
  collectionId: string;
  query: ObjectQuery;
  page: PageRequest;
}

class RecordingStore {
  calls: Call[] = [];
  constructor(private readonly result: Page<StoredVersion>) {}
  queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>> {
    this.calls.push({ collectionId, query, page });
    return Promise.resolve(this.result);
  }
}

const version = (id: string, dateAdded: number): StoredVersion => ({
  id,
  version: '2024-01-01T00:00:00.000Z',
  dateAdded,
  specVersion: '2.1',
  mediaType: 'application/stix+json;version=2.1',
  json: '{}',
});

const alice: Principal = { username: 'alice', role: 'member', groups: [] };
const bob: Principal = { username: 'bob', role: 'member', groups: [] };

function admitted(root = 'eu', collection = 'c1', deniedMarkings: string[] = []): Admitted<'read'> {
  return {
    root: { path: root, title: root, maxContentLength: 1000, source: 'config' },
    collection: { id: collection, apiRoot: root, title: collection, mediaTypes: [], source: 'config' },
    rights: { read: true, write: false },
    need: 'read',
    deniedMarkings,
    writer: { role: 'member', identities: [] },
  };
}

const OBJ = 'indicator--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f';

describe('pager: the store query and the next cursor (src/taxii/paging.ts)', () => {
  const codec = new CursorCodec(SECRET);
  const pagerOver = (result: Page<StoredVersion>) => {
    const store = new RecordingStore(result);
    return { store, pager: new Pager(store as unknown as ObjectStore, codec) };
  };
  const q = (raw: string, endpoint: Endpoint = 'objects') => parseTaxiiQuery(raw, endpoint, 100);

  it('hands no optional filter to the store when the request has none', async () => {
    const { store, pager } = pagerOver({ items: [], more: false });
    const res = await pager.page(alice, admitted(), 'objects', q(''));
    expect(res).to.deep.equal({ page: { items: [], more: false } });
    expect(store.calls).to.deep.equal([
      { collectionId: 'c1', query: { versions: { first: false, last: true, exact: [] } }, page: { limit: 100 } },
    ]);
  });

  it('hands every filter, the object id, the denied markings and the limit to the store', async () => {
    const { store, pager } = pagerOver({ items: [], more: false });
    const raw =
      `match[id]=${OBJ}&match[type]=indicator&match[version]=first&match[spec_version]=2.1` +
      '&added_after=2024-01-01T00:00:00Z&limit=7';
    await pager.page(alice, admitted('eu', 'c9', ['marking-definition--x']), 'objects', q(raw), OBJ);
    expect(store.calls).to.deep.equal([
      {
        collectionId: 'c9',
        query: {
          objectId: OBJ,
          ids: [OBJ],
          types: ['indicator'],
          versions: { first: true, last: false, exact: [] },
          specVersions: ['2.1'],
          addedAfter: Date.UTC(2024, 0, 1) * 1000,
          deniedMarkings: ['marking-definition--x'],
        },
        page: { limit: 7 },
      },
    ]);
  });

  it('asks for every version on the versions endpoint, whatever the query says', async () => {
    const { store, pager } = pagerOver({ items: [], more: false });
    await pager.page(alice, admitted(), 'versions', q('match[version]=first'), OBJ);
    await pager.page(alice, admitted(), 'object', q('match[version]=first', 'object'), OBJ);
    expect(store.calls.map((c) => c.query.versions)).to.deep.equal([
      { all: true },
      { first: true, last: false, exact: [] },
    ]);
  });

  it('issues next only with more, pointing at the last item, and takes it back as the keyset position', async () => {
    const { store, pager } = pagerOver({ items: [version('a', 10), version('b', 20)], more: true });
    const first = await pager.page(alice, admitted(), 'objects', q('limit=2'));
    expect(first.page.items.map((i) => i.id)).to.deep.equal(['a', 'b']);
    expect(first.next).to.be.a('string');
    const fp = CursorCodec.fingerprint(['alice', 'eu', 'c1', 'objects', null, q('').canonical]);
    expect(codec.decode(first.next as string, fp)).to.equal(20);

    // The client may change limit between pages; the cursor still fits.
    await pager.page(alice, admitted(), 'objects', q(`limit=5&next=${first.next}`));
    expect(store.calls[1]?.page).to.deep.equal({ limit: 5, after: 20 });

    const done = pagerOver({ items: [version('a', 10)], more: false });
    expect(await done.pager.page(alice, admitted(), 'objects', q(''))).to.not.have.property('next');
    const empty = pagerOver({ items: [], more: true });
    expect(await empty.pager.page(alice, admitted(), 'objects', q(''))).to.not.have.property('next');
  });

  it('binds next to the caller, API root, collection, endpoint, object and filters', async () => {
    const { pager } = pagerOver({ items: [version('a', 10)], more: true });
    const objectId = OBJ;
    const base = await pager.page(alice, admitted(), 'versions', q('match[spec_version]=2.1', 'versions'), objectId);
    const token = base.next as string;
    const again = (p: Principal, at: Admitted<'read'>, endpoint: Endpoint, raw: string, id?: string) =>
      pager.page(p, at, endpoint, q(`${raw}&next=${token}`, endpoint), id);
    // the same request goes on
    await again(alice, admitted(), 'versions', 'match[spec_version]=2.1', objectId);
    for (const [what, attempt] of [
      ['principal', () => again(bob, admitted(), 'versions', 'match[spec_version]=2.1', objectId)],
      ['API root', () => again(alice, admitted('us'), 'versions', 'match[spec_version]=2.1', objectId)],
      ['collection', () => again(alice, admitted('eu', 'c2'), 'versions', 'match[spec_version]=2.1', objectId)],
      ['endpoint', () => again(alice, admitted(), 'object', 'match[spec_version]=2.1', objectId)],
      ['object', () => again(alice, admitted(), 'versions', 'match[spec_version]=2.1', `${OBJ.slice(0, -1)}0`)],
      ['no object', () => again(alice, admitted(), 'versions', 'match[spec_version]=2.1')],
      ['filters', () => again(alice, admitted(), 'versions', 'match[spec_version]=2.0', objectId)],
    ] as const) {
      let error: unknown;
      try {
        await attempt();
      } catch (err) {
        error = err;
      }
      expect(error, what).to.be.instanceOf(InvalidRequestError);
      expect((error as Error).message, what).to.match(/different query/);
    }
  });
});
