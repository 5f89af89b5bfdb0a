import { expect } from 'chai';
import type { ContractContext } from '../contract.js';
import { C, T0 } from '../contract.js';

export function statusesContract(ctx: ContractContext): void {
  describe('statuses', () => {
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
      await ctx.store.statuses.putStatus(status);
      expect(await ctx.store.statuses.getStatus('r1', status.id)).to.deep.equal(status);
      expect(await ctx.store.statuses.getStatus('r2', status.id)).to.equal(undefined);
      expect(await ctx.store.statuses.purgeStatuses(T0)).to.equal(0);
      expect(await ctx.store.statuses.purgeStatuses(T0 + 1)).to.equal(1);
      expect(await ctx.store.statuses.getStatus('r1', status.id)).to.equal(undefined);
    });
  });
}
