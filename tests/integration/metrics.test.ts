// Operations: the Prometheus scrape (/metrics) and the request log, on the real app and store.
// Counters are read from the scrape text before and after real requests; labels must be route
// templates, never API roots, collections, object ids or usernames. Access: platform admins by
// default, a bearer token (ops.metrics.token_env), anonymous (allow_anonymous), disabled, and the
// separate operations listener (ops.metrics.port) of a real server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino, type Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import supertest from 'supertest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { Metrics } from '../../src/ops/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { envelope, indicator, malware } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  TEST_BACKEND,
  TEST_CONFIG,
  WRITER,
  objectPath,
  objectsPath,
  restartableStore,
  startTestApp,
  type TestApp,
} from '../helpers/test-app.js';
import { mongoTestUri } from '../helpers/mongo-url.js';

const PROM = 'text/plain; version=0.0.4; charset=utf-8';
const TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (format 0.0.4). */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of one sample (0 when absent: a counter not yet moved has no sample). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

async function scrape(app: TestApp): Promise<Sample[]> {
  const res = await app.http.get('/metrics').auth(ADMIN.name, ADMIN.password).expect(200);
  expect(res.headers['content-type']).to.equal(PROM);
  return parseExposition(res.text);
}

const OBJECTS_ROUTE = '/:root/collections/:collection/objects/';

