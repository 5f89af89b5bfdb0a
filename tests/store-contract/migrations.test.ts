// Schema migrations: numbered, forward-only, each step in its own transaction and recorded; a
// database newer than the code is refused untouched; several MongoDB instances may start at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { StoreVersionError } from '../../src/errors.js';
import { connectMongoStore } from '../../src/store/mongo/mongo-store.js';
import { MONGO_MIGRATIONS, type MongoMigration } from '../../src/store/mongo/migrations.js';
import { migrateSqlite, SQLITE_MIGRATIONS, type SqliteMigration } from '../../src/store/sqlite/migrations.js';
import { IntelIndexWriter } from '../../src/store/sqlite/intel.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { versionKey } from '../../src/stix/timestamps.js';
import type { JobItem, Store } from '../../src/store/store.js';
import { intrusionSet, stixId, type Stix } from '../fixtures/builders.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';

// Migration 9 (intel index) backfill: objects stored by a schema-8 database, then the step.
const BC = '3a0b1c2d-4e5f-4a6b-8c7d-00000000b001';
const B_OLD: Stix = { ...intrusionSet('APT28', '2024-01-01T00:00:00.000Z'), name: 'Old Name' };
const B_NEW: Stix = { ...intrusionSet('APT28', '2024-02-01T00:00:00.000Z'), aliases: ['Fancy Bear'] };
const B_MARKED: Stix = {
  ...intrusionSet('Hidden', '2024-01-01T00:00:00.000Z'),
  object_marking_refs: ['marking-definition--0e0e0e0e-0000-4000-8000-000000000001'],
};
const B_REL: Stix = {
  type: 'relationship',
  spec_version: '2.1',
  id: stixId('relationship', 'backfill'),
  created: '2024-01-01T00:00:00.000Z',
  modified: '2024-01-01T00:00:00.000Z',
  relationship_type: 'uses',
  source_ref: B_NEW.id,
  target_ref: stixId('malware', 'x'),
};
/** [object, is the latest version] in date_added order */
const BACKFILL: [Stix, boolean][] = [
  [B_OLD, false],
  [B_NEW, true],
  [B_MARKED, true],
  [B_REL, true],
];

async function expectBackfilled(store: Store): Promise<void> {
  const scope = { collections: [{ id: BC, deniedMarkings: [] as string[] }] };
  const hits = (await store.intel.searchObjects(scope, { text: 'fancy' }, 10)).hits;
  expect(hits.map((h) => [h.id, h.version])).to.deep.equal([[B_NEW.id, B_NEW.modified]]);
  expect((await store.intel.searchObjects(scope, { text: 'old name' }, 10)).hits).to.deep.equal([]);
  expect((await store.intel.countLatest(scope))[BC]).to.equal(3);
  const denied = { collections: [{ id: BC, deniedMarkings: B_MARKED.object_marking_refs as string[] }] };
  expect((await store.intel.countLatest(denied))[BC]).to.equal(2);
  const edges = await store.intel.findEdges(scope, { ids: [B_NEW.id], limit: 10 });
  expect(edges.map((e) => [e.source, e.label, e.via])).to.deep.equal([[B_NEW.id, 'uses', B_REL.id]]);
  // The log starts with the step: nothing recorded before it is replayed as a change.
  expect(await store.intel.queryChanges(scope, { since: 0, limit: 10 })).to.deep.equal([]);
}

function captureLog(): { lines: { details: object; message: string }[]; info(details: object, message: string): void } {
  const lines: { details: object; message: string }[] = [];
  return { lines, info: (details, message) => lines.push({ details, message }) };
}

/** The key of collection BC in a database file opened directly. */
function ckeyOf(db: Database.Database): number {
  return (db.prepare('SELECT ckey FROM collections WHERE id = ?').get(BC) as { ckey: number }).ckey;
}

