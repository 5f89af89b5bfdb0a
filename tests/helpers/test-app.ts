import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer, type Container } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import type { Clock } from '../../src/stix/timestamps.js';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { freshDatabaseName, mongoTestUri } from './mongo-url.js';

export const TAXII = 'application/taxii+json;version=2.1';
export const ROOT = 'eu';
export const C1 = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
export const C2 = '8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const C_WO = 'c0ffee00-1111-4222-8333-444455556666';

export interface TestUser {
  name: string;
  password: string;
}
export const ADMIN: TestUser = { name: 'root-admin', password: 'admin-pw-1' };
export const ANALYST: TestUser = { name: 'analyst-de', password: 'analyst-pw-1' };
export const READER: TestUser = { name: 'reader-fr', password: 'reader-pw-1' };
export const WRITER: TestUser = { name: 'writer-nl', password: 'writer-pw-1' };
export const NOBODY: TestUser = { name: 'nobody-xx', password: 'nobody-pw-1' };

export const TEST_CONFIG = `
auth: { failure_limit: 1000 }
taxii:
  title: Palisade test server
  description: integration tests
  contact: cert@example.test
  default_api_root: eu
  max_page_size: 1000
api_roots:
  - path: eu
    title: EU threat sharing
    description: shared between member states
    max_content_length: 10485760
    collections:
      - id: ${C1}
        title: State-linked intrusion sets
        alias: state-linked
        grants:
          - { user: analyst-de, read: true, write: true }
          - { user: reader-fr, read: true }
          - { user: writer-nl, write: true }
      - id: ${C2}
        title: Admin only
      - id: ${C_WO}
        title: Drop box
        grants:
          - { user: reader-fr, write: true }
  - path: empty
    title: No collections yet
  - path: small
    title: Small bodies
    max_content_length: 2000
    collections:
      - id: 0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b
        title: Tiny
        grants:
          - { user: analyst-de, read: true, write: true }
users:
  - { username: root-admin, password_env: T_ADMIN, admin: true }
  - { username: analyst-de, password_env: T_ANALYST }
  - { username: reader-fr, password_env: T_READER }
  - { username: writer-nl, password_env: T_WRITER }
  - { username: nobody-xx, password_env: T_NOBODY }
`;

/** The HTTP suites run once per backend: PALISADE_TEST_STORE=mongodb selects MongoDB. */
export const TEST_BACKEND: 'sqlite' | 'mongodb' = process.env.PALISADE_TEST_STORE === 'mongodb' ? 'mongodb' : 'sqlite';

function storeSection(sharedMongoDatabase?: string): { yaml: string; database?: string } {
  if (TEST_BACKEND === 'sqlite' && sharedMongoDatabase === undefined) return { yaml: '' };
  const uri = mongoTestUri();
  if (!uri) throw new Error('the MongoDB store needs PALISADE_TEST_MONGO_URI');
  const database = sharedMongoDatabase ?? freshDatabaseName();
  return { yaml: `store: { kind: mongodb, uri: ${JSON.stringify(uri)}, database: ${database} }\n`, database };
}

