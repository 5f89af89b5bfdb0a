import { expect } from 'chai';
import type { IntelScope, SearchHit } from '../../../src/store/store.js';
import { indicator, intrusionSet, malware, stixId, type Stix } from '../../fixtures/builders.js';
import { C, T0, toNew, type ContractContext } from '../contract.js';

const C2 = '3a0b1c2d-4e5f-4a6b-8c7d-000000000002';
const RED = 'marking-definition--0e0e0e0e-0000-4000-8000-000000000001';
const M1 = '2024-01-01T00:00:00.000Z';
const M2 = '2024-02-01T00:00:00.000Z';
const M3 = '2024-03-01T00:00:00.000Z';

const scopeOf = (...collections: { id: string; denied?: string[] }[]): IntelScope => ({
  collections: collections.map((c) => ({ id: c.id, deniedMarkings: c.denied ?? [] })),
});
const onlyC = (): IntelScope => scopeOf({ id: C });

function apt28(modified = M1, extra: Record<string, unknown> = {}): Stix {
  return {
    ...intrusionSet('APT28', modified),
    aliases: ['Fancy Bear', 'Sofacy'],
    external_references: [{ source_name: 'mitre-attack', external_id: 'G0007' }],
    description: 'A threat group attributed to the Russian GRU.',
    ...extra,
  };
}

function xAgent(): Stix {
  return {
    ...malware('X-Agent'),
    x_mitre_aliases: ['CHOPSTICK'],
    labels: ['backdoor'],
    description: 'Modular implant used by Sofacy operators.',
  };
}

function rel(name: string, source: string, target: string, type: string, modified = M1): Stix {
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: stixId('relationship', name),
    created: M1,
    modified,
    relationship_type: type,
    source_ref: source,
    target_ref: target,
  };
}

const ids = (hits: { id: string }[]): string[] => hits.map((h) => h.id);