/** A version row written straight into the file, as an older release wrote it; returns its seq. */
function insertVersionRow(
  db: Database.Database,
  ckey: number,
  o: Stix,
  dateAdded: number,
  flags: { first: boolean; last: boolean },
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO objects (ckey, id, vkey, version, date_added, type, spec_version, is_first, is_last, json)
         VALUES (?, ?, ?, ?, ?, ?, '2.1', ?, ?, ?)`,
      )
      .run(
        ckey,
        o.id,
        versionKey(o.modified as string),
        o.modified,
        dateAdded,
        o.type,
        flags.first ? 1 : 0,
        flags.last ? 1 : 0,
        Buffer.from(JSON.stringify(o)),
      ).lastInsertRowid,
  );
}

const LATEST = SQLITE_MIGRATIONS.length;
const addColumn: SqliteMigration = {
  version: LATEST + 1,
  name: 'collections.color',
  up: (db) => db.exec('ALTER TABLE collections ADD COLUMN color TEXT'),
};

describe('SQLite schema migrations', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-migrate-'));
    file = join(dir, 'palisade.db');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const versions = (): number[] => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      );
    } finally {
      db.close();
    }
  };

  it('creates a new database at the newest version, logs each step, and applies nothing the second time', async () => {
    const log = captureLog();
    let store = openSqliteStore(file);
    const all = SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name }));
    expect(all[0]).to.deep.equal({ version: 1, name: 'release 0.1 schema' });
    expect(await store.migrate(log)).to.deep.equal({ from: 0, to: LATEST, applied: all });
    expect(log.lines).to.deep.equal(
      all.map((m) => ({
        details: { store: 'sqlite', version: m.version, migration: m.name },
        message: 'applied schema migration',
      })),
    );
    await store.close();
    store = openSqliteStore(file);
    expect(await store.migrate()).to.deep.equal({ from: LATEST, to: LATEST, applied: [] });
    await store.close();
    expect(versions()).to.deep.equal(all.map((m) => m.version));
  });

  it('applies a later step to a database at the current version, keeping its data', async () => {
    const v1 = openSqliteStore(file);
    await v1.migrate();
    await v1.catalog.putApiRoot({ path: 'eu', title: 'EU', maxContentLength: 10, source: 'config' });
    await v1.close();
    const v2 = openSqliteStore(file, [...SQLITE_MIGRATIONS, addColumn]);
    expect((await v2.migrate()).applied).to.deep.equal([{ version: LATEST + 1, name: 'collections.color' }]);
    expect(await v2.catalog.getApiRoot('eu')).to.deep.equal({
      path: 'eu',
      title: 'EU',
      maxContentLength: 10,
      source: 'config',
    });
    await v2.close();
    expect(versions()).to.deep.equal([...SQLITE_MIGRATIONS.map((m) => m.version), LATEST + 1]);
  });

  it('rolls a failing step back completely: no half-applied schema, the version stays', async () => {
    const v1 = openSqliteStore(file);
    await v1.migrate();
    await v1.close();
    const broken: SqliteMigration = {
      version: LATEST + 1,
      name: 'broken',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('step failed midway');
      },
    };
    const db = new Database(file);
    try {
      expect(() => migrateSqlite(db, [...SQLITE_MIGRATIONS, broken])).to.throw('step failed midway');
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).to.equal(undefined);
    } finally {
      db.close();
    }
    expect(versions()).to.deep.equal(SQLITE_MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database written by a newer release with a clear message and leaves it untouched', async () => {
    const newer = openSqliteStore(file, [...SQLITE_MIGRATIONS, addColumn]);
    await newer.migrate();
    await newer.close();
    const older = openSqliteStore(file);
    let error: unknown;
    try {
      await older.migrate();
    } catch (err) {
      error = err;
    } finally {
      await older.close();
    }
    expect(error).to.be.instanceOf(StoreVersionError);
    expect((error as Error).message).to.contain(
      `has schema version ${LATEST + 1}, but this Palisade only knows versions up to ${LATEST}`,
    );
    expect((error as Error).message).to.contain(file);
    expect(versions()).to.deep.equal([...SQLITE_MIGRATIONS.map((m) => m.version), LATEST + 1]);
  });

  it('refuses migration lists that skip a number', () => {
    const db = new Database(':memory:');
    try {
      expect(() => migrateSqlite(db, [...SQLITE_MIGRATIONS, { ...addColumn, version: LATEST + 2 }])).to.throw(
        /numbered 1, 2, 3/,
      );
    } finally {
      db.close();
    }
  });

  it('migration 9 indexes the latest version of every object stored before it', async () => {
    const old = openSqliteStore(file, SQLITE_MIGRATIONS.slice(0, 8));
    await old.migrate();
    await old.catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
    await old.catalog.putCollection({ id: BC, apiRoot: 'r1', title: 'b', source: 'config' });
    await old.close();
    const db = new Database(file);
    const ckey = ckeyOf(db);
    BACKFILL.forEach(([o, last], i) => {
      const seq = insertVersionRow(db, ckey, o, 1_000 + i, { first: i !== 1, last });
      for (const m of (o.object_marking_refs as string[] | undefined) ?? [])
        db.prepare('INSERT INTO object_markings (seq, marking_id) VALUES (?, ?)').run(seq, m);
    });
    db.close();
    const store = openSqliteStore(file);
    try {
      expect((await store.migrate()).applied.map((a) => a.version)).to.deep.equal([9, 10, 11, 12, 13]);
      await expectBackfilled(store);
    } finally {
      await store.close();
    }
  });

  it('migration 11 rebuilds the full-text table of a schema-10 database: same words found, no positions kept', async () => {
    const old = openSqliteStore(file, SQLITE_MIGRATIONS.slice(0, 10));
    await old.migrate();
    await old.catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
    await old.catalog.putCollection({ id: BC, apiRoot: 'r1', title: 'b', source: 'config' });
    await old.close();
    const described: Stix = {
      ...intrusionSet('Turla', '2024-01-01T00:00:00.000Z'),
      description: 'Spearphishing against ministries of foreign affairs',
    };
    // Written as a schema-10 release wrote: the object row and its index rows in one transaction.
    const raw = new Database(file);
    const ckey = ckeyOf(raw);
    const index = new IntelIndexWriter((sql) => raw.prepare(sql));
    raw.transaction(() => {
      [described, B_NEW].forEach((o, i) => {
        const seq = insertVersionRow(raw, ckey, o, 1_000 + i, { first: true, last: true });
        index.setLatest(ckey, o.id, seq, JSON.stringify(o), 1_000 + i, { at: 1_000 + i });
      });
    })();
    raw.close();
    const store = openSqliteStore(file);
    try {
      expect((await store.migrate()).applied.map((a) => a.version)).to.deep.equal([11, 12, 13]);
      const scope = { collections: [{ id: BC, deniedMarkings: [] as string[] }] };
      const ids = async (text: string): Promise<string[]> =>
        (await store.intel.searchObjects(scope, { text }, 10)).hits.map((h) => h.id);
      expect(await ids('spearphish ministries')).to.deep.equal([described.id]);
      expect(await ids('turla foreign')).to.deep.equal([described.id]);
      expect(await ids('fancy')).to.deep.equal([B_NEW.id]);
      // one- and two-letter prefixes match names (their own prefix index), whole words only in descriptions
      expect(await ids('tu')).to.deep.equal([described.id]);
      expect(await ids('of')).to.deep.equal([described.id]);
      expect(await ids('mi')).to.deep.equal([]);
      // Migration 12: what is written from now on is queued for the index, and found.
      await store.objects.addObjects(
        BC,
        [{ ...intrusionSet('Sandworm', '2024-03-01T00:00:00.000Z'), aliases: ['Voodoo Bear'] } as Stix].map((o) => ({
          id: o.id,
          type: o.type,
          specVersion: '2.1',
          version: o.modified as string,
          versionKey: versionKey(o.modified as string) as string,
          markings: [],
          json: JSON.stringify(o),
        })),
        2_000,
      );
      expect(await ids('voodoo')).to.deep.equal([stixId('intrusion-set', 'Sandworm')]);
      expect(await ids('fancy')).to.deep.equal([B_NEW.id]);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'intel_fts'").get() as { sql: string }).sql;
      expect(sql).to.match(/detail = column/);
      expect(sql).not.to.match(/prefix/);
    } finally {
      db.close();
    }
  });
});

describe('SQLite migration 13: queued entries packed', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-migration-13-'));
    file = join(dir, 'palisade.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the entries a schema-12 queue held one row each into packs: a cut job resumes with every entry', async () => {
    const old = openSqliteStore(file, SQLITE_MIGRATIONS.slice(0, 12));
    await old.migrate();
    await old.close();
    // Written as a schema-12 release wrote: a row per entry; 2,345 entries make three packs.
    const raw = new Database(file);
    const insert = raw.prepare('INSERT INTO ingest_items (job_id, seq, raw, refused) VALUES (?, ?, ?, ?)');
    const job = (id: string, released: number): void => {
      raw
        .prepare(
          `INSERT INTO ingest_jobs (id, api_root, collection_id, principal, request_ts, created_ms, item_count, released)
           VALUES (?, 'r1', ?, '{"username":"u","role":"member","groups":[]}', 1, 1, ?, ?)`,
        )
        .run(id, BC, released ? 2_345 : null, released);
    };
    const refused = (i: number): boolean => i % 500 === 7;
    const text = (i: number): string => (refused(i) ? `refused ${i}` : `{"n":${i},"s":"\\u00e9\u{1F600}"}`);
    raw.transaction(() => {
      job('big', 1);
      job('cut', 0);
      for (let i = 0; i < 2_345; i++)
        insert.run('big', i, refused(i) ? null : Buffer.from(text(i)), refused(i) ? text(i) : null);
      insert.run('cut', 0, Buffer.from('{"cut":0}'), null);
      insert.run('cut', 1, Buffer.from('{"cut":1}'), null);
    })();
    raw.close();
    const store = openSqliteStore(file);
    try {
      expect((await store.migrate()).applied.map((a) => a.version)).to.deep.equal([13]);
      const label = (it: JobItem): string => ('raw' in it ? it.raw.toString() : it.refused);
      const all = await store.jobs.readItems('big', 0, 10_000);
      expect(all.map((it) => it.seq)).to.deep.equal(Array.from({ length: 2_345 }, (_, i) => i));
      expect(all.map(label)).to.deep.equal(Array.from({ length: 2_345 }, (_, i) => text(i)));
      // from the middle of a pack, across the next
      expect((await store.jobs.readItems('big', 990, 20)).map((it) => it.seq)).to.deep.equal(
        Array.from({ length: 20 }, (_, i) => 990 + i),
      );
      expect((await store.jobs.readItems('cut', 0, 10)).map(label)).to.deep.equal(['{"cut":0}', '{"cut":1}']);
      expect((await store.jobs.claimJob('w', 10, 1000))?.itemCount).to.equal(2_345);
      // the cut upload is purged with its entries, as before
      expect(await store.jobs.purgeUnreleased(5)).to.deep.equal(['cut']);
      expect(await store.jobs.readItems('cut', 0, 10)).to.deep.equal([]);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ingest_items'").get()).to.equal(undefined);
      expect(
        db.prepare('SELECT first_seq, last_seq FROM ingest_packs WHERE job_id = ? ORDER BY 1').all('big'),
      ).to.deep.equal([
        { first_seq: 0, last_seq: 999 },
        { first_seq: 1000, last_seq: 1999 },
        { first_seq: 2000, last_seq: 2344 },
      ]);
    } finally {
      db.close();
    }
  });
});

const uri = mongoTestUri();
describe('MongoDB schema steps', function () {
  this.timeout(60_000);
  let database: string;
  before(function () {
    if (!uri) {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    }
  });
  beforeEach(() => {
    database = freshDatabaseName();
  });
  afterEach(async () => {
    if (!uri) return;
    const client = await MongoClient.connect(uri);
    await client.db(database).dropDatabase();
    await client.close();
  });

  const recordedSteps = async (): Promise<number[]> => {
    const client = await MongoClient.connect(uri as string);
    try {
      return (
        await client.db(database).collection<{ _id: number }>('schema_migrations').find().sort({ _id: 1 }).toArray()
      ).map((d) => d._id);
    } finally {
      await client.close();
    }
  };

  it('lets several instances start on a new database at once: every step runs, each is recorded once', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => connectMongoStore(uri as string, database)));
    try {
      const reports = await Promise.all(stores.map((s) => s.migrate()));
      expect(reports.every((r) => r.to === MONGO_MIGRATIONS.length)).to.equal(true);
      // Exactly one instance recorded each step.
      expect(reports.flatMap((r) => r.applied.map((a) => a.version)).sort()).to.deep.equal(
        MONGO_MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    expect(await recordedSteps()).to.deep.equal(MONGO_MIGRATIONS.map((m) => m.version));
    const client = await MongoClient.connect(uri as string);
    const names = (await client.db(database).collection('objects').listIndexes().toArray())
      .map((i) => i.name as string)
      .sort();
    await client.close();
    expect(names).to.include.members(['c_da', 'c_id_vkey', 'c_last_da', 'c_type_da']);
  });

  it('migration 9 indexes the latest version of every object stored before it', async () => {
    const old = await connectMongoStore(uri as string, database, MONGO_MIGRATIONS.slice(0, 8));
    await old.migrate();
    await old.catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
    await old.catalog.putCollection({ id: BC, apiRoot: 'r1', title: 'b', source: 'config' });
    await old.close();
    const client = await MongoClient.connect(uri as string);
    await client
      .db(database)
      .collection('objects')
      .insertMany(
        BACKFILL.map(([o, last], i) => {
          const vkey = versionKey(o.modified as string) as string;
          return {
            _id: `${BC}|${o.id}|${vkey}`,
            c: BC,
            id: o.id,
            vkey,
            version: o.modified,
            da: 1_000 + i,
            type: o.type,
            sv: '2.1',
            first: i !== 1,
            last,
            ...(last ? {} : { sup: 1_001 }),
            mk: (o.object_marking_refs as string[] | undefined) ?? [],
            json: JSON.stringify(o),
          };
        }) as never[],
      );
    await client.close();
    const store = await connectMongoStore(uri as string, database);
    try {
      expect((await store.migrate()).applied.map((a) => a.version)).to.deep.equal([9]);
      await expectBackfilled(store);
    } finally {
      await store.close();
    }
  });

  it('refuses a database recorded at a newer step, untouched', async () => {
    const later: MongoMigration = { version: MONGO_MIGRATIONS.length + 1, name: 'later', up: async () => undefined };
    const newer = await connectMongoStore(uri as string, database, [...MONGO_MIGRATIONS, later]);
    await newer.migrate();
    await newer.close();
    const older = await connectMongoStore(uri as string, database);
    try {
      let error: unknown;
      await older.migrate().catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(StoreVersionError);
      expect((error as Error).message).to.contain(
        `has schema version ${later.version}, but this Palisade only knows versions up to ${MONGO_MIGRATIONS.length}`,
      );
    } finally {
      await older.close();
    }
    expect(await recordedSteps()).to.deep.equal([...MONGO_MIGRATIONS.map((m) => m.version), later.version]);
  });
});