describe('Prometheus metrics (/metrics)', function () {
  this.timeout(120_000);

  describe('default access: platform administrators on the public port', () => {
    let app: TestApp;
    const ind = indicator('metrics-ind');
    const mal = malware('metrics-mal');
    before(async () => {
      app = await startTestApp();
    });
    after(async () => app?.close());

    it('answers 401 without credentials, 403 to a member and 200 (text format 0.0.4) to a platform admin', async () => {
      const anon = await app.http.get('/metrics').expect(401);
      expect(anon.headers['content-type']).to.equal('application/problem+json');
      expect(anon.body).to.include({ status: 401, request_id: anon.headers['x-request-id'] });
      const member = await app.http.get('/metrics').auth(ANALYST.name, ANALYST.password).expect(403);
      expect(member.headers['content-type']).to.equal('application/problem+json');
      const admin = await app.http.get('/metrics').auth(ADMIN.name, ADMIN.password).expect(200);
      expect(admin.headers['content-type']).to.equal(PROM);
      expect(admin.headers['cache-control']).to.equal('no-store');
      expect(admin.text).to.include('# TYPE palisade_http_requests_total counter');
      expect(admin.text).to.include('# TYPE palisade_ingest_queue_depth gauge');
    });

    it('counts ingested objects by outcome: added, duplicate, failed', async () => {
      const before = await scrape(app);
      const first = await app.post(objectsPath(), envelope(ind, mal)).expect(202);
      expect(first.body.success_count).to.equal(2);
      // one duplicate, one invalid object (bad id)
      const second = await app
        .post(objectsPath(), envelope(ind, { type: 'indicator', id: 'indicator--nope' }))
        .expect(202);
      expect(second.body).to.include({ success_count: 1, failure_count: 1 });
      const after = await scrape(app);
      const delta = (outcome: string): number =>
        valueOf(after, 'palisade_objects_ingested_total', { outcome }) -
        valueOf(before, 'palisade_objects_ingested_total', { outcome });
      expect({ added: delta('added'), duplicate: delta('duplicate'), failed: delta('failed') }).to.deep.equal({
        added: 2,
        duplicate: 1,
        failed: 1,
      });
    });

    it('counts requests by route template, method and status, and objects served by TAXII pages', async () => {
      const before = await scrape(app);
      const list = await app.get(objectsPath()).expect(200);
      const listed = (list.body.objects as unknown[]).length;
      expect(listed).to.equal(2);
      await app.get(`${objectPath(ind.id)}`).expect(200);
      await app.get(`/${ROOT}/collections/${C1}/manifest/?limit=1`).expect(200);
      await app.http.get(objectsPath()).set('Accept', TAXII).expect(401); // refused before routing
      const after = await scrape(app);
      const requests = (labels: Record<string, string>): number =>
        valueOf(after, 'palisade_http_requests_total', labels) -
        valueOf(before, 'palisade_http_requests_total', labels);
      expect(requests({ route: OBJECTS_ROUTE, method: 'GET', status: '200' })).to.equal(1);
      expect(requests({ route: OBJECTS_ROUTE, method: 'GET', status: '401' })).to.equal(1);
      expect(
        requests({ route: '/:root/collections/:collection/objects/:object/', method: 'GET', status: '200' }),
      ).to.equal(1);
      expect(requests({ route: '/:root/collections/:collection/manifest/', method: 'GET', status: '200' })).to.equal(1);
      // the previous scrape itself, under its own template
      expect(requests({ route: '/metrics', method: 'GET', status: '200' })).to.equal(1);
      const count = (labels: Record<string, string>): number =>
        valueOf(after, 'palisade_http_request_duration_seconds_count', labels) -
        valueOf(before, 'palisade_http_request_duration_seconds_count', labels);
      expect(count({ route: OBJECTS_ROUTE, method: 'GET' })).to.equal(2);
      const served = valueOf(after, 'palisade_objects_served_total') - valueOf(before, 'palisade_objects_served_total');
      expect(served).to.equal(listed + 1 + 1);
      // every store call is timed, at least the page queries behind these requests
      expect(
        valueOf(after, 'palisade_store_query_duration_seconds_count', { method: 'objects.queryObjects' }),
      ).to.be.at.least(3);
    });

    it('counts failed sign-ins by scheme, from a fixed set whatever the client sent', async () => {
      const before = await scrape(app);
      await app.http.get('/taxii2/').auth(ANALYST.name, 'wrong-password').expect(401);
      await app.http.get('/taxii2/').set('Authorization', 'Bearer pal_0000000000000000_nope').expect(401);
      await app.http.get('/taxii2/').set('Authorization', 'Snowflake tenant-secret-scheme').expect(401);
      const after = await scrape(app);
      const failures = (scheme: string): number =>
        valueOf(after, 'palisade_login_failures_total', { scheme }) -
        valueOf(before, 'palisade_login_failures_total', { scheme });
      expect({ basic: failures('basic'), token: failures('token'), other: failures('other') }).to.deep.equal({
        basic: 1,
        token: 1,
        other: 1,
      });
      const schemes = after.filter((s) => s.name === 'palisade_login_failures_total').map((s) => s.labels.scheme);
      expect(schemes).to.not.include('snowflake');
    });

    it('labels name no API root, collection, object, tenant or user: unknown paths are templates or unmatched', async () => {
      await app.get(`/${ROOT}/collections/${C1}/nothing-here/`).expect(404);
      await app.get('/tenant-secret-root/').expect(404);
      await app.get(objectPath(indicator('metrics-absent').id)).expect(404);
      await app.get('/console-secret/deeper/still/deeper/').expect(404);
      const res = await app.http.get('/metrics').auth(ADMIN.name, ADMIN.password).expect(200);
      const samples = parseExposition(res.text);
      const routes = new Set(
        samples.filter((s) => s.name === 'palisade_http_requests_total').map((s) => s.labels.route),
      );
      expect(routes).to.include('unmatched');
      expect(routes).to.include('/:root/');
      for (const route of routes) expect(route === 'unmatched' || route?.startsWith('/'), String(route)).to.equal(true);
      for (const secret of [
        C1,
        `/${ROOT}/`,
        'state-linked',
        'tenant-secret-root',
        'console-secret',
        ind.id,
        indicator('metrics-absent').id,
        ADMIN.name,
        ANALYST.name,
        NOBODY.name,
      ]) {
        expect(res.text, `the scrape names ${secret}`).to.not.include(secret);
      }
    });

    it('reads the ingestion queue depth from the store at each scrape', async () => {
      const samples = await scrape(app);
      expect(samples.find((s) => s.name === 'palisade_ingest_queue_depth')?.value).to.equal(0);
    });

    it('reads the analyst index backlog from the store at each scrape: none once the store has applied it', async () => {
      await app.post(objectsPath(), envelope(indicator('metrics-backlog'))).expect(202);
      const backlog = async (): Promise<number | undefined> =>
        (await scrape(app)).find((s) => s.name === 'palisade_analyst_index_backlog')?.value;
      const deadline = Date.now() + 10_000;
      while ((await backlog()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await backlog()).to.equal(0);
    });

    it('/healthz and /readyz stay open and name nothing', async () => {
      const h = await app.http.get('/healthz').expect(200);
      const r = await app.http.get('/readyz').expect(200);
      expect(h.body).to.deep.equal({ status: 'ok' });
      expect(r.body).to.deep.equal({ status: 'ready' });
    });
  });

  it('the store call histogram exposes exactly what a prom-client Histogram would for the same calls', async () => {
    // src/ops/metrics.ts keeps store timings in plain arrays (the hot path) and builds the series at
    // scrape time: they must read as prom-client's own histogram does.
    const metrics = new Metrics(async () => 0);
    const reference = new Registry();
    const name = 'palisade_store_query_duration_seconds';
    const help = (await metrics.scrape()).body.split('\n').find((l) => l.startsWith(`# HELP ${name} `));
    const histogram = new Histogram({
      name,
      help: String(help).slice(`# HELP ${name} `.length),
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    const calls: [string, number][] = [
      ['objects.queryObjects', 0.0004],
      ['objects.queryObjects', 0.001], // on a bound: counted in it (le)
      ['objects.queryObjects', 0.0031],
      ['jobs.countQueued', 7.5],
      ['jobs.countQueued', 42], // past the last bound: +Inf only
    ];
    for (const [method, seconds] of calls) {
      metrics.storeCall(method, seconds);
      histogram.observe({ method }, seconds);
    }
    const ours = (await metrics.scrape()).body
      .split('\n')
      .filter((l) => l.includes(name))
      .join('\n');
    expect(ours).to.equal((await reference.metrics()).trim());
  });

  describe('a bearer token (ops.metrics.token_env)', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({
        config: `ops: { metrics: { token_env: T_METRICS } }\n${TEST_CONFIG}`,
        env: { T_METRICS: TOKEN },
        // queued requests stay queued: the depth gauge must see them
        ingestWorker: false,
      });
    });
    after(async () => app?.close());

    const withToken = (token: string): supertest.Test =>
      app.http.get('/metrics').set('Authorization', `Bearer ${token}`);

    it('answers 401 without the token, with a wrong one and to account credentials; 200 with it', async () => {
      await app.http.get('/metrics').expect(401);
      await withToken(`${TOKEN}x`).expect(401);
      await withToken(TOKEN.slice(0, -1)).expect(401);
      await app.http.get('/metrics').auth(ADMIN.name, ADMIN.password).expect(401);
      const res = await withToken(TOKEN).expect(200);
      expect(res.headers['content-type']).to.equal(PROM);
      const samples = parseExposition(res.text);
      expect(valueOf(samples, 'palisade_login_failures_total', { scheme: 'metrics-token' })).to.equal(4);
      expect(res.text).to.not.include(TOKEN);
    });

    it('reports queued add-objects requests as the queue depth', async () => {
      const depth = async (): Promise<number> =>
        valueOf(parseExposition((await withToken(TOKEN).expect(200)).text), 'palisade_ingest_queue_depth');
      expect(await depth()).to.equal(0);
      for (const name of ['q1', 'q2']) {
        const res = await app.http
          .post(objectsPath())
          .set('Accept', TAXII)
          .set('Content-Type', TAXII)
          .auth(ANALYST.name, ANALYST.password)
          .send(JSON.stringify(envelope(indicator(`metrics-${name}`))))
          .expect(202);
        expect(res.body.status).to.equal('pending');
      }
      expect(await depth()).to.equal(2);
    });
  });

  describe('anonymous and disabled', () => {
    it('allow_anonymous: true serves /metrics to anyone', async () => {
      const app = await startTestApp({ config: `ops: { metrics: { allow_anonymous: true } }\n${TEST_CONFIG}` });
      try {
        const res = await app.http.get('/metrics').expect(200);
        expect(res.headers['content-type']).to.equal(PROM);
      } finally {
        await app.close();
      }
    });

    it('enabled: false serves no metrics: /metrics is an unknown API root', async () => {
      const app = await startTestApp({ config: `ops: { metrics: { enabled: false } }\n${TEST_CONFIG}` });
      try {
        await app.http.get('/metrics').expect(401);
        await app.http.get('/metrics').auth(ADMIN.name, ADMIN.password).set('Accept', TAXII).expect(404);
      } finally {
        await app.close();
      }
    });
  });

  describe('configuration', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'palisade-metrics-cfg-'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    const load = async (yaml: string, env: NodeJS.ProcessEnv = {}): Promise<ReturnType<typeof loadConfig>> => {
      const file = join(dir, 'palisade.yaml');
      await writeFile(file, yaml);
      return loadConfig(env, { configFile: file });
    };
    const problems = async (yaml: string, env: NodeJS.ProcessEnv = {}): Promise<readonly string[]> => {
      try {
        await load(yaml, env);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
      return expect.fail('the configuration was accepted');
    };

    it('defaults: metrics on the public port for platform admins, request log on', async () => {
      const cfg = await load('');
      expect(cfg.ops.metrics).to.deep.equal({ enabled: true, allowAnonymous: false });
      expect(cfg.log.requests).to.equal(true);
      const off = await load('log: { requests: false }\nops: { metrics: { port: 9464 } }');
      expect(off.log.requests).to.equal(false);
      expect(off.ops.metrics.listener).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    });

    it('refuses a token variable that is unset, empty, short or not a bearer token, and a port taken by the server', async () => {
      const yaml = 'ops: { metrics: { token_env: T_M } }';
      expect(await problems(yaml)).to.deep.equal([
        'ops.metrics.token_env: environment variable T_M is not set or empty',
      ]);
      expect(await problems(yaml, { T_M: '' })).to.have.length(1);
      expect((await problems(yaml, { T_M: 'short' }))[0]).to.match(/shorter than 16 characters/);
      expect((await problems(yaml, { T_M: 'has spaces in it, 0123456789' }))[0]).to.match(/Bearer token cannot carry/);
      expect(await problems('server: { port: 8000 }\nops: { metrics: { port: 8000 } }')).to.deep.equal([
        'ops.metrics.port: 8000 is already server.port',
      ]);
      expect((await problems('ops: { metrics: { colour: red } }')).join('\n')).to.match(/colour/);
    });
  });

  describe('the operations listener (ops.metrics.port) of a real server', () => {
    let dir: string;
    let server: RunningServer | undefined;
    const mongo = restartableStore();
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'palisade-metrics-port-'));
      const file = join(dir, 'palisade.yaml');
      const store =
        TEST_BACKEND === 'mongodb'
          ? `store: { kind: mongodb, uri: ${JSON.stringify(mongoTestUri())}, database: ${mongo.sharedMongoDatabase} }\n`
          : '';
      await writeFile(file, `${store}server: { port: 0 }\nops: { metrics: { port: 0 } }\n${TEST_CONFIG}`);
      const config = loadConfig(
        {
          T_ADMIN: ADMIN.password,
          T_ANALYST: ANALYST.password,
          T_READER: READER.password,
          T_WRITER: WRITER.password,
          T_NOBODY: NOBODY.password,
        },
        { configFile: file, dataDir: join(dir, 'data') },
      );
      server = await startServer(config, { log: silentLogger });
    });
    after(async () => {
      await server?.close();
      await mongo.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('serves /metrics (with the Node process metrics), /healthz and /readyz there, and nothing else', async () => {
      const ops = supertest(server?.opsUrl as string);
      expect((await ops.get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok' });
      expect((await ops.get('/readyz').expect(200)).body).to.deep.equal({ status: 'ready' });
      const res = await ops.get('/metrics').expect(200);
      expect(res.headers['content-type']).to.equal(PROM);
      const samples = parseExposition(res.text);
      const names = new Set(samples.map((s) => s.name));
      for (const name of [
        'palisade_process_cpu_user_seconds_total',
        'palisade_process_resident_memory_bytes',
        'palisade_nodejs_eventloop_lag_seconds',
        'palisade_nodejs_heap_size_used_bytes',
        'palisade_ingest_queue_depth',
      ]) {
        expect(names, name).to.include(name);
      }
      // the probes just answered on this listener are counted like any request
      expect(valueOf(samples, 'palisade_http_requests_total', { route: '/readyz', status: '200' })).to.equal(1);
      await ops.get('/taxii2/').auth(ADMIN.name, ADMIN.password).expect(404);
    });

    it('does not serve /metrics on the public port', async () => {
      const pub = supertest(server?.url as string);
      await pub.get('/taxii2/').auth(ADMIN.name, ADMIN.password).set('Accept', TAXII).expect(200);
      // /metrics is then an API root like any other name: unknown
      await pub.get('/metrics').auth(ADMIN.name, ADMIN.password).set('Accept', TAXII).expect(404);
    });
  });
});

