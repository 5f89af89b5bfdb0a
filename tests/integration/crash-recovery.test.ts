// Crash recovery of add-objects requests: the real `palisade serve` process (SQLite store) is killed
// with SIGKILL (a) while an envelope is still being uploaded, (b) right after the 202 that queues it,
// (c) in the middle of its processing and (d) several times in a row during processing. Each start
// reuses the same data directory. What is checked:
//
// - at every kill, on the files as the crash left them (read here with the server down): the status
//   counts a prefix of the envelope's entries, every stored version belongs to that prefix or to the
//   chunk that was in flight (all of that chunk or nothing: one transaction), each stored text is
//   exactly the one posted, and the newest-version flag names the newest stored version of each id;
// - after the restart: the status reaches complete with total = success + failure and the exact
//   failure reasons; a full `next` walk of every version returns each posted valid version once,
//   byte-identical, and nothing else; the default (newest version) listing names the newest of each;
// - an upload cut by the crash (a) is never processed nor visible, has no status, and is purged
//   once older than the abandon time. That time is fixed at one hour (not configurable), so the test
//   ages the job's row in the database instead of waiting.
//
// A second case, when a MongoDB server is given, freezes (SIGSTOP) one of two instances on one
// database while it processes a job, past its lease: the other takes the job over and finishes it,
// and the frozen one, once resumed, must not overwrite the status.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { SqliteDb } from '../../src/store/sqlite/database.js';
import { SqliteObjects } from '../../src/store/sqlite/objects.js';
import { SqliteStatuses } from '../../src/store/sqlite/statuses.js';
import type { StatusDetail, StatusRecord } from '../../src/store/statuses.js';
import { indicator, uuidFor, type Stix } from '../fixtures/builders.js';
import { freePort } from '../helpers/free-port.js';
import { freshDatabaseName, MONGO_SKIP_MESSAGE, mongoTestUri } from '../helpers/mongo-url.js';
import { spawnServe } from '../helpers/serve-process.js';
import { TAXII, TEST_BACKEND } from '../helpers/test-app.js';

const ROOT = 'crash';
const CHUNK = 200;
const LEASE_SECONDS = 5;
const MAX_OBJECT_BYTES = 4096;
/** valid, distinct indicators per envelope (the envelope adds versions and invalid entries) */
const OBJECTS = 20_000;
const HOUR_MS = 3_600_000;
const PASSWORD = 'crash-ops-pw';
const AUTH = `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`;

const COLLECTION = {
  cutUpload: uuidFor('crash:cut-upload'),
  afterAccept: uuidFor('crash:after-202'),
  midProcessing: uuidFor('crash:mid-processing'),
  repeated: uuidFor('crash:repeated'),
};

const CONFIG = `
server: { limits: { shutdown_grace_ms: 2000 } }
ingest: { lease_seconds: ${LEASE_SECONDS}, chunk_size: ${CHUNK}, max_object_bytes: ${MAX_OBJECT_BYTES} }
api_roots:
  - path: ${ROOT}
    title: Crash recovery
    collections:
${Object.entries(COLLECTION)
  .map(([name, id]) => `      - { id: ${id}, title: ${name} }`)
  .join('\n')}
users:
  - { username: ops, password_env: T_OPS, admin: true }
`;

const CONFLICT = 'a different object with this id and version is already stored; a new version needs a new modified';

// ---- the envelope -----------------------------------------------------------------------------------

interface Entry {
  /** the entry's JSON text as posted */
  text: string;
  /** `${id}|${version}` when the entry is a valid version that gets stored */
  key?: string;
  /** the failure it must produce */
  failure?: StatusDetail;
}

interface Envelope {
  body: Buffer;
  entries: Entry[];
  /** every stored version: key → the posted text (the server stores JSON.stringify of the object) */
  valid: Map<string, string>;
  /** id → key of its newest version */
  newest: Map<string, string>;
  failures: StatusDetail[];
}

