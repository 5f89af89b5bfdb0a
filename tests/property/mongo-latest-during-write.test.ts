// Regression case found while checking the paging properties on MongoDB (tests/helpers/taxii-model.ts):
// a latest-only read that runs while a newer version of an object is being written must answer
// either the state before the write (old version) or after it (new version), never neither.
// The MongoDB writer inserts the new version, then recomputes the first/last flags (clearing
// `last` on the old version), then marks its date_added block done; until then readers do not see
// the new version (the horizon), but they already miss the old one. Made deterministic here by a
// writer whose ledger runs the read just before it marks the block done.
import { expect } from 'chai';
import { MongoClient, type Collection } from 'mongodb';
import { DateAddedLedger } from '../../src/store/mongo/date-added-ledger.js';
import { mongoCollections, type BlockDoc, type ObjectDoc } from '../../src/store/mongo/documents.js';
import { connectMongoStore, type MongoStore } from '../../src/store/mongo/mongo-store.js';
import { MongoObjects } from '../../src/store/mongo/objects.js';
import { VersionFlags } from '../../src/store/mongo/version-flags.js';
import type { Page, StoredVersion } from '../../src/store/store.js';
import { indicator } from '../fixtures/builders.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { recordOf } from '../helpers/taxii-model.js';

const uri = mongoTestUri();
const C = '3a0b1c2d-4e5f-4a6b-8c7d-00000000c0de';
const T0 = Date.UTC(2025, 0, 1) * 1000;
const LAST = { first: false, last: true, exact: [] };
const FIRST = { first: true, last: false, exact: [] };

