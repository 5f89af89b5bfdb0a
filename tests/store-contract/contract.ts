// One contract, every backend: each Store implementation runs these tests against a real database.
import { expect } from 'chai';
import { versionKey } from '../../src/stix/timestamps.js';
import type { NewVersion, ObjectQuery, Store } from '../../src/store/store.js';
import { indicator, ipv4, type Stix } from '../fixtures/builders.js';

export interface OpenedStore {
  store: Store;
  /** closes the store and opens the same database again */
  reopen(): Promise<Store>;
  dispose(): Promise<void>;
}

const C = '3a0b1c2d-4e5f-4a6b-8c7d-000000000001';
const LAST: ObjectQuery['versions'] = { first: false, last: true, exact: [] };
const ALL: ObjectQuery['versions'] = { all: true };
const T0 = Date.UTC(2025, 0, 1) * 1000;

export function toNew(o: Stix): NewVersion {
  const version = (o.modified ?? o.created) as string | undefined;
  return {
    id: o.id,
    type: o.type,
    specVersion: (o.spec_version as string | undefined) ?? '2.1',
    ...(version !== undefined ? { version, versionKey: versionKey(version) as string } : {}),
    json: JSON.stringify(o),
  };
}

export function describeStoreContract(backend: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${backend}`, function () {
    this.timeout(30_000);
    let s: OpenedStore;
    let store: Store;
    beforeEach(async () => {
      s = await open();
      store = s.store;
      await store.migrate();
      await store.catalog.putApiRoot({ path: 'r1', title: 'Root one', maxContentLength: 1000 });
      await store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', alias: 'c-alias' });
    });
    afterEach(async () => s.dispose());

    const query = (q: Partial<ObjectQuery> = {}, limit = 100, after?: number) =>
      store.objects.queryObjects(C, { versions: LAST, ...q }, { limit, ...(after !== undefined ? { after } : {}) });

    it('answers undefined for unknown API roots, collections, users, statuses and meta keys', async () => {
      expect(await store.catalog.getApiRoot('nope')).to.equal(undefined);
      expect(await store.catalog.getCollection('r1', 'nope')).to.equal(undefined);
      expect(await store.catalog.getCollection('other-root', C)).to.equal(undefined);
      expect(await store.identity.getUser('nobody')).to.equal(undefined);
      expect(await store.statuses.getStatus('r1', 'nope')).to.equal(undefined);
      expect(await store.meta.getMeta('nope')).to.equal(undefined);
      expect(await store.objects.objectExists(C, 'indicator--00000000-0000-4000-8000-000000000000')).to.equal(false);
    });

    it('stores API roots and collections, finds a collection by id or alias, lists by id', async () => {
      await store.catalog.putCollection({
        id: '0a0b1c2d-4e5f-4a6b-8c7d-000000000002',
        apiRoot: 'r1',
        title: 'Earlier id',
      });
      await store.catalog.putApiRoot({ path: 'r1', title: 'Root one, renamed', description: 'd', maxContentLength: 5 });
      expect(await store.catalog.getApiRoot('r1')).to.deep.equal({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
      });
      expect((await store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(C);
      const c = await store.catalog.getCollection('r1', C);
      expect(c).to.deep.equal({
        id: C,
        apiRoot: 'r1',
        title: 'C',
        alias: 'c-alias',
        mediaTypes: ['application/stix+json;version=2.1'],
      });
      expect((await store.catalog.listCollections('r1')).map((x) => x.id)).to.deep.equal([
        '0a0b1c2d-4e5f-4a6b-8c7d-000000000002',
        C,
      ]);
      expect((await store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
    });

    it('replaces grants and reads them per user; stores users and counts admins', async () => {
      await store.grants.setGrants(C, [
        { username: 'u1', read: true, write: false },
        { username: 'u2', read: true, write: true },
      ]);
      await store.grants.setGrants(C, [{ username: 'u1', read: false, write: true }]);
      expect(await store.grants.grantsOf('u1')).to.deep.equal([
        { collectionId: C, username: 'u1', read: false, write: true },
      ]);
      expect(await store.grants.grantsOf('u2')).to.deep.equal([]);
      await store.identity.putUser({ username: 'a', passwordHash: 'h1', admin: true });
      await store.identity.putUser({ username: 'b', passwordHash: 'h2', admin: false });
      await store.identity.putUser({ username: 'a', passwordHash: 'h3', admin: true });
      expect(await store.identity.getUser('a')).to.deep.equal({ username: 'a', passwordHash: 'h3', admin: true });
      expect(await store.identity.countAdmins()).to.equal(1);
    });

    it('initMeta keeps the first value', async () => {
      expect(await store.meta.initMeta('k', 'v1')).to.equal('v1');
      expect(await store.meta.initMeta('k', 'v2')).to.equal('v1');
      expect(await store.meta.getMeta('k')).to.equal('v1');
    });

    it('returns versions in date_added order with strictly increasing date_added, even when the clock stalls or steps back', async () => {
      await store.objects.addObjects(C, [toNew(indicator('a')), toNew(indicator('b'))], T0);
      await store.objects.addObjects(C, [toNew(indicator('c'))], T0 - 5_000_000);
      const page = await query();
      expect(page.items.map((v) => v.id)).to.deep.equal([indicator('a').id, indicator('b').id, indicator('c').id]);
      const added = page.items.map((v) => v.dateAdded);
      expect(added[0]).to.equal(T0);
      expect(added[1]).to.be.greaterThan(added[0] as number);
      expect(added[2]).to.be.greaterThan(added[1] as number);
      expect(page.more).to.equal(false);
      expect(String(page.items[0]?.json)).to.equal(JSON.stringify(indicator('a')));
      expect(page.items[0]?.mediaType).to.equal('application/stix+json;version=2.1');
    });

    it('treats an identical repost as a duplicate and a different body with the same version as a conflict', async () => {
      const a = indicator('dup');
      expect(await store.objects.addObjects(C, [toNew(a)], T0)).to.deep.equal([
        { id: a.id, version: a.modified, outcome: 'added' },
      ]);
      const again = await store.objects.addObjects(
        C,
        [toNew(a), toNew({ ...a, name: 'other' }), toNew({ ...a, modified: '2024-01-01T00:00:00Z' })],
        T0 + 1,
      );
      expect(again.map((o) => o.outcome)).to.deep.equal(['duplicate', 'conflict', 'conflict']);
      expect((await query({}, 100)).items).to.have.length(1);
    });

    it('reports one outcome per input, in order, for a batch of 2,500 with repeats and a stored version', async () => {
      const stored = indicator('big-7');
      await store.objects.addObjects(C, [toNew(stored)], T0);
      const batch = Array.from({ length: 2500 }, (_, i) => toNew(indicator(`big-${i}`)));
      batch[1700] = toNew(indicator('big-3')); // repeats an earlier item of the same batch
      batch[2100] = toNew({ ...indicator('big-5'), name: 'changed' }); // same version, other body
      const out = await store.objects.addObjects(C, batch, T0 + 10);
      expect(out).to.have.length(2500);
      expect(out.map((o) => o.id)).to.deep.equal(batch.map((v) => v.id));
      const byOutcome = (k: string) => out.flatMap((o, i) => (o.outcome === k ? [i] : []));
      expect(byOutcome('duplicate')).to.deep.equal([7, 1700]);
      expect(byOutcome('conflict')).to.deep.equal([2100]);
      const all = await query({ versions: ALL }, 5000);
      expect(all.items).to.have.length(2500 - 3 + 1);
      const added = all.items.map((v) => v.dateAdded);
      expect(new Set(added).size).to.equal(added.length);
    });

    it('maintains first/last flags when versions arrive out of order', async () => {
      const v = (m: string) => indicator('flags', m);
      await store.objects.addObjects(C, [toNew(v('2024-02-01T00:00:00.000Z'))], T0);
      await store.objects.addObjects(C, [toNew(v('2024-03-01T00:00:00.000Z'))], T0 + 10);
      await store.objects.addObjects(C, [toNew(v('2024-01-01T00:00:00.000Z'))], T0 + 20);
      const pick = async (versions: ObjectQuery['versions']) => (await query({ versions })).items.map((i) => i.version);
      expect(await pick(LAST)).to.deep.equal(['2024-03-01T00:00:00.000Z']);
      expect(await pick({ first: true, last: false, exact: [] })).to.deep.equal(['2024-01-01T00:00:00.000Z']);
      expect(await pick(ALL)).to.have.length(3);
      expect(
        await pick({ first: false, last: false, exact: [versionKey('2024-02-01T00:00:00Z') as string] }),
      ).to.deep.equal(['2024-02-01T00:00:00.000Z']);
    });

    it('visits every version exactly once when paging with limit 1', async () => {
      const objs = Array.from({ length: 7 }, (_, i) => toNew(indicator(`p${i}`)));
      await store.objects.addObjects(C, objs, T0);
      const seen: string[] = [];
      let after: number | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await query({}, 1, after);
        seen.push(...page.items.map((x) => x.id));
        if (!page.more) break;
        after = page.items[page.items.length - 1]?.dateAdded;
      }
      expect(seen).to.deep.equal(objs.map((o) => o.id));
    });

    it('filters by ids, types, spec versions and addedAfter in the database', async () => {
      await store.objects.addObjects(C, [toNew(indicator('f1')), toNew(ipv4('192.0.2.1')), toNew(indicator('f2'))], T0);
      expect((await query({ types: ['ipv4-addr'] })).items.map((i) => i.id)).to.deep.equal([ipv4('192.0.2.1').id]);
      expect((await query({ ids: [indicator('f2').id, indicator('f1').id] })).items.map((i) => i.id)).to.deep.equal([
        indicator('f1').id,
        indicator('f2').id,
      ]);
      expect((await query({ specVersions: ['2.0'] })).items).to.have.length(0);
      expect((await query({ addedAfter: T0 })).items).to.have.length(2);
      expect((await query({ objectId: indicator('f1').id })).items).to.have.length(1);
    });

    it('gives an SCO without created/modified one server-assigned version; a repost is a duplicate', async () => {
      const ip = ipv4('192.0.2.55');
      const [first] = await store.objects.addObjects(C, [toNew(ip)], T0);
      expect(first?.outcome).to.equal('added');
      expect(first?.version).to.equal('2025-01-01T00:00:00.000000Z');
      const [again] = await store.objects.addObjects(C, [toNew(ip)], T0 + 100);
      expect(again).to.deep.equal({ id: ip.id, version: first?.version, outcome: 'duplicate' });
    });

    it('deletes selected versions and recomputes first/last', async () => {
      const v = (m: string) => indicator('del', m);
      await store.objects.addObjects(
        C,
        [toNew(v('2024-01-01T00:00:00.000Z')), toNew(v('2024-02-01T00:00:00.000Z'))],
        T0,
      );
      expect(await store.objects.deleteObjects(C, { objectId: v('x').id, versions: LAST })).to.equal(1);
      expect((await query()).items.map((i) => i.version)).to.deep.equal(['2024-01-01T00:00:00.000Z']);
      expect(
        await store.objects.deleteObjects(C, { objectId: v('x').id, versions: LAST, specVersions: ['2.0'] }),
      ).to.equal(0);
      expect(await store.objects.deleteObjects(C, { objectId: v('x').id, versions: ALL })).to.equal(1);
      expect(await store.objects.objectExists(C, v('x').id)).to.equal(false);
    });

    it('stores, reads and purges status resources', async () => {
      const status = {
        id: '11111111-2222-4333-8444-555555555555',
        apiRoot: 'r1',
        collectionId: C,
        owner: 'u1',
        status: 'complete' as const,
        requestTimestamp: T0,
        totalCount: 2,
        successes: [{ id: 'indicator--x', version: 'v', message: 'already present' }],
        failures: [{ id: 'objects[1]', version: '', message: 'bad' }],
        pendings: [],
      };
      await store.statuses.putStatus(status);
      expect(await store.statuses.getStatus('r1', status.id)).to.deep.equal(status);
      expect(await store.statuses.getStatus('r2', status.id)).to.equal(undefined);
      expect(await store.statuses.purgeStatuses(T0)).to.equal(0);
      expect(await store.statuses.purgeStatuses(T0 + 1)).to.equal(1);
      expect(await store.statuses.getStatus('r1', status.id)).to.equal(undefined);
    });

    it('keeps everything and keeps date_added increasing after the store is reopened', async () => {
      await store.objects.addObjects(C, [toNew(indicator('persist'))], T0 + 1_000_000);
      store = await s.reopen();
      await store.migrate();
      expect((await store.catalog.getCollection('r1', C))?.title).to.equal('C');
      await store.objects.addObjects(C, [toNew(indicator('after-reopen'))], T0);
      const items = (await query()).items;
      expect(items.map((i) => i.id)).to.deep.equal([indicator('persist').id, indicator('after-reopen').id]);
      expect(items[1]?.dateAdded).to.be.greaterThan(items[0]?.dateAdded as number);
    });
  });
}