const keyOf = (id: string, version: string): string => `${id}|${version}`;

/**
 * OBJECTS distinct indicators in order; from the 1000th on, newer versions of earlier ones (a
 * 2024-03 version of every 50th, then a 2024-02 version of every 100th, which arrives after its
 * newer sibling), so versions of one id fall in different chunks and out of order; and, near the
 * start, in the middle and at the end, entries that fail for known reasons, one of each kind.
 */
function buildEnvelope(tag: string): Envelope {
  const entries: Entry[] = [];
  const base = (i: number): Stix => indicator(`${tag}-${i}`);
  const add = (obj: Stix): void => {
    entries.push({ text: JSON.stringify(obj), key: keyOf(obj.id, obj.modified as string) });
  };
  const fail = (text: string, failure: (index: number) => StatusDetail): void => {
    entries.push({ text, failure: failure(entries.length) });
  };
  const invalid = (at: string, conflictWith: Stix): void => {
    const named = (what: string): Stix => indicator(`${tag}-${what}-${at}`);
    const noPattern = named('no-pattern');
    delete noPattern.pattern;
    fail(JSON.stringify(noPattern), () => ({
      id: noPattern.id,
      version: noPattern.modified as string,
      message: '/pattern: required property missing',
    }));
    const badId: Stix = { ...named('bad-id'), id: `indicator--not-a-uuid-${tag}-${at}` };
    fail(JSON.stringify(badId), () => ({
      id: badId.id,
      version: badId.modified as string,
      message: '/id: must be a STIX identifier of the form <type>--<RFC 4122 UUID>',
    }));
    const old: Stix = { ...named('spec-2.0'), spec_version: '2.0' };
    fail(JSON.stringify(old), () => ({
      id: old.id,
      version: old.modified as string,
      message: '/spec_version: must be "2.1" (only STIX 2.1 objects are accepted)',
    }));
    const early = named('early');
    early.modified = '2023-06-01T00:00:00.000Z';
    fail(JSON.stringify(early), () => ({
      id: early.id,
      version: '2023-06-01T00:00:00.000Z',
      message: '/modified: must not be earlier than created',
    }));
    const big = JSON.stringify({ ...named('big'), description: 'x'.repeat(MAX_OBJECT_BYTES) });
    fail(big, (index) => ({
      id: `objects[${index}]`,
      version: '',
      message: `the object is ${Buffer.byteLength(big)} bytes long, more than max_object_bytes (${MAX_OBJECT_BYTES})`,
    }));
    fail('{"type":"indicator","type":"x"}', (index) => ({
      id: `objects[${index}]`,
      version: '',
      message: 'duplicate member name "type" at $.type (byte 20)',
    }));
    // Same id and version as a valid object earlier in the envelope, different content.
    fail(JSON.stringify({ ...conflictWith, name: 'a different copy' }), () => ({
      id: conflictWith.id,
      version: conflictWith.modified as string,
      message: CONFLICT,
    }));
  };
  for (let i = 0; i < OBJECTS; i++) {
    add(base(i));
    if (i === 3 || i === OBJECTS / 2) invalid(String(i), base(i - 1));
    if (i >= 1000 && i % 50 === 0) add(indicator(`${tag}-${i - 1000}`, '2024-03-01T00:00:00.000Z'));
    if (i >= 2000 && i % 100 === 0) add(indicator(`${tag}-${i - 2000}`, '2024-02-01T00:00:00.000Z'));
  }
  invalid('end', base(OBJECTS - 1));

  const valid = new Map<string, string>();
  const newest = new Map<string, string>();
  for (const e of entries) {
    if (e.key === undefined) continue;
    valid.set(e.key, e.text);
    const [id, version] = e.key.split('|') as [string, string];
    const current = newest.get(id);
    if (current === undefined || (current.split('|')[1] as string) < version) newest.set(id, e.key);
  }
  return {
    body: Buffer.from(`{"objects":[${entries.map((e) => e.text).join(',')}]}`),
    entries,
    valid,
    newest,
    failures: entries.flatMap((e) => (e.failure ? [e.failure] : [])),
  };
}

