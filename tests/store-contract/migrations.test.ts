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
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';

function captureLog(): { lines: { details: object; message: string }[]; info(details: object, message: string): void } {
  const lines: { details: object; message: string }[] = [];
  return { lines, info: (details, message) => lines.push({ details, message }) };
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
