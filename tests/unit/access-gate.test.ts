// The access gate over a real SQLite store: every see/read/write/delete decision for users,
// tenants and groups, the 404 that hides a collection or an API root, the 403 on a visible
// collection, the admin bypass, status visibility per tenant, and that one decision costs one
// grant query.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AccessGate, subjectsOf, type Need } from '../../src/access/gate.js';
import type { Principal } from '../../src/auth/principal.js';
import { ForbiddenError, NotFoundError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { GrantStore, Store, StatusRecord, Subject } from '../../src/store/store.js';

const OPEN = '11111111-1111-4111-8111-111111111111';
const HIDDEN = '22222222-2222-4222-8222-222222222222';
const DROP = '33333333-3333-4333-8333-333333333333';
const EU_WIDE = '44444444-4444-4444-8444-444444444444';
const FR_DROP = '55555555-5555-4555-8555-555555555555';
const ELSEWHERE = '66666666-6666-4666-8666-666666666666';

const member = (username: string, tenant?: string, groups: string[] = []): Principal => ({
  username,
  role: 'member',
  ...(tenant !== undefined ? { tenant } : {}),
  groups,
});
const admin: Principal = { username: 'ops', role: 'platform-admin', groups: [] };
const reader = member('reader');
const writer = member('writer');
const both = member('both');
const stranger = member('stranger');
const de = member('de-analyst', 'de-bsi', ['eu']);
const deAdmin: Principal = { ...member('de-admin', 'de-bsi', ['eu']), role: 'tenant-admin' };
const fr = member('fr-analyst', 'fr-anssi', ['eu']);
const us = member('us-analyst', 'us-cisa');

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

const NO_COLLECTION = '404 There is no such collection in this API root.';
const NO_ROOT = (p: string) => `404 There is no API root at /${p}/.`;
const CANNOT_READ = '403 You may add objects to this collection but not read it.';
const CANNOT_WRITE = '403 You may read this collection but not add objects to it.';
const CANNOT_DELETE = '403 Deleting objects requires both read and write access to the collection.';

describe('access gate (the one place that decides rights)', () => {
  let dir: string;
  let store: Store;
  let gate: AccessGate;
  const calls: string[] = [];
  const user = (id: string): Subject => ({ kind: 'user', id });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-gate-'));
    store = openSqliteStore(join(dir, 'gate.db'));
    await store.migrate();
    const root = (path: string) =>
      store.catalog.putApiRoot({ path, title: path, maxContentLength: 1000, source: 'config' });
    const col = (id: string, apiRoot: string, title: string, alias?: string) =>
      store.catalog.putCollection({ id, apiRoot, title, ...(alias ? { alias } : {}), source: 'config' });
    await root('eu');
    await root('other');
    await col(OPEN, 'eu', 'Open', 'open');
    await col(HIDDEN, 'eu', 'Hidden');
    await col(DROP, 'eu', 'Drop box');
    await col(EU_WIDE, 'eu', 'EU-wide state actors');
    await col(FR_DROP, 'eu', 'French drop box');
    await col(ELSEWHERE, 'other', 'Other root');
    const grant = (subject: Subject, read: boolean, write: boolean) => ({ subject, read, write });
    await store.grants.setGrants(
      OPEN,
      [
        grant(user('reader'), true, false),
        grant(user('writer'), false, true),
        grant(user('both'), true, true),
        grant(user('stranger'), false, false),
      ],
      'config',
    );
    await store.grants.setGrants(DROP, [grant(user('reader'), false, true)], 'config');
    await store.grants.setGrants(
      EU_WIDE,
      [grant({ kind: 'group', id: 'eu' }, true, false), grant({ kind: 'tenant', id: 'de-bsi' }, true, true)],
      'config',
    );
    await store.grants.setGrants(
      FR_DROP,
      [grant({ kind: 'tenant', id: 'fr-anssi' }, true, false), grant({ kind: 'group', id: 'eu' }, false, true)],
      'config',
    );
    // The real grant store, with its calls written down.
    const real = store.grants;
    const counted: GrantStore = {
      setGrants: (...a) => real.setGrants(...a),
      listGrants: (c) => real.listGrants(c),
      deleteGrantsOf: (s) => real.deleteGrantsOf(s),
      grantsOf: (s) => (calls.push(`grantsOf ${s.length}`), real.grantsOf(s)),
      grantsOn: (c, s) => (calls.push(`grantsOn ${c} ${s.length}`), real.grantsOn(c, s)),
    };
    gate = new AccessGate(store.catalog, counted, store.markings, store.tenancy);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const decide = (p: Principal, collection: string, need: Need, apiRoot = 'eu') =>
    outcome(gate.collection(p, { apiRoot, collection }, need));

  it('names the caller, its tenant and its groups as grant subjects', () => {
    expect(subjectsOf(de)).to.deep.equal([
      { kind: 'user', id: 'de-analyst' },
      { kind: 'tenant', id: 'de-bsi' },
      { kind: 'group', id: 'eu' },
    ]);
    expect(subjectsOf(reader)).to.deep.equal([{ kind: 'user', id: 'reader' }]);
  });

  it('T-114 grants exactly what the grant says: read, write, and delete only with both', async () => {
    const table: [Principal, string, Need, string][] = [
      [reader, OPEN, 'see', 'ok'],
      [reader, OPEN, 'read', 'ok'],
      [reader, OPEN, 'write', CANNOT_WRITE],
      [reader, OPEN, 'delete', CANNOT_DELETE],
      [writer, OPEN, 'see', 'ok'],
      [writer, OPEN, 'read', CANNOT_READ],
      [writer, OPEN, 'write', 'ok'],
      [writer, OPEN, 'delete', CANNOT_DELETE],
      [both, OPEN, 'read', 'ok'],
      [both, OPEN, 'write', 'ok'],
      [both, OPEN, 'delete', 'ok'],
    ];
    for (const [p, c, need, expected] of table)
      expect(await decide(p, c, need), `${p.username} ${need}`).to.equal(expected);
  });

  it('adds up grants to the user, its tenant and its groups', async () => {
    const table: [Principal, string, Need, string][] = [
      [de, EU_WIDE, 'read', 'ok'], // group read + tenant read/write
      [de, EU_WIDE, 'delete', 'ok'],
      [fr, EU_WIDE, 'read', 'ok'], // group read only
      [fr, EU_WIDE, 'write', CANNOT_WRITE],
      [de, FR_DROP, 'write', 'ok'], // group write only: a drop box
      [de, FR_DROP, 'read', CANNOT_READ],
      [fr, FR_DROP, 'delete', 'ok'], // tenant read + group write
      [us, EU_WIDE, 'see', NO_ROOT('eu')], // sees nothing in /eu/ at all
      [deAdmin, EU_WIDE, 'write', 'ok'], // a tenant admin has its tenant's rights, no more
      [deAdmin, OPEN, 'see', NO_COLLECTION],
    ];
    for (const [p, c, need, expected] of table)
      expect(await decide(p, c, need), `${p.username} ${need} ${c}`).to.equal(expected);
  });

  it('T-123 hides a collection without any right exactly like one that does not exist, whatever the need', async () => {
    for (const need of ['see', 'read', 'write', 'delete'] as Need[]) {
      expect(await decide(stranger, OPEN, need), 'a grant with neither right').to.equal(NO_ROOT('eu'));
      expect(await decide(reader, HIDDEN, need), 'no grant at all').to.equal(NO_COLLECTION);
      expect(await decide(reader, '99999999-9999-4999-8999-999999999999', need), 'no such collection').to.equal(
        NO_COLLECTION,
      );
      expect(await decide(reader, OPEN, need, 'other'), 'collection of another API root').to.equal(NO_ROOT('other'));
      expect(await decide(reader, OPEN, need, 'nope'), 'no such API root').to.equal(NO_ROOT('nope'));
    }
  });

  it('hides API roots in which the caller sees no collection', async () => {
    expect(await outcome(gate.apiRoot(reader, 'eu'))).to.equal('ok');
    expect(await outcome(gate.apiRoot(reader, 'other'))).to.equal(NO_ROOT('other'));
    expect(await outcome(gate.apiRoot(stranger, 'eu'))).to.equal(NO_ROOT('eu'));
    expect(await outcome(gate.apiRoot(admin, 'other'))).to.equal('ok');
    expect((await gate.visibleApiRoots(reader)).map((r) => r.path)).to.deep.equal(['eu']);
    expect((await gate.visibleApiRoots(us)).map((r) => r.path)).to.deep.equal([]);
    expect((await gate.visibleApiRoots(admin)).map((r) => r.path)).to.deep.equal(['eu', 'other']);
  });

  it('lets platform admins do everything everywhere, without a grant', async () => {
    for (const need of ['see', 'read', 'write', 'delete'] as Need[]) {
      expect(await decide(admin, HIDDEN, need)).to.equal('ok');
      expect(await decide(admin, ELSEWHERE, need, 'other')).to.equal('ok');
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
    expect(await seen(fr)).to.deep.equal([
      [EU_WIDE, true, false],
      [FR_DROP, true, true],
    ]);
    expect(await outcome(seen(stranger))).to.equal(NO_ROOT('eu'));
    expect((await seen(admin)).map((c) => c[0])).to.deep.equal([OPEN, HIDDEN, DROP, EU_WIDE, FR_DROP]);
  });

  it('answers one collection with one grant query over the caller’s subjects, never by loading all its grants', async () => {
    calls.length = 0;
    await gate.collection(de, { apiRoot: 'eu', collection: EU_WIDE }, 'read');
    expect(calls).to.deep.equal([`grantsOn ${EU_WIDE} 3`]);
    calls.length = 0;
    await gate.collection(admin, { apiRoot: 'eu', collection: OPEN }, 'read');
    expect(calls).to.deep.equal([]);
  });

  it('T-47 shows a status to every account of the tenant that made the request, and to platform admins', () => {
    const status = (owner: string, tenant?: string): StatusRecord => ({
      id: 's1',
      apiRoot: 'eu',
      collectionId: OPEN,
      owner,
      ...(tenant !== undefined ? { tenant } : {}),
      status: 'complete',
      requestTimestamp: 0,
      totalCount: 0,
      successes: [],
      failures: [],
      pendings: [],
    });
    const ofDe = status('de-analyst', 'de-bsi');
    expect(gate.status(de, ofDe)).to.equal(ofDe);
    expect(gate.status(deAdmin, ofDe)).to.equal(ofDe);
    expect(gate.status(admin, ofDe)).to.equal(ofDe);
    expect(() => gate.status(fr, ofDe)).to.throw(NotFoundError, 'There is no such status resource.');
    // Accounts without a tenant: the poster alone.
    const ofWriter = status('writer');
    expect(gate.status(writer, ofWriter)).to.equal(ofWriter);
    expect(() => gate.status(reader, ofWriter)).to.throw(NotFoundError, 'There is no such status resource.');
    expect(() => gate.status(writer, undefined)).to.throw(NotFoundError, 'There is no such status resource.');
  });
});