const sortDetails = (list: readonly StatusDetail[]): StatusDetail[] =>
  [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

// ---- the server process and HTTP ----------------------------------------------------------------------

interface Reply {
  status: number;
  text: string;
}

/** One request on a fresh connection (a pooled one may belong to a killed process). */
function call(port: number, method: string, path: string, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          Authorization: AUTH,
          Accept: TAXII,
          ...(body ? { 'Content-Type': TAXII, 'Content-Length': body.length } : {}),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson<T>(port: number, path: string): Promise<T> {
  const res = await call(port, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 500)}`);
  return JSON.parse(res.text) as T;
}

class Palisade {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private log = '';
  starts = 0;

  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** Everything the processes printed, for failure messages and log checks. */
  output(): string {
    return this.log;
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.starts++;
    this.log += `---- start ${this.starts}\n`;
    const child = spawnServe({
      config: join(this.dir, 'palisade.yaml'),
      dataDir: this.dataDir,
      port: this.port,
      env: { T_OPS: PASSWORD, ...this.env },
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.log += d.toString()));
    await until(
      'the server answering /healthz',
      this,
      async () => {
        if (!this.running()) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${this.log}`);
        const res = await call(this.port, 'GET', '/healthz').catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      90_000,
    );
  }

  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exit;
  }

  /** SIGSTOP or SIGCONT: the process freezes or resumes, as in a long pause of its host. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  /** SIGTERM; the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running()) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    await this.exit;
    return child.exitCode;
  }
}

/** Polls `probe` (10 ms, doubling to 200 ms) until it gives a value; fails after timeoutMs. */
async function until<T>(
  what: string,
  server: Palisade,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + pause > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${server.output()}`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

interface StatusResource {
  id: string;
  status: string;
  total_count: number;
  success_count: number;
  failure_count: number;
  pending_count: number;
  successes?: StatusDetail[];
  failures?: StatusDetail[];
}

const statusPath = (id: string): string => `/${ROOT}/status/${id}/`;
const objectsPath = (collection: string): string => `/${ROOT}/collections/${collection}/objects/`;

async function post(server: Palisade, collection: string, env: Envelope): Promise<StatusResource> {
  const res = await call(server.port, 'POST', objectsPath(collection), env.body);
  expect(res.status, res.text).to.equal(202);
  const status = JSON.parse(res.text) as StatusResource;
  expect(status).to.include({ status: 'pending', total_count: env.entries.length });
  return status;
}

/** Every object an `objects` listing returns through `next`, as the served text of each. */
async function walk(port: number, collection: string, query: string): Promise<{ id: string; text: string }[]> {
  const out: { id: string; text: string }[] = [];
  let next: string | undefined;
  for (let pages = 0; ; pages++) {
    expect(pages, 'pages of the walk').to.be.below(1000);
    const path = `${objectsPath(collection)}?${query}&limit=1000${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    const page = await getJson<{ more?: boolean; next?: string; objects?: Stix[] }>(port, path);
    // The stored text is JSON.stringify output, so parsing and stringifying it again gives it back.
    for (const o of page.objects ?? []) out.push({ id: o.id, text: JSON.stringify(o) });
    if (!page.more) return out;
    expect(page.next, 'next with more: true').to.be.a('string');
    next = page.next;
  }
}

