import { expect } from 'chai';
import { C, type ContractContext } from '../contract.js';

export function catalogContract(ctx: ContractContext): void {
  describe('catalog: API roots and collections', () => {
    it('stores API roots and collections, finds a collection by id or alias, lists by id', async () => {
      await ctx.store.catalog.putCollection({
        id: '0a0b1c2d-4e5f-4a6b-8c7d-000000000002',
        apiRoot: 'r1',
        title: 'Earlier id',
      });
      await ctx.store.catalog.putApiRoot({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
      });
      expect(await ctx.store.catalog.getApiRoot('r1')).to.deep.equal({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
      });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(C);
      const c = await ctx.store.catalog.getCollection('r1', C);
      expect(c).to.deep.equal({
        id: C,
        apiRoot: 'r1',
        title: 'C',
        alias: 'c-alias',
        mediaTypes: ['application/stix+json;version=2.1'],
      });
      expect((await ctx.store.catalog.listCollections('r1')).map((x) => x.id)).to.deep.equal([
        '0a0b1c2d-4e5f-4a6b-8c7d-000000000002',
        C,
      ]);
      expect((await ctx.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
    });
  });
}
