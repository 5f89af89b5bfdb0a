// SQLite object versions (src/store/sqlite/objects.ts) beyond the shared store contract: the keyset
// lower bound, version unions with several exact versions, first/last upkeep, the `more` boundary,
// releasability probes and recovery after a failed batch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { versionKey } from '../../src/stix/timestamps.js';
import { toVersionRecord } from '../../src/stix/versions.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewVersion, ObjectQuery, Store } from '../../src/store/store.js';
import { indicator, ipv4, type Stix } from '../fixtures/builders.js';

const C = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000c1';
const OTHER = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000c2';
const T0 = Date.UTC(2025, 0, 1) * 1000;
const RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed';
const GREEN = 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da';
const AMBER = 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82';
const LAST: ObjectQuery['versions'] = { first: false, last: true, exact: [] };
const ALL: ObjectQuery['versions'] = { all: true };

const toNew = (o: Stix): NewVersion =>
  toVersionRecord(o, { id: o.id, type: o.type, specVersion: (o.spec_version as string | undefined) ?? '2.1' });
const key = (ts: string): string => versionKey(ts) as string;
const M1 = '2024-01-01T00:00:00.000Z';
const M2 = '2024-02-01T00:00:00.000Z';
const M3 = '2024-03-01T00:00:00.000Z';
const M4 = '2024-04-01T00:00:00.000Z';