/** The request reaches complete, with exact counts and reasons, and the collection holds exactly its versions. */
async function expectComplete(server: Palisade, collection: string, statusId: string, env: Envelope): Promise<void> {
  const done = await until('the status complete', server, async () => {
    const s = await getJson<StatusResource>(server.port, statusPath(statusId));
    return s.status === 'complete' ? s : undefined;
  });
  expect(done).to.include({
    total_count: env.entries.length,
    success_count: env.valid.size,
    failure_count: env.failures.length,
    pending_count: 0,
  });
  expect(done.success_count + done.failure_count).to.equal(done.total_count);
  expect(sortDetails(done.failures ?? [])).to.deep.equal(sortDetails(env.failures));
  // Past ingest.status_detail_limit (10,000 by default) the list of successes is left out.
  if (done.successes !== undefined) {
    expect(done.successes).to.have.length(done.success_count);
    for (const s of done.successes) expect(env.valid.has(keyOf(s.id, s.version)), s.id).to.equal(true);
  }

  const all = await walk(server.port, collection, 'match[version]=all');
  const seen = new Set<string>();
  for (const o of all) {
    const parsed = JSON.parse(o.text) as { modified: string };
    const key = keyOf(o.id, parsed.modified);
    expect(seen.has(key), `${key} twice in the walk`).to.equal(false);
    seen.add(key);
    expect(o.text, key).to.equal(env.valid.get(key));
  }
  expect(seen.size).to.equal(env.valid.size);

  const newest = await walk(server.port, collection, 'match[type]=indicator');
  expect(newest).to.have.length(env.newest.size);
  for (const o of newest) expect(o.text).to.equal(env.valid.get(env.newest.get(o.id) as string));
}

// ---- the files a crash left ---------------------------------------------------------------------------

interface Job {
  id: string;
  released: number;
  itemCount: number | null;
  items: number;
}

/**
 * Reads the SQLite file of a data directory read-only, through the store's own modules where it
 * can (the ingestion queue has no listing, so its two tables are queried directly).
 */
async function inspect<T>(dataDir: string, read: (db: SqliteDb) => Promise<T>): Promise<T> {
  const db = new SqliteDb(join(dataDir, 'palisade.db'), { readOnly: true });
  try {
    return await read(db);
  } finally {
    db.close();
  }
}

function jobs(db: SqliteDb): Job[] {
  return (
    db.db.prepare('SELECT id, released, item_count AS itemCount FROM ingest_jobs ORDER BY created_ms').all() as Omit<
      Job,
      'items'
    >[]
  ).map((j) => ({
    ...j,
    items: (
      db.db
        .prepare('SELECT coalesce(sum(last_seq - first_seq + 1), 0) AS n FROM ingest_packs WHERE job_id = ?')
        .get(j.id) as { n: number }
    ).n,
  }));
}

async function storedVersions(db: SqliteDb, collection: string, last = false): Promise<Map<string, string>> {
  const page = await new SqliteObjects(db).queryObjects(
    collection,
    { versions: last ? { first: false, last: true, exact: [] } : { all: true } },
    { limit: 1_000_000 },
  );
  expect(page.more).to.equal(false);
  const out = new Map<string, string>();
  for (const v of page.items) {
    const key = keyOf(v.id, v.version);
    expect(out.has(key), `${key} stored twice`).to.equal(false);
    out.set(key, Buffer.isBuffer(v.json) ? v.json.toString('utf8') : v.json);
  }
  return out;
}

/**
 * What a kill left of a queued request: the status counts a prefix of the entries, the stored
 * versions are those of the prefix plus all or none of the chunk in flight, each byte-identical
 * to what was posted, and the newest-version flag is right for every stored id. Returns how many
 * entries the status counts as processed.
 */
