// The access gate over a real SQLite store: every see/read/write/delete decision, the 404 that
// hides a collection, the 403 on a visible one, the admin bypass, status ownership, and that one
// decision costs one grant lookup.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AccessGate, type Need } from '../../src/access/gate.js';
import type { Principal } from '../../src/auth/principal.js';
import { ForbiddenError, NotFoundError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { GrantStore, Store, StatusRecord } from '../../src/store/store.js';

const OPEN = '11111111-1111-4111-8111-111111111111';
const HIDDEN = '22222222-2222-4222-8222-222222222222';
const DROP = '33333333-3333-4333-8333-333333333333';

const admin: Principal = { username: 'ops', admin: true };
const reader: Principal = { username: 'reader', admin: false };
const writer: Principal = { username: 'writer', admin: false };
const both: Principal = { username: 'both', admin: false };
const stranger: Principal = { username: 'stranger', admin: false };

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof NotFoundError) return `404 ${err.message}`;
    if (err instanceof ForbiddenError) return `403 ${err.message}`;
    throw err;
  }
}

describe('access gate (the one place that decides rights)', () => {
  let dir: string;
  let store: Store;
  let gate: AccessGate;
  const calls: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-gate-'));
    store = openSqliteStore(join(dir, 'gate.db'));
    await store.migrate();
    await store.catalog.putApiRoot({ path: 'eu', title: 'EU', maxContentLength: 1000 });
    await store.catalog.putApiRoot({ path: 'other', title: 'Other', maxContentLength: 1000 });
    await store.catalog.putCollection({ id: OPEN, apiRoot: 'eu', title: 'Open', alias: 'open' });
    await store.catalog.putCollection({ id: HIDDEN, apiRoot: 'eu', title: 'Hidden' });
    await store.catalog.putCollection({ id: DROP, apiRoot: 'eu', title: 'Drop box' });
    await store.grants.setGrants(OPEN, [
      { username: 'reader', read: true, write: false },
      { username: 'writer', read: false, write: true },
      { username: 'both', read: true, write: true },
      { username: 'stranger', read: false, write: false },
    ]);
    await store.grants.setGrants(DROP, [{ username: 'reader', read: false, write: true }]);
    // The real grant store, with its calls written down.
    const real = store.grants;
    const counted: GrantStore = {
      setGrants: (...a) => real.setGrants(...a),
      grantsOf: (u) => (calls.push(`grantsOf ${u}`), real.grantsOf(u)),
      grantOn: (c, u) => (calls.push(`grantOn ${c} ${u}`), real.grantOn(c, u)),
    };
    gate = new AccessGate(store.catalog, counted);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const decide = (p: Principal, collection: string, need: Need, apiRoot = 'eu') =>
    outcome(gate.collection(p, { apiRoot, collection }, need));
  const NOT_THERE = '404 There is no such collection in this API root.';

  it('T-114 grants exactly what the grant says: read, write, and delete only with both', async () => {
    const table: [Principal, Need, string][] = [
      [reader, 'see', 'ok'],
      [reader, 'read', 'ok'],
      [reader, 'write', '403 You may read this collection but not add objects to it.'],
      [reader, 'delete', '403 Deleting objects requires both read and write access to the collection.'],
      [writer, 'see', 'ok'],
      [writer, 'read', '403 You may add objects to this collection but not read it.'],
      [writer, 'write', 'ok'],
      [writer, 'delete', '403 Deleting objects requires both read and write access to the collection.'],
      [both, 'read', 'ok'],
      [both, 'write', 'ok'],
      [both, 'delete', 'ok'],
    ];
    for (const [p, need, expected] of table)
      expect(await decide(p, OPEN, need), `${p.username} ${need}`).to.equal(expected);
  });

  it('T-123 hides a collection without any right exactly like one that does not exist, whatever the need', async () => {
    for (const need of ['see', 'read', 'write', 'delete'] as Need[]) {
      expect(await decide(stranger, OPEN, need), 'a grant with neither right').to.equal(NOT_THERE);
      expect(await decide(reader, HIDDEN, need), 'no grant at all').to.equal(NOT_THERE);
      expect(await decide(reader, '99999999-9999-4999-8999-999999999999', need), 'no such collection').to.equal(
        NOT_THERE,
      );
      expect(await decide(reader, OPEN, need, 'other'), 'collection of another API root').to.equal(NOT_THERE);
    }
    expect(await decide(reader, OPEN, 'read', 'nope')).to.equal('404 There is no API root at /nope/.');
  });

  it('lets platform admins do everything everywhere, without a grant', async () => {
    for (const need of ['see', 'read', 'write', 'delete'] as Need[]) {
      expect(await decide(admin, HIDDEN, need)).to.equal('ok');
    }
    expect((await gate.collection(admin, { apiRoot: 'eu', collection: HIDDEN }, 'read')).rights).to.deep.equal({
      read: true,
      write: true,
    });
  });

  it('resolves aliases and reports the rights held and the need checked', async () => {
    const at = await gate.collection(both, { apiRoot: 'eu', collection: 'open' }, 'write');
    expect(at.collection.id).to.equal(OPEN);
    expect(at.root.path).to.equal('eu');
    expect(at.rights).to.deep.equal({ read: true, write: true });
    expect(at.need).to.equal('write');
  });

  it('lists what each principal can see, with its rights, ordered by id', async () => {
    const seen = async (p: Principal) =>
      (await gate.visibleCollections(p, 'eu')).map((c) => [c.collection.id, c.rights.read, c.rights.write]);
    expect(await seen(reader)).to.deep.equal([
      [OPEN, true, false],
      [DROP, false, true],
    ]);
    expect(await seen(stranger)).to.deep.equal([]);
    expect(await seen(admin)).to.deep.equal([
      [OPEN, true, true],
      [HIDDEN, true, true],
      [DROP, true, true],
    ]);
    expect(await outcome(gate.visibleCollections(reader, 'nope'))).to.equal('404 There is no API root at /nope/.');
  });

  it('answers one collection with one keyed grant lookup, never by loading every grant of the user', async () => {
    calls.length = 0;
    await gate.collection(reader, { apiRoot: 'eu', collection: OPEN }, 'read');
    expect(calls).to.deep.equal([`grantOn ${OPEN} reader`]);
    calls.length = 0;
    await gate.collection(admin, { apiRoot: 'eu', collection: OPEN }, 'read');
    expect(calls).to.deep.equal([]);
  });

  it('T-47 shows a status to the principal that made the request and to admins only', () => {
    const status: StatusRecord = {
      id: 's1',
      apiRoot: 'eu',
      collectionId: OPEN,
      owner: 'writer',
      status: 'complete',
      requestTimestamp: 0,
      totalCount: 0,
      successes: [],
      failures: [],
      pendings: [],
    };
    expect(gate.status(writer, status)).to.equal(status);
    expect(gate.status(admin, status)).to.equal(status);
    expect(() => gate.status(reader, status)).to.throw(NotFoundError, 'There is no such status resource.');
    expect(() => gate.status(writer, undefined)).to.throw(NotFoundError, 'There is no such status resource.');
  });
});
