import { expect } from 'chai';
import type { ContractContext } from '../contract.js';
import { versionKey } from '../../../src/stix/timestamps.js';
import type { ObjectQuery } from '../../../src/store/store.js';
import { textPageOf } from '../../../src/store/objects.js';
import { indicator, ipv4 } from '../../fixtures/builders.js';
import { ALL, C, LAST, T0, toNew } from '../contract.js';

export function objectsContract(ctx: ContractContext): void {
  describe('objects: versions, date_added, filters, paging, delete', () => {
    it('returns versions in date_added order with strictly increasing date_added, even when the clock stalls or steps back', async () => {
      await ctx.store.objects.addObjects(C, [toNew(indicator('a')), toNew(indicator('b'))], T0);
      await ctx.store.objects.addObjects(C, [toNew(indicator('c'))], T0 - 5_000_000);
      const page = await ctx.query();
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
      expect(await ctx.store.objects.addObjects(C, [toNew(a)], T0)).to.deep.equal([
        { id: a.id, version: a.modified, outcome: 'added' },
      ]);
      const again = await ctx.store.objects.addObjects(
        C,
        [toNew(a), toNew({ ...a, name: 'other' }), toNew({ ...a, modified: '2024-01-01T00:00:00Z' })],
        T0 + 1,
      );
      expect(again.map((o) => o.outcome)).to.deep.equal(['duplicate', 'conflict', 'conflict']);
      expect((await ctx.query({}, 100)).items).to.have.length(1);
    });

    it('reports one outcome per input, in order, for a batch of 2,500 with repeats and a stored version', async () => {
      const stored = indicator('big-7');
      await ctx.store.objects.addObjects(C, [toNew(stored)], T0);
      const batch = Array.from({ length: 2500 }, (_, i) => toNew(indicator(`big-${i}`)));
      batch[1700] = toNew(indicator('big-3')); // repeats an earlier item of the same batch
      batch[2100] = toNew({ ...indicator('big-5'), name: 'changed' }); // same version, other body
      const out = await ctx.store.objects.addObjects(C, batch, T0 + 10);
      expect(out).to.have.length(2500);
      expect(out.map((o) => o.id)).to.deep.equal(batch.map((v) => v.id));
      const byOutcome = (k: string) => out.flatMap((o, i) => (o.outcome === k ? [i] : []));
      expect(byOutcome('duplicate')).to.deep.equal([7, 1700]);
      expect(byOutcome('conflict')).to.deep.equal([2100]);
      const all = await ctx.query({ versions: ALL }, 5000);
      expect(all.items).to.have.length(2500 - 3 + 1);
      const added = all.items.map((v) => v.dateAdded);
      expect(new Set(added).size).to.equal(added.length);
    });

    it('maintains first/last flags when versions arrive out of order', async () => {
      const v = (m: string) => indicator('flags', m);
      await ctx.store.objects.addObjects(C, [toNew(v('2024-02-01T00:00:00.000Z'))], T0);
      await ctx.store.objects.addObjects(C, [toNew(v('2024-03-01T00:00:00.000Z'))], T0 + 10);
      await ctx.store.objects.addObjects(C, [toNew(v('2024-01-01T00:00:00.000Z'))], T0 + 20);
      const pick = async (versions: ObjectQuery['versions']) =>
        (await ctx.query({ versions })).items.map((i) => i.version);
      expect(await pick(LAST)).to.deep.equal(['2024-03-01T00:00:00.000Z']);
      expect(await pick({ first: true, last: false, exact: [] })).to.deep.equal(['2024-01-01T00:00:00.000Z']);
      expect(await pick(ALL)).to.have.length(3);
      expect(
        await pick({ first: false, last: false, exact: [versionKey('2024-02-01T00:00:00Z') as string] }),
      ).to.deep.equal(['2024-02-01T00:00:00.000Z']);
    });

    it('visits every version exactly once when paging with limit 1', async () => {
      const objs = Array.from({ length: 7 }, (_, i) => toNew(indicator(`p${i}`)));
      await ctx.store.objects.addObjects(C, objs, T0);
      const seen: string[] = [];
      let after: number | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await ctx.query({}, 1, after);
        seen.push(...page.items.map((x) => x.id));
        if (!page.more) break;
        after = page.items[page.items.length - 1]?.dateAdded;
      }
      expect(seen).to.deep.equal(objs.map((o) => o.id));
    });

    it('filters by ids, types, spec versions and addedAfter in the database', async () => {
      await ctx.store.objects.addObjects(
        C,
        [toNew(indicator('f1')), toNew(ipv4('192.0.2.1')), toNew(indicator('f2'))],
        T0,
      );
      expect((await ctx.query({ types: ['ipv4-addr'] })).items.map((i) => i.id)).to.deep.equal([ipv4('192.0.2.1').id]);
      expect((await ctx.query({ ids: [indicator('f2').id, indicator('f1').id] })).items.map((i) => i.id)).to.deep.equal(
        [indicator('f1').id, indicator('f2').id],
      );
      expect((await ctx.query({ specVersions: ['2.0'] })).items).to.have.length(0);
      expect((await ctx.query({ addedAfter: T0 })).items).to.have.length(2);
      expect((await ctx.query({ objectId: indicator('f1').id })).items).to.have.length(1);
    });

    it('gives the same pages as texts (queryObjectTexts, where the backend has it) as queryObjects', async () => {
      const texts = ctx.store.objects.queryObjectTexts?.bind(ctx.store.objects);
      const v1 = indicator('t1', '2024-01-01T00:00:00.000Z');
      const objs = [
        v1,
        indicator('t2'),
        ipv4('192.0.2.7'),
        indicator('t3'),
        { ...v1, modified: '2024-05-01T00:00:00.000Z' },
      ];
      // out of date_added order on purpose for the ids query (sorted by the store)
      for (const o of objs) await ctx.store.objects.addObjects(C, [toNew(o)], T0);
      const queries: ObjectQuery[] = [
        { versions: LAST },
        { versions: ALL },
        { versions: LAST, types: ['indicator'] },
        { versions: ALL, ids: [indicator('t3').id, v1.id] },
        { versions: ALL, addedAfter: T0 },
      ];
      for (const q of queries) {
        for (const limit of [1, 2, 10]) {
          let after: number | undefined;
          for (let hop = 0; hop < 10; hop++) {
            const req = { limit, ...(after !== undefined ? { after } : {}) };
            const page = await ctx.store.objects.queryObjects(C, q, req);
            // a backend without the join: callers build the texts from the page (textPageOf)
            const t = texts ? await texts(C, q, req) : textPageOf(page);
            const label = `${JSON.stringify(q)} limit ${limit} hop ${hop}`;
            expect(t.count, label).to.equal(page.items.length);
            expect(t.more, label).to.equal(page.more);
            expect(t.first, label).to.equal(page.items[0]?.dateAdded);
            expect(t.last, label).to.equal(page.items[page.items.length - 1]?.dateAdded);
            const joined = Buffer.concat(t.texts).toString();
            expect(joined, label).to.equal(page.items.map((i) => i.json.toString()).join(','));
            if (!page.more) break;
            after = page.items[page.items.length - 1]?.dateAdded;
          }
        }
      }
    });

    it('gives an SCO without created/modified one server-assigned version; a repost is a duplicate', async () => {
      const ip = ipv4('192.0.2.55');
      const [first] = await ctx.store.objects.addObjects(C, [toNew(ip)], T0);
      expect(first?.outcome).to.equal('added');
      expect(first?.version).to.equal('2025-01-01T00:00:00.000000Z');
      const [again] = await ctx.store.objects.addObjects(C, [toNew(ip)], T0 + 100);
      expect(again).to.deep.equal({ id: ip.id, version: first?.version, outcome: 'duplicate' });
    });

    it('deletes selected versions and recomputes first/last', async () => {
      const v = (m: string) => indicator('del', m);
      await ctx.store.objects.addObjects(
        C,
        [toNew(v('2024-01-01T00:00:00.000Z')), toNew(v('2024-02-01T00:00:00.000Z'))],
        T0,
      );
      expect(await ctx.store.objects.deleteObjects(C, { objectId: v('x').id, versions: LAST })).to.equal(1);
      expect((await ctx.query()).items.map((i) => i.version)).to.deep.equal(['2024-01-01T00:00:00.000Z']);
      expect(
        await ctx.store.objects.deleteObjects(C, { objectId: v('x').id, versions: LAST, specVersions: ['2.0'] }),
      ).to.equal(0);
      expect(await ctx.store.objects.deleteObjects(C, { objectId: v('x').id, versions: ALL })).to.equal(1);
      expect(await ctx.store.objects.objectExists(C, v('x').id)).to.equal(false);
    });
  });
}