async function expectConsistentCrashState(
  dataDir: string,
  collection: string,
  statusId: string,
  env: Envelope,
): Promise<{ processed: number; inFlightCommitted: boolean }> {
  return inspect(dataDir, async (db) => {
    const status = (await new SqliteStatuses(db).getStatus(ROOT, statusId)) as StatusRecord;
    expect(status, 'the status of an accepted request').to.not.equal(undefined);
    const successes = status.successCount ?? status.successes.length;
    const failures = status.failureCount ?? status.failures.length;
    const processed = successes + failures;
    const prefix = env.entries.slice(0, processed);
    expect(successes, 'successes counted').to.equal(prefix.filter((e) => e.key !== undefined).length);
    expect(failures, 'failures counted').to.equal(prefix.filter((e) => e.failure !== undefined).length);
    expect(status.pendingCount).to.equal(env.entries.length - processed);
    if (status.failures.length === failures)
      expect(sortDetails(status.failures)).to.deep.equal(sortDetails(prefix.flatMap((e) => e.failure ?? [])));

    const stored = await storedVersions(db, collection);
    const expected = new Set(prefix.flatMap((e) => e.key ?? []));
    const inFlight = new Set(env.entries.slice(processed, processed + CHUNK).flatMap((e) => e.key ?? []));
    const extra = [...stored.keys()].filter((k) => !expected.has(k));
    for (const k of expected) expect(stored.has(k), `${k} of a processed chunk is stored`).to.equal(true);
    const inFlightCommitted = extra.length > 0;
    if (inFlightCommitted) {
      expect(
        extra.every((k) => inFlight.has(k)),
        'versions beyond the processed prefix belong to the chunk in flight',
      ).to.equal(true);
      expect(extra.length, 'the chunk in flight is stored whole or not at all').to.equal(inFlight.size);
    }
    for (const [k, text] of stored) expect(text, k).to.equal(env.valid.get(k));

    const newestStored = new Map<string, string>();
    for (const k of stored.keys()) {
      const [id, version] = k.split('|') as [string, string];
      const current = newestStored.get(id);
      if (current === undefined || (current.split('|')[1] as string) < version) newestStored.set(id, k);
    }
    const flagged = await storedVersions(db, collection, true);
    expect(flagged.size, 'one newest version per stored id').to.equal(newestStored.size);
    for (const k of newestStored.values()) expect(flagged.has(k), `${k} flagged newest`).to.equal(true);

    const job = jobs(db).find((j) => j.id === statusId);
    if (status.status === 'pending') expect(job).to.include({ released: 1, itemCount: env.entries.length });
    return { processed, inFlightCommitted };
  });
}

/** Polls the status until the worker has processed more than `after` entries and is not done. */
async function progressed(server: Palisade, statusId: string, after: number): Promise<StatusResource> {
  return until(
    `processing past entry ${after}`,
    server,
    async () => {
      const s = await getJson<StatusResource>(server.port, statusPath(statusId));
      if (s.status === 'complete') throw new Error('the request completed before it could be killed midway');
      return s.success_count + s.failure_count > after ? s : undefined;
    },
    60_000,
  );
}

// ---- the scenario ----------------------------------------------------------------------------------

// It reads the SQLite files a crash left: the second run of the suite, on MongoDB, skips it (it would
// only repeat it unchanged).
const describeOnSqlite = TEST_BACKEND === 'sqlite' ? describe : describe.skip;

