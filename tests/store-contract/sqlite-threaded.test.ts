// The SQLite store with its queries in worker threads (what the server runs) and in-process (':memory:',
// custom migration lists): both pass the whole contract. Then what only the threads do: routing by
// method name, errors rebuilt as their classes, bytes passed back as Buffers, the read deadline,
// crashed threads, and close() draining the calls in flight.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import {
  ConflictError,
  PalisadeError,
  StoreVersionError,
  TooManyRequestsError,
  UnavailableError,
} from '../../src/errors.js';
import { versionKey } from '../../src/stix/timestamps.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PAGE_POOL_SLOTS } from '../../src/store/sqlite/threads/page-pool.js';
import { laneOf } from '../../src/store/sqlite/threads/routing.js';
import { openThreadedSqliteStore, threadsOf } from '../../src/store/sqlite/threads/threaded-store.js';
import { decode, encode, fromWireError, toWireError } from '../../src/store/sqlite/threads/wire.js';
import type { NewVersion, Store } from '../../src/store/store.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('sqlite (worker threads, one reader)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-threads-'));
  const file = join(dir, 'palisade.db');
  // One reader: scans and lookups share it, and the scan limit must not starve either.
  let store = await openThreadedSqliteStore(file, { readers: 1 });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openThreadedSqliteStore(file, { readers: 1 });
      return store;
    },
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('sqlite (in-process)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-inproc-'));
  const file = join(dir, 'palisade.db');
  let store = openSqliteStore(file);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = openSqliteStore(file);
      return store;
    },
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite worker threads: routing by method name', () => {
  it('sends every read of every area to a reader, scans apart, and everything else to the writer', async () => {
    const inProcess = openSqliteStore(':memory:');
    const methods: string[] = [];
    for (const [area, value] of Object.entries(inProcess)) {
      if (typeof value !== 'object' || value === null) continue;
      const proto = Object.getPrototypeOf(value) as object;
      for (const m of Object.getOwnPropertyNames(proto)) if (m !== 'constructor') methods.push(`${area}.${m}`);
    }
    await inProcess.close();
    const reads = new Set([
      'meta.getMeta',
      'catalog.getApiRoot',
      'catalog.listApiRoots',
      'catalog.getCollection',
      'catalog.listCollections',
      'catalog.listAllCollections',
      'identity.getUser',
      'identity.listUsers',
      'identity.userByCertificate',
      'identity.countPlatformAdmins',
      'identity.getToken',
      'identity.listTokens',
      'tenancy.getTenant',
      'tenancy.listTenants',
      'tenancy.getGroup',
      'tenancy.listGroups',
      'tenancy.groupsOf',
      'grants.listGrants',
      'grants.grantsOf',
      'grants.grantsOn',
      'markings.listBindings',
      'objects.queryObjects',
      'objects.objectExists',
      'statuses.getStatus',
      'audit.queryAudit',
      'intel.searchObjects',
      'intel.getLatest',
      'intel.queryLatestByType',
      'intel.findEdges',
      'intel.queryChanges',
      'intel.countLatest',
      'intel.countPending',
    ]);
    const writes = new Set([
      'meta.initMeta',
      'catalog.putApiRoot',
      'catalog.retireApiRoot',
      'catalog.putCollection',
      'catalog.retireCollection',
      'identity.putUser',
      'identity.deleteUser',
      'identity.putToken',
      'tenancy.putTenant',
      'tenancy.deleteTenant',
      'tenancy.putGroup',
      'tenancy.deleteGroup',
      'grants.setGrants',
      'grants.deleteGrantsOf',
      'markings.setBinding',
      'objects.addObjects',
      'objects.deleteObjects',
      'statuses.putStatus',
      'statuses.purgeStatuses',
      'audit.append',
      'intel.applyQueued',
      'intel.catchUp',
    ]);
    for (const name of reads) expect(methods, name).to.include(name);
    for (const name of writes) expect(methods, name).to.include(name);
    const lane = (name: string): string => laneOf(name.split('.')[1] as string);
    for (const name of reads) expect(lane(name), name).to.not.equal('write');
    for (const name of writes) expect(lane(name), name).to.equal('write');
    expect(lane('objects.queryObjects')).to.equal('scan');
    expect(lane('audit.queryAudit')).to.equal('scan');
    for (const name of ['intel.searchObjects', 'intel.queryLatestByType', 'intel.findEdges', 'intel.queryChanges'])
      expect(lane(name), name).to.equal('scan');
    expect(lane('intel.getLatest')).to.equal('lookup');
    expect(lane('intel.countLatest')).to.equal('lookup');
    expect(lane('grants.grantsOn')).to.equal('lookup');
  });

  it('fails closed: a name it does not know goes to the writer', () => {
    for (const m of [
      'claimJob',
      'renewLease',
      'purgeUnreleased',
      'gettingStarted',
      'listen',
      'counter',
      'upsert',
      'x',
      '',
    ])
      expect(laneOf(m), m).to.equal('write');
    for (const m of ['get', 'getJob', 'listJobs', 'countQueued', 'readItems', 'findThing', 'existsX', 'hasY'])
      expect(laneOf(m), m).to.not.equal('write');
  });
});

