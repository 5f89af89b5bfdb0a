// Versions before 1970 (years 0000–1969): keys that order as instants on both backends, and
// migration 7, which re-keys what earlier releases stored with keys that did not.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { versionKey } from '../../src/stix/timestamps.js';
import { connectMongoStore } from '../../src/store/mongo/mongo-store.js';
import { MONGO_MIGRATIONS } from '../../src/store/mongo/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewVersion, Store } from '../../src/store/store.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';

const C = '7e0b1c2d-4e5f-4a6b-8c7d-000000000077';
const ID = 'indicator--0b7e5c3a-1d2f-4a6b-8c7d-9e0f1a2b3c4d';
const VERSIONS = [
  '0050-06-01T00:00:00.000Z',
  '0099-12-31T23:59:59.999Z',
  '1951-06-01T00:00:00Z',
  '2020-01-01T00:00:00Z',
];

/** The key release 0.1 to migration 6 computed: Date.UTC (years 0–99 read as 19xx), padded as text. */
function oldKey(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(v) as RegExpExecArray;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return `${String(Math.floor(ms / 1000)).padStart(12, '0')}.${((m[7] ?? '') + '000000000').slice(0, 9)}`;
}

function version(v: string, key: string): NewVersion {
  const obj = { type: 'indicator', spec_version: '2.1', id: ID, created: VERSIONS[0], modified: v, name: v };
  return {
    id: ID,
    type: 'indicator',
    specVersion: '2.1',
    version: v,
    versionKey: key,
    markings: [],
    json: JSON.stringify(obj),
  };
}

async function seed(store: Store): Promise<void> {
  await store.catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
  await store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', source: 'config' });
}

async function expectOrdered(store: Store): Promise<void> {
  const pick = async (versions: Parameters<Store['objects']['queryObjects']>[1]['versions']) =>
    (await store.objects.queryObjects(C, { objectId: ID, versions }, { limit: 10 })).items.map((i) => i.version);
  expect(await pick({ first: true, last: false, exact: [] })).to.deep.equal([VERSIONS[0]]);
  expect(await pick({ first: false, last: true, exact: [] })).to.deep.equal([VERSIONS[3]]);
  for (const v of VERSIONS)
    expect(await pick({ first: false, last: false, exact: [versionKey(v) as string] })).to.deep.equal([v]);
  // the same versions posted again (with today's keys) are duplicates, not new rows or conflicts
  const again = await store.objects.addObjects(
    C,
    VERSIONS.map((v) => version(v, versionKey(v) as string)),
    Date.UTC(2026, 0, 1) * 1000,
  );
  expect(again.map((o) => o.outcome)).to.deep.equal(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
  expect(
    (await store.objects.queryObjects(C, { objectId: ID, versions: { all: true } }, { limit: 10 })).items,
  ).to.have.length(4);
}

describe('Versions before 1970 (keys and migration 7)', () => {
  it('keys order every year from 0000 as instants', () => {
    const keys = [
      '0000-01-01T00:00:00Z',
      ...VERSIONS.slice(0, 3),
      '1969-12-31T23:59:59.999999999Z',
      '1970-01-01T00:00:00Z',
      VERSIONS[3] as string,
      '9999-12-31T23:59:59Z',
    ].map((v) => versionKey(v) as string);
    expect([...keys].sort()).to.deep.equal(keys);
    expect(new Set(keys).size).to.equal(keys.length);
  });

  describe('SQLite', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'palisade-early-'));
    });
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    it('stores new early versions in order, and re-keys those an earlier release stored', async () => {
      const fresh = openSqliteStore(join(dir, 'new.db'));
      await fresh.migrate();
      await seed(fresh);
      await fresh.objects.addObjects(
        C,
        VERSIONS.map((v) => version(v, versionKey(v) as string)),
        1_700_000_000_000_000,
      );
      await expectOrdered(fresh);
      await fresh.close();

      const file = join(dir, 'old.db');
      const old = openSqliteStore(file, SQLITE_MIGRATIONS.slice(0, 6));
      await old.migrate();
      await seed(old);
      await old.close();
      // The rows as a release at schema 6 wrote them (old keys, flags by timestamp): today's objects
      // code also feeds the analyst index of migration 9, which that schema lacks, so they are
      // written here directly.
      const db = new Database(file);
      const ckey = db.prepare('SELECT ckey FROM collections WHERE id = ?').pluck().get(C);
      const insert = db.prepare(
        `INSERT INTO objects (ckey, id, vkey, version, date_added, type, spec_version, is_first, is_last, json)
         VALUES (?, ?, ?, ?, ?, 'indicator', '2.1', ?, ?, ?)`,
      );
      const rows = VERSIONS.map((v) => ({ v, key: oldKey(v) }));
      rows.forEach(({ v, key }, i) =>
        insert.run(
          ckey,
          ID,
          key,
          v,
          1_700_000_000_000_000 + i,
          i === 0 ? 1 : 0,
          i === rows.length - 1 ? 1 : 0,
          Buffer.from(version(v, key).json),
        ),
      );
      db.close();
      const upgraded = openSqliteStore(file);
      const report = await upgraded.migrate();
      expect(report.applied.map((a) => a.version)).to.include(7);
      await expectOrdered(upgraded);
      await upgraded.close();
    });
  });

  describe('MongoDB', function () {
    this.timeout(60_000);
    const uri = mongoTestUri();
    const databases: string[] = [];
    before(function () {
      if (!uri) {
        console.log(`      ${MONGO_SKIP_MESSAGE}`);
        this.skip();
      }
    });
    after(async () => {
      if (!uri) return;
      const client = await MongoClient.connect(uri);
      for (const d of databases) await client.db(d).dropDatabase();
      await client.close();
    });

    it('stores new early versions in order, and re-keys (re-ids) those an earlier release stored', async () => {
      const fresh = freshDatabaseName();
      const old = freshDatabaseName();
      databases.push(fresh, old);
      const a = await connectMongoStore(uri as string, fresh);
      await a.migrate();
      await seed(a);
      await a.objects.addObjects(
        C,
        VERSIONS.map((v) => version(v, versionKey(v) as string)),
        1_700_000_000_000_000,
      );
      await expectOrdered(a);
      await a.close();

      const b = await connectMongoStore(uri as string, old, MONGO_MIGRATIONS.slice(0, 6));
      await b.migrate();
      await seed(b);
      await b.objects.addObjects(
        C,
        VERSIONS.map((v) => version(v, oldKey(v))),
        1_700_000_000_000_000,
      );
      await b.close();
      const upgraded = await connectMongoStore(uri as string, old);
      try {
        const report = await upgraded.migrate();
        expect(report.applied.map((x) => x.version)).to.include(7);
        await expectOrdered(upgraded);
      } finally {
        await upgraded.close(); // an open client would keep mocha from exiting
      }
    });
  });
});
