import { expect } from 'chai';
import type { Store } from '../../../src/store/store.js';
import { indicator } from '../../fixtures/builders.js';
import { C, T0, toNew, type ContractContext } from '../contract.js';

/** Every write of the five access areas, in an order in which each one applies. */
const ACCESS_WRITES: [string, (s: Store) => Promise<unknown>][] = [
  ['tenancy.putTenant', (s) => s.tenancy.putTenant({ id: 't1', name: 'T1', source: 'admin' })],
  ['tenancy.putGroup', (s) => s.tenancy.putGroup({ id: 'g1', tenants: ['t1'], source: 'admin' })],
  [
    'identity.putUser',
    (s) => s.identity.putUser({ username: 'u1', kind: 'user', role: 'member', certificates: [], source: 'admin' }),
  ],
  [
    'identity.putToken',
    (s) =>
      s.identity.putToken({
        id: '0123456789abcdef',
        username: 'u1',
        secretHash: '00'.repeat(32),
        label: 'l',
        createdAt: 1,
      }),
  ],
  [
    'identity.putToken (revocation)',
    (s) =>
      s.identity.putToken({
        id: '0123456789abcdef',
        username: 'u1',
        secretHash: '00'.repeat(32),
        label: 'l',
        createdAt: 1,
        revokedAt: 2,
      }),
  ],
  [
    'grants.setGrants',
    (s) => s.grants.setGrants(C, [{ subject: { kind: 'user', id: 'u1' }, read: true, write: false }], 'admin'),
  ],
  ['grants.deleteGrantsOf', (s) => s.grants.deleteGrantsOf({ kind: 'user', id: 'u1' })],
  [
    'markings.setBinding',
    (s) =>
      s.markings.setBinding({
        markingId: 'marking-definition--x',
        subjects: [{ kind: 'tenant', id: 't1' }],
        source: 'admin',
      }),
  ],
  [
    'catalog.putApiRoot',
    (s) => s.catalog.putApiRoot({ path: 'r2', title: 'R2', maxContentLength: 10, source: 'admin' }),
  ],
  [
    'catalog.createCollection',
    (s) => s.catalog.createCollection({ id: 'c2', apiRoot: 'r2', title: 'C2', source: 'admin' }),
  ],
  [
    'catalog.putCollection',
    (s) => s.catalog.putCollection({ id: 'c2', apiRoot: 'r2', title: 'C2 again', source: 'admin' }),
  ],
  ['catalog.retireCollection', (s) => s.catalog.retireCollection('c2')],
  ['catalog.retireApiRoot', (s) => s.catalog.retireApiRoot('r2')],
  ['identity.deleteUser', (s) => s.identity.deleteUser('u1')],
  ['tenancy.deleteGroup', (s) => s.tenancy.deleteGroup('g1')],
  ['tenancy.deleteTenant', (s) => s.tenancy.deleteTenant('t1')],
];

export function metaContract(ctx: ContractContext): void {
  describe('meta', () => {
    it('initMeta keeps the first value', async () => {
      expect(await ctx.store.meta.initMeta('k', 'v1')).to.equal('v1');
      expect(await ctx.store.meta.initMeta('k', 'v2')).to.equal('v1');
      expect(await ctx.store.meta.getMeta('k')).to.equal('v1');
    });

    it('moves the access generation forward on every write of the access areas, and on nothing else', async () => {
      const s = ctx.store;
      let last = await s.meta.getAccessGeneration();
      expect(last, 'the set-up wrote an API root and a collection').to.be.greaterThan(0);
      for (const [name, write] of ACCESS_WRITES) {
        await write(s);
        const now = await s.meta.getAccessGeneration();
        expect(now, name).to.be.greaterThan(last);
        last = now;
      }
      // Reads, objects, statuses, audit records and meta values leave it alone.
      await s.identity.getUser('u1');
      await s.catalog.listAllCollections();
      await s.grants.grantsOf([{ kind: 'user', id: 'u1' }]);
      await s.markings.listBindings();
      await s.objects.addObjects(C, [toNew(indicator('generation'))], T0);
      await s.audit.append([{ id: '0000000000000001', at: T0, action: 'auth.failure', outcome: 'denied' }]);
      await s.meta.initMeta('other', 'v');
      expect(await s.meta.getAccessGeneration()).to.equal(last);
    });

    it('keeps the access generation across a reopen', async () => {
      await ctx.store.grants.setGrants(C, [], 'admin');
      const before = await ctx.store.meta.getAccessGeneration();
      const reopened = await ctx.reopen();
      expect(await reopened.meta.getAccessGeneration()).to.equal(before);
    });
  });
}