export interface TestApp {
  dir: string;
  container: Container;
  http: supertest.Agent;
  get(path: string, as?: TestUser): supertest.Test;
  post(path: string, body: unknown, as?: TestUser): supertest.Test;
  del(path: string, as?: TestUser): supertest.Test;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  config?: string;
  maxPageSize?: number;
  /** run on this MongoDB database, shared with other apps; it is not dropped on close */
  sharedMongoDatabase?: string;
  /** use this directory (config file and SQLite data) and keep it on close: for restarts */
  dir?: string;
  /** more environment variables, for password_env entries of a custom config */
  env?: Record<string, string>;
  /** where the server logs (silent by default) */
  log?: Logger;
  /** false: queued add-objects requests are not processed by this app (restart and crash tests) */
  ingestWorker?: boolean;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'palisade-it-')));
  const file = join(dir, 'palisade.yaml');
  const store = storeSection(opts.sharedMongoDatabase);
  let text = store.yaml + (opts.config ?? TEST_CONFIG);
  if (opts.maxPageSize !== undefined) text = text.replace('max_page_size: 1000', `max_page_size: ${opts.maxPageSize}`);
  await writeFile(file, text);
  const config = loadConfig(
    {
      T_ADMIN: ADMIN.password,
      T_ANALYST: ANALYST.password,
      T_READER: READER.password,
      T_WRITER: WRITER.password,
      T_NOBODY: NOBODY.password,
      ...opts.env,
    },
    { configFile: file, dataDir: join(dir, 'data') },
  );
  const container = await createContainer(config, opts.log ?? silentLogger, opts.clock);
  await bootstrap(container);
  if (opts.ingestWorker !== false) container.start();
  const http = supertest.agent(buildApp(container));
  return {
    dir,
    container,
    http,
    get: (path, as = ANALYST) => http.get(path).set('Accept', TAXII).auth(as.name, as.password),
    post: (path, body, as = ANALYST) =>
      untilProcessed(
        http
          .post(path)
          .set('Accept', TAXII)
          .set('Content-Type', TAXII)
          .auth(as.name, as.password)
          .send(typeof body === 'string' ? body : JSON.stringify(body)),
        path,
        http,
        as,
      ),
    del: (path, as = ANALYST) => http.delete(path).set('Accept', TAXII).auth(as.name, as.password),
    close: async () => {
      await container.close();
      if (store.database !== undefined && opts.sharedMongoDatabase === undefined)
        await dropMongoDatabase(store.database);
      if (opts.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An add-objects POST is answered with a `pending` status as soon as the envelope is queued
 * (TAXII 2.1 §5.5). Like a client waiting for completion, the tests' `post` then polls that status
 * until it is `complete` and hands the final status on as the response body; the queued answer
 * stays available as `res.queued`. Other responses pass through untouched.
 */
function untilProcessed(test: supertest.Test, path: string, http: supertest.Agent, as: TestUser): supertest.Test {
  const root = path.split('/')[1] ?? '';
  const then = test.then.bind(test);
  const settled = async (res: supertest.Response): Promise<supertest.Response> => {
    const body = res.body as { id?: unknown; status?: unknown } | undefined;
    if (res.status !== 202 || body?.status !== 'pending' || typeof body.id !== 'string') return res;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const st = await http.get(`/${root}/status/${body.id}/`).set('Accept', TAXII).auth(as.name, as.password);
      if (st.status === 200 && (st.body as { status?: unknown }).status === 'complete') {
        Object.assign(res, { queued: res.body, body: st.body });
        return res;
      }
      if (Date.now() > deadline) throw new Error(`status ${body.id} still not complete after 300 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  Object.assign(test, {
    then: (onFulfilled?: (r: supertest.Response) => unknown, onRejected?: (e: unknown) => unknown) =>
      then((res: supertest.Response) => settled(res)).then(onFulfilled, onRejected),
  });
  return test;
}

/** A MongoDB database for a series of restarts (undefined on SQLite), and how to drop it after. */
export function restartableStore(): { sharedMongoDatabase?: string; drop(): Promise<void> } {
  if (TEST_BACKEND !== 'mongodb') return { drop: async () => undefined };
  const database = freshDatabaseName();
  return { sharedMongoDatabase: database, drop: () => dropMongoDatabase(database) };
}

/** A clock that advances by one millisecond per call, from a fixed start. */
export function steppingClock(startMicros = Date.UTC(2025, 0, 1) * 1000): Clock {
  let now = startMicros;
  return { nowMicros: () => (now += 1000) };
}

export const objectsPath = (c = C1): string => `/${ROOT}/collections/${c}/objects/`;
export const manifestPath = (c = C1): string => `/${ROOT}/collections/${c}/manifest/`;
export const objectPath = (id: string, c = C1): string => `/${ROOT}/collections/${c}/objects/${id}/`;
export const versionsPath = (id: string, c = C1): string => `/${ROOT}/collections/${c}/objects/${id}/versions/`;

async function dropMongoDatabase(database: string): Promise<void> {
  const client = await MongoClient.connect(mongoTestUri() as string);
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}
