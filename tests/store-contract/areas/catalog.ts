import { expect } from 'chai';
import { C, type ContractContext } from '../contract.js';

const EARLIER = '0a0b1c2d-4e5f-4a6b-8c7d-000000000002';

export function catalogContract(ctx: ContractContext): void {
  describe('catalog: API roots and collections', () => {
    it('stores API roots and collections, finds a collection by id or alias, lists by id', async () => {
      await ctx.store.catalog.putCollection({
        id: EARLIER,
        apiRoot: 'r1',
        title: 'Earlier id',
        owner: 'de-bsi',
        source: 'admin',
      });
      await ctx.store.catalog.putApiRoot({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
        source: 'config',
      });
      expect(await ctx.store.catalog.getApiRoot('r1')).to.deep.equal({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
        source: 'config',
      });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(C);
      expect(await ctx.store.catalog.getCollection('r1', C)).to.deep.equal({
        id: C,
        apiRoot: 'r1',
        title: 'C',
        alias: 'c-alias',
        mediaTypes: ['application/stix+json;version=2.1'],
        source: 'config',
      });
      expect(await ctx.store.catalog.getCollection('r1', EARLIER)).to.deep.include({
        owner: 'de-bsi',
        source: 'admin',
      });
      const policy = { allowedTypes: ['indicator'], maxTlp: 'amber' as const, provenance: true };
      await ctx.store.catalog.putCollection({
        id: EARLIER,
        apiRoot: 'r1',
        title: 'Earlier id',
        releasability: true,
        policy,
        source: 'admin',
      });
      expect(await ctx.store.catalog.getCollection('r1', EARLIER)).to.deep.include({ releasability: true, policy });
      await ctx.store.catalog.putCollection({ id: EARLIER, apiRoot: 'r1', title: 'Earlier id', source: 'admin' });
      const plain = await ctx.store.catalog.getCollection('r1', EARLIER);
      expect(plain).to.not.have.property('releasability');
      expect(plain).to.not.have.property('policy');
      expect((await ctx.store.catalog.listCollections('r1')).map((x) => x.id)).to.deep.equal([EARLIER, C]);
      expect((await ctx.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
    });

    it('retires collections and API roots: hidden everywhere, alias freed, back when put again', async () => {
      await ctx.store.catalog.putApiRoot({ path: 'r2', title: 'Two', maxContentLength: 5, source: 'config' });
      await ctx.store.catalog.putCollection({ id: EARLIER, apiRoot: 'r2', title: 'In r2', source: 'config' });
      await ctx.store.catalog.retireCollection(C);
      expect(await ctx.store.catalog.getCollection('r1', C)).to.equal(undefined);
      expect(await ctx.store.catalog.getCollection('r1', 'c-alias')).to.equal(undefined);
      expect(await ctx.store.catalog.listCollections('r1')).to.deep.equal([]);
      expect((await ctx.store.catalog.listAllCollections()).map((c) => [c.apiRoot, c.id])).to.deep.equal([
        ['r2', EARLIER],
      ]);
      // The alias is free for another collection of the same API root.
      const other = '0a0b1c2d-4e5f-4a6b-8c7d-000000000003';
      await ctx.store.catalog.putCollection({
        id: other,
        apiRoot: 'r1',
        title: 'New holder',
        alias: 'c-alias',
        source: 'config',
      });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(other);
      await ctx.store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C again', source: 'config' });
      expect((await ctx.store.catalog.getCollection('r1', C))?.title).to.equal('C again');

      await ctx.store.catalog.retireApiRoot('r2');
      expect(await ctx.store.catalog.getApiRoot('r2')).to.equal(undefined);
      expect((await ctx.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
      await ctx.store.catalog.putApiRoot({ path: 'r2', title: 'Two again', maxContentLength: 5, source: 'config' });
      expect((await ctx.store.catalog.getApiRoot('r2'))?.title).to.equal('Two again');
    });
  });
}
