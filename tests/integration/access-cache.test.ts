// The access cache (src/access/access-cache.ts, `store.access_cache_ms`) never serves a right that
// was taken away longer than the bound: a change made through an app holds on its next request;
// one made through another app on the same store (SQLite file or MongoDB database) or by a CLI
// command in another process holds on this app within access_cache_ms, and with a large bound it is
// demonstrably not instant (the cache is used); with access_cache_ms 0 every request reads the store.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer, type Container } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import { projectRoot } from '../../src/paths.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { ADMIN, ANALYST, C1, NOBODY, READER, TAXII, TEST_CONFIG, WRITER, type TestUser } from '../helpers/test-app.js';

const ENV = {
  T_ADMIN: ADMIN.password,
  T_ANALYST: ANALYST.password,
  T_READER: READER.password,
  T_WRITER: WRITER.password,
  T_NOBODY: NOBODY.password,
};
const CLI = join(projectRoot, 'src', 'cli', 'main.ts');
const TEMP: TestUser = { name: 'temp-analyst', password: 'temp-analyst-password-1' };
const RETIRED = '6e0b7a52-3f1d-4c8e-9a2b-5d4c3b2a1f00';

type Backend = 'sqlite' | 'mongodb';

interface App {
  container: Container;
  http: supertest.Agent;
  taxii(path: string, authorization: string): supertest.Test;
  admin(method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown): supertest.Test;
  close(): Promise<void>;
}

const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where the apps of one test keep their data: a directory (SQLite) or a fresh MongoDB database. */
interface Place {
  dir: string;
  backend: Backend;
  database?: string;
  uri?: string;
}

/** An app as `serve` builds it, with `store.access_cache_ms` set, on the place's store. */
async function startApp(place: Place, cacheMs: number): Promise<App> {
  const file = join(place.dir, `palisade-${Math.random().toString(36).slice(2)}.yaml`);
  const store =
    place.backend === 'sqlite'
      ? `store: { access_cache_ms: ${cacheMs} }\n`
      : `store: { kind: mongodb, uri: ${JSON.stringify(place.uri)}, database: ${place.database}, access_cache_ms: ${cacheMs} }\n`;
  await writeFile(file, store + TEST_CONFIG);
  const config = loadConfig(ENV, { configFile: file, dataDir: join(place.dir, 'data') });
  expect(config.accessCacheMs).to.equal(cacheMs);
  const container = await createContainer(config, silentLogger);
  await bootstrap(container);
  const http = supertest.agent(buildApp(container));
  return {
    container,
    http,
    taxii: (path, authorization) => http.get(path).set('Accept', TAXII).set('Authorization', authorization),
    admin: (method, path, body) => {
      const t = http[method](path).set('Authorization', basic(ADMIN));
      return body === undefined ? t : t.set('Content-Type', 'application/json').send(JSON.stringify(body));
    },
    close: () => container.close(),
  };
}

async function newPlace(backend: Backend): Promise<Place> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-access-cache-'));
  if (backend === 'sqlite') return { dir, backend };
  return { dir, backend, uri: mongoTestUri() as string, database: freshDatabaseName() };
}

async function disposePlace(place: Place): Promise<void> {
  if (place.database !== undefined && place.uri !== undefined) {
    const client = await MongoClient.connect(place.uri);
    try {
      await client.db(place.database).dropDatabase();
    } finally {
      await client.close();
    }
  }
  await rm(place.dir, { recursive: true, force: true });
}

/** Milliseconds until `done` answers true, polling every 20 ms; fails past `limitMs`. */
async function until(what: string, done: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await done()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`${what}: still not seen after ${limitMs} ms`);
    await sleep(20);
  }
}

/** Through `a`: an account with a password, a read grant on C1 and a token; returns the token. */
async function provision(a: App): Promise<{ token: string; id: string }> {
  await a.admin('post', '/admin/users', { username: TEMP.name, password: TEMP.password }).expect(201);
  await a.admin('put', `/admin/collections/${C1}/grants`, { grants: [{ user: TEMP.name, read: true }] }).expect(200);
  const issued = await a.admin('post', `/admin/users/${TEMP.name}/tokens`, { label: 'cache test' }).expect(201);
  await a.admin('post', '/admin/api-roots/eu/collections', { id: RETIRED, title: 'to be retired' }).expect(201);
  return { token: issued.body.token as string, id: issued.body.id as string };
}

interface Change {
  name: string;
  /** the request whose answer the change turns from `before` to `after` */
  probe(app: App): supertest.Test;
  before: number;
  after: number;
  make(): Promise<unknown>;
}

