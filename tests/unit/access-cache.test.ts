// The access cache on a real SQLite store (in memory), with a clock the tests move: served from
// memory while the generation holds, re-checked once the bound has passed, emptied at once by a
// write through this process, never keeping an answer read before an invalidation, bounded, and
// off entirely at 0.
import { expect } from 'chai';
import { AccessCache, cachedAccessAreas, invalidatingStore } from '../../src/access/access-cache.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store, UserRecord } from '../../src/store/store.js';

const user = (username: string, role: UserRecord['role'] = 'member'): UserRecord => ({
  username,
  kind: 'user',
  role,
  certificates: [],
  source: 'admin',
});

describe('AccessCache', () => {
  let raw: Store;
  let now: number;
  let generationReads: number;
  const open = (ttlMs: number, opts: { maxEntries?: number; maxAgeMs?: number } = {}) => {
    const cache = new AccessCache(
      () => {
        generationReads++;
        return raw.meta.getAccessGeneration();
      },
      { ttlMs, now: () => now, ...opts },
    );
    const store = invalidatingStore(raw, cache);
    return { cache, store, access: cachedAccessAreas(store, cache) };
  };

  beforeEach(async () => {
    raw = openSqliteStore(':memory:');
    await raw.migrate();
    now = 1_000;
    generationReads = 0;
    await raw.identity.putUser(user('alice'));
  });
  afterEach(async () => raw.close());

  it('serves a lookup from memory within the bound and sees another writer once it has passed', async () => {
    const { cache, access } = open(250);
    expect((await access.identity.getUser('alice'))?.role).to.equal('member');
    // Another process (here: the store without this cache's wrapper) changes the account.
    await raw.identity.putUser(user('alice', 'platform-admin'));
    now += 249;
    expect((await access.identity.getUser('alice'))?.role, 'inside the bound').to.equal('member');
    expect(cache.hits).to.equal(1);
    now += 1;
    expect((await access.identity.getUser('alice'))?.role, 'at the bound').to.equal('platform-admin');
    expect(generationReads).to.equal(2);
  });

  it('keeps serving across many bounds while the generation stands, reading only the generation', async () => {
    const { cache, access } = open(100);
    await access.identity.getUser('alice');
    for (let i = 0; i < 10; i++) {
      now += 150;
      await access.identity.getUser('alice');
    }
    expect(cache.misses).to.equal(1);
    expect(cache.hits).to.equal(10);
    expect(generationReads).to.equal(11);
  });

  it('applies a write made through this process at once, whatever the bound', async () => {
    const { store, access } = open(60_000);
    expect(await access.grants.grantsOn('c1', [{ kind: 'user', id: 'alice' }])).to.deep.equal([]);
    await store.grants.setGrants('c1', [{ subject: { kind: 'user', id: 'alice' }, read: true, write: false }], 'admin');
    expect(await access.grants.grantsOn('c1', [{ kind: 'user', id: 'alice' }])).to.have.length(1);
    await store.identity.deleteUser('alice');
    expect(await access.identity.getUser('alice')).to.equal(undefined);
  });

  it('invalidates also when a write through this process fails', async () => {
    const { store, access } = open(60_000);
    await store.catalog.putApiRoot({ path: 'r', title: 'R', maxContentLength: 10, source: 'admin' });
    await store.catalog.createCollection({ id: 'c', apiRoot: 'r', title: 'C', source: 'admin' });
    expect((await access.catalog.listAllCollections()).map((c) => c.id)).to.deep.equal(['c']);
    await raw.catalog.retireCollection('c'); // unseen: another writer
    expect((await access.catalog.listAllCollections()).map((c) => c.id)).to.deep.equal(['c']);
    await raw.catalog.putCollection({ id: 'c', apiRoot: 'r', title: 'C', source: 'admin' });
    let failed = false;
    await store.catalog.createCollection({ id: 'c', apiRoot: 'r', title: 'C', source: 'admin' }).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
    await raw.catalog.retireCollection('c');
    // The failed creation emptied the cache: the retirement by the other writer shows.
    expect(await access.catalog.listAllCollections()).to.deep.equal([]);
  });

  it('caches unknown accounts and tokens too, so that floods of them do not reach the store', async () => {
    const { cache, access } = open(250);
    for (let i = 0; i < 5; i++) {
      expect(await access.identity.getUser('mallory')).to.equal(undefined);
      expect(await access.identity.getToken('ffffffffffffffff')).to.equal(undefined);
    }
    expect(cache.misses).to.equal(2);
    expect(cache.hits).to.equal(8);
  });

  it('never keeps an answer that was read before an invalidation', async () => {
    const { cache } = open(60_000);
    let release: (v: string) => void = () => undefined;
    const slow = cache.read('users', 'k', () => new Promise<string>((r) => (release = r)));
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    cache.invalidate(); // a write lands while the lookup is under way
    release('before the write');
    expect(await slow).to.equal('before the write');
    expect(await cache.read('users', 'k', async () => 'after the write')).to.equal('after the write');
  });

  it('holds at most maxEntries answers per kind, the oldest dropped first, other kinds untouched', async () => {
    const { cache } = open(60_000, { maxEntries: 3 });
    await cache.read('catalog', 'roots', async () => ['kept']);
    for (const k of ['a', 'b', 'c', 'd']) await cache.read('users', k, async () => k);
    expect(await cache.read('users', 'a', async () => 'reloaded')).to.equal('reloaded');
    expect(await cache.read('users', 'd', async () => 'reloaded')).to.equal('d');
    expect(await cache.read('catalog', 'roots', async () => ['reloaded'])).to.deep.equal(['kept']);
  });

  it('serves nothing older than maxAgeMs, even under an unchanged generation', async () => {
    const { cache } = open(100, { maxAgeMs: 1_000 });
    await cache.read('users', 'k', async () => 'first');
    now += 999;
    expect(await cache.read('users', 'k', async () => 'second')).to.equal('first');
    now += 1;
    expect(await cache.read('users', 'k', async () => 'second')).to.equal('second');
  });

  it('hands out frozen answers: no caller can change what the next one is served', async () => {
    const { access } = open(250);
    const u = (await access.identity.getUser('alice')) as UserRecord;
    expect(Object.isFrozen(u)).to.equal(true);
    expect(Object.isFrozen(u.certificates)).to.equal(true);
    expect(() => ((u as { role: string }).role = 'platform-admin')).to.throw(TypeError);
  });

  it('shares one generation read between concurrent lookups', async () => {
    const { access } = open(250);
    await Promise.all(Array.from({ length: 20 }, () => access.identity.getUser('alice')));
    expect(generationReads).to.equal(1);
  });

  it('is off at 0: every lookup reads the store and the generation is never read', async () => {
    const { cache, access } = open(0);
    expect(cache.enabled).to.equal(false);
    await access.identity.getUser('alice');
    await raw.identity.putUser(user('alice', 'tenant-admin'));
    expect((await access.identity.getUser('alice'))?.role).to.equal('tenant-admin');
    expect(generationReads).to.equal(0);
    expect(cache.hits + cache.misses).to.equal(0);
  });
});
