// One contract, every backend: each Store implementation runs these tests against a real database,
// one describe block per data area (areas/*.ts).
import { expect } from 'chai';
import { objectMarkingRefs } from '../../src/stix/markings.js';
import { versionKey } from '../../src/stix/timestamps.js';
import type { NewVersion, ObjectQuery, Page, Store, StoredVersion } from '../../src/store/store.js';
import { indicator, type Stix } from '../fixtures/builders.js';
import { auditContract } from './areas/audit.js';
import { catalogContract } from './areas/catalog.js';
import { grantsContract, identityContract, tenancyContract } from './areas/identity.js';
import { markingsContract } from './areas/markings.js';
import { metaContract } from './areas/meta.js';
import { objectsContract } from './areas/objects.js';
import { pagingContract } from './areas/paging.js';
import { pagingPropertiesContract } from './areas/paging-properties.js';
import { statusesContract } from './areas/statuses.js';
import { jobsContract } from './areas/jobs.js';
import { intelContract } from './areas/intel.js';

export interface OpenedStore {
  store: Store;
  /** closes the store and opens the same database again */
  reopen(): Promise<Store>;
  dispose(): Promise<void>;
}

/** What every area's tests get: the store under test, fresh per test, with API root r1 and collection C. */
export interface ContractContext {
  readonly store: Store;
  reopen(): Promise<Store>;
  /** objects of C, latest versions unless q says otherwise */
  query(q?: Partial<ObjectQuery>, limit?: number, after?: number): Promise<Page<StoredVersion>>;
}

export const C = '3a0b1c2d-4e5f-4a6b-8c7d-000000000001';
export const LAST: ObjectQuery['versions'] = { first: false, last: true, exact: [] };
export const ALL: ObjectQuery['versions'] = { all: true };
export const T0 = Date.UTC(2025, 0, 1) * 1000;

export function toNew(o: Stix): NewVersion {
  const version = (o.modified ?? o.created) as string | undefined;
  return {
    id: o.id,
    type: o.type,
    specVersion: (o.spec_version as string | undefined) ?? '2.1',
    ...(version !== undefined ? { version, versionKey: versionKey(version) as string } : {}),
    markings: objectMarkingRefs(o),
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
      await store.catalog.putApiRoot({ path: 'r1', title: 'Root one', maxContentLength: 1000, source: 'config' });
      await store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', alias: 'c-alias', source: 'config' });
    });
    afterEach(async () => s.dispose());

    const ctx: ContractContext = {
      get store() {
        return store;
      },
      reopen: async () => {
        store = await s.reopen();
        await store.migrate();
        return store;
      },
      query: (q = {}, limit = 100, after) =>
        store.objects.queryObjects(C, { versions: LAST, ...q }, { limit, ...(after !== undefined ? { after } : {}) }),
    };

    it('answers undefined for unknown API roots, collections, users, grants, statuses and meta keys', async () => {
      expect(await store.catalog.getApiRoot('nope')).to.equal(undefined);
      expect(await store.catalog.getCollection('r1', 'nope')).to.equal(undefined);
      expect(await store.catalog.getCollection('other-root', C)).to.equal(undefined);
      expect(await store.identity.getUser('nobody')).to.equal(undefined);
      expect(await store.grants.grantsOn(C, [{ kind: 'user', id: 'nobody' }])).to.deep.equal([]);
      expect(await store.tenancy.getTenant('nope')).to.equal(undefined);
      expect(await store.tenancy.getGroup('nope')).to.equal(undefined);
      expect(await store.identity.getToken('nope')).to.equal(undefined);
      expect(await store.statuses.getStatus('r1', 'nope')).to.equal(undefined);
      expect(await store.meta.getMeta('nope')).to.equal(undefined);
      expect(await store.objects.objectExists(C, 'indicator--00000000-0000-4000-8000-000000000000')).to.equal(false);
    });

    it('keeps everything and keeps date_added increasing after the store is reopened', async () => {
      await store.objects.addObjects(C, [toNew(indicator('persist'))], T0 + 1_000_000);
      await ctx.reopen();
      expect((await store.catalog.getCollection('r1', C))?.title).to.equal('C');
      await store.objects.addObjects(C, [toNew(indicator('after-reopen'))], T0);
      const items = (await ctx.query()).items;
      expect(items.map((i) => i.id)).to.deep.equal([indicator('persist').id, indicator('after-reopen').id]);
      expect(items[1]?.dateAdded).to.be.greaterThan(items[0]?.dateAdded as number);
    });

    catalogContract(ctx);
    identityContract(ctx);
    tenancyContract(ctx);
    grantsContract(ctx);
    metaContract(ctx);
    objectsContract(ctx);
    pagingContract(ctx);
    pagingPropertiesContract(ctx);
    statusesContract(ctx);
    jobsContract(ctx);
    auditContract(ctx);
    markingsContract(ctx);
    intelContract(ctx);
  });
}