describe('request log (log.requests)', function () {
  this.timeout(60_000);

  /** A pino logger whose lines are kept, parsed. */
  function capture(): { log: Logger; lines: Record<string, unknown>[] } {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n'))
          if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    return { log: pino({ level: 'info' }, stream), lines };
  }
  const requestLines = (lines: Record<string, unknown>[]): Record<string, unknown>[] =>
    lines.filter((l) => typeof l.route === 'string' && typeof l.durationMs === 'number');

  it('writes one line per request: id, method, route template, status, duration, bytes, caller, address', async () => {
    const { log, lines } = capture();
    const app = await startTestApp({ log });
    try {
      const secret = 'not-a-real-cursor-but-secret';
      const res = await app.get(`${objectsPath()}?next=${secret}`).expect(400);
      const ok = await app.get(`/${ROOT}/collections/`).expect(200);
      const mine = (id: unknown) => requestLines(lines).filter((l) => l.requestId === id);
      const [bad] = mine(res.headers['x-request-id']);
      expect(mine(res.headers['x-request-id'])).to.have.length(1);
      expect(bad).to.include({
        level: 30,
        method: 'GET',
        route: OBJECTS_ROUTE,
        status: 400,
        user: ANALYST.name,
        bytes: Number(res.headers['content-length']),
      });
      expect(bad?.requestId).to.equal((res.body as { error_id: string }).error_id);
      expect(bad?.address).to.be.a('string');
      expect(bad?.durationMs).to.be.a('number').and.to.be.at.least(0);
      expect(JSON.stringify(lines)).to.not.include(secret);
      const [good] = mine(ok.headers['x-request-id']);
      expect(good).to.include({
        route: '/:root/collections/',
        status: 200,
        bytes: Number(ok.headers['content-length']),
      });
      // unauthenticated: no user
      const anon = await app.http.get('/taxii2/').expect(401);
      expect(mine(anon.headers['x-request-id'])[0]).to.not.have.property('user');
    } finally {
      await app.close();
    }
  });

  it('logs a 5xx at error level without the stack, which the error line already has', async () => {
    const { log, lines } = capture();
    const app = await startTestApp({ log });
    try {
      await app.container.store.close();
      const res = await app.http.get('/readyz').expect(503);
      const id = res.headers['x-request-id'];
      const all = lines.filter((l) => l.requestId === id || l.errorId === id);
      const request = all.find((l) => l.route === '/readyz');
      expect(request).to.include({ level: 50, status: 503 });
      expect(request).to.not.have.property('err');
      expect(all.filter((l) => l.err !== undefined)).to.have.length(1);
    } finally {
      await app.close().catch(() => undefined); // its store is already closed
    }
  });

  it('log.requests: false writes no request lines', async () => {
    const { log, lines } = capture();
    const app = await startTestApp({ log, config: `log: { requests: false }\n${TEST_CONFIG}` });
    try {
      await app.get(`/${ROOT}/collections/`).expect(200);
      await app.http.get('/healthz').expect(200);
      expect(requestLines(lines)).to.deep.equal([]);
    } finally {
      await app.close();
    }
  });
});
