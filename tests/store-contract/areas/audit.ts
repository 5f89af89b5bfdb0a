import { expect } from 'chai';
import type { AuditRecord } from '../../../src/store/store.js';
import { C, T0, type ContractContext } from '../contract.js';

const rec = (n: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  id: `${String(T0 + n).padStart(17, '0')}-i-${String(n).padStart(9, '0')}`,
  at: T0 + n,
  action: 'taxii.read',
  outcome: 'ok',
  actor: n % 2 === 0 ? 'de-analyst' : 'fr-analyst',
  tenant: n % 2 === 0 ? 'de-bsi' : 'fr-anssi',
  collectionId: C,
  ...over,
});

export function auditContract(ctx: ContractContext): void {
  describe('audit', () => {
    it('appends records (a repeated batch changes nothing) and reads them back in id order with every field', async () => {
      const full = rec(0, {
        requestId: 'r-1',
        address: '127.0.0.1',
        apiRoot: 'eu',
        target: 'objects',
        detail: { returned: 3, more: false },
      });
      const batch = [full, rec(1), rec(2, { action: 'auth.failure', outcome: 'denied', collectionId: undefined })];
      await ctx.store.audit.append(batch);
      await ctx.store.audit.append(batch);
      const all = await ctx.store.audit.queryAudit({ limit: 10 });
      expect(all.more).to.equal(false);
      expect(all.records).to.have.length(3);
      expect(all.records[0]).to.deep.equal(full);
      expect(all.records[2]).to.not.have.property('collectionId');
    });

    it('filters by actor, tenant, collection, action and time, and pages by id', async () => {
      await ctx.store.audit.append(
        Array.from({ length: 9 }, (_, i) => rec(i, i === 4 ? { action: 'taxii.write', collectionId: 'other' } : {})),
      );
      const ids = async (q: Parameters<ContractContext['store']['audit']['queryAudit']>[0]) =>
        (await ctx.store.audit.queryAudit(q)).records.map((r) => r.at - T0);
      expect(await ids({ actor: 'de-analyst', limit: 10 })).to.deep.equal([0, 2, 4, 6, 8]);
      expect(await ids({ tenant: 'fr-anssi', limit: 10 })).to.deep.equal([1, 3, 5, 7]);
      expect(await ids({ collectionId: 'other', limit: 10 })).to.deep.equal([4]);
      expect(await ids({ action: 'taxii.write', limit: 10 })).to.deep.equal([4]);
      expect(await ids({ from: T0 + 3, to: T0 + 6, limit: 10 })).to.deep.equal([3, 4, 5]);
      const first = await ctx.store.audit.queryAudit({ actor: 'de-analyst', limit: 2 });
      expect(first.more).to.equal(true);
      const second = await ctx.store.audit.queryAudit({
        actor: 'de-analyst',
        limit: 2,
        after: first.records[1]?.id as string,
      });
      expect(second.records.map((r) => r.at - T0)).to.deep.equal([4, 6]);
      expect(second.more).to.equal(true);
    });
  });
}
