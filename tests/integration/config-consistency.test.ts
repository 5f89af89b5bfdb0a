// Configuration errors are errors: an alias of a retired collection is free for a new one at the
// next start (also in a database written before retiring freed aliases); a file claiming an alias,
// certificate or identity that a record made through the admin API holds stops the start listing
// every clash and writing nothing; the admin API answers clashes with 400 or 409 listing every
// problem, also when two requests race for one alias; `palisade serve` exits 2 on all of these.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer } from '../../src/container.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { MONGO_MIGRATIONS, migrateMongo } from '../../src/store/mongo/migrations.js';
import { mongoCollections } from '../../src/store/mongo/documents.js';
import { SQLITE_MIGRATIONS, migrateSqlite } from '../../src/store/sqlite/migrations.js';
import { freePort } from '../helpers/free-port.js';
import { mongoTestUri } from '../helpers/mongo-url.js';
import {
  TAXII,
  TEST_BACKEND,
  restartableStore,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';
import { spawnServe } from '../helpers/serve-process.js';
import { adminClient, detailOf, OPS } from './admin-fixtures.js';

const A = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const B = '8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const MADE = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const IDENTITY = 'identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001';
const ENV = { PW_OPS: OPS.password };

const OPS_ONLY = ['{ username: ops, role: platform-admin, password_env: PW_OPS }'];

/** A configuration with the API root eu holding `collections` and `users` (YAML flow mappings), and `more`. */
const configWith = (collections: string[], more = '', users = OPS_ONLY): string => `
auth: { failure_limit: 1000 }
users:
${users
  .map(
    (u) => `  - ${u}
`,
  )
  .join('')}api_roots:
  - path: eu
    title: EU
    collections:
${collections.map((c) => `      - ${c}\n`).join('')}${more}`;

const taxii = (app: TestApp, path: string, as: TestUser = OPS) =>
  app.http.get(path).set('Accept', TAXII).auth(as.name, as.password);

/** The `store:` section startTestApp would write for this database (none on SQLite). */
function storeYaml(sharedMongoDatabase: string | undefined): string {
  if (sharedMongoDatabase === undefined) return '';
  return `store: { kind: mongodb, uri: ${JSON.stringify(mongoTestUri())}, database: ${sharedMongoDatabase} }\n`;
}

/** Starts (loads, opens, reconciles) as startTestApp does, expecting a ConfigError: its problems. */
async function startProblems(dir: string, config: string, sharedMongoDatabase?: string): Promise<readonly string[]> {
  const file = join(dir, 'palisade.yaml');
  await writeFile(file, storeYaml(sharedMongoDatabase) + config);
  const container = await createContainer(
    loadConfig(ENV, { configFile: file, dataDir: join(dir, 'data') }),
    silentLogger,
  );
  try {
    await bootstrap(container);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  } finally {
    await container.close();
  }
  return expect.fail('the start succeeded');
}

describe('configuration consistency: aliases, retired collections and records the file does not own', function () {
  this.timeout(60_000);
  let dir: string;
  let shared: ReturnType<typeof restartableStore>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-consistency-'));
    shared = restartableStore();
  });
  afterEach(async () => {
    await shared.drop();
    await rm(dir, { recursive: true, force: true });
  });
  const start = (config: string): Promise<TestApp> =>
    startTestApp({
      dir,
      config,
      env: ENV,
      ...(shared.sharedMongoDatabase !== undefined ? { sharedMongoDatabase: shared.sharedMongoDatabase } : {}),
    });

  it('a collection removed from the file frees its alias: a new collection takes it at the next start', async () => {
    let app = await start(configWith([`{ id: ${A}, title: Old, alias: x }`]));
    expect((await taxii(app, '/eu/collections/x/').expect(200)).body.id).to.equal(A);
    await app.close();

    app = await start(configWith([`{ id: ${B}, title: New, alias: x }`]));
    try {
      expect((await taxii(app, '/eu/collections/x/').expect(200)).body).to.include({ id: B, title: 'New' });
      await taxii(app, `/eu/collections/${A}/`).expect(404);
    } finally {
      await app.close();
    }

    // The old collection may come back under another alias while the new one keeps x.
    app = await start(configWith([`{ id: ${B}, title: New, alias: x }`, `{ id: ${A}, title: Old, alias: y }`]));
    try {
      expect((await taxii(app, '/eu/collections/x/').expect(200)).body.id).to.equal(B);
      expect((await taxii(app, '/eu/collections/y/').expect(200)).body.id).to.equal(A);
    } finally {
      await app.close();
    }
  });

  it('an alias freed by an admin deletion is taken by the file at the next start', async () => {
    let app = await start(configWith([`{ id: ${A}, title: A }`]));
    const api = adminClient(app);
    await api.post('/admin/api-roots/eu/collections', { id: MADE, title: 'Made here', alias: 'national' }).expect(201);
    await api.del('/admin/api-roots/eu/collections/national').expect(204);
    await app.close();
    app = await start(configWith([`{ id: ${A}, title: A }`, `{ id: ${B}, title: B, alias: national }`]));
    try {
      expect((await taxii(app, '/eu/collections/national/').expect(200)).body.id).to.equal(B);
    } finally {
      await app.close();
    }
  });

  it('a file claiming what admin-made records hold stops the start, lists every clash and writes nothing', async () => {
    const first = configWith([`{ id: ${A}, title: A }`], 'tenants: [ { id: de, name: DE } ]\n');
    let app = await start(first);
    const api = adminClient(app);
    await api.post('/admin/api-roots/eu/collections', { id: MADE, title: 'Made here', alias: 'national' }).expect(201);
    await api.post('/admin/tenants', { id: 'nl', name: 'NL', identities: [IDENTITY] }).expect(201);
    await api.post('/admin/users', { username: 'svc', kind: 'service', certificates: ['CN=svc'] }).expect(201);
    await app.close();

    const claiming = configWith(
      [`{ id: ${A}, title: A, alias: national }`, `{ id: ${B}, title: B }`],
      `tenants: [ { id: de, name: DE, identities: [${IDENTITY}] } ]\n`,
      [...OPS_ONLY, '{ username: bot, kind: service, certificates: ["CN=svc"] }'],
    );
    expect(await startProblems(dir, claiming, shared.sharedMongoDatabase)).to.deep.equal([
      `api_roots[0].collections[0] (${A}): alias "national" is taken by collection ${MADE} of the API root "eu" (made through the admin API); choose another alias, or change or delete that collection through the admin API`,
      'users[1] (bot).certificates[0]: certificate "CN=svc" is mapped to the account "svc" (made through the admin API); remove it there first',
      `tenants[0] (de): identity ${IDENTITY} speaks for the tenant "nl" (made through the admin API); remove it there first`,
    ]);

    app = await start(first);
    try {
      await taxii(app, `/eu/collections/${B}/`).expect(404);
      expect((await taxii(app, '/eu/collections/national/').expect(200)).body.id).to.equal(MADE);
      const de = await adminClient(app).get('/admin/tenants/de').expect(200);
      expect(de.body.identities).to.deep.equal([]);
    } finally {
      await app.close();
    }
  });

  it('a database written before retiring freed aliases: migration 5 frees them and the file reuses one', async () => {
    // What an earlier store could hold: a retired collection still holding its alias.
    if (TEST_BACKEND === 'sqlite') {
      await mkdir(join(dir, 'data'));
      const db = new Database(join(dir, 'data', 'palisade.db'));
      try {
        migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 4));
        db.prepare(
          `INSERT INTO api_roots (path, title, max_content_length, source) VALUES ('eu', 'EU', 1000, 'config')`,
        ).run();
        db.prepare(
          `INSERT INTO collections (id, api_root, title, alias, media_types, source, retired)
           VALUES (?, 'eu', 'Retired', 'x', '["application/stix+json;version=2.1"]', 'config', 1)`,
        ).run(A);
      } finally {
        db.close();
      }
    } else {
      const client = await MongoClient.connect(mongoTestUri() as string);
      try {
        const c = mongoCollections(client.db(shared.sharedMongoDatabase));
        await migrateMongo(c, 'test', MONGO_MIGRATIONS.slice(0, 4));
        const doc = (id: string, alias: string, retired: boolean) => ({
          _id: id,
          api_root: 'eu',
          title: id,
          description: null,
          alias,
          owner: null,
          media_types: ['application/stix+json;version=2.1'],
          source: 'admin' as const,
          retired,
        });
        // Before migration 5 nothing kept two live collections from sharing an alias here.
        await c.collections.insertMany([doc(A, 'x', true), doc(MADE, 'twice', false), doc(B, 'twice', false)]);
      } finally {
        await client.close();
      }
    }
    const app = await start(configWith(['{ id: 0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b, title: Heir, alias: x }']));
    try {
      expect((await taxii(app, '/eu/collections/x/').expect(200)).body.title).to.equal('Heir');
      if (TEST_BACKEND === 'mongodb') {
        // The lowest id keeps the shared alias; the alias stays unique from now on.
        expect((await taxii(app, '/eu/collections/twice/').expect(200)).body.id).to.equal(MADE);
        const res = await adminClient(app)
          .patch(`/admin/api-roots/eu/collections/${B}`, { alias: 'twice' })
          .expect(409);
        expect(res.body.details.problems).to.deep.equal([
          `alias: "twice" is taken by collection ${MADE} in the API root "eu"`,
        ]);
      }
    } finally {
      await app.close();
    }
  });
});

