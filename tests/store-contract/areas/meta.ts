import { expect } from 'chai';
import type { ContractContext } from '../contract.js';

export function metaContract(ctx: ContractContext): void {
  describe('meta', () => {
    it('initMeta keeps the first value', async () => {
      expect(await ctx.store.meta.initMeta('k', 'v1')).to.equal('v1');
      expect(await ctx.store.meta.initMeta('k', 'v2')).to.equal('v1');
      expect(await ctx.store.meta.getMeta('k')).to.equal('v1');
    });
  });
}