describe('SQLite worker threads: what crosses between threads', () => {
  const roundTrip = (err: unknown): Error => fromWireError(structuredClone(toWireError(err)));

  it('rebuilds errors of src/errors.ts as their classes, with their fields', () => {
    const conflict = roundTrip(new ConflictError('taken', { details: { id: 'x' } }));
    expect(conflict).to.be.instanceOf(ConflictError).and.instanceOf(PalisadeError).and.instanceOf(Error);
    expect(conflict).to.include({ name: 'ConflictError', kind: 'conflict', message: 'taken' });
    expect((conflict as ConflictError).details).to.deep.equal({ id: 'x' });

    const slow = roundTrip(new TooManyRequestsError('slow down', 7));
    expect(slow).to.be.instanceOf(TooManyRequestsError);
    expect((slow as TooManyRequestsError).retryAfterSeconds).to.equal(7);

    const version = roundTrip(new StoreVersionError('/data/x.db', 9, 4));
    expect(version).to.be.instanceOf(StoreVersionError);
    expect(version).to.include({ location: '/data/x.db', found: 9, known: 4, name: 'StoreVersionError' });
    expect(version.message).to.match(/schema version 9/);

    const wrapped = roundTrip(
      new UnavailableError('down', { cause: Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }) }),
    );
    expect(wrapped).to.be.instanceOf(UnavailableError);
    expect(wrapped.cause).to.be.instanceOf(Error).and.include({ message: 'busy', code: 'SQLITE_BUSY' });
  });

  it('keeps other errors as Errors with their name and code', () => {
    const e = roundTrip(Object.assign(new TypeError('bad'), { code: 'SQLITE_CONSTRAINT_UNIQUE', fn: () => 1 }));
    expect(e)
      .to.be.instanceOf(Error)
      .and.include({ name: 'TypeError', message: 'bad', code: 'SQLITE_CONSTRAINT_UNIQUE' });
  });

  it('packs byte arrays into one buffer and rows into columns, without touching the value, and decodes both', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ id: `o${i}`, n: i, json: Buffer.from(`{"i":${i}}`) }));
    const value = { items, more: false, few: [{ a: 1 }, { b: Buffer.from('b') }], deep: [[Buffer.from('d')]] };
    const before = structuredClone(value);
    const encoded = encode(value);
    expect(value).to.deep.equal(before);
    expect(value.items[0]?.json).to.be.instanceOf(Buffer);
    // every byte array in one buffer, transferable, one comma between two (12 arrays)
    expect(encoded.bytes?.buffer.byteLength).to.equal(items.reduce((n, i) => n + i.json.length, 0) + 2 + 11);
    const packed = Buffer.from(encoded.bytes?.buffer as ArrayBuffer).toString();
    expect(packed.startsWith(items.map((i) => i.json.toString()).join(','))).to.equal(true);
    const back = decode(structuredClone(encoded, { transfer: [encoded.bytes?.buffer as ArrayBuffer] })) as typeof value;
    expect(back.items.map((i) => Object.keys(i))).to.deep.equal(items.map(() => ['id', 'n', 'json']));
    expect(back.items.map((i) => [i.id, i.n, Buffer.isBuffer(i.json), i.json.toString()])).to.deep.equal(
      items.map((i) => [i.id, i.n, true, i.json.toString()]),
    );
    expect(back.more).to.equal(false);
    expect(back.few[0]).to.deep.equal({ a: 1 });
    expect(Buffer.isBuffer(back.few[1]?.b) && back.few[1]?.b.toString()).to.equal('b');
    expect(Buffer.isBuffer(back.deep[0]?.[0]) && back.deep[0]?.[0]?.toString()).to.equal('d');
    const bare = encode(Buffer.from('xyz'));
    const bareBack = decode(structuredClone(bare)) as Buffer;
    expect(Buffer.isBuffer(bareBack) && bareBack.toString()).to.equal('xyz');
    expect(decode(structuredClone(encode([undefined, null, 1, 'x'])))).to.deep.equal([undefined, null, 1, 'x']);
  });
});