describe('admin API: alias clashes answer 400 or 409 listing every problem', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      config: configWith(
        [`{ id: ${A}, title: A, alias: state }`, `{ id: ${B}, title: B, alias: other }`],
        'tenants: [ { id: de, name: DE } ]\n',
      ),
      env: ENV,
    });
  });
  after(async () => app.close());

  it('400: an alias of the form of a UUID, with every other problem of the body', async () => {
    const api = adminClient(app);
    const uuid = '0A0B1C2D-4E5F-1A6B-8C7D-000000000009';
    const res = await api
      .post('/admin/api-roots/eu/collections', { title: 'x', alias: uuid, owner: 'nowhere' })
      .expect(400);
    expect(res.headers['content-type']).to.equal('application/problem+json');
    const problems = [
      `alias: "${uuid}" has the form of a collection id (a UUID); an alias must not`,
      'owner: there is no tenant "nowhere"',
    ];
    expect(res.body).to.deep.include({
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      error_code: 'invalid-request',
      detail: `The request body is invalid: ${problems.join('; ')}`,
      details: { problems },
    });
    const schema = await api.post('/admin/api-roots/eu/collections', { title: '', alias: B }).expect(400);
    expect(schema.body.details.problems).to.deep.equal([
      'title: must NOT have fewer than 1 characters',
      `alias: "${B}" has the form of a collection id (a UUID); an alias must not`,
    ]);
  });

  it('409: an id and an alias taken at once; the body lists both', async () => {
    const api = adminClient(app);
    const res = await api.post('/admin/api-roots/eu/collections', { id: A, title: 'x', alias: 'other' }).expect(409);
    const problems = [
      `id: a collection with the id ${A} exists already`,
      `alias: "other" is taken by collection ${B} in the API root "eu"`,
    ];
    expect(res.body).to.deep.include({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      error_code: 'conflict',
      detail: `The request conflicts with existing records: ${problems.join('; ')}`,
      details: { problems },
    });
  });

  it('a changed alias: taken is 409, UUID-shaped is 400, freed by a deletion is reusable', async () => {
    const api = adminClient(app);
    await api.post('/admin/api-roots/eu/collections', { id: MADE, title: 'Made', alias: 'made' }).expect(201);
    const taken = await api.patch(`/admin/api-roots/eu/collections/${MADE}`, { alias: 'state' }).expect(409);
    expect(taken.body.details.problems).to.deep.equal([
      `alias: "state" is taken by collection ${A} in the API root "eu"`,
    ]);
    const shaped = await api.patch(`/admin/api-roots/eu/collections/made`, { alias: A }).expect(400);
    expect(shaped.body.details.problems).to.deep.equal([
      `alias: "${A}" has the form of a collection id (a UUID); an alias must not`,
    ]);
    await api.del('/admin/api-roots/eu/collections/made').expect(204);
    const heir = await api.post('/admin/api-roots/eu/collections', { title: 'Heir', alias: 'made' }).expect(201);
    expect((await taxii(app, '/eu/collections/made/').expect(200)).body.id).to.equal(heir.body.id);
    // A creation with the id of the deleted collection brings it back, without its old alias.
    const back = await api.post('/admin/api-roots/eu/collections', { id: MADE, title: 'Back' }).expect(201);
    expect(back.body).to.not.have.property('alias');
  });

  it('concurrent creations claiming one alias: one 201, every other a 409 naming the alias (never a 500)', async () => {
    const api = adminClient(app);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.post('/admin/api-roots/eu/collections', { title: `r${i}`, alias: 'race' }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 409, 409, 409, 409, 409]);
    const winner = answers.find((r) => r.status === 201)?.body.id as string;
    for (const r of answers.filter((x) => x.status === 409)) {
      const problems = r.body.details.problems as string[];
      expect(problems).to.have.length(1);
      expect([
        `alias: "race" is taken by collection ${winner} in the API root "eu"`,
        'alias: "race" is taken in the API root "eu"',
      ]).to.include(problems[0]);
      expect(detailOf(r)).to.equal(`The request conflicts with existing records: ${problems[0]}`);
    }
    expect((await taxii(app, '/eu/collections/race/').expect(200)).body.id).to.equal(winner);
  });
});