describeOnSqlite('crash recovery: SIGKILL of palisade serve during ingestion (SQLite)', function () {
  this.timeout(240_000);
  let dir: string;
  let server: Palisade;
  /** the job of the upload cut at (a) */
  let cutJob: Job;
  let broken = false;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-crash-'));
    await writeFile(join(dir, 'palisade.yaml'), CONFIG);
    server = new Palisade(dir, await freePort());
  });
  after(async () => {
    if (server.running()) await server.kill();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(function () {
    // Each step builds on the state the previous one left.
    if (broken) this.skip();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') broken = true;
  });

  it('(a) a kill during the upload leaves a job that is never released: no status, no object', async () => {
    await server.start();
    const env = buildEnvelope('cut');
    // About 40% of the body, then nothing more: the request stays open until the kill.
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: objectsPath(COLLECTION.cutUpload),
      agent: false,
      headers: { Authorization: AUTH, Accept: TAXII, 'Content-Type': TAXII, 'Content-Length': env.body.length },
    });
    let answered: number | undefined;
    req.on('response', (res) => (answered = res.statusCode));
    req.on('error', () => undefined); // the connection is cut by the kill
    req.write(env.body.subarray(0, Math.floor(env.body.length * 0.4)));
    const queued = await until('entries of the upload in the queue', server, () =>
      inspect(server.dataDir, async (db) => {
        const [job] = jobs(db);
        return job !== undefined && job.items >= 1000 ? job : undefined;
      }),
    );
    await server.kill();
    req.destroy();
    expect(answered, 'no answer to a request still being uploaded').to.equal(undefined);
    expect(queued.released).to.equal(0);

    await inspect(server.dataDir, async (db) => {
      const left = jobs(db);
      expect(left).to.have.length(1);
      cutJob = left[0] as Job;
      expect(cutJob).to.include({ id: queued.id, released: 0, itemCount: null });
      expect(cutJob.items).to.be.at.least(queued.items);
      expect(await new SqliteStatuses(db).getStatus(ROOT, cutJob.id)).to.equal(undefined);
      expect((await storedVersions(db, COLLECTION.cutUpload)).size).to.equal(0);
    });

    await server.start();
    expect((await call(server.port, 'GET', statusPath(cutJob.id))).status).to.equal(404);
    expect(await walk(server.port, COLLECTION.cutUpload, 'match[version]=all')).to.deep.equal([]);
  });

  it('(b) a kill right after the 202 loses nothing: the request completes after the restart', async () => {
    const env = buildEnvelope('accepted');
    const accepted = await post(server, COLLECTION.afterAccept, env);
    await server.kill();
    const crash = await expectConsistentCrashState(server.dataDir, COLLECTION.afterAccept, accepted.id, env);
    expect(crash.processed).to.be.below(env.entries.length);

    await server.start();
    await expectComplete(server, COLLECTION.afterAccept, accepted.id, env);
  });

  it('(c) a kill in the middle of processing: the restart resumes and stores every version once', async () => {
    const env = buildEnvelope('midway');
    const accepted = await post(server, COLLECTION.midProcessing, env);
    const seen = await progressed(server, accepted.id, 0);
    await server.kill();
    const crash = await expectConsistentCrashState(server.dataDir, COLLECTION.midProcessing, accepted.id, env);
    expect(crash.processed).to.be.at.least(seen.success_count + seen.failure_count);
    expect(crash.processed).to.be.below(env.entries.length);

    await server.start();
    await expectComplete(server, COLLECTION.midProcessing, accepted.id, env);
  });

  it('(d) three kills in a row during processing: each restart resumes where the status says', async () => {
    const env = buildEnvelope('repeated');
    const accepted = await post(server, COLLECTION.repeated, env);
    let processed = 0;
    for (let kill = 1; kill <= 3; kill++) {
      if (kill > 1) await server.start();
      await progressed(server, accepted.id, processed);
      await server.kill();
      const crash = await expectConsistentCrashState(server.dataDir, COLLECTION.repeated, accepted.id, env);
      expect(crash.processed, `progress before kill ${kill}`).to.be.above(processed);
      expect(crash.processed).to.be.below(env.entries.length);
      processed = crash.processed;
    }
    // Meanwhile the cut upload of (a) sat in the queue, untouched. Its abandon time is one hour:
    // it is aged here, so that the next start also finds it abandoned (checked by the next step).
    const db = new SqliteDb(join(server.dataDir, 'palisade.db'));
    try {
      expect(jobs(db).find((j) => j.id === cutJob.id)).to.deep.equal(cutJob);
      const aged = db.db
        .prepare('UPDATE ingest_jobs SET created_ms = created_ms - ? WHERE id = ? AND released = 0')
        .run(2 * HOUR_MS, cutJob.id);
      expect(aged.changes).to.equal(1);
    } finally {
      db.close();
    }

    await server.start();
    await expectComplete(server, COLLECTION.repeated, accepted.id, env);
  });

  it('the upload cut at (a) is purged once older than the abandon time, never processed', async () => {
    await until('the purge of the cut upload logged', server, async () =>
      server.output().includes(cutJob.id) && /upload never finished/.test(server.output()) ? true : undefined,
    );
    expect(await walk(server.port, COLLECTION.cutUpload, 'match[version]=all')).to.deep.equal([]);
    expect(await server.stop(), server.output()).to.equal(0);
    await inspect(server.dataDir, async (db) => {
      expect(jobs(db), 'nothing left in the queue').to.deep.equal([]);
      expect(db.db.prepare('SELECT count(*) AS n FROM ingest_packs').get()).to.deep.equal({ n: 0 });
      expect((await storedVersions(db, COLLECTION.cutUpload)).size).to.equal(0);
    });
  });
});