/** The changes of the matrix, each made through `a`, in an order in which each probe stays meaningful. */
function changes(a: App, issued: { token: string; id: string }): Change[] {
  return [
    {
      name: 'a revoked token',
      probe: (app) => app.taxii('/taxii2/', `Bearer ${issued.token}`),
      before: 200,
      after: 401,
      make: () => a.admin('delete', `/admin/users/${TEMP.name}/tokens/${issued.id}`).expect(204),
    },
    {
      name: 'a removed grant',
      probe: (app) => app.taxii(`/eu/collections/${C1}/`, basic(TEMP)),
      before: 200,
      after: 404,
      make: () => a.admin('put', `/admin/collections/${C1}/grants`, { grants: [] }).expect(200),
    },
    {
      name: 'a deleted account',
      probe: (app) => app.taxii('/taxii2/', basic(TEMP)),
      before: 200,
      after: 401,
      make: () => a.admin('delete', `/admin/users/${TEMP.name}`).expect(204),
    },
    {
      name: 'a retired collection',
      probe: (app) => app.taxii(`/eu/collections/${RETIRED}/`, basic(ADMIN)),
      before: 200,
      after: 404,
      make: () => a.admin('delete', `/admin/api-roots/eu/collections/${RETIRED}`).expect(204),
    },
  ];
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`Access cache (${backend})`, function () {
    this.timeout(120_000);
    let place: Place;
    const apps: App[] = [];
    const start = async (cacheMs: number): Promise<App> => {
      const app = await startApp(place, cacheMs);
      apps.push(app);
      return app;
    };

    before(function () {
      if (backend === 'mongodb' && mongoTestUri() === undefined) {
        console.log(`      ${MONGO_SKIP_MESSAGE}`);
        this.skip();
      }
    });
    beforeEach(async () => {
      place = await newPlace(backend);
    });
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      await disposePlace(place);
    });

    it('applies a change made through the admin API on the next request of the same app, whatever the bound', async () => {
      const a = await start(60_000);
      const issued = await provision(a);
      for (const change of changes(a, issued)) {
        await change.probe(a).expect(change.before);
        await change.make();
        const res = await change.probe(a);
        expect(res.status, change.name).to.equal(change.after);
      }
      expect(a.container.accessCache.hits).to.be.greaterThan(0);
    });

    it('applies a change made through another app on the same store within access_cache_ms, not at once', async () => {
      const bound = 2_000;
      const a = await start(bound);
      const b = await start(bound);
      const issued = await provision(a);
      // What A created reaches B within the bound too (B never saw these before: nothing stale).
      await until(
        'provisioning on B',
        async () => (await b.taxii('/taxii2/', `Bearer ${issued.token}`)).status === 200,
        5 * bound,
      );
      for (const change of changes(a, issued)) {
        // B reads the generation now, so that the change below lands inside B's trusted window.
        b.container.accessCache.invalidate();
        await change.probe(b).expect(change.before);
        await change.make();
        const made = performance.now();
        // Still the old answer right after the change: B serves it from memory.
        expect((await change.probe(b)).status, `${change.name}: B right after`).to.equal(change.before);
        const waited = await until(
          `${change.name} on B`,
          async () => (await change.probe(b)).status === change.after,
          5 * bound,
        );
        const sinceChange = performance.now() - made;
        console.log(
          `      ${change.name}: refused on B ${Math.round(sinceChange)} ms after the change (bound ${bound} ms)`,
        );
        expect(waited).to.be.lessThan(5 * bound);
        // And through A, which made it, at once.
        expect((await change.probe(a)).status, `${change.name}: A`).to.equal(change.after);
      }
    });

    it('sees a token revoked by `palisade token revoke` in another process within access_cache_ms', async function () {
      const bound = 1_000;
      const a = await start(bound);
      const issued = await provision(a);
      await a.taxii('/taxii2/', `Bearer ${issued.token}`).expect(200);
      const args = ['--data-dir', join(place.dir, 'data')];
      if (place.backend === 'mongodb') {
        const url = new URL(place.uri as string);
        url.pathname = `/${place.database as string}`;
        args.push('--store', 'mongodb', '--mongodb-uri', url.toString());
      }
      const revoke = await runCli(['token', 'revoke', TEMP.name, issued.id, ...args]);
      expect(revoke.code, revoke.stderr).to.equal(0);
      const waited = await until(
        'CLI revocation on the app',
        async () => (await a.taxii('/taxii2/', `Bearer ${issued.token}`)).status === 401,
        5 * bound,
      );
      console.log(`      CLI revocation: refused ${Math.round(waited)} ms after the command ended (bound ${bound} ms)`);
      expect(waited).to.be.lessThan(5 * bound);
    });

    it('with access_cache_ms 0 reads the store on every request: another app’s change holds at once', async () => {
      const a = await start(2_000);
      const z = await start(0);
      const issued = await provision(a);
      for (const change of changes(a, issued)) {
        await change.probe(z).expect(change.before);
        await change.make();
        expect((await change.probe(z)).status, `${change.name} on the uncached app`).to.equal(change.after);
      }
      expect(z.container.accessCache.enabled).to.equal(false);
      expect(z.container.accessCache.hits + z.container.accessCache.misses).to.equal(0);
    });
  });
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}
