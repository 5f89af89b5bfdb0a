// A database written by release 0.1 (tests/fixtures/release-0.1, made by that release itself with
// scripts/fixtures/make-release-0.1-fixture.mjs) is migrated at start-up and then serves every
// object, version, status, user and grant exactly as release 0.1 did. On MongoDB the same data is
// laid out as release 0.1 stored it (documents without any schema record or index).
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer, type Container } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import { projectRoot } from '../../src/paths.js';
import { MONGO_MIGRATIONS } from '../../src/store/mongo/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { TAXII, TEST_BACKEND } from '../helpers/test-app.js';

const FIXTURE = join(projectRoot, 'tests', 'fixtures', 'release-0.1');

interface Answer {
  user: string;
  path: string;
  status: number;
  contentType: string;
  dateAddedFirst: string | null;
  dateAddedLast: string | null;
  body: Record<string, unknown> | null;
}
const recorded = JSON.parse(readFileSync(join(FIXTURE, 'answers.json'), 'utf8')) as {
  users: Record<string, string>;
  requests: Answer[];
};

type Row = Record<string, unknown>;

/** Writes the fixture's rows into a fresh MongoDB database in release 0.1's document layout. */
async function loadIntoMongo(uri: string, database: string): Promise<void> {
  const sqlite = new Database(join(FIXTURE, 'palisade.db'), { readonly: true });
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db(database);
    const rows = (sql: string): Row[] => sqlite.prepare(sql).all() as Row[];
    const ids = new Map(rows('SELECT ckey, id FROM collections').map((r) => [r.ckey, r.id as string]));
    const insert = async (name: string, docs: Row[]): Promise<void> => {
      if (docs.length > 0) await db.collection<Row>(name).insertMany(docs);
    };
    await insert(
      'meta',
      rows('SELECT * FROM meta').map((r) => ({ _id: r.key, value: r.value })),
    );
    await insert(
      'api_roots',
      rows('SELECT * FROM api_roots').map((r) => ({
        _id: r.path,
        title: r.title,
        ...(r.description !== null ? { description: r.description } : {}),
        max_content_length: r.max_content_length,
      })),
    );
    await insert(
      'collections',
      rows('SELECT * FROM collections').map((r) => ({
        _id: r.id,
        api_root: r.api_root,
        title: r.title,
        description: r.description,
        alias: r.alias,
        media_types: JSON.parse(r.media_types as string) as string[],
      })),
    );
    await insert(
      'users',
      rows('SELECT * FROM users').map((r) => ({
        _id: r.username,
        password_hash: r.password_hash,
        admin: r.admin === 1,
      })),
    );
    await insert(
      'grants',
      rows('SELECT * FROM grants').map((r) => ({
        _id: `${String(r.collection_id)}|${String(r.username)}`,
        collection_id: r.collection_id,
        username: r.username,
        read: r.can_read === 1,
        write: r.can_write === 1,
      })),
    );
    await insert(
      'statuses',
      rows('SELECT * FROM statuses').map((r) => ({
        _id: r.id,
        api_root: r.api_root,
        collection_id: r.collection_id,
        owner: r.owner,
        status: r.status,
        request_ts: r.request_ts,
        total: r.total,
        ...(JSON.parse(r.details as string) as object),
      })),
    );
    const objects = rows('SELECT * FROM objects');
    await insert(
      'objects',
      objects.map((r) => ({
        _id: `${String(ids.get(r.ckey))}|${String(r.id)}|${String(r.vkey)}`,
        c: ids.get(r.ckey),
        id: r.id,
        vkey: r.vkey,
        version: r.version,
        da: r.date_added,
        type: r.type,
        sv: r.spec_version,
        first: r.is_first === 1,
        last: r.is_last === 1,
        json: (r.json as Buffer).toString('utf8'),
      })),
    );
    // Release 0.1 kept one finished ledger block per collection it wrote to.
    for (const [ckey, c] of ids) {
      const das = objects.filter((r) => r.ckey === ckey).map((r) => r.date_added as number);
      if (das.length === 0) continue;
      await insert('date_added_blocks', [
        {
          _id: `${c}|000000000000001`,
          c,
          seq: 1,
          start: Math.min(...das),
          end: Math.max(...das),
          done: true,
          expires: new Date(),
        },
      ]);
    }
  } finally {
    sqlite.close();
    await client.close();
  }
}

