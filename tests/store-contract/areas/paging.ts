import { expect } from 'chai';
import { versionKey } from '../../../src/stix/timestamps.js';
import type { StoredVersion } from '../../../src/store/store.js';
import { indicator } from '../../fixtures/builders.js';
import { ALL, C, T0, toNew, type ContractContext } from '../contract.js';

const key = (v: StoredVersion): string => `${v.id}@${v.version}`;

export function pagingContract(ctx: ContractContext): void {
  describe('paging and version order', () => {
    it('T-91 T-92 pages by addedAfter and a keyset position together while objects and versions keep arriving', async () => {
      const add = (name: string, modified: string, at: number) =>
        ctx.store.objects.addObjects(C, [toNew(indicator(name, modified))], at);
      // Already there before the client's last poll: must never be seen.
      await add('old', '2024-01-01T00:00:00.000Z', T0);
      const since = (await ctx.query()).items[0]?.dateAdded as number;
      for (let i = 0; i < 5; i++) await add(`p${i}`, '2024-01-01T00:00:00.000Z', T0 + 10 + i);

      const seen: StoredVersion[] = [];
      let after: number | undefined;
      let pages = 0;
      for (; pages < 20; pages++) {
        const page = await ctx.query({ addedAfter: since, versions: ALL }, 2, after);
        seen.push(...page.items);
        if (pages === 0) {
          // Between pages: a new object and a newer version of one already seen.
          await add('late', '2024-01-01T00:00:00.000Z', T0 + 100);
          await add('p0', '2024-02-01T00:00:00.000Z', T0 + 101);
        }
        if (!page.more) break;
        after = page.items[page.items.length - 1]?.dateAdded;
      }
      expect(pages).to.be.below(5);
      expect(seen.map(key)).to.deep.equal([
        ...[0, 1, 2, 3, 4].map((i) => `${indicator(`p${i}`).id}@2024-01-01T00:00:00.000Z`),
        `${indicator('late').id}@2024-01-01T00:00:00.000Z`,
        `${indicator('p0').id}@2024-02-01T00:00:00.000Z`,
      ]);
      const added = seen.map((v) => v.dateAdded);
      expect(added).to.deep.equal([...added].sort((a, b) => a - b));
      expect(added.every((d) => d > since)).to.equal(true);
    });

    it('a keyset position below addedAfter does not reach back, one above it wins', async () => {
      await ctx.store.objects.addObjects(
        C,
        [0, 1, 2, 3].map((i) => toNew(indicator(`k${i}`))),
        T0,
      );
      const all = (await ctx.query()).items.map((v) => v.dateAdded);
      const ids = async (addedAfter: number, after: number) =>
        (await ctx.query({ addedAfter }, 10, after)).items.map((v) => v.id);
      expect(await ids(all[1] as number, all[0] as number)).to.deep.equal([indicator('k2').id, indicator('k3').id]);
      expect(await ids(all[0] as number, all[2] as number)).to.deep.equal([indicator('k3').id]);
    });

    it('T-86 orders versions whose fractions differ in length as instants (…00.100Z before …00.1001Z)', async () => {
      const v = (m: string) => toNew(indicator('frac', m));
      await ctx.store.objects.addObjects(C, [v('2024-05-01T00:00:00.1001Z')], T0);
      await ctx.store.objects.addObjects(C, [v('2024-05-01T00:00:00.100Z')], T0 + 10);
      await ctx.store.objects.addObjects(C, [v('2024-05-01T00:00:00.099Z')], T0 + 20);
      const pick = async (versions: Parameters<ContractContext['query']>[0]) =>
        (await ctx.query(versions)).items.map((i) => i.version);
      expect(await pick({})).to.deep.equal(['2024-05-01T00:00:00.1001Z']);
      expect(await pick({ versions: { first: true, last: false, exact: [] } })).to.deep.equal([
        '2024-05-01T00:00:00.099Z',
      ]);
      // Deleting the newest makes the next one by instant (not by text) the latest.
      expect(
        await ctx.store.objects.deleteObjects(C, {
          objectId: indicator('frac').id,
          versions: { first: false, last: true, exact: [] },
        }),
      ).to.equal(1);
      expect(await pick({})).to.deep.equal(['2024-05-01T00:00:00.100Z']);
    });

    it('T-86 treats …00.1000Z and …00.100Z as one version, in both directions', async () => {
      const long = indicator('same', '2024-05-01T00:00:00.1000Z');
      const short = indicator('short', '2024-05-01T00:00:00.100Z');
      await ctx.store.objects.addObjects(C, [toNew(long), toNew(short)], T0);
      // A different text of the same instant is the same version: a conflict, never a second copy.
      const again = await ctx.store.objects.addObjects(
        C,
        [
          toNew({ ...long, modified: '2024-05-01T00:00:00.100Z' }),
          toNew({ ...short, modified: '2024-05-01T00:00:00.100000Z' }),
        ],
        T0 + 10,
      );
      expect(again.map((o) => o.outcome)).to.deep.equal(['conflict', 'conflict']);
      const exact = (m: string) => ({ versions: { first: false, last: false, exact: [versionKey(m) as string] } });
      expect((await ctx.query(exact('2024-05-01T00:00:00.1Z'))).items.map((i) => i.id)).to.deep.equal([
        long.id,
        short.id,
      ]);
      expect((await ctx.query(exact('2024-05-01T00:00:00.100000000Z'))).items).to.have.length(2);
      expect((await ctx.query({ versions: ALL })).items).to.have.length(2);
    });
  });
}
