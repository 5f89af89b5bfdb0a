// Hostile and malformed requests, from the corpus in tests/fixtures/bad-input/http/ (manifest.json
// there lists every case with its exact expected answer), sent to every endpoint they concern:
// POST bodies, query parameters, encoded paths, raw requests a client library refuses to send, and
// the admin API. After each, the store must hold exactly what it held before plus the valid objects
// of that request (tests/helpers/store-snapshot.ts reads it through the store API, so the suite is
// the same on SQLite and MongoDB).
//
// The requests go through node:http and node:net against a real listening server with the
// connection limits of src/server.ts: supertest re-encodes some binary bodies, and the header
// count and size limits are properties of the listening server.
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { buildApp } from '../../src/app.js';
import { applyConnectionLimits, httpServerOptions } from '../../src/http/limits.js';
import { silentLogger } from '../../src/logger.js';
import { indicator, envelope } from '../fixtures/builders.js';
import { describeDiff, diffSnapshots, snapshotStore, type StoreSnapshot } from '../helpers/store-snapshot.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  TEST_CONFIG,
  WRITER,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';

const DIR = fileURLToPath(new URL('../fixtures/bad-input/http/', import.meta.url));
const corpus = (file: string): Buffer => readFileSync(DIR + file);

/** This suite's limits: small enough that the corpus files pass them, see manifest.json "about". */
const CONFIG = `${TEST_CONFIG}
server: { limits: { max_header_size: 262144, max_headers_count: 100 } }
ingest: { max_object_bytes: 4096, max_decompressed_bytes: 1048576 }
`;
const MAX_HEADER_SIZE = 262144;
const UNKNOWN = 'indicator--00000000-0000-4000-8000-000000000000';

// ---- the manifest ----------------------------------------------------------------------------------

interface TaxiiErrorExpect {
  status: number;
  error_code: string;
  description: string;
  details?: Record<string, unknown>;
}
interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}
interface PostCase {
  file: string;
  class: string;
  note: string;
  content_encoding?: string;
  /** null: no Content-Type header at all */
  content_type?: string | null;
  accept?: string;
  expect: TaxiiErrorExpect | { status: 202; successes: StatusDetail[]; failures: StatusDetail[] };
}
type Endpoint = 'objects' | 'manifest' | 'object' | 'versions' | 'delete';
interface QueryCase {
  class: string;
  query: string;
  endpoints: Endpoint[];
  note?: string;
  expect: TaxiiErrorExpect | { same_as_plain: true } | { status: 200; empty: true };
}
interface PathCase {
  class: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  note?: string;
  expect: TaxiiErrorExpect;
}
interface RawCase {
  class: string;
  note: string;
  request: string;
  expect: { status_line: string; closes?: boolean; taxii?: TaxiiErrorExpect };
}
interface AdminCase {
  class: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  file?: string;
  note?: string;
  content_type?: string;
  content_encoding?: string;
  /** the tenant the request creates, when it succeeds */
  created?: string;
  name?: string;
  expect: {
    status: number;
    error_code?: string;
    /** exact; null: any text */
    detail?: string | null;
    /** where the exact wording is left to the fix of a defect */
    detail_match?: string;
    details?: Record<string, unknown>;
    records?: number;
  };
  or_status?: number;
}
interface Manifest {
  posts: PostCase[];
  queries: QueryCase[];
  paths: PathCase[];
  raw: RawCase[];
  admin: AdminCase[];
}
const MANIFEST = JSON.parse(corpus('manifest.json').toString('utf8')) as Manifest;

// ---- HTTP -------------------------------------------------------------------------------------------

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Authentication required',
  403: 'Not permitted',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Unsupported Accept media type',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported Content-Type',
  422: 'Unprocessable content',
  500: 'Internal error',
};

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;

let port = 0;

/**
 * One request on a new connection. Headers default to the caller's Basic credentials and a TAXII
 * Accept (and a TAXII Content-Type with a body); a null value leaves that header out.
 */