describe('Upgrade: a release 0.1 database is migrated and served unchanged', function () {
  this.timeout(120_000);
  let dir: string;
  let database: string | undefined;
  let container: Container;
  let http: supertest.Agent;

  async function open(): Promise<Container> {
    const config = loadConfig({}, { configFile: join(dir, 'palisade.yaml'), dataDir: join(dir, 'data') });
    const c = await createContainer(config, silentLogger);
    await bootstrap(c);
    c.start();
    return c;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-upgrade-'));
    // No users, API roots or collections declared: everything served comes from the old database.
    let yaml = 'taxii: { title: Palisade TAXII 2.1 server }\n';
    if (TEST_BACKEND === 'mongodb') {
      database = freshDatabaseName();
      await loadIntoMongo(mongoTestUri() as string, database);
      yaml += `store: { kind: mongodb, uri: ${JSON.stringify(mongoTestUri())}, database: ${database} }\n`;
    } else {
      await mkdir(join(dir, 'data'));
      await copyFile(join(FIXTURE, 'palisade.db'), join(dir, 'data', 'palisade.db'));
    }
    await writeFile(join(dir, 'palisade.yaml'), yaml);
    container = await open();
    http = supertest.agent(buildApp(container));
  });

  after(async () => {
    await container?.close();
    if (database !== undefined) {
      const client = await MongoClient.connect(mongoTestUri() as string);
      await client.db(database).dropDatabase();
      await client.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('records the newest schema version and creates no demo data and no extra admin', async () => {
    expect((await container.store.migrate()).to).to.equal(
      TEST_BACKEND === 'mongodb' ? MONGO_MIGRATIONS.length : SQLITE_MIGRATIONS.length,
    );
    expect((await container.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['eu']);
    expect(await container.store.identity.countPlatformAdmins()).to.equal(1);
  });

  for (const [i, a] of recorded.requests.entries()) {
    it(`answers #${i} ${a.user} GET ${a.path.slice(0, 90)} exactly as release 0.1 did (${a.status})`, async () => {
      const res = await http
        .get(a.path)
        .set('Accept', TAXII)
        .auth(a.user, recorded.users[a.user] as string);
      expect(res.status).to.equal(a.status);
      expect(res.headers['content-type']).to.equal(a.contentType);
      expect(res.headers['x-taxii-date-added-first'] ?? null).to.equal(a.dateAddedFirst);
      expect(res.headers['x-taxii-date-added-last'] ?? null).to.equal(a.dateAddedLast);
      const body = res.text === '' ? null : (JSON.parse(res.text) as Record<string, unknown>);
      if (body) delete body.error_id;
      expect(body).to.deep.equal(a.body);
    });
  }

  it('keeps every stored version, and a second start applies nothing', async () => {
    const all = recorded.requests.find(
      (a) => a.user === 'root-admin' && a.path.endsWith('/objects/') && a.status === 200,
    );
    expect(all?.body?.objects, 'the fixture has objects in the admin-only collection').to.have.length(1);
    await container.close();
    container = await open();
    expect((await container.store.migrate()).applied).to.deep.equal([]);
    http = supertest.agent(buildApp(container));
    const path = '/eu/collections/2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11/objects/?match[version]=all';
    const before = recorded.requests.find((a) => a.user === 'reader-fr' && a.path === path);
    const res = await http
      .get(path)
      .set('Accept', TAXII)
      .auth('reader-fr', recorded.users['reader-fr'] as string);
    expect(res.status).to.equal(200);
    // three versions of the intrusion set, the malware, the marking, the SCO and the indicator
    expect((res.body as { objects: unknown[] }).objects).to.have.length(7);
    expect(res.body).to.deep.equal(before?.body);
  });
});