const C = '3a0b1c2d-4e5f-4a6b-8c7d-00000000aaaa';
const MODIFIED = '2024-01-01T00:00:00.000Z';

const MARK = 'marking-definition--0d0d0d0d-0000-4000-8000-000000000000';

function versions(from: number, count: number): NewVersion[] {
  const out: NewVersion[] = [];
  for (let j = from; j < from + count; j++) {
    const id = `indicator--${j.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    out.push({
      id,
      type: 'indicator',
      specVersion: '2.1',
      version: MODIFIED,
      versionKey: versionKey(MODIFIED) as string,
      markings: [MARK],
      json: JSON.stringify({ type: 'indicator', spec_version: '2.1', id, modified: MODIFIED, d: 'x'.repeat(300) }),
    });
  }
  return out;
}

const LAST = { first: false, last: true, exact: [] } as const;
/** spec_version has no index and nothing is stored as 2.0: every row of the collection is visited */
// Every row carries MARK and the scan denies it: the whole collection is read and nothing matches.
const SCAN_ALL = { versions: LAST, deniedMarkings: [MARK] };

describe('SQLite worker threads: deadlines, crashes and close', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  let store: Store;
  const warnings: string[] = [];
  const log = { warn: (_: object, m: string) => warnings.push(m), error: (_: object, m: string) => warnings.push(m) };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-threads-'));
    file = join(dir, 'palisade.db');
    const s = await openThreadedSqliteStore(file, { log });
    await s.migrate();
    await s.catalog.putApiRoot({ path: 'r', title: 'r', maxContentLength: 1, source: 'config' });
    await s.catalog.putCollection({ id: C, apiRoot: 'r', title: 'c', source: 'config' });
    for (let i = 0; i < 120_000; i += 1000) await s.objects.addObjects(C, versions(i, 1000), Date.now() * 1000);
    await s.close();
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  afterEach(async () => store?.close());

  it('returns object bodies as Buffers, byte for byte', async () => {
    store = await openThreadedSqliteStore(file, { log });
    const page = await store.objects.queryObjects(C, { versions: LAST }, { limit: 3 });
    expect(page.more).to.equal(true);
    const expected = versions(0, 3).map((v) => v.json);
    expect(page.items.map((i) => Buffer.isBuffer(i.json) && i.json.toString())).to.deep.equal(expected);
  });

  it('cancels a read at its deadline with UnavailableError, keeps answering lookups meanwhile, and reads again after', async () => {
    store = await openThreadedSqliteStore(file, { log, readers: 2 });
    const t0 = performance.now();
    await store.objects.queryObjects(C, SCAN_ALL, { limit: 10 });
    const full = performance.now() - t0;
    expect(full, 'the scan must be slow for this test to mean anything').to.be.at.least(20);

    await store.close();
    store = await openThreadedSqliteStore(file, { log, readers: 2, queryTimeoutMs: Math.floor(full / 4) });
    const slow = store.objects.queryObjects(C, SCAN_ALL, { limit: 10 }).then(
      () => expect.fail('the scan should have been cancelled'),
      (err: unknown) => err,
    );
    // The other reader is kept for lookups while the scan runs.
    expect(await store.catalog.getApiRoot('r')).to.include({ path: 'r' });
    const err = (await slow) as Error;
    expect(err).to.be.instanceOf(UnavailableError);
    expect(err.message).to.equal(
      `the query took longer than ${Math.floor(full / 4)} ms and was cancelled; narrow the filter or try again`,
    );
    expect(warnings).to.include('database query cancelled at its deadline; restarting its reader thread');
    const page = await store.objects.queryObjects(C, { versions: LAST }, { limit: 2 });
    expect(page.items).to.have.length(2);
  });

  it('rejects the calls of a thread that dies with UnavailableError, and starts a new one', async () => {
    store = await openThreadedSqliteStore(file, { log, readers: 1 });
    const reading = store.objects.queryObjects(C, SCAN_ALL, { limit: 10 }).then(
      () => 'answered',
      (err: unknown) => err,
    );
    await threadsOf(store).readers[0]?.terminate();
    const err = await reading;
    // The scan may have finished before the thread was stopped; if not, its caller is told.
    if (err !== 'answered') expect(err).to.be.instanceOf(UnavailableError);
    expect((await store.objects.queryObjects(C, { versions: LAST }, { limit: 1 })).items).to.have.length(1);

    await threadsOf(store).writer.terminate();
    await store.meta.initMeta('after-crash', 'yes');
    expect(await store.meta.getMeta('after-crash')).to.equal('yes');
  });

  it('sends a write that reached a reader to the writer (query_only refused it first)', async () => {
    store = await openThreadedSqliteStore(file, { log });
    expect(await threadsOf(store).call('meta', 'initMeta', ['misrouted', 'v'], 'lookup')).to.equal('v');
    expect(await store.meta.getMeta('misrouted')).to.equal('v');
    expect(warnings).to.include('a store method named like a read writes: sent to the writer');
  });

  it('rebuilds a StoreVersionError from a migration on a newer database', async () => {
    const newer = join(dir, 'newer.db');
    const db = new Database(newer);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    db.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('future', new Date().toISOString());
    db.close();
    store = await openThreadedSqliteStore(newer, { log });
    const err = await store.migrate().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StoreVersionError).and.include({ found: 99, location: newer });
  });

  it('close() lets the calls in flight finish, then refuses new ones', async () => {
    store = await openThreadedSqliteStore(file, { log });
    const calls = Promise.all([
      store.objects.queryObjects(C, { versions: LAST }, { limit: 100 }),
      store.meta.initMeta('closing', '1'),
      store.catalog.listApiRoots(),
    ]);
    const closed = store.close();
    const [page, meta, roots] = await calls;
    expect(page.items).to.have.length(100);
    expect(meta).to.equal('1');
    expect(roots).to.have.length(1);
    await closed;
    const after = await store.catalog.listApiRoots().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(after).to.be.instanceOf(UnavailableError);
  });

  it('checkpoints on close: the WAL is empty afterwards', async () => {
    store = await openThreadedSqliteStore(file, { log });
    await store.meta.initMeta('wal', 'x');
    await store.close();
    const wal = join(dir, 'palisade.db-wal');
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(wal).catch(() => ({ size: 0 })));
    expect(size).to.equal(0);
  });

  it('checkpoints the WAL from a thread of its own while writes go on: the writer does not copy pages into the file itself', async () => {
    const own = await mkdtemp(join(tmpdir(), 'palisade-checkpoint-'));
    const f = join(own, 'palisade.db');
    const s = await openThreadedSqliteStore(f, { log, checkpointAtBytes: 256 * 1024 });
    try {
      await s.migrate();
      await s.catalog.putApiRoot({ path: 'r', title: 'r', maxContentLength: 1, source: 'config' });
      await s.catalog.putCollection({ id: C, apiRoot: 'r', title: 'c', source: 'config' });
      const { stat } = await import('node:fs/promises');
      const before = (await stat(f)).size;
      // About 2 MB of rows: far below the writer's own automatic checkpoint (100 000 pages).
      for (let i = 0; i < 4000; i += 500) await s.objects.addObjects(C, versions(i, 500), Date.now() * 1000);
      const deadline = Date.now() + 10_000;
      while ((await stat(f)).size < before + 1024 * 1024 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect((await stat(f)).size - before, 'bytes checkpointed into the database file').to.be.at.least(1024 * 1024);
      expect((await s.objects.queryObjects(C, { versions: LAST }, { limit: 5000 })).items).to.have.length(4000);
    } finally {
      await s.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});

describe("SQLite worker threads: pages of texts in the readers' shared pool", function () {
  this.timeout(60_000);
  let dir: string;
  let store: Store;
  /** every page of the collection, 1000 objects each, as one string */
  const whole = (texts: Buffer[]): string => Buffer.concat(texts).toString();
  const expected = (from: number, count: number): string =>
    versions(from, count)
      .map((v) => v.json)
      .join(',');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-pool-'));
    store = await openThreadedSqliteStore(join(dir, 'palisade.db'), { readers: 1 });
    await store.migrate();
    await store.catalog.putApiRoot({ path: 'r', title: 'r', maxContentLength: 1, source: 'config' });
    await store.catalog.putCollection({ id: C, apiRoot: 'r', title: 'c', source: 'config' });
    for (let i = 0; i < 12_000; i += 1000) await store.objects.addObjects(C, versions(i, 1000), Date.now() * 1000);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const page = (after: number | undefined, limit = 1000) =>
    store.objects.queryObjectTexts?.(C, { versions: LAST }, { limit, ...(after !== undefined ? { after } : {}) });

  it('holds a slot for each page until it is released, and the page reads byte for byte as stored', async () => {
    const held = threadsOf(store).pagesHeld;
    expect(held()).to.equal(0);
    const first = await page(undefined);
    const second = await page(first?.last);
    expect(first?.release, 'a pooled page can be released').to.be.a('function');
    expect(held()).to.equal(2);
    expect(whole(first?.texts ?? [])).to.equal(expected(0, 1000));
    expect(whole(second?.texts ?? [])).to.equal(expected(1000, 1000));
    first?.release?.();
    first?.release?.(); // a second call changes nothing
    expect(held()).to.equal(1);
    // The freed slot is taken again, and the page still held keeps its bytes.
    const third = await page(second?.last);
    expect(whole(third?.texts ?? [])).to.equal(expected(2000, 1000));
    expect(whole(second?.texts ?? [])).to.equal(expected(1000, 1000));
    second?.release?.();
    third?.release?.();
    expect(held()).to.equal(0);
  });

  it('sends a page as before, with nothing to release, when every slot is taken', async () => {
    const held = threadsOf(store).pagesHeld;
    const pages = [];
    let after: number | undefined;
    for (let i = 0; i < PAGE_POOL_SLOTS + 2; i++) {
      const p = await page(after);
      pages.push(p);
      after = p?.last;
    }
    expect(held()).to.equal(PAGE_POOL_SLOTS);
    expect(pages.slice(0, PAGE_POOL_SLOTS).every((p) => typeof p?.release === 'function')).to.equal(true);
    expect(pages.slice(PAGE_POOL_SLOTS).map((p) => p?.release)).to.deep.equal([undefined, undefined]);
    pages.forEach((p, i) => expect(whole(p?.texts ?? []), `page ${i}`).to.equal(expected(i * 1000, 1000)));
    for (const p of pages) p?.release?.();
    expect(held()).to.equal(0);
  });

  it('frees the slot of a page nobody released once its texts are garbage', async () => {
    const held = threadsOf(store).pagesHeld;
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await (async () => {
      const p = await page(undefined);
      expect(p?.texts[0]?.length).to.be.greaterThan(0);
    })();
    expect(held()).to.equal(1);
    for (let i = 0; i < 50 && held() > 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(held()).to.equal(0);
  });
});

describe('SQLite analyst index: changes queued by writes, applied after them', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  const scope = { collections: [{ id: C, deniedMarkings: [] as string[] }] };
  const counts = (): { pending: number; entries: number } => {
    const db = new Database(file, { readonly: true });
    try {
      const n = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { pending: n('intel_pending'), entries: n('intel_entries') };
    } finally {
      db.close();
    }
  };
  const setUp = async (s: Store): Promise<void> => {
    await s.migrate();
    await s.catalog.putApiRoot({ path: 'r', title: 'r', maxContentLength: 1, source: 'config' });
    await s.catalog.putCollection({ id: C, apiRoot: 'r', title: 'c', source: 'config' });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-intel-queue-'));
    file = join(dir, 'palisade.db');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('a write only queues; the first read applies the queue, in-process', async () => {
    const s = openSqliteStore(file);
    try {
      await setUp(s);
      await s.objects.addObjects(C, versions(0, 3), Date.now() * 1000);
      expect(counts()).to.deep.equal({ pending: 3, entries: 0 });
      expect(await s.intel.countPending()).to.equal(3);
      expect(await s.intel.countLatest(scope)).to.deep.equal({ [C]: 3 });
      expect(counts()).to.deep.equal({ pending: 0, entries: 3 });
      await s.objects.addObjects(C, versions(3, 2), Date.now() * 1000);
      expect(await s.intel.catchUp()).to.equal(0);
      expect(counts()).to.deep.equal({ pending: 0, entries: 5 });
    } finally {
      await s.close();
    }
  });

  it('a reader thread that finds the queue not applied hands the read to the writer, which applies it and answers', async () => {
    const warnings: string[] = [];
    const log = { warn: (_: object, m: string) => warnings.push(m), error: (_: object, m: string) => warnings.push(m) };
    // The writer's idle work is held off: only the read can apply the queue.
    const s = await openThreadedSqliteStore(file, { log, readers: 1, indexDelayMs: 600_000 });
    try {
      await setUp(s);
      await s.objects.addObjects(C, versions(0, 1200), Date.now() * 1000);
      expect(counts()).to.deep.equal({ pending: 1200, entries: 0 });
      const ids = versions(1195, 5).map((v) => v.id);
      const found = (await threadsOf(s).call('intel', 'getLatest', [scope, ids], 'lookup')) as { id: string }[];
      expect(found.map((e) => e.id).sort()).to.deep.equal(ids);
      expect(counts()).to.deep.equal({ pending: 0, entries: 1200 });
      // Applied now: the next read stays on the reader.
      expect(await s.intel.countLatest(scope)).to.deep.equal({ [C]: 1200 });
      expect(warnings).to.deep.equal([]);
    } finally {
      await s.close();
    }
  });

  it('a read that cannot apply the whole queue in its time answers UnavailableError, and the next reads go on from there', async () => {
    // Idle work held off, and reads allowed one batch at most.
    const s = await openThreadedSqliteStore(file, { readers: 1, indexDelayMs: 600_000, indexWaitMs: 0 });
    try {
      await setUp(s);
      await s.objects.addObjects(C, versions(0, 1200), Date.now() * 1000);
      const err = await s.intel.countLatest(scope).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UnavailableError);
      expect((err as Error).message).to.equal(
        'The analyst index is still applying recent writes (700 changes left); try again shortly.',
      );
      expect(counts()).to.deep.equal({ pending: 700, entries: 500 });
      await s.intel.countLatest(scope).catch(() => undefined);
      expect(await s.intel.countLatest(scope)).to.deep.equal({ [C]: 1200 });
      expect(counts()).to.deep.equal({ pending: 0, entries: 1200 });
    } finally {
      await s.close();
    }
  });

  it('reports a queue it cannot apply once, keeps it, and applies it once the cause is gone', async () => {
    const errors: [object, string][] = [];
    const log = {
      warn: (d: object, m: string) => errors.push([d, m]),
      error: (d: object, m: string) => errors.push([d, m]),
    };
    const s = await openThreadedSqliteStore(file, { log, readers: 1, indexDelayMs: 600_000 });
    await setUp(s);
    await s.close();
    // The short full-text table renamed away by hand: every apply fails until it is back.
    const db = new Database(file);
    db.exec('ALTER TABLE intel_fts_short RENAME TO hidden_fts_short');
    db.close();
    const broken = await openThreadedSqliteStore(file, { log, readers: 1, indexDelayMs: 20 });
    try {
      await broken.objects.addObjects(C, versions(0, 3), Date.now() * 1000);
      const deadline = Date.now() + 10_000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 1_500)); // at least one more attempt, not reported again
      expect(errors.map(([, m]) => m)).to.deep.equal([
        'the analyst index could not apply queued changes; retrying every second',
      ]);
      expect(JSON.stringify(errors[0]?.[0])).to.include('no such table: intel_fts_short');
      expect(counts().pending).to.equal(3);
      // A read fails with the cause instead of answering from a stale index.
      const failed = await broken.intel.countLatest(scope).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(failed?.message).to.include('no such table: intel_fts_short');
    } finally {
      await broken.close();
    }
    const fixed = new Database(file);
    fixed.exec('ALTER TABLE hidden_fts_short RENAME TO intel_fts_short');
    fixed.close();
    const again = await openThreadedSqliteStore(file, { log, readers: 1 });
    try {
      expect(await again.intel.countLatest(scope)).to.deep.equal({ [C]: 3 });
      expect(counts()).to.deep.equal({ pending: 0, entries: 3 });
    } finally {
      await again.close();
    }
  });

  it('the writer applies the queue by itself once no call has come for a while, and a restart finds what is left', async () => {
    const s = await openThreadedSqliteStore(file, { readers: 1, indexDelayMs: 600_000 });
    await setUp(s);
    await s.objects.addObjects(C, versions(0, 1200), Date.now() * 1000);
    await s.close();
    expect(counts()).to.deep.equal({ pending: 1200, entries: 0 });
    // A new process: no read of the index, only the writer's idle work.
    const again = await openThreadedSqliteStore(file, { readers: 1, indexDelayMs: 20 });
    try {
      const deadline = Date.now() + 20_000;
      while (counts().pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(counts()).to.deep.equal({ pending: 0, entries: 1200 });
    } finally {
      await again.close();
    }
  });
});