export function intelContract(ctx: ContractContext): void {
  describe('intel: latest entries, search, edges, change log', () => {
    const add = (objs: Stix[], at = T0, collection = C) =>
      ctx.store.objects.addObjects(collection, objs.map(toNew), at);
    const search = async (text: string, opts: { types?: string[]; scope?: IntelScope; limit?: number } = {}) =>
      (
        await ctx.store.intel.searchObjects(
          opts.scope ?? onlyC(),
          { text, ...(opts.types ? { types: opts.types } : {}) },
          opts.limit ?? 20,
        )
      ).hits;
    const addC2 = () => ctx.store.catalog.putCollection({ id: C2, apiRoot: 'r1', title: 'C2', source: 'config' });

    it('finds an object by name, alias, x_mitre_aliases, external id, label and description words', async () => {
      await add([apt28(), xAgent(), indicator('unrelated thing')]);
      expect(ids(await search('APT28'))).to.deep.equal([apt28().id]);
      expect(ids(await search('fancy bear'))).to.deep.equal([apt28().id]);
      expect(ids(await search('chopstick'))).to.deep.equal([xAgent().id]);
      expect(ids(await search('G0007'))).to.deep.equal([apt28().id]);
      expect(ids(await search('backdoor'))).to.deep.equal([xAgent().id]);
      expect(ids(await search('russian gru'))).to.deep.equal([apt28().id]);
      const [hit] = await search('apt28');
      expect(hit).to.include({ collectionId: C, type: 'intrusion-set', name: 'APT28', version: M1, revoked: false });
      expect(hit?.markings).to.deep.equal([]);
      expect(JSON.parse(hit?.json as string)).to.deep.equal(apt28());
      expect(hit?.dateAdded).to.equal(T0);
    });

    it('matches every word as a prefix of a token, folds case and accents, and needs every word', async () => {
      await add([apt28(), { ...xAgent(), description: 'Café implant' }]);
      expect(ids(await search('fanc'))).to.deep.equal([apt28().id]);
      expect(ids(await search('FANCY BE'))).to.deep.equal([apt28().id]);
      expect(ids(await search('cafe'))).to.deep.equal([xAgent().id]);
      expect(await search('fancy chopstick')).to.deep.equal([]);
      expect(await search('fancyz')).to.deep.equal([]);
    });

    it('filters by type and ranks a name match above a description match', async () => {
      await add([apt28(), xAgent(), intrusionSet('Sofacy Tools')]);
      const hits = await search('sofacy');
      expect(ids(hits)).to.have.members([apt28().id, xAgent().id, intrusionSet('Sofacy Tools').id]);
      // name (Sofacy Tools) and alias (APT28) before the description of X-Agent
      expect(hits[2]?.id).to.equal(xAgent().id);
      expect(hits[0]?.id).to.equal(intrusionSet('Sofacy Tools').id);
      expect((hits[0] as SearchHit).score).to.be.greaterThan((hits[2] as SearchHit).score);
      expect(ids(await search('sofacy', { types: ['malware'] }))).to.deep.equal([xAgent().id]);
      expect(await search('sofacy', { types: ['indicator'] })).to.deep.equal([]);
    });

    it('answers hostile query text without an error', async () => {
      await add([apt28()]);
      for (const text of [
        '"',
        '*',
        'AND',
        'OR',
        'NOT',
        'NEAR(',
        '-',
        '"apt',
        'apt*',
        '^fancy',
        '{name}: x',
        '',
        '  ',
        '()',
        "'",
      ]) {
        const hits = await search(text);
        expect(hits, text).to.be.an('array');
      }
      expect(ids(await search('"apt28"'))).to.deep.equal([apt28().id]);
      expect(ids(await search('fancy -bear'))).to.deep.equal([apt28().id]);
      expect(await search('*')).to.deep.equal([]);
    });

    it('pages a search with next until the last page, and refuses a cursor it did not make', async () => {
      await add(Array.from({ length: 7 }, (_, i) => indicator(`pager ${i}`)));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await ctx.store.intel.searchObjects(onlyC(), { text: 'pager' }, 3, cursor);
        seen.push(...ids(page.hits));
        cursor = page.next;
        if (!cursor) break;
      }
      expect(seen).to.have.length(7);
      expect(new Set(seen).size).to.equal(7);
      const err = await ctx.store.intel.searchObjects(onlyC(), { text: 'pager' }, 3, 'not a cursor!').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error).and.have.property('kind', 'invalid-request');
    });

    it('keeps other collections and denied markings out of every read', async () => {
      await addC2();
      const secret = { ...apt28(), object_marking_refs: [RED] };
      await add([secret], T0, C2);
      await add([xAgent(), rel('r-uses', xAgent().id, apt28().id, 'uses')]);
      await add([rel('r-secret', apt28().id, xAgent().id, 'attributed-to')], T0 + 10, C2);
      const both = scopeOf({ id: C }, { id: C2 });
      const denied = scopeOf({ id: C }, { id: C2, denied: [RED] });
      expect(ids(await search('apt28', { scope: both }))).to.deep.equal([apt28().id]);
      expect(await search('apt28', { scope: onlyC() })).to.deep.equal([]);
      expect(await search('apt28', { scope: denied })).to.deep.equal([]);
      expect(await search('apt28', { scope: scopeOf({ id: 'no-such-collection' }) })).to.deep.equal([]);
      expect(ids(await ctx.store.intel.getLatest(both, [apt28().id, xAgent().id]))).to.have.members([
        apt28().id,
        xAgent().id,
      ]);
      expect(ids(await ctx.store.intel.getLatest(denied, [apt28().id, xAgent().id]))).to.deep.equal([xAgent().id]);
      expect(ids(await ctx.store.intel.getLatest(onlyC(), [apt28().id]))).to.deep.equal([]);
      expect(await ctx.store.intel.countLatest(both)).to.deep.equal({ [C]: 2, [C2]: 2 });
      expect(await ctx.store.intel.countLatest(denied)).to.deep.equal({ [C]: 2, [C2]: 1 });
      expect(await ctx.store.intel.countLatest(onlyC())).to.deep.equal({ [C]: 2 });
      expect(ids(await ctx.store.intel.queryLatestByType(denied, ['intrusion-set', 'malware'], 10))).to.deep.equal([
        xAgent().id,
      ]);
      const edges = (scope: IntelScope) => ctx.store.intel.findEdges(scope, { ids: [apt28().id], limit: 10 });
      expect((await edges(both)).map((e) => e.via).sort()).to.deep.equal(
        [rel('r-uses', '', '', '').id, rel('r-secret', '', '', '').id].sort(),
      );
      expect((await edges(onlyC())).map((e) => e.via)).to.deep.equal([rel('r-uses', '', '', '').id]);
      // the marked entry itself makes no edge: its embedded refs are hidden with it
      await add([{ ...indicator('marked ref'), object_marking_refs: [RED], sample_refs: [apt28().id] }], T0 + 20, C2);
      expect((await edges(denied)).map((e) => e.kind).sort()).to.deep.equal(['relationship', 'relationship']);
      const changes = async (scope: IntelScope) =>
        (await ctx.store.intel.queryChanges(scope, { since: 0, limit: 100 })).map((c) => c.id);
      expect(await changes(both)).to.include(apt28().id);
      expect(await changes(denied)).to.not.include(apt28().id);
      expect(await changes(onlyC())).to.have.members([xAgent().id, rel('r-uses', '', '', '').id]);
    });

    it('lists the latest entries of the given types, newest date_added first', async () => {
      await add([intrusionSet('first set')], T0);
      await add([intrusionSet('second set'), malware('some malware'), indicator('ind')], T0 + 100);
      const listed = await ctx.store.intel.queryLatestByType(onlyC(), ['intrusion-set', 'malware'], 10);
      expect(ids(listed)).to.deep.equal([
        malware('some malware').id,
        intrusionSet('second set').id,
        intrusionSet('first set').id,
      ]);
      expect(await ctx.store.intel.queryLatestByType(onlyC(), ['intrusion-set'], 1)).to.have.length(1);
    });

    it('replaces the entry and its edges with a newer version, ignores an older one, and logs added/versioned/revoked', async () => {
      const a = xAgent().id;
      const b = malware('other target').id;
      await add([rel('moving', a, apt28().id, 'uses', M2)], T0);
      await add([rel('moving', a, b, 'uses', M3)], T0 + 10);
      await add([rel('moving', a, stixId('malware', 'ancient'), 'uses', M1)], T0 + 20);
      const edges = await ctx.store.intel.findEdges(onlyC(), { ids: [a], limit: 10 });
      expect(edges).to.deep.equal([
        {
          collectionId: C,
          source: a,
          target: b,
          kind: 'relationship',
          label: 'uses',
          via: rel('moving', '', '', '').id,
        },
      ]);
      expect(await ctx.store.intel.findEdges(onlyC(), { ids: [apt28().id], limit: 10 })).to.deep.equal([]);
      const [entry] = await ctx.store.intel.getLatest(onlyC(), [rel('moving', '', '', '').id]);
      expect(entry?.version).to.equal(M3);

      await add([apt28(M1)], T0 + 30);
      await add([apt28(M2, { name: 'APT28 renamed' })], T0 + 40);
      await add([apt28(M3, { revoked: true })], T0 + 50);
      const log = await ctx.store.intel.queryChanges(onlyC(), { since: 0, limit: 100 });
      expect(log.map((c) => [c.id === apt28().id ? 'apt' : 'rel', c.kind, c.version])).to.deep.equal([
        ['rel', 'added', M2],
        ['rel', 'versioned', M3],
        ['apt', 'added', M1],
        ['apt', 'versioned', M2],
        ['apt', 'revoked', M3],
      ]);
      expect(log.every((c, i) => i === 0 || c.seq > (log[i - 1]?.seq as number))).to.equal(true);
      expect(log.map((c) => c.at)).to.deep.equal([T0, T0 + 10, T0 + 30, T0 + 40, T0 + 50]);
      const [revoked] = await ctx.store.intel.getLatest(onlyC(), [apt28().id]);
      expect(revoked).to.include({ revoked: true, version: M3 });
      expect(ids(await search('renamed'))).to.deep.equal([]);
    });

    it('falls back to the previous version when the newest is deleted, and removes everything with the last one', async () => {
      await add([apt28(M1)], T0);
      await add([apt28(M2, { name: 'Strontium' })], T0 + 10);
      await add([rel('gone', apt28().id, xAgent().id, 'uses')], T0 + 20);
      // Seen by a reader before it is deleted: the fallback below is a change someone could observe.
      expect(ids(await search('strontium'))).to.deep.equal([apt28().id]);
      const del = (id: string, exact?: string) =>
        ctx.store.objects.deleteObjects(C, {
          objectId: id,
          versions: exact ? { first: false, last: false, exact: [exact] } : { all: true },
        });
      const { versionKey } = await import('../../../src/stix/timestamps.js');
      expect(await del(apt28().id, versionKey(M2))).to.equal(1);
      expect(ids(await search('strontium'))).to.deep.equal([]);
      expect(ids(await search('apt28'))).to.deep.equal([apt28().id]);
      expect((await ctx.store.intel.getLatest(onlyC(), [apt28().id]))[0]?.version).to.equal(M1);

      expect(await del(rel('gone', '', '', '').id)).to.equal(1);
      expect(await ctx.store.intel.findEdges(onlyC(), { ids: [apt28().id], limit: 10 })).to.deep.equal([]);
      expect(await del(apt28().id)).to.equal(1);
      expect(await search('apt28')).to.deep.equal([]);
      expect(await ctx.store.intel.getLatest(onlyC(), [apt28().id])).to.deep.equal([]);
      expect(await ctx.store.intel.countLatest(onlyC())).to.deep.equal({ [C]: 0 });
      const log = await ctx.store.intel.queryChanges(onlyC(), { since: 0, limit: 100 });
      expect(log.slice(-3).map((c) => [c.id, c.kind, c.version])).to.deep.equal([
        [apt28().id, 'versioned', M1],
        [rel('gone', '', '', '').id, 'deleted', undefined],
        [apt28().id, 'deleted', undefined],
      ]);
    });

    it('finds edges of relationships, sightings and embedded refs in both directions, by type and up to a limit', async () => {
      const target = apt28().id;
      const sighting: Stix = {
        type: 'sighting',
        spec_version: '2.1',
        id: stixId('sighting', 's1'),
        created: M1,
        modified: M1,
        sighting_of_ref: target,
        where_sighted_refs: [stixId('identity', 'victim')],
      };
      const report: Stix = {
        type: 'report',
        spec_version: '2.1',
        id: stixId('report', 'rep'),
        created: M1,
        modified: M1,
        name: 'rep',
        published: M1,
        object_refs: [target, xAgent().id],
        created_by_ref: stixId('identity', 'author'),
      };
      await add([
        apt28(),
        rel('uses-1', target, xAgent().id, 'uses'),
        rel('attr-1', stixId('identity', 'gru'), target, 'attributed-to'),
        sighting,
        report,
      ]);
      const all = await ctx.store.intel.findEdges(onlyC(), { ids: [target], limit: 10 });
      const shape = (e: { source: string; target: string; kind: string; label: string }) =>
        `${e.kind}:${e.label}:${e.source === target ? 'out' : 'in'}`;
      expect(all.map(shape).sort()).to.deep.equal(
        [
          'relationship:uses:out',
          'relationship:attributed-to:in',
          'sighting:sighting_of_ref:in',
          'ref:object_refs:in',
        ].sort(),
      );
      expect(all.find((e) => e.kind === 'ref')).to.deep.equal({
        collectionId: C,
        source: report.id,
        target,
        kind: 'ref',
        label: 'object_refs',
      });
      const uses = await ctx.store.intel.findEdges(onlyC(), { ids: [target], relationshipTypes: ['uses'], limit: 10 });
      expect(uses.map(shape)).to.deep.equal(['relationship:uses:out']);
      expect(await ctx.store.intel.findEdges(onlyC(), { ids: [target], limit: 2 })).to.have.length(2);
      const victim = await ctx.store.intel.findEdges(onlyC(), { ids: [stixId('identity', 'victim')], limit: 10 });
      expect(victim.map((e) => [e.source, e.label, e.via])).to.deep.equal([
        [sighting.id, 'where_sighted_refs', sighting.id],
      ]);
      // created_by_ref is bookkeeping, not a link
      expect(
        await ctx.store.intel.findEdges(onlyC(), { ids: [stixId('identity', 'author')], limit: 10 }),
      ).to.deep.equal([]);
    });

    it('pages the change log by since and afterSeq', async () => {
      await add([indicator('c1')], T0);
      await add([indicator('c2')], T0 + 1000);
      await add([indicator('c3')], T0 + 2000);
      const all = await ctx.store.intel.queryChanges(onlyC(), { since: 0, limit: 10 });
      expect(ids(all)).to.deep.equal([indicator('c1').id, indicator('c2').id, indicator('c3').id]);
      const since = await ctx.store.intel.queryChanges(onlyC(), { since: T0, limit: 10 });
      expect(ids(since)).to.deep.equal([indicator('c2').id, indicator('c3').id]);
      const first = await ctx.store.intel.queryChanges(onlyC(), { since: 0, limit: 1 });
      expect(ids(first)).to.deep.equal([indicator('c1').id]);
      const rest = await ctx.store.intel.queryChanges(onlyC(), {
        since: 0,
        afterSeq: first[0]?.seq as number,
        limit: 10,
      });
      expect(ids(rest)).to.deep.equal([indicator('c2').id, indicator('c3').id]);
      expect(rest[0]).to.include({ collectionId: C, type: 'indicator', kind: 'added', version: M1 });
    });

    it('keeps the index after the store is reopened', async () => {
      await add([apt28()]);
      await ctx.reopen();
      expect(ids(await search('fancy'))).to.deep.equal([apt28().id]);
    });
  });
}
