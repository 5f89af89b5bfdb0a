// Every TAXII filter is served by an index on SQLite (issue 8: a page of a selective filter stays
// fast however large the collection). Each query SQLite is asked to run is checked with EXPLAIN
// QUERY PLAN; a selection that can only be empty never reaches the database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { versionKey } from '../../src/stix/timestamps.js';
import { SqliteCatalog } from '../../src/store/sqlite/catalog.js';
import { SqliteDb } from '../../src/store/sqlite/database.js';
import { migrateSqlite } from '../../src/store/sqlite/migrations.js';
import { SqliteObjects } from '../../src/store/sqlite/objects.js';
import type { ObjectQuery } from '../../src/store/store.js';

/** A connection that remembers the SQL of every statement it prepares. */
class RecordingDb extends SqliteDb {
  readonly seen: string[] = [];
  override stmt(sql: string) {
    this.seen.push(sql);
    return super.stmt(sql);
  }
}

const C = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000e1';
const LAST: ObjectQuery['versions'] = { first: false, last: true, exact: [] };
const ID = 'indicator--0b7e5c3a-1d2f-4a6b-8c7d-9e0f1a2b3c4d';

describe('SQLite query plans: an index serves every filter', () => {
  let dir: string;
  let db: RecordingDb;
  let objects: SqliteObjects;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-plans-'));
    db = new RecordingDb(join(dir, 'plans.db'));
    migrateSqlite(db.db);
    const catalog = new SqliteCatalog(db);
    await catalog.putApiRoot({ path: 'r1', title: 'r1', maxContentLength: 1000, source: 'config' });
    await catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C', source: 'config' });
    objects = new SqliteObjects(db);
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The plan of the SELECT the store ran for this query (placeholders bound to dummies). */
  async function planOf(query: ObjectQuery): Promise<string> {
    db.seen.length = 0;
    await objects.queryObjects(C, query, { limit: 10 });
    const sql = db.seen.filter((s) => s.startsWith('SELECT id, version')).pop();
    expect(sql, 'the listing statement').to.be.a('string');
    const params = Array.from({ length: (sql as string).split('?').length - 1 }, () => 1);
    return (db.db.prepare(`EXPLAIN QUERY PLAN ${sql as string}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
  }

  it('one object (get-object, versions, DELETE) and match[id] use the (ckey, id, vkey) index', async () => {
    expect(await planOf({ objectId: ID, versions: LAST })).to.match(
      /USING INDEX ix_objects_version \(ckey=\? AND id=\?\)/,
    );
    expect(await planOf({ objectId: ID, versions: { all: true } })).to.match(
      /ix_objects_version \(ckey=\? AND id=\?\)/,
    );
    expect(await planOf({ ids: [ID, 'malware--x'], versions: LAST })).to.match(
      /ix_objects_version \(ckey=\? AND id=\?\)/,
    );
  });

  it('adding objects looks up what is stored of their ids with the (ckey, id, vkey) index', async () => {
    db.seen.length = 0;
    const o = { type: 'indicator', spec_version: '2.1', id: ID, created: '2024-01-01T00:00:00.000Z' };
    const version = { ...o, modified: o.created };
    await objects.addObjects(
      C,
      [
        {
          id: ID,
          type: 'indicator',
          specVersion: '2.1',
          version: o.created,
          versionKey: versionKey(o.created) as string,
          markings: [],
          json: JSON.stringify(version),
        },
      ],
      1_000,
    );
    const sql = db.seen.find((s) => s.startsWith('SELECT id, vkey, version FROM objects'));
    expect(sql, 'the batch lookup').to.be.a('string');
    const params = Array.from({ length: (sql as string).split('?').length - 1 }, () => 1);
    const plan = (db.db.prepare(`EXPLAIN QUERY PLAN ${sql as string}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
    expect(plan).to.match(/USING INDEX ix_objects_version \(ckey=\? AND id=\?\)/);
    expect(plan).not.to.match(/SCAN objects/);
  });

  it('match[type] uses the (ckey, type, date_added) index; an exact match[version] the (ckey, vkey) one', async () => {
    const byType = await planOf({ types: ['indicator'], versions: LAST });
    expect(byType).to.match(/ix_objects_type \(ckey=\? AND type=\?\)/);
    // the index gives date_added order: no sort of everything that matches before the first row
    expect(byType).not.to.match(/TEMP B-TREE/);
    expect(
      await planOf({ versions: { first: false, last: false, exact: [versionKey('2024-01-01T00:00:00Z') as string] } }),
    ).to.match(/ix_objects_vkey \(ckey=\? AND vkey=\?\)/);
  });

  it('the default listing and added_after walk a date_added index, never the table', async () => {
    const latest = await planOf({ versions: LAST });
    expect(latest).to.match(/USING INDEX ix_objects_last \(ckey=\?\)/);
    const after = await planOf({ versions: { all: true }, addedAfter: 5 });
    expect(after).to.match(/USING INDEX ix_objects_added \(ckey=\? AND date_added>\?\)/);
    // a page is read in index order and stops at the limit: never a sort of the whole collection
    expect(latest).not.to.match(/TEMP B-TREE/);
    expect(after).not.to.match(/TEMP B-TREE/);
  });

  it('a spec_version selection without 2.1 answers empty without a query (only STIX 2.1 is stored)', async () => {
    db.seen.length = 0;
    expect(await objects.queryObjects(C, { versions: LAST, specVersions: ['2.0'] }, { limit: 10 })).to.deep.equal({
      items: [],
      more: false,
    });
    expect(db.seen.filter((s) => s.startsWith('SELECT id, version'))).to.deep.equal([]);
    // with 2.1 in the list the filter runs
    await objects.queryObjects(C, { versions: LAST, specVersions: ['2.0', '2.1'] }, { limit: 10 });
    expect(db.seen.filter((s) => s.includes('spec_version IN (?,?)'))).to.have.length(1);
  });
});