describe('MongoDB store: latest version while a newer one is being written', function () {
  this.timeout(30_000);
  let store: MongoStore;
  let client: MongoClient;
  /** A second writer on the same database that runs `onRelease` just before it marks its block done. */
  let writer: (onRelease: () => Promise<void>) => MongoObjects;
  let objects: Collection<ObjectDoc>;
  let blocks: Collection<BlockDoc>;

  before(function () {
    if (!uri) {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    }
  });

  beforeEach(async () => {
    const database = freshDatabaseName();
    store = await connectMongoStore(uri as string, database);
    await store.migrate();
    await store.catalog.putApiRoot({ path: 'r1', title: 'Root one', maxContentLength: 1000, source: 'config' });
    await store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', source: 'config' });
    client = await MongoClient.connect(uri as string);
    const c = mongoCollections(client.db(database));
    objects = c.objects;
    blocks = c.blocks;
    writer = (onRelease) => {
      const ledger = new DateAddedLedger(c.blocks);
      const pausing = Object.create(ledger) as DateAddedLedger;
      pausing.release = async (block) => {
        await onRelease();
        return ledger.release(block);
      };
      return new MongoObjects(c.objects, pausing, new VersionFlags(c.objects));
    };
  });
  afterEach(async () => {
    await client?.close();
    await store?.dropDatabase();
    await store?.close();
  });

  it('PBT-BUG-1: a latest-only read during the write of a newer version still sees the object', async () => {
    const old = recordOf(indicator('race', '2024-02-01T00:00:00.000Z'));
    const newer = recordOf(indicator('race', '2024-03-01T00:00:00.000Z'));
    await store.objects.addObjects(C, [old], T0);

    let during: Page<StoredVersion> | undefined;
    let exists: boolean | undefined;
    await writer(async () => {
      during = await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 });
      exists = await store.objects.objectExists(C, old.id);
    }).addObjects(C, [newer], T0 + 1_000_000);

    expect(exists, 'the object exists throughout').to.equal(true);
    // Before the write: the old version; after it: the new one. Never no version at all.
    const versions = during?.items.map((v) => v.version).join(' ');
    expect(versions, 'latest versions read during the write').to.be.oneOf([
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
    const after = await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 });
    expect(after.items.map((v) => v.version)).to.deep.equal(['2024-03-01T00:00:00.000Z']);
  });

  const versionsOf = (page: Page<StoredVersion> | undefined): string =>
    (page?.items ?? []).map((v) => v.version).join(' ');

  it('a first-only read during the late write of an older version still sees the object once', async () => {
    const mid = recordOf(indicator('late', '2024-02-01T00:00:00.000Z'));
    const older = recordOf(indicator('late', '2024-01-15T00:00:00.000Z'));
    await store.objects.addObjects(C, [mid], T0);
    let during: Page<StoredVersion> | undefined;
    await writer(async () => {
      during = await store.objects.queryObjects(C, { versions: FIRST }, { limit: 10 });
    }).addObjects(C, [older], T0 + 1_000_000);
    expect(versionsOf(during)).to.be.oneOf(['2024-02-01T00:00:00.000Z', '2024-01-15T00:00:00.000Z']);
    const after = await store.objects.queryObjects(C, { versions: FIRST }, { limit: 10 });
    expect(versionsOf(after)).to.equal('2024-01-15T00:00:00.000Z');
  });

  it('a reader whose horizon sits between two writers of one object sees the newest version below it', async () => {
    const v1 = recordOf(indicator('two', '2024-01-01T00:00:00.000Z'));
    const v2 = recordOf(indicator('two', '2024-02-01T00:00:00.000Z'));
    const v3 = recordOf(indicator('two', '2024-03-01T00:00:00.000Z'));
    await store.objects.addObjects(C, [v1], T0);
    const seen: string[] = [];
    // Writer A (v2) holds its block open while writer B (v3, a later block) writes, fixes flags and
    // releases; the reader's horizon stays below A's block, so it must still see v1.
    await writer(async () => {
      await writer(async () => {
        seen.push(versionsOf(await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 })));
      }).addObjects(C, [v3], T0 + 2_000_000);
      seen.push(versionsOf(await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 })));
    }).addObjects(C, [v2], T0 + 1_000_000);
    expect(seen).to.deep.equal(['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
    const after = await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 });
    expect(versionsOf(after)).to.equal('2024-03-01T00:00:00.000Z');
  });

  it('a latest-only read during the delete of the latest version sees the old or the new latest', async () => {
    const v1 = recordOf(indicator('del', '2024-01-01T00:00:00.000Z'));
    const v2 = recordOf(indicator('del', '2024-02-01T00:00:00.000Z'));
    await store.objects.addObjects(C, [v1, v2], T0);
    const seen: string[] = [];
    // Read just before the marked version is removed (after the remaining one's flags are set).
    const pausing = Object.create(objects) as Collection<ObjectDoc>;
    pausing.deleteMany = (async (...args: Parameters<Collection<ObjectDoc>['deleteMany']>) => {
      seen.push(versionsOf(await store.objects.queryObjects(C, { versions: LAST }, { limit: 1 })));
      return objects.deleteMany(...args);
    }) as Collection<ObjectDoc>['deleteMany'];
    const deleter = new MongoObjects(pausing, new DateAddedLedger(blocks), new VersionFlags(pausing));
    const n = await deleter.deleteObjects(C, { objectId: v2.id, versions: LAST });
    expect(n).to.equal(1);
    for (const s of seen) expect(s).to.be.oneOf(['2024-02-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z']);
    const after = await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 });
    expect(versionsOf(after)).to.equal('2024-01-01T00:00:00.000Z');
  });

  it('a writer that died before setting flags: its block is repaired when its lease has expired', async () => {
    const v1 = recordOf(indicator('crash', '2024-01-01T00:00:00.000Z'));
    const v2 = recordOf(indicator('crash', '2024-02-01T00:00:00.000Z'));
    await store.objects.addObjects(C, [v1], T0);
    // The crashed writer: inserts v2 (first and last, as inserted) and never fixes flags nor releases.
    const ledger = new DateAddedLedger(blocks);
    const dead = Object.create(ledger) as DateAddedLedger;
    dead.release = async () => undefined;
    const noFlags = Object.create(new VersionFlags(objects)) as VersionFlags;
    noFlags.fix = async () => undefined;
    await new MongoObjects(objects, dead, noFlags).addObjects(C, [v2], T0 + 1_000_000);
    expect(versionsOf(await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 }))).to.equal(
      '2024-01-01T00:00:00.000Z',
    );
    await blocks.updateMany({ done: false }, { $set: { expires: new Date(Date.now() - 1000) } });
    expect(versionsOf(await store.objects.queryObjects(C, { versions: LAST }, { limit: 10 }))).to.equal(
      '2024-02-01T00:00:00.000Z',
    );
    expect(versionsOf(await store.objects.queryObjects(C, { versions: FIRST }, { limit: 10 }))).to.equal(
      '2024-01-01T00:00:00.000Z',
    );
    const flags = await objects
      .find({ id: v1.id }, { projection: { version: 1, first: 1, last: 1 } })
      .sort({ da: 1 })
      .toArray();
    expect(flags.map((d) => [d.first, d.last])).to.deep.equal([
      [true, false],
      [false, true],
    ]);
  });

  it('two last candidates of one id in the rows of a page: only the newest is served, limit and more stay exact, flags repaired', async () => {
    const dup1 = recordOf(indicator('dup', '2024-01-01T00:00:00.000Z'));
    const dup2 = recordOf(indicator('dup', '2024-02-01T00:00:00.000Z'));
    const objs = [dup1, recordOf(indicator('a')), recordOf(indicator('b')), dup2, recordOf(indicator('c'))];
    await store.objects.addObjects(C, objs, T0);
    // A stale flag as a writer that died mid-way leaves it: the old version still flagged last. With
    // limit 3 the newer one is the extra row that decides `more`.
    await objects.updateOne({ id: dup1.id, vkey: dup1.versionKey }, { $set: { last: true }, $unset: { sup: '' } });
    const first = await store.objects.queryObjects(C, { versions: LAST }, { limit: 3 });
    expect(first.items.map((v) => `${v.id}|${v.version}`)).to.deep.equal(
      [objs[1], objs[2], dup2].map((o) => `${o?.id}|${o?.version}`),
    );
    expect(first.more).to.equal(true);
    const second = await store.objects.queryObjects(
      C,
      { versions: LAST },
      { limit: 3, after: first.items.at(-1)?.dateAdded },
    );
    expect(second.items.map((v) => v.id)).to.deep.equal([objs[4]?.id]);
    expect(second.more).to.equal(false);
    // The read repaired the flags.
    expect(await objects.countDocuments({ id: dup1.id, last: true })).to.equal(1);
  });
});
