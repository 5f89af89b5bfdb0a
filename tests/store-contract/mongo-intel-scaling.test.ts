// The MongoDB intel writer on a growing collection. FerretDB 1.x (the test server) answers every
// query, update and delete by reading the whole collection; only inserts stay cheap as it grows. So
// a batch of new objects must not read the entries, edges or change log, and the change numbers
// come from a counter that works on a log written by an earlier release (no counter) and on one
// whose counter lags behind (a writer stopped between appending and raising it).
import { expect } from 'chai';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { mongoCollections } from '../../src/store/mongo/documents.js';
import { DateAddedLedger } from '../../src/store/mongo/date-added-ledger.js';
import {
  appendChanges,
  CHANGE_SEQ_COUNTER,
  intelCollections,
  MongoIntelWriter,
  type IntelCollections,
} from '../../src/store/mongo/intel.js';
import { migrateMongo } from '../../src/store/mongo/migrations.js';
import { MongoObjects } from '../../src/store/mongo/objects.js';
import { VersionFlags } from '../../src/store/mongo/version-flags.js';
import { indicator, stixId, type Stix } from '../fixtures/builders.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { T0, toNew } from './contract.js';

const C = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000aa';
const uri = mongoTestUri();

function rel(n: number, source: string, target: string): Stix {
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: stixId('relationship', `r${n}`),
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    relationship_type: 'indicates',
    source_ref: source,
    target_ref: target,
  };
}

const change = (id: string): { c: string; id: string; type: string; kind: 'added'; at: number; mk: string[] } => ({
  c: C,
  id,
  type: 'indicator',
  kind: 'added',
  at: T0,
  mk: [],
});

if (!uri) {
  describe('MongoDB intel writer at scale', () => {
    it(`is skipped: ${MONGO_SKIP_MESSAGE}`, function () {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    });
  });
} else {
  describe('MongoDB intel writer at scale', function () {
    this.timeout(60_000);
    let client: MongoClient;
    let db: Db;
    let ic: IntelCollections;
    let objects: MongoObjects;
    let seen: CommandStartedEvent[] = [];
    const record = (e: CommandStartedEvent): void => {
      seen.push(e);
    };

    beforeEach(async () => {
      client = new MongoClient(uri, { ignoreUndefined: true, monitorCommands: true });
      await client.connect();
      db = client.db(freshDatabaseName());
      const c = mongoCollections(db);
      ic = intelCollections(db);
      await migrateMongo(c, 'test');
      objects = new MongoObjects(
        c.objects,
        new DateAddedLedger(c.blocks),
        new VersionFlags(c.objects),
        5000,
        new MongoIntelWriter(c.objects, ic),
      );
      client.on('commandStarted', record);
    });
    afterEach(async () => {
      client.off('commandStarted', record);
      await db.dropDatabase();
      await client.close();
    });

    /** The commands a batch sent to the intel collections, as `command collection`. */
    async function intelCommands(batch: Stix[], at: number): Promise<string[]> {
      seen = [];
      const out = await objects.addObjects(C, batch.map(toNew), at);
      expect(out.map((o) => o.outcome)).to.deep.equal(batch.map(() => 'added'));
      return seen
        .map((e) => `${e.commandName} ${String((e.command as Record<string, unknown>)[e.commandName])}`)
        .filter((s) => / intel_/.test(s));
    }

    it('writes a batch of new objects with inserts alone, however many entries exist', async () => {
      const first = Array.from({ length: 40 }, (_, i) => indicator(`first ${i}`));
      await intelCommands(first, T0);
      const next = Array.from({ length: 40 }, (_, i) => indicator(`next ${i}`));
      const rels = next.map((o, i) => rel(i, o.id, first[i]?.id as string));
      const commands = await intelCommands([...next, ...rels], T0 + 100);
      // entries, edges and change log: inserted; the counter: read once and raised once
      expect(commands).to.deep.equal([
        'insert intel_entries',
        'insert intel_edges',
        'find intel_counters',
        'insert intel_changes',
        'update intel_counters',
      ]);
      expect(await ic.entries.countDocuments({ c: C })).to.equal(120);
      expect(await ic.edges.countDocuments({ c: C, label: 'indicates' })).to.equal(40);
      const seqs = (await ic.changes.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(seqs).to.deep.equal(Array.from({ length: 120 }, (_, i) => i + 1));
      expect((await ic.counters.findOne({ _id: CHANGE_SEQ_COUNTER }))?.seq).to.equal(120);
    });

    it('replaces an edge left over by an interrupted deletion when its owner is added again', async () => {
      const a = indicator('a');
      const b = indicator('b');
      const r = rel(1, a.id, b.id);
      const edgeId = `${C}|${r.id}|relationship|indicates|${a.id}|${b.id}`;
      // what a deletion that stopped after removing the entry leaves: the edge, with another `via`
      await ic.edges.insertOne({
        _id: edgeId,
        c: C,
        owner: r.id,
        source: a.id,
        target: b.id,
        kind: 'relationship',
        label: 'indicates',
        via: 'stale',
      });
      await objects.addObjects(C, [a, b, r].map(toNew), T0);
      const edge = await ic.edges.findOne({ _id: edgeId });
      expect(edge?.via).to.equal(r.id);
      expect(await ic.edges.countDocuments({ owner: r.id })).to.equal(1);
    });

    it('numbers changes after a log written by an earlier release, which kept no counter', async () => {
      await ic.changes.insertMany([1, 2, 3, 4, 5].map((n) => ({ _id: n, ...change(`old-${n}`) })));
      await appendChanges(ic, [change('x'), change('y')]);
      const ids = (await ic.changes.find({}).sort({ _id: 1 }).toArray()).map((d) => [d._id, d.id]);
      expect(ids.slice(5)).to.deep.equal([
        [6, 'x'],
        [7, 'y'],
      ]);
      expect((await ic.counters.findOne({ _id: CHANGE_SEQ_COUNTER }))?.seq).to.equal(7);
    });

    it('numbers changes after the newest when the counter lags, without a gap or a repeat', async () => {
      await appendChanges(ic, [change('a'), change('b')]);
      // another writer appended 3..6 and stopped before raising the counter
      await ic.changes.insertMany([3, 4, 5, 6].map((n) => ({ _id: n, ...change(`other-${n}`) })));
      await appendChanges(ic, [change('c'), change('d')]);
      const docs = await ic.changes.find({}).sort({ _id: 1 }).toArray();
      expect(docs.map((d) => d._id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(docs.slice(6).map((d) => d.id)).to.deep.equal(['c', 'd']);
      expect((await ic.counters.findOne({ _id: CHANGE_SEQ_COUNTER }))?.seq).to.equal(8);
    });

    it('gives concurrent appenders distinct, consecutive numbers in each one’s order', async () => {
      const writers = ['p', 'q', 'r', 's'];
      await Promise.all(
        writers.map((w) =>
          appendChanges(
            ic,
            Array.from({ length: 10 }, (_, i) => change(`${w}${i}`)),
          ),
        ),
      );
      const docs = await ic.changes.find({}).sort({ _id: 1 }).toArray();
      expect(docs.map((d) => d._id)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      for (const w of writers) {
        const mine = docs.filter((d) => d.id.startsWith(w)).map((d) => d.id);
        expect(mine).to.deep.equal(Array.from({ length: 10 }, (_, i) => `${w}${i}`));
      }
      // FerretDB applies $max without atomicity: the counter may be left at an older number, never
      // at one that does not exist
      expect((await ic.counters.findOne({ _id: CHANGE_SEQ_COUNTER }))?.seq).to.be.within(10, 40);
    });
  });
}