describe('SQLite object versions (src/store/sqlite/objects.ts)', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-sqlite-objects-'));
    store = openSqliteStore(join(dir, 'objects.db'));
    await store.migrate();
    await store.catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
    await store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', source: 'config' });
    await store.catalog.putCollection({ id: OTHER, apiRoot: 'r1', title: 'Other', source: 'config' });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const add = (objs: Stix[], at: number, collection = C) => store.objects.addObjects(collection, objs.map(toNew), at);
  const query = (q: Partial<ObjectQuery> = {}, limit = 100, after?: number) =>
    store.objects.queryObjects(C, { versions: LAST, ...q }, { limit, ...(after !== undefined ? { after } : {}) });
  const versions = async (q: Partial<ObjectQuery>) =>
    (await query(q)).items.map((i) => `${i.id.slice(0, 12)}@${i.version}`);
  const v = (name: string, m: string) => indicator(name, m);
  const tag = (name: string, m: string) => `${v(name, m).id.slice(0, 12)}@${m}`;

  it('answers an unknown collection with nothing, and refuses to add to it', async () => {
    const nope = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000ff';
    expect(await store.objects.queryObjects(nope, { versions: ALL }, { limit: 5 })).to.deep.equal({
      items: [],
      more: false,
    });
    expect(await store.objects.objectExists(nope, v('a', M1).id)).to.equal(false);
    expect(await store.objects.deleteObjects(nope, { objectId: v('a', M1).id, versions: ALL })).to.equal(0);
    let error: unknown;
    try {
      await store.objects.addObjects(nope, [toNew(v('a', M1))], T0);
    } catch (err) {
      error = err;
    }
    expect((error as Error).message).to.equal(`unknown collection ${nope}`);
  });

  it('returns each stored field: id, version, date_added, spec version, media type and the JSON bytes', async () => {
    const o = v('fields', M2);
    await add([o], T0);
    const { items, more } = await query();
    expect(more).to.equal(false);
    expect(items).to.have.length(1);
    const [item] = items;
    expect(item?.id).to.equal(o.id);
    expect(item?.version).to.equal(M2);
    expect(item?.dateAdded).to.equal(T0);
    expect(item?.specVersion).to.equal('2.1');
    expect(item?.mediaType).to.equal('application/stix+json;version=2.1');
    expect(Buffer.isBuffer(item?.json)).to.equal(true);
    expect(String(item?.json)).to.equal(JSON.stringify(o));
  });

  it('starts date_added at 1 on an empty collection with a zero clock, and includes that row without filters', async () => {
    await add([v('zero', M1)], 0);
    const items = (await query()).items;
    expect(items.map((i) => i.dateAdded)).to.deep.equal([1]);
    expect((await query({ addedAfter: 0 })).items).to.have.length(1);
    expect((await query({ addedAfter: 1 })).items).to.have.length(0);
    expect((await query({}, 10, 0)).items).to.have.length(1);
  });

  it('keeps date_added per collection', async () => {
    await add([v('c1', M1)], T0 + 50);
    await add([v('c2', M1)], T0, OTHER);
    const other = await store.objects.queryObjects(OTHER, { versions: LAST }, { limit: 10 });
    expect(other.items.map((i) => i.dateAdded)).to.deep.equal([T0]);
  });

  it('never hands out the date_added of a deleted newest version again', async () => {
    await add([v('kept', M1)], T0);
    await add([v('gone', M1)], T0);
    expect(await store.objects.deleteObjects(C, { objectId: v('gone', M1).id, versions: ALL })).to.equal(1);
    await add([v('new', M1)], T0);
    // a client that paged past the deleted version (date_added T0 + 1) must still see the new one
    expect((await query()).items.map((i) => [i.id, i.dateAdded])).to.deep.equal([
      [v('kept', M1).id, T0],
      [v('new', M1).id, T0 + 2],
    ]);
    expect((await query({ addedAfter: T0 + 1 })).items.map((i) => i.id)).to.deep.equal([v('new', M1).id]);
  });

  it('after a failed batch, date_added goes on from what was really stored', async () => {
    await add([v('ok', M1)], T0);
    const broken = { ...toNew(v('broken', M1)), json: undefined } as unknown as NewVersion;
    let error: unknown;
    try {
      await store.objects.addObjects(C, [toNew(v('rolled-back', M1)), broken], T0);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    expect(await store.objects.objectExists(C, v('rolled-back', M1).id)).to.equal(false);
    await add([v('next', M1)], T0);
    expect((await query()).items.map((i) => i.dateAdded)).to.deep.equal([T0, T0 + 1]);
  });

  it('reports duplicates and conflicts with the version text the client sent', async () => {
    const stored = v('same', '2024-05-01T00:00:00.100Z');
    await add([stored], T0);
    const shorter = { ...stored, modified: '2024-05-01T00:00:00.1Z' };
    expect(await add([stored, shorter], T0 + 1)).to.deep.equal([
      { id: stored.id, version: '2024-05-01T00:00:00.100Z', outcome: 'duplicate' },
      { id: stored.id, version: '2024-05-01T00:00:00.1Z', outcome: 'conflict' },
    ]);
    // an SCO has no version of its own: the answer names the stored one
    const ip = ipv4('192.0.2.9');
    const [first] = await add([ip], T0 + 7);
    expect(first?.version).to.equal('2025-01-01T00:00:00.000007Z');
    expect(await add([{ ...ip, extra: 1 } as Stix], T0 + 9)).to.deep.equal([
      { id: ip.id, version: '2025-01-01T00:00:00.000007Z', outcome: 'conflict' },
    ]);
  });

  it('keeps first and last when a version lands between them', async () => {
    await add([v('mid', M1)], T0);
    await add([v('mid', M3)], T0 + 10);
    await add([v('mid', M2)], T0 + 20);
    expect(await versions({ versions: LAST })).to.deep.equal([tag('mid', M3)]);
    expect(await versions({ versions: { first: true, last: false, exact: [] } })).to.deep.equal([tag('mid', M1)]);
    // a new newest version takes over last, a new oldest takes over first
    await add([v('mid', M4)], T0 + 30);
    await add([v('mid', '2023-12-01T00:00:00.000Z')], T0 + 40);
    expect(await versions({ versions: { first: true, last: true, exact: [] } })).to.deep.equal([
      tag('mid', M4),
      tag('mid', '2023-12-01T00:00:00.000Z'),
    ]);
  });

  it('within one batch, sees the versions added before in the same batch, past the lookup of 100 ids at a time', async () => {
    // 130 objects stored already, then one batch of 250 entries: a new version of each of them,
    // 110 new objects, and versions of one id in an order that moves first and last.
    const old = Array.from({ length: 130 }, (_, i) => v(`o${i}`, M1));
    await add(old, T0);
    const fresh = Array.from({ length: 110 }, (_, i) => v(`n${i}`, M2));
    const batch = [
      ...old.map((o) => ({ ...o, modified: M2 })),
      ...fresh,
      v('b', M2),
      v('b', M1),
      v('b', M3),
      v('b', M2),
      { ...v('b', M3), name: 'changed' },
      v('o7', M1),
      v('o7', M3),
      v('n3', M2),
      v('n3', M4),
      v('n109', M1),
    ];
    const out = await add(batch, T0 + 1000);
    expect(out.map((o) => o.outcome)).to.deep.equal([
      ...old.map(() => 'added'),
      ...fresh.map(() => 'added'),
      'added',
      'added',
      'added',
      'duplicate',
      'conflict',
      'duplicate',
      'added',
      'duplicate',
      'added',
      'added',
    ]);
    expect(await versions({ ids: [v('b', M1).id], versions: { all: true } })).to.have.length(3);
    expect(await versions({ ids: [v('b', M1).id], versions: { first: true, last: true, exact: [] } })).to.have.members([
      tag('b', M1),
      tag('b', M3),
    ]);
    expect(await versions({ ids: [v('o7', M1).id], versions: LAST })).to.deep.equal([tag('o7', M3)]);
    expect(await versions({ ids: [v('n3', M1).id], versions: LAST })).to.deep.equal([tag('n3', M4)]);
    expect(
      await versions({ ids: [v('n109', M1).id], versions: { first: true, last: false, exact: [] } }),
    ).to.deep.equal([tag('n109', M1)]);
    // The analyst index's queue holds each change to a latest version in the order it was made.
    const look = new Database(join(dir, 'objects.db'), { readonly: true });
    const queued = look.prepare('SELECT id, obj_seq FROM intel_pending WHERE at >= ? ORDER BY qseq').all(T0 + 1000) as {
      id: string;
      obj_seq: number;
    }[];
    look.close();
    const seqs = queued.map((q) => q.obj_seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(queued.map((q) => q.id)).to.deep.equal([
      ...old.map((o) => o.id),
      ...fresh.map((o) => o.id),
      v('b', M1).id,
      v('b', M1).id,
      v('o7', M1).id,
      v('n3', M1).id,
    ]);
  });

  it('selects unions of first, last and several exact versions', async () => {
    for (const [i, m] of [M1, M2, M3, M4].entries()) await add([v('u', m)], T0 + i * 10);
    await add([v('w', M2)], T0 + 100);
    const sel = (first: boolean, last: boolean, exact: string[]) =>
      versions({ versions: { first, last, exact: exact.map(key) } });
    expect(await sel(false, false, [M2, M3])).to.deep.equal([tag('u', M2), tag('u', M3), tag('w', M2)]);
    expect(await sel(false, false, [M1, M3, M4])).to.deep.equal([tag('u', M1), tag('u', M3), tag('u', M4)]);
    expect(await sel(true, true, [])).to.deep.equal([tag('u', M1), tag('u', M4), tag('w', M2)]);
    expect(await sel(true, false, [M3])).to.deep.equal([tag('u', M1), tag('u', M3), tag('w', M2)]);
    expect(await sel(false, true, [M2])).to.deep.equal([tag('u', M2), tag('u', M4), tag('w', M2)]);
    expect(await sel(true, true, [M2, M3])).to.deep.equal([
      tag('u', M1),
      tag('u', M2),
      tag('u', M3),
      tag('u', M4),
      tag('w', M2),
    ]);
    expect(await sel(false, false, ['2030-01-01T00:00:00Z'])).to.deep.equal([]);
    expect(await versions({ versions: ALL, ids: [v('w', M1).id] })).to.deep.equal([tag('w', M2)]);
  });

  it('filters on several ids, types and spec versions at once', async () => {
    await add([v('f1', M1), ipv4('192.0.2.1'), v('f2', M1), v('f3', M1)], T0);
    const ids = async (q: Partial<ObjectQuery>) => (await query(q)).items.map((i) => i.id);
    expect(await ids({ ids: [v('f3', M1).id, v('f1', M1).id] })).to.deep.equal([v('f1', M1).id, v('f3', M1).id]);
    expect(await ids({ types: ['ipv4-addr', 'indicator'] })).to.have.length(4);
    expect(await ids({ types: ['ipv4-addr', 'malware'] })).to.deep.equal([ipv4('192.0.2.1').id]);
    expect(await ids({ specVersions: ['2.0', '2.1'] })).to.have.length(4);
    expect(await ids({ specVersions: ['2.0', '2.2'] })).to.have.length(0);
    expect(await query({ specVersions: ['2.0'] }, 1)).to.deep.equal({ items: [], more: false });
    expect((await query({ specVersions: ['2.1'] }, 1)).more).to.equal(true);
    expect(await ids({ ids: [v('f2', M1).id], types: ['indicator'], objectId: v('f2', M1).id })).to.deep.equal([
      v('f2', M1).id,
    ]);
    expect(await ids({ ids: [v('f2', M1).id], objectId: v('f1', M1).id })).to.deep.equal([]);
  });

  it('says more exactly when rows are left beyond the limit', async () => {
    await add([v('l1', M1), v('l2', M1), v('l3', M1)], T0);
    const page = async (limit: number, after?: number) => {
      const p = await query({}, limit, after);
      return [p.items.length, p.more];
    };
    expect(await page(3)).to.deep.equal([3, false]);
    expect(await page(4)).to.deep.equal([3, false]);
    expect(await page(2)).to.deep.equal([2, true]);
    expect(await page(1)).to.deep.equal([1, true]);
    expect(await page(2, T0)).to.deep.equal([2, false]);
    expect(await page(1, T0 + 1)).to.deep.equal([1, false]);
    expect(await page(1, T0 + 2)).to.deep.equal([0, false]);
  });

  it('hides versions carrying any denied marking, in queries and existence probes', async () => {
    await add(
      [
        indicator('red', M1, { object_marking_refs: [RED] }),
        indicator('green', M1, { object_marking_refs: [GREEN, AMBER] }),
        indicator('plain', M1),
      ],
      T0,
    );
    const names = async (denied: string[]) =>
      (await query(denied.length > 0 ? { deniedMarkings: denied } : {})).items.map(
        (i) => JSON.parse(String(i.json)).name,
      );
    expect(await names([])).to.deep.equal(['red', 'green', 'plain']);
    expect(await names([RED])).to.deep.equal(['green', 'plain']);
    expect(await names([AMBER])).to.deep.equal(['red', 'plain']);
    expect(await names([RED, AMBER])).to.deep.equal(['plain']);
    expect(await store.objects.objectExists(C, indicator('red').id)).to.equal(true);
    expect(await store.objects.objectExists(C, indicator('red').id, [RED])).to.equal(false);
    expect(await store.objects.objectExists(C, indicator('red').id, [GREEN, RED])).to.equal(false);
    expect(await store.objects.objectExists(C, indicator('red').id, [GREEN])).to.equal(true);
    expect(await store.objects.objectExists(C, indicator('red').id, [])).to.equal(true);
    expect(await store.objects.objectExists(OTHER, indicator('red').id)).to.equal(false);
  });

  it('sees an object whose latest version is hidden through an older one', async () => {
    await add([indicator('layers', M1)], T0);
    await add([indicator('layers', M2, { object_marking_refs: [RED] })], T0 + 10);
    expect(await store.objects.objectExists(C, indicator('layers').id, [RED])).to.equal(true);
    expect((await query({ deniedMarkings: [RED] })).items).to.have.length(0);
    expect((await query({ deniedMarkings: [RED], versions: ALL })).items.map((i) => i.version)).to.deep.equal([M1]);
  });

  it('deletes several exact versions and moves first and last to what is left', async () => {
    for (const [i, m] of [M1, M2, M3, M4].entries()) await add([v('d', m)], T0 + i * 10);
    await add([v('keep', M1)], T0 + 100);
    const id = v('d', M1).id;
    const del = (versions: ObjectQuery['versions'], objectId = id) =>
      store.objects.deleteObjects(C, { objectId, versions });
    expect(await del({ first: false, last: false, exact: [key(M1), key(M4)] })).to.equal(2);
    expect(await versions({ versions: { first: true, last: false, exact: [] }, objectId: id })).to.deep.equal([
      tag('d', M2),
    ]);
    expect(await versions({ versions: LAST, objectId: id })).to.deep.equal([tag('d', M3)]);
    expect(await del({ first: false, last: false, exact: [key(M4)] })).to.equal(0);
    // the other object keeps its flags
    expect(
      await versions({ versions: { first: true, last: true, exact: [] }, objectId: v('keep', M1).id }),
    ).to.deep.equal([tag('keep', M1)]);
    // a new version after the deletes is compared with what is left
    await add([v('d', '2024-02-15T00:00:00.000Z')], T0 + 200);
    expect(await versions({ versions: { first: true, last: true, exact: [] }, objectId: id })).to.deep.equal([
      tag('d', M2),
      tag('d', M3),
    ]);
    expect(await del({ first: true, last: false, exact: [] })).to.equal(1);
    expect(await versions({ versions: { first: true, last: false, exact: [] }, objectId: id })).to.deep.equal([
      tag('d', '2024-02-15T00:00:00.000Z'),
    ]);
    expect(await del(ALL)).to.equal(2);
    expect(await store.objects.objectExists(C, id)).to.equal(false);
    expect(await store.objects.objectExists(C, v('keep', M1).id)).to.equal(true);
  });

  it('a delete that removes nothing leaves first and last as they were', async () => {
    // A leap second: the stored texts order :59.5 before :60, as compareTimestamps does on write.
    await add([v('leap', '2016-12-31T23:59:59.5Z')], T0);
    await add([v('leap', '2016-12-31T23:59:60Z')], T0 + 10);
    const id = v('leap', M1).id;
    const flags = async () => [
      await versions({ versions: { first: true, last: false, exact: [] }, objectId: id }),
      await versions({ versions: LAST, objectId: id }),
    ];
    const before = await flags();
    expect(before).to.deep.equal([[tag('leap', '2016-12-31T23:59:59.5Z')], [tag('leap', '2016-12-31T23:59:60Z')]]);
    expect(
      await store.objects.deleteObjects(C, { objectId: id, versions: { first: false, last: false, exact: [key(M1)] } }),
    ).to.equal(0);
    expect(await flags()).to.deep.equal(before);
  });

  it('deletes only within the added_after window and the spec versions asked for', async () => {
    await add([v('win', M1)], T0);
    await add([v('win', M2)], T0 + 10);
    const id = v('win', M1).id;
    expect(await store.objects.deleteObjects(C, { objectId: id, versions: ALL, addedAfter: T0 + 10 })).to.equal(0);
    expect(await store.objects.deleteObjects(C, { objectId: id, versions: ALL, specVersions: ['2.0'] })).to.equal(0);
    expect(await store.objects.deleteObjects(C, { objectId: id, versions: ALL, addedAfter: T0 })).to.equal(1);
    expect(await versions({ versions: { first: true, last: true, exact: [] }, objectId: id })).to.deep.equal([
      tag('win', M1),
    ]);
  });
});