function call(
  method: string,
  path: string,
  opts: { as?: TestUser; headers?: Record<string, string | null>; body?: Buffer } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const wanted: Record<string, string | null> = {
    Authorization: basic(opts.as ?? ANALYST),
    Accept: TAXII,
    ...(opts.body ? { 'Content-Type': TAXII, 'Content-Length': String(opts.body.length) } : {}),
    ...opts.headers,
  };
  for (const [k, v] of Object.entries(wanted)) if (v !== null) headers[k] = v;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface RawReply {
  /** everything received, as Latin-1 */
  data: string;
  statusLine: string;
  body: string;
  /** the server closed the connection */
  closed: boolean;
}

/**
 * Writes `bytes` to a new TCP connection and collects the answer: until the server closes, or a
 * response with a Content-Length is complete, or 3 s have passed.
 */
function rawRequest(bytes: Buffer): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const end = data.indexOf('\r\n\r\n');
      resolve({
        data,
        statusLine: data.slice(0, Math.max(0, data.indexOf('\r\n'))),
        body: end < 0 ? '' : data.slice(end + 4),
        closed,
      });
    };
    const timer = setTimeout(finish, 3_000);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)\r\n/i.exec(data.slice(0, end + 2));
      // A complete answer on a connection the server keeps open: done, unless it announced a close.
      if (end >= 0 && length && data.length - end - 4 >= Number(length[1]) && !/\r\nconnection: *close/i.test(data))
        finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(bytes);
  });
}

/** Asserts a TAXII error resource: status, media type, error_code, title, error_id and description, exactly. */
function expectTaxiiError(res: Reply, e: TaxiiErrorExpect, what: string): void {
  const label = `${what} → ${res.status} ${res.text.slice(0, 600)}`;
  expect(res.status, label).to.equal(e.status);
  expect(res.headers['content-type'], label).to.equal(TAXII);
  expect(res.json.error_code, label).to.equal(e.error_code);
  expect(res.json.http_status, label).to.equal(String(e.status));
  expect(res.json.title, label).to.equal(TITLES[e.status]);
  expect(res.json.error_id, label).to.equal(res.headers['x-request-id']);
  expect(res.json.description, label).to.equal(e.description);
  if (e.details !== undefined) expect(res.json.details, label).to.deep.equal(e.details);
  expect(res.text, `${label}: no internals`).not.to.match(/ at .*\.(ts|js):\d+|node_modules|Error:/);
}

/** Asserts an RFC 9457 problem document of the admin API. */
function expectProblem(res: Reply, c: AdminCase, what: string): void {
  const e = c.expect;
  const label = `${what} → ${res.status} ${res.text.slice(0, 600)}`;
  const status = c.or_status !== undefined && res.status === c.or_status ? c.or_status : e.status;
  expect(res.status, label).to.equal(status);
  expect(res.headers['content-type'], label).to.equal('application/problem+json');
  expect(res.json.type, label).to.equal('about:blank');
  expect(res.json.status, label).to.equal(status);
  expect(res.json.title, label).to.equal(TITLES[status]);
  expect(res.json.request_id, label).to.equal(res.headers['x-request-id']);
  if (status === e.status) expect(res.json.error_code, label).to.equal(e.error_code);
  else expect(res.json.error_code, label).to.equal('unsupported-media-type');
  expect(res.json.detail, label).to.be.a('string');
  if (typeof e.detail === 'string') expect(res.json.detail, label).to.equal(e.detail);
  if (e.detail_match !== undefined) expect(res.json.detail, label).to.match(new RegExp(e.detail_match, 'i'));
  if (e.details !== undefined) expect(res.json.details, label).to.deep.equal(e.details);
}

// ---- the store --------------------------------------------------------------------------------------

let app: TestApp;

