import { expect } from 'chai';
import { indicator } from '../../fixtures/builders.js';
import { ALL, C, LAST, T0, toNew, type ContractContext } from '../contract.js';

const RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const EU = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-000000000e11';

export function markingsContract(ctx: ContractContext): void {
  describe('markings and releasability', () => {
    it('replaces the bindings of a marking and lists them; an empty list removes them', async () => {
      await ctx.store.markings.setBinding({
        markingId: RED,
        subjects: [{ kind: 'tenant', id: 'de-bsi' }],
        source: 'config',
      });
      await ctx.store.markings.setBinding({
        markingId: EU,
        subjects: [
          { kind: 'group', id: 'eu' },
          { kind: 'tenant', id: 'it-acn' },
        ],
        source: 'admin',
      });
      await ctx.store.markings.setBinding({
        markingId: RED,
        subjects: [{ kind: 'tenant', id: 'fr-anssi' }],
        source: 'config',
      });
      expect(await ctx.store.markings.listBindings()).to.deep.equal([
        {
          markingId: EU,
          subjects: [
            { kind: 'group', id: 'eu' },
            { kind: 'tenant', id: 'it-acn' },
          ],
          source: 'admin',
        },
        { markingId: RED, subjects: [{ kind: 'tenant', id: 'fr-anssi' }], source: 'config' },
      ]);
      await ctx.store.markings.setBinding({ markingId: RED, subjects: [], source: 'config' });
      expect((await ctx.store.markings.listBindings()).map((b) => b.markingId)).to.deep.equal([EU]);
    });

    it('keeps versions carrying a denied marking out of pages, existence checks and deletes, in the database', async () => {
      const marked = (name: string, refs: string[], modified?: string) =>
        toNew({ ...indicator(name, modified), object_marking_refs: refs });
      await ctx.store.objects.addObjects(
        C,
        [
          toNew(indicator('plain')),
          marked('red', [RED]),
          marked('eu', [EU]),
          marked('both', [EU, RED]),
          marked('versioned', []),
          marked('versioned', [RED], '2024-06-01T00:00:00.000Z'),
        ],
        T0,
      );
      const ids = async (denied: string[], versions = LAST, limit = 100, after?: number) =>
        (
          await ctx.store.objects.queryObjects(
            C,
            { versions, deniedMarkings: denied },
            { limit, ...(after !== undefined ? { after } : {}) },
          )
        ).items.map((v) => `${v.id.slice(0, 14)}@${v.version.slice(0, 7)}`);
      const id = (name: string) => `${indicator(name).id.slice(0, 14)}@2024-01`;
      expect(await ids([])).to.have.length(5);
      expect(await ids([RED])).to.deep.equal([id('plain'), id('eu')]);
      expect(await ids([EU])).to.deep.equal([
        id('plain'),
        id('red'),
        `${indicator('versioned').id.slice(0, 14)}@2024-06`,
      ]);
      // The latest version of "versioned" is red: without RED the caller sees no latest version, and the old one only in all versions.
      expect(await ids([RED], ALL)).to.deep.equal([id('plain'), id('eu'), id('versioned')]);
      // Paging one at a time walks the same visible sequence.
      const seen: string[] = [];
      let after: number | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await ctx.store.objects.queryObjects(
          C,
          { versions: LAST, deniedMarkings: [RED] },
          { limit: 1, ...(after !== undefined ? { after } : {}) },
        );
        seen.push(...page.items.map((v) => v.id));
        if (!page.more) break;
        after = page.items[0]?.dateAdded;
      }
      expect(seen).to.deep.equal([indicator('plain').id, indicator('eu').id]);
      expect(await ctx.store.objects.objectExists(C, indicator('red').id, [RED])).to.equal(false);
      expect(await ctx.store.objects.objectExists(C, indicator('red').id, [EU])).to.equal(true);
      expect(await ctx.store.objects.objectExists(C, indicator('red').id)).to.equal(true);
      expect(
        await ctx.store.objects.deleteObjects(C, {
          objectId: indicator('both').id,
          versions: ALL,
          deniedMarkings: [EU],
        }),
      ).to.equal(0);
      expect(await ctx.store.objects.deleteObjects(C, { objectId: indicator('both').id, versions: ALL })).to.equal(1);
      expect(await ids([])).to.have.length(4);
    });
  });
}