// Two instances on one MongoDB database (the deployment the MongoDB store is for). A worker that is
// not dead but paused past its lease (a long GC pause, a frozen VM: SIGSTOP here) loses its job to
// the other instance; when it resumes, it must not overwrite what the new holder wrote. It runs once,
// in the SQLite pass of the suite, whenever a MongoDB server is given.
describeOnSqlite('lease takeover: a worker paused past its lease, two instances on MongoDB', function () {
  this.timeout(240_000);
  const uri = mongoTestUri();
  const database = freshDatabaseName();
  const dirs: string[] = [];
  const servers: Palisade[] = [];

  before(function () {
    if (!uri) {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    }
  });
  after(async () => {
    for (const s of servers) {
      s.signal('SIGCONT');
      if (s.running()) await s.kill();
    }
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    if (uri) {
      const client = await MongoClient.connect(uri);
      await client.db(database).dropDatabase();
      await client.close();
    }
  });

  async function instance(): Promise<Palisade> {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-lease-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'palisade.yaml'),
      `store: { kind: mongodb, uri: ${JSON.stringify(uri)}, database: ${database} }\n` +
        CONFIG.replace(`chunk_size: ${CHUNK},`, 'chunk_size: 50, workers: 1,'),
    );
    const server = new Palisade(dir, await freePort());
    servers.push(server);
    return server;
  }

  it('the status written by the instance that took the job over stays complete and exact', async () => {
    const a = await instance();
    await a.start();
    const objects = Array.from({ length: 2_000 }, (_, i) => JSON.stringify(indicator(`lease-${i}`)));
    const body = Buffer.from(`{"objects":[${objects.join(',')}]}`);
    const res = await call(a.port, 'POST', objectsPath(COLLECTION.midProcessing), body);
    expect(res.status, res.text).to.equal(202);
    const statusId = (JSON.parse(res.text) as StatusResource).id;
    await progressed(a, statusId, 0);
    a.signal('SIGSTOP');

    // The second instance starts while the first is frozen, takes the job over once the lease has
    // run out, and finishes it.
    const b = await instance();
    await b.start();
    const done = await until('the status complete through the second instance', b, async () => {
      const s = await getJson<StatusResource>(b.port, statusPath(statusId));
      return s.status === 'complete' ? s : undefined;
    });
    expect(done).to.include({ total_count: 2_000, success_count: 2_000, failure_count: 0, pending_count: 0 });

    // The first instance resumes in the middle of its chunk. For five seconds the status must stay
    // what the second instance wrote.
    a.signal('SIGCONT');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const s = await getJson<StatusResource>(b.port, statusPath(statusId));
      const { status, total_count, success_count, failure_count, pending_count } = s;
      expect(
        { status, total_count, success_count, failure_count, pending_count },
        `the status after the paused worker resumed\n${a.output()}`,
      ).to.deep.equal({
        status: 'complete',
        total_count: 2_000,
        success_count: 2_000,
        failure_count: 0,
        pending_count: 0,
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    const stored = await walk(b.port, COLLECTION.midProcessing, 'match[version]=all');
    expect(new Set(stored.map((o) => o.id)).size).to.equal(2_000);
    expect(stored).to.have.length(2_000);
  });
});