/** The store once the ingestion worker has nothing left in hand. */
async function settledSnapshot(): Promise<StoreSnapshot> {
  const deadline = Date.now() + 10_000;
  while ((await app.container.store.jobs.countQueued()) > 0) {
    if (Date.now() > deadline) throw new Error('add-objects jobs still queued after 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  return snapshotStore(app.container.store);
}

/** Asserts that nothing changed, or that exactly these object versions (by collection and id) were added. */
function expectStoreDiff(before: StoreSnapshot, after: StoreSnapshot, what: string, addedIds: string[] = []): void {
  const d = describeDiff(diffSnapshots(before, after));
  expect(
    { ...d, added: d.added.map((k) => k.split(' ').slice(0, 2).join(' ')).sort() },
    `${what}: the store holds what it held before plus the valid objects of the request`,
  ).to.deep.equal({
    added: addedIds.map((id) => `${C1} ${id}`).sort(),
    removed: [],
    changed: [],
    queuedJobs: 0,
    tenants: { added: [], removed: [], changed: [] },
  });
}

/** Polls the status resource of a queued POST until it is complete (20 s at most). */
async function finalStatus(id: string, as: TestUser = ANALYST): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const st = await call('GET', `/${ROOT}/status/${id}/`, { as });
    expect(st.status, `status ${id}: ${st.text}`).to.equal(200);
    if (st.json.status === 'complete') return st.json;
    if (Date.now() > deadline) throw new Error(`status ${id} still not complete after 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POSTs an envelope and waits for the outcome; returns the final status. */
async function postAndWait(path: string, body: Buffer, as: TestUser = ANALYST): Promise<Record<string, unknown>> {
  const res = await call('POST', path, { as, body });
  expect(res.status, res.text).to.equal(202);
  return finalStatus(res.json.id as string, as);
}

/** The elements of a corpus envelope with this id, as JSON.parse reads them (for byte comparisons). */
function elementsWithId(file: Buffer, id: string): unknown[] {
  try {
    const env = JSON.parse(file.toString('utf8')) as { objects?: unknown[] };
    return (env.objects ?? []).filter((o) => (o as { id?: unknown } | null)?.id === id);
  } catch {
    return [];
  }
}

// ---- the suite --------------------------------------------------------------------------------------

describe('Bad input over HTTP: exact answers, and the store keeps only the valid objects (issue 8 item 6)', function () {
  this.timeout(60_000);
  let server: Server;
  const objectsPath = (c = C1): string => `/${ROOT}/collections/${c}/objects/`;
  const valid = JSON.parse(corpus('valid-envelope.json').toString('utf8')) as { objects: { id: string }[] };
  const KNOWN = valid.objects[0]?.id as string;
  const KNOWN2 = valid.objects[1]?.id as string;

  before(async () => {
    app = await startTestApp({ config: CONFIG });
    const limits = app.container.config.server.limits;
    server = createServer(httpServerOptions(limits), buildApp(app.container));
    applyConnectionLimits(server, limits, silentLogger);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    // Two objects in C1, the first in two versions; three in C2 (which only admins see).
    await postAndWait(objectsPath(), corpus('valid-envelope.json'));
    const newer = { ...(valid.objects[0] as Record<string, unknown>), modified: '2024-06-01T00:00:00.000Z' };
    await postAndWait(objectsPath(), Buffer.from(JSON.stringify({ objects: [newer] })));
    const c2 = envelope(indicator('bad-input-c2-a'), indicator('bad-input-c2-b'), indicator('bad-input-c2-c'));
    await postAndWait(objectsPath(C2), Buffer.from(JSON.stringify(c2)), ADMIN);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });

  describe('BI-01 POST bodies: envelope-level refusals leave the store as it was; per-object failures are exact and only the valid objects are stored', () => {
    for (const [i, c] of MANIFEST.posts.entries()) {
      const what = `posts[${i}] ${c.file}${c.content_encoding ? ` (${c.content_encoding})` : ''}${c.content_type !== undefined ? ` (${c.content_type})` : ''}${c.accept !== undefined ? ` (Accept ${c.accept})` : ''}`;
      it(`BI-01 [${c.class}] ${what}: ${c.note}`, async () => {
        const body = corpus(c.file);
        const headers: Record<string, string | null> = {};
        if (c.content_encoding !== undefined) headers['Content-Encoding'] = c.content_encoding;
        if (c.content_type !== undefined) headers['Content-Type'] = c.content_type;
        if (c.accept !== undefined) headers.Accept = c.accept;
        const before = await settledSnapshot();
        const res = await call('POST', objectsPath(), { body, headers });
        if (c.expect.status !== 202) {
          expectTaxiiError(res, c.expect as TaxiiErrorExpect, what);
          expectStoreDiff(before, await settledSnapshot(), what);
          return;
        }
        const e = c.expect as { successes: StatusDetail[]; failures: StatusDetail[] };
        expect(res.status, `${what}: ${res.text}`).to.equal(202);
        expect(res.headers['content-type'], what).to.equal(TAXII);
        const total = e.successes.length + e.failures.length;
        expect(res.json.total_count, what).to.equal(total);
        const st = await finalStatus(res.json.id as string);
        expect(
          { successes: st.successes ?? [], failures: st.failures ?? [] },
          `${what}: the final status lists every outcome with its reason`,
        ).to.deep.equal({ successes: e.successes, failures: e.failures });
        expect([st.total_count, st.success_count, st.failure_count, st.pending_count], what).to.deep.equal([
          total,
          e.successes.length,
          e.failures.length,
          0,
        ]);
        const fresh = e.successes.filter((s) => s.message !== 'already present').map((s) => s.id);
        const after = await settledSnapshot();
        expectStoreDiff(before, after, what, fresh);
        // What was stored is what was sent: one of the sent elements with that id, byte for byte.
        // (Compressed corpus files are not read back here.)
        if (c.content_encoding === undefined) {
          for (const v of diffSnapshots(before, after).added) {
            const sent = elementsWithId(body, v.id).map((o) => JSON.stringify(o));
            expect(sent, `${what}: ${v.id} stored verbatim`).to.include(v.json);
          }
        }
      });
    }

    it('BI-01 Object.prototype is untouched after the whole corpus', () => {
      const probe = {} as Record<string, unknown>;
      expect([probe.polluted, probe.isAdmin, probe.role]).to.deep.equal([undefined, undefined, undefined]);
    });

    it('BI-02 objects with constructor, prototype and $-named members inside values are served back exactly as sent', async () => {
      const sent = JSON.parse(corpus('post-proto-keys.json').toString('utf8')) as {
        objects: Record<string, unknown>[];
      };
      const mongo = JSON.parse(corpus('post-mongo-keys.json').toString('utf8')) as {
        objects: Record<string, unknown>[];
      };
      const stored = [
        sent.objects.find((o) => o.name === 'constructor-keys'),
        sent.objects.find((o) => o.name === 'constructor-deep'),
        mongo.objects.find((o) => o.name === 'mongo-gt-nested'),
        mongo.objects.find((o) => o.name === 'mongo-set-nested'),
        mongo.objects.find((o) => o.name === 'mongo-dotted-nested'),
        mongo.objects.find((o) => o.name === 'mongo-regex-array'),
      ];
      for (const obj of stored) {
        const id = (obj as { id: string }).id;
        const res = await call('GET', `${objectsPath()}${id}/`);
        expect(res.status, res.text).to.equal(200);
        expect(res.text, id).to.equal(`{"more":false,"objects":[${JSON.stringify(obj)}]}`);
      }
      // A filter on a type named like an Object.prototype member finds nothing and breaks nothing.
      const res = await call('GET', `${objectsPath()}?match[type]=constructor`);
      expect([res.status, res.text]).to.deep.equal([200, '{}']);
    });
  });

  describe('BI-03 query parameters (operators, dotted and prototype names, timestamps, ids, repeats, bad UTF-8) on every endpoint they concern', () => {
    const path = (endpoint: Endpoint): [string, string] => {
      switch (endpoint) {
        case 'objects':
          return ['GET', objectsPath()];
        case 'manifest':
          return ['GET', `/${ROOT}/collections/${C1}/manifest/`];
        case 'object':
          return ['GET', `${objectsPath()}${KNOWN}/`];
        case 'versions':
          return ['GET', `${objectsPath()}${KNOWN}/versions/`];
        case 'delete':
          return ['DELETE', `${objectsPath()}${UNKNOWN}/`];
      }
    };
    const plain = new Map<Endpoint, Reply>();
    // GETs change nothing and the DELETEs name an unknown object: one reading of the store before
    // all the queries and one after them.
    let storeBefore: StoreSnapshot;
    before(async () => {
      storeBefore = await settledSnapshot();
      for (const endpoint of ['objects', 'manifest', 'object', 'versions', 'delete'] as const) {
        const [method, p] = path(endpoint);
        plain.set(endpoint, await call(method, p));
      }
      expect(plain.get('delete')?.status).to.equal(404);
    });

    for (const c of MANIFEST.queries) {
      it(`BI-03 [${c.class}] ?${c.query} on ${c.endpoints.join(', ')}${c.note ? `: ${c.note}` : ''}`, async () => {
        const query = c.query.replace('{KNOWN_UUID}', KNOWN.slice('indicator--'.length));
        for (const endpoint of c.endpoints) {
          const [method, p] = path(endpoint);
          const what = `${method} ${endpoint}?${query}`;
          const res = await call(method, `${p}?${query}`);
          if ('same_as_plain' in c.expect) {
            const base = plain.get(endpoint) as Reply;
            expect(res.status, `${what} → ${res.text}`).to.equal(base.status);
            if (base.status === 200) expect(res.text, what).to.equal(base.text);
            else expect({ ...res.json, error_id: '' }, what).to.deep.equal({ ...base.json, error_id: '' });
          } else if ('empty' in c.expect) {
            expect([res.status, res.text], what).to.deep.equal([200, '{}']);
          } else {
            expectTaxiiError(res, c.expect, what);
          }
        }
      });
    }

    it('BI-03 the store is unchanged after every query', async () => {
      expectStoreDiff(storeBefore, await settledSnapshot(), 'queries');
    });
  });

  it('BI-04 10,000 parameters, 10,000 values, and a request line past max_header_size', async () => {
    const base = await call('GET', objectsPath());
    const unknown = Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&');
    const many = await call('GET', `${objectsPath()}?${unknown}`);
    expect([many.status, many.text], '10,000 unknown parameters are ignored').to.deep.equal([200, base.text]);

    const values = Array.from({ length: 10_000 }, (_, i) => `t${i}`).join(',');
    expectTaxiiError(
      await call('GET', `${objectsPath()}?match[type]=${values}`),
      { status: 400, error_code: 'invalid-request', description: 'match[type] accepts at most 1000 values.' },
      '10,000 values in one match[type]',
    );
    const repeated = Array.from({ length: 10_000 }, () => 'match[type]=indicator').join('&');
    expectTaxiiError(
      await call('GET', `${objectsPath()}?${repeated}`),
      {
        status: 400,
        error_code: 'invalid-request',
        description: 'The parameter match[type] must not appear more than once.',
        details: { parameter: 'match[type]' },
      },
      '10,000 copies of match[type]',
    );
    // Past max_header_size, Node's HTTP parser answers 431 before the app sees the request.
    const long = await rawRequest(
      Buffer.from(
        `GET ${objectsPath()}?x=${'a'.repeat(MAX_HEADER_SIZE)} HTTP/1.1\r\nHost: palisade.test\r\n` +
          `Authorization: ${basic(ANALYST)}\r\n\r\n`,
      ),
    );
    expect(long.statusLine).to.equal('HTTP/1.1 431 Request Header Fields Too Large');
    expect(long.closed, 'the connection is closed').to.equal(true);
  });

  it('BI-05 tampered and foreign next cursors: 400, or the 404 of a collection the caller cannot see', async () => {
    const before = await settledSnapshot();
    const first = await call('GET', `${objectsPath()}?limit=1`);
    const next = first.json.next as string;
    expect(next, first.text).to.be.a('string');
    const INVALID = 'The next parameter is not a cursor issued by this server.';
    const FOREIGN = 'The next parameter belongs to a different query: repeat the original filters unchanged with it.';
    const bad = (description: string) => ({ status: 400, error_code: 'invalid-request', description });
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flip = (s: string, at: number, mask: number): string => {
      const v = ALPHABET.indexOf(s[at] as string);
      return s.slice(0, at) + (ALPHABET[v ^ mask] as string) + s.slice(at + 1);
    };
    const dot = next.indexOf('.');
    const tampered: [string, string][] = [
      ['first byte of the position', flip(next, 0, 0b100000)],
      ['middle of the position', flip(next, Math.floor(dot / 2), 0b000100)],
      ['last byte of the position', flip(next, dot - 1, 0b100000)],
      ['first byte of the signature', flip(next, dot + 1, 0b100000)],
      ['last byte of the signature', flip(next, next.length - 1, 0b100000)],
      ['a digit appended', `${next}A`],
      ['the last digit removed', next.slice(0, -1)],
      ['no signature', next.slice(0, dot)],
      ['no position', next.slice(dot)],
      ['the dot alone', '.'],
      ['two dots', `${next}.${next.slice(dot + 1)}`],
      ['an operator', '{"$gt":""}'],
    ];
    for (const [what, cursor] of tampered) {
      const c = cursor.includes('%') ? cursor : encodeURIComponent(cursor);
      expectTaxiiError(await call('GET', `${objectsPath()}?limit=1&next=${c}`), bad(INVALID), `next: ${what}`);
    }
    const enc = encodeURIComponent(next);
    // Bound to the endpoint, the filters, the object and the user; not to limit.
    expectTaxiiError(await call('GET', `/${ROOT}/collections/${C1}/manifest/?next=${enc}`), bad(FOREIGN), 'manifest');
    expectTaxiiError(await call('GET', `${objectsPath()}?match[type]=indicator&next=${enc}`), bad(FOREIGN), 'filter');
    expectTaxiiError(
      await call('GET', `${objectsPath()}?added_after=2000-01-01T00:00:00Z&next=${enc}`),
      bad(FOREIGN),
      'added_after',
    );
    expectTaxiiError(await call('GET', `${objectsPath()}${KNOWN}/?next=${enc}`), bad(FOREIGN), 'object endpoint');
    expectTaxiiError(await call('GET', `${objectsPath()}?next=${enc}`, { as: READER }), bad(FOREIGN), 'another user');
    expect((await call('GET', `${objectsPath()}?limit=5&next=${enc}`)).status, 'limit may change').to.equal(200);

    // A versions cursor of one object on another object.
    const v1 = await call('GET', `${objectsPath()}${KNOWN}/versions/?limit=1`);
    const vnext = encodeURIComponent(v1.json.next as string);
    expectTaxiiError(await call('GET', `${objectsPath()}${KNOWN2}/versions/?next=${vnext}`), bad(FOREIGN), 'object');
    const o1 = await call('GET', `${objectsPath()}${KNOWN}/?match[version]=all&limit=1`);
    const onext = encodeURIComponent(o1.json.next as string);
    expectTaxiiError(
      await call('GET', `${objectsPath()}${KNOWN2}/?match[version]=all&next=${onext}`),
      bad(FOREIGN),
      'object, all versions',
    );

    // A cursor of C2 (admin only) on C1, and in the hands of a caller who cannot see C2.
    const c2 = await call('GET', `${objectsPath(C2)}?limit=1`, { as: ADMIN });
    const c2next = encodeURIComponent(c2.json.next as string);
    expectTaxiiError(
      await call('GET', `${objectsPath()}?next=${c2next}`, { as: ADMIN }),
      bad(FOREIGN),
      'another collection',
    );
    expectTaxiiError(
      await call('GET', `${objectsPath(C2)}?next=${c2next}`, { as: ANALYST }),
      { status: 404, error_code: 'not-found', description: 'There is no such collection in this API root.' },
      'a cursor of a collection the caller cannot see',
    );
    expectStoreDiff(before, await settledSnapshot(), 'cursors');
  });

  it('BI-05 a cursor whose signature is spelt differently but decodes to the same bytes is refused like any other alteration', async () => {
    // base64url in Node is lenient: characters outside the alphabet (NUL, "!", a space, "=") are
    // skipped, and the last of the 43 digits of a 32-byte signature carries 2 unused bits. Each
    // spelling below is a cursor the server never issued.
    const first = await call('GET', `${objectsPath()}?limit=1`);
    const next = first.json.next as string;
    const dot = next.indexOf('.');
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(next.at(-1) as string);
    const variants: [string, string][] = [
      ['unused bits of the last digit changed', encodeURIComponent(next.slice(0, -1) + (ALPHABET[last ^ 1] as string))],
      ['NUL appended', `${encodeURIComponent(next)}%00`],
      ['"!" inside the signature', encodeURIComponent(`${next.slice(0, dot + 5)}!${next.slice(dot + 5)}`)],
      ['a space inside the signature', encodeURIComponent(`${next.slice(0, dot + 5)} ${next.slice(dot + 5)}`)],
      ['"=" padding appended', encodeURIComponent(`${next}=`)],
    ];
    const answers = [];
    for (const [what, cursor] of variants) {
      const res = await call('GET', `${objectsPath()}?limit=1&next=${cursor}`);
      answers.push([what, res.status, res.json.description]);
    }
    expect(answers, JSON.stringify(answers)).to.deep.equal(
      variants.map(([what]) => [what, 400, 'The next parameter is not a cursor issued by this server.']),
    );
  });

  describe('BI-06 encoded path traversal in API root, collection, object and status ids', () => {
    for (const c of MANIFEST.paths) {
      it(`BI-06 ${c.method} ${c.path}${c.note ? `: ${c.note}` : ''}`, async () => {
        const before = await settledSnapshot();
        const p = c.path.replaceAll('{C1}', C1).replaceAll('{C2}', C2).replaceAll('{KNOWN}', KNOWN);
        const body = c.method === 'POST' ? corpus('valid-envelope.json') : undefined;
        expectTaxiiError(await call(c.method, p, body ? { body } : {}), c.expect, `${c.method} ${p}`);
        expectStoreDiff(before, await settledSnapshot(), p);
      });
    }
  });

  it('BI-07 bad input on what the caller cannot see or read answers like good input (no existence leak)', async () => {
    const before = await settledSnapshot();
    const NOCOLL = {
      status: 404,
      error_code: 'not-found',
      description: 'There is no such collection in this API root.',
    };
    const NOROOT = { status: 404, error_code: 'not-found', description: `There is no API root at /${ROOT}/.` };
    const READONLY = {
      status: 403,
      error_code: 'forbidden',
      description: 'You may add objects to this collection but not read it.',
    };
    interface LeakCase {
      what: string;
      as: TestUser;
      method: string;
      path: string;
      body?: Buffer;
      headers?: Record<string, string>;
      expect: TaxiiErrorExpect;
    }
    const cases: LeakCase[] = [
      {
        what: 'bad limit, hidden collection',
        as: READER,
        method: 'GET',
        path: `${objectsPath(C2)}?limit=abc`,
        expect: NOCOLL,
      },
      {
        what: 'operator, hidden collection',
        as: READER,
        method: 'GET',
        path: `${objectsPath(C2)}?match[id]={"$gt":""}`,
        expect: NOCOLL,
      },
      {
        what: 'bad limit, invisible API root',
        as: NOBODY,
        method: 'GET',
        path: `${objectsPath()}?limit=abc`,
        expect: NOROOT,
      },
      {
        what: 'malformed body, hidden collection',
        as: READER,
        method: 'POST',
        path: objectsPath(C2),
        body: corpus('../env-truncated.json'),
        expect: NOCOLL,
      },
      {
        what: 'gzip bomb, hidden collection',
        as: READER,
        method: 'POST',
        path: objectsPath(C2),
        body: corpus('bomb-3mb.gz'),
        headers: { 'Content-Encoding': 'gzip' },
        expect: NOCOLL,
      },
      {
        what: 'traversal, hidden collection',
        as: READER,
        method: 'GET',
        path: `/${ROOT}/collections/%2e%2e%2f${C2}/`,
        expect: NOCOLL,
      },
      {
        what: 'bad version, hidden collection',
        as: READER,
        method: 'DELETE',
        path: `${objectsPath(C2)}${UNKNOWN}/?match[version]=$gt`,
        expect: NOCOLL,
      },
      {
        what: 'bad next, write-only',
        as: WRITER,
        method: 'GET',
        path: `${objectsPath()}?next=garbage`,
        expect: READONLY,
      },
      {
        what: 'bad added_after, write-only',
        as: WRITER,
        method: 'GET',
        path: `${objectsPath()}${KNOWN}/?added_after=2024-13-01T00:00:00Z`,
        expect: READONLY,
      },
    ];
    for (const c of cases) {
      const res = await call(c.method, c.path, {
        as: c.as,
        ...(c.headers ? { headers: c.headers } : {}),
        ...(c.body ? { body: c.body } : {}),
      });
      expectTaxiiError(res, c.expect, `${c.what} as ${c.as.name}`);
    }
    expectStoreDiff(before, await settledSnapshot(), 'hidden');
  });

  describe('BI-08 raw requests: bytes in the URL, CR/LF and NUL in headers, bad Content-Length, smuggling', () => {
    for (const c of MANIFEST.raw) {
      it(`BI-08 [${c.class}] ${c.note}`, async () => {
        const before = await settledSnapshot();
        const text = c.request
          .replaceAll('{AUTH}', basic(ANALYST))
          .replaceAll('{C1}', C1)
          .replaceAll('{C2}', C2)
          .replaceAll('{KNOWN}', KNOWN);
        const res = await rawRequest(Buffer.from(text, 'latin1'));
        const what = `${c.note} → ${res.data.slice(0, 300)}`;
        expect(res.statusLine, what).to.equal(c.expect.status_line);
        expect(res.data, `${what}: no injected header comes back`).not.to.match(/\r\nInjected:/i);
        if (c.expect.closes) expect(res.closed, `${what}: the connection is closed`).to.equal(true);
        if (c.expect.taxii) {
          const json = JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')) as Record<string, unknown>;
          const header = (name: string): string | undefined =>
            new RegExp(`\\r\\n${name}: *([^\\r]+)`, 'i').exec(res.data)?.[1];
          expectTaxiiError(
            {
              status: Number(res.statusLine.split(' ')[1]),
              headers: { 'content-type': header('content-type'), 'x-request-id': header('x-request-id') },
              text: res.body,
              json,
            },
            c.expect.taxii,
            what,
          );
        }
        expectStoreDiff(before, await settledSnapshot(), c.note);
      });
    }
  });

  it('BI-09 headers beyond server.limits.max_headers_count (100) are ignored, credentials among them', async () => {
    const junk = Array.from({ length: 150 }, (_, i) => `X-Junk-${i}: ${i}\r\n`).join('');
    const last = await rawRequest(
      Buffer.from(`GET /taxii2/ HTTP/1.1\r\nHost: palisade.test\r\n${junk}Authorization: ${basic(ANALYST)}\r\n\r\n`),
    );
    expect(last.statusLine, last.data.slice(0, 200)).to.equal('HTTP/1.1 401 Unauthorized');
    const body = JSON.parse(last.body) as Record<string, unknown>;
    expect([body.error_code, body.description]).to.deep.equal([
      'unauthenticated',
      'Valid credentials are required (HTTP Basic, a token, or a client certificate).',
    ]);
    const firstAuth = await rawRequest(
      Buffer.from(`GET /taxii2/ HTTP/1.1\r\nHost: palisade.test\r\nAuthorization: ${basic(ANALYST)}\r\n${junk}\r\n`),
    );
    expect(firstAuth.statusLine, firstAuth.data.slice(0, 200)).to.equal('HTTP/1.1 200 OK');
  });

  describe('BI-10 admin API: RFC 9457 problems for hostile bodies and parameters; tenants, grants and objects unchanged', () => {
    const grantsPath = `/admin/collections/${C1}/grants`;
    for (const [i, c] of MANIFEST.admin.entries()) {
      const p = c.path.replaceAll('{C1}', C1);
      const what = `admin[${i}] ${c.method} ${p} ${c.file ?? ''}${c.content_encoding ? ` (${c.content_encoding})` : ''}${c.content_type ? ` (${c.content_type})` : ''}`;
      it(`BI-10 ${what}${c.note ? `: ${c.note}` : ''}`, async () => {
        const headers: Record<string, string | null> = { Accept: 'application/json' };
        if (c.file) headers['Content-Type'] = c.content_type ?? 'application/json';
        if (c.content_encoding) headers['Content-Encoding'] = c.content_encoding;
        const grantsBefore = (await call('GET', grantsPath, { as: ADMIN })).text;
        const before = await snapshotStore(app.container.store);
        const res = await call(c.method, p, { as: ADMIN, headers, ...(c.file ? { body: corpus(c.file) } : {}) });
        const d = describeDiff(diffSnapshots(before, await snapshotStore(app.container.store)));
        if (c.expect.status === 201) {
          expect(res.status, `${what} → ${res.text}`).to.equal(201);
          expect(d.tenants, what).to.deep.equal({ added: [c.created], removed: [], changed: [] });
          if (c.name !== undefined) expect(res.json.name, what).to.equal(c.name);
        } else if (c.expect.status === 200) {
          expect(res.status, `${what} → ${res.text}`).to.equal(200);
          expect((res.json.records as unknown[]).length, what).to.equal(c.expect.records);
        } else {
          expectProblem(res, c, what);
          expect(d.tenants, `${what}: tenants unchanged`).to.deep.equal({ added: [], removed: [], changed: [] });
        }
        expect([d.added, d.removed, d.changed], `${what}: objects unchanged`).to.deep.equal([[], [], []]);
        expect((await call('GET', grantsPath, { as: ADMIN })).text, `${what}: grants unchanged`).to.equal(grantsBefore);
      });
    }
  });

  it('BI-12 an identity body under the max_content_length the API root advertises is read (ingest.max_decompressed_bytes is for decoded content codings)', async () => {
    const root = await call('GET', `/${ROOT}/`);
    expect(root.json.max_content_length).to.equal(10485760);
    // 1.1 MB: over ingest.max_decompressed_bytes (1 MiB here), far under max_content_length.
    const pad = `{"type":"x-pad","x_pad":"${'a'.repeat(1_100_000)}"}`;
    const valid = JSON.stringify(indicator('bad-input-big-body'));
    const body = Buffer.from(`{"objects":[${valid},${pad}]}`);
    const before = await settledSnapshot();
    const res = await call('POST', objectsPath(), { body });
    expect(res.status, `${res.status} ${res.text}`).to.equal(202);
    const st = await finalStatus(res.json.id as string);
    expect(st.failures).to.deep.equal([
      { id: 'objects[1]', version: '', message: 'the object is 1100027 bytes long, more than max_object_bytes (4096)' },
    ]);
    expectStoreDiff(before, await settledSnapshot(), 'big identity body', [indicator('bad-input-big-body').id]);
  });

  it('BI-11 admin API: what an accepted tenant name holds is what the client sent', async () => {
    // Control for BI-10: a valid non-ASCII name survives the round trip through the store.
    const name = 'Caf\u00e9 \u{1F600}';
    const res = await call('POST', '/admin/tenants', {
      as: ADMIN,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ id: 'utf8-tenant', name })),
    });
    expect(res.status, res.text).to.equal(201);
    const back = await call('GET', '/admin/tenants/utf8-tenant', {
      as: ADMIN,
      headers: { Accept: 'application/json' },
    });
    expect(back.json.name).to.equal(name);
  });
});