describe('palisade serve: configuration clashes exit 2 listing the problems', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    // The CLI runs on its own SQLite data directory: once is enough.
    if (TEST_BACKEND === 'mongodb') this.skip();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-consistency-cli-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function serve(config: string): Promise<{ code: number | null; output: string }> {
    const file = join(dir, 'palisade.yaml');
    await writeFile(file, config);
    const child = spawnServe({ config: file, dataDir: join(dir, 'data'), port: await freePort(), env: ENV });
    const timer = setTimeout(() => child.kill('SIGTERM'), 45_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    return { code, output: child.output() };
  }

  it('an alias equal to another collection id of the API root', async () => {
    const { code, output } = await serve(configWith([`{ id: ${A}, title: A }`, `{ id: ${B}, title: B, alias: ${A} }`]));
    expect(code).to.equal(2);
    expect(output).to.contain(
      `api_roots[0].collections[1]: alias "${A}" is the id of api_roots[0].collections[0] in the API root "eu"; an alias must not shadow an id`,
    );
  });

  it('an alias held by a collection made through the admin API', async () => {
    const app = await startTestApp({ dir, config: configWith([`{ id: ${A}, title: A }`]), env: ENV });
    try {
      await adminClient(app)
        .post('/admin/api-roots/eu/collections', { id: MADE, title: 'Made here', alias: 'national' })
        .expect(201);
    } finally {
      await app.close();
    }
    const { code, output } = await serve(
      configWith([`{ id: ${A}, title: A }`, `{ id: ${B}, title: B, alias: national }`]),
    );
    expect(code, output).to.equal(2);
    expect(output).to.contain(
      `api_roots[0].collections[1] (${B}): alias "national" is taken by collection ${MADE} of the API root "eu" (made through the admin API)`,
    );
    expect(output).not.to.match(/UNIQUE constraint|SqliteError/);
  });
});
