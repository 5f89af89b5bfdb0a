// The lean path (src/taxii/routes/lean-routes.ts) serves discovery, API roots, collections, a
// collection and status without Express. Its answers must be those of the express path, byte for
// byte apart from the request id and the date; everything it does not serve plainly must reach the
// express path as if the lean path did not exist: one 401/403/404/406/429 in the one error format,
// one failed sign-in counted, one token of the rate limit taken, one audit event, one log line.
import type { Server } from 'node:http';
import { expect } from 'chai';
import { pino } from 'pino';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import type { LeanPath } from '../../src/taxii/routes/lean-routes.js';
import { matchSmallGet } from '../../src/taxii/routes/lean-routes.js';
import type { AuditRecord } from '../../src/store/store.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  NOBODY,
  READER,
  TAXII,
  TEST_CONFIG,
  startTestApp,
  type TestApp,
} from '../helpers/test-app.js';

/** The lean path of the express app behind a supertest agent (which wraps it in an http.Server). */
function leanOf(agent: supertest.Agent): LeanPath {
  const server = (agent as unknown as { app: Server }).app;
  const app = server.listeners('request')[0] as unknown as { locals: Record<string, unknown> };
  const lean = app.locals.leanPath as LeanPath | undefined;
  if (lean === undefined) throw new Error('no lean path on this app');
  return lean;
}

/** The answer's headers without those that differ between any two answers. */
function stableHeaders(h: Record<string, string>): Record<string, string> {
  const out = { ...h };
  delete out.date;
  delete out['x-request-id'];
  return out;
}

const indicator = {
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--3a8c1f0e-7b2d-4c5e-9f6a-0b1c2d3e4f50',
  created: '2025-01-01T00:00:00.000Z',
  modified: '2025-01-01T00:00:00.000Z',
  pattern: "[ipv4-addr:value = '203.0.113.7']",
  pattern_type: 'stix',
  valid_from: '2025-01-01T00:00:00Z',
};

describe('the lean path for small GETs', function () {
  this.timeout(60_000);
  let app: TestApp;
  /** the same container served by express alone */
  let full: supertest.Agent;
  let statusId: string;

  before(async () => {
    app = await startTestApp();
    full = supertest.agent(buildApp(app.container, { leanPath: false }));
    const posted = await app.post(`/eu/collections/${C1}/objects/`, { objects: [indicator] }).expect(202);
    statusId = posted.body.id as string;
  });
  after(async () => app.close());

  const paths = (): string[] => [
    '/taxii2/',
    '/eu/',
    '/empty/',
    '/eu/collections/',
    '/empty/collections/',
    `/eu/collections/${C1}/`,
    `/eu/status/${statusId}/`,
  ];

  it('answers exactly as the express path does, for every resource and caller it serves', async () => {
    const lean = leanOf(app.http);
    let served = 0;
    for (const who of [ADMIN, ANALYST, READER, NOBODY]) {
      // The first request of an account runs scrypt on the express path; the lean path then
      // accepts the password it remembers.
      await full.get('/taxii2/').set('Accept', TAXII).auth(who.name, who.password).expect(200);
      for (const path of paths()) {
        const before = lean.served;
        const a = await app.get(path, who);
        const b = await full.get(path).set('Accept', TAXII).auth(who.name, who.password);
        const label = `${who.name} ${path}`;
        expect(a.status, label).to.equal(b.status);
        expect(stableHeaders(a.headers), label).to.deep.equal(stableHeaders(b.headers));
        expect(a.headers['x-request-id'], label).to.match(/^[0-9a-f-]{36}$/);
        if (a.status === 200) {
          expect(a.text, label).to.equal(b.text);
          expect(lean.served - before, `${label} served by the lean path`).to.equal(1);
          served++;
        } else {
          // a hidden or missing resource: the express path answered it (error ids differ)
          expect(lean.served - before, `${label} handed on`).to.equal(0);
          expect(a.body.http_status, label).to.equal(String(a.status));
          expect({ ...a.body, error_id: undefined }, label).to.deep.equal({ ...b.body, error_id: undefined });
        }
      }
    }
    // the admin sees everything; the others see some of it
    expect(served).to.be.greaterThan(paths().length + 4);
  });

  it('hands everything but a plain GET to the express path, which answers it as before', async () => {
    const lean = leanOf(app.http);
    const before = lean.served;
    const cases: [string, supertest.Test, number][] = [
      ['hidden collection', app.get(`/eu/collections/${C2}/`, ANALYST), 404],
      ['unknown API root', app.get('/nowhere/', ANALYST), 404],
      ['unknown status', app.get('/eu/status/0f0f0f0f-0000-4000-8000-000000000000/', ANALYST), 404],
      ['no credentials', app.http.get('/taxii2/').set('Accept', TAXII), 401],
      ['wrong password', app.http.get('/taxii2/').set('Accept', TAXII).auth(ANALYST.name, 'wrong'), 401],
      [
        'unacceptable Accept',
        app.http.get('/taxii2/').set('Accept', 'text/html').auth(ANALYST.name, ANALYST.password),
        406,
      ],
      ['POST', app.http.post('/taxii2/').set('Accept', TAXII).auth(ANALYST.name, ANALYST.password), 405],
      ['HEAD', app.http.head('/taxii2/').set('Accept', TAXII).auth(ANALYST.name, ANALYST.password), 200],
      ['no final slash', app.get('/taxii2', ANALYST), 200],
      ['percent-escaped', app.get(`/e%75/collections/${C1}/`, ANALYST), 200],
      ['health probe', app.http.get('/healthz'), 200],
    ];
    for (const [label, test, status] of cases) {
      const res = await test;
      expect(res.status, label).to.equal(status);
    }
    expect(lean.served - before, 'none of these was served by the lean path').to.equal(0);
    // the escaped path reached the collection it names
    const escaped = await app.get(`/e%75/collections/${C1}/`, ANALYST).expect(200);
    expect(escaped.body.id).to.equal(C1);
  });

  it('records one audit event for a status read, as the express path does', async () => {
    const trail = async (): Promise<AuditRecord[]> => {
      await app.container.services.audit.flush();
      return (await app.container.store.audit.queryAudit({ limit: 1000 })).records.filter(
        (r) => r.action === 'taxii.status',
      );
    };
    const lean = leanOf(app.http);
    const before = (await trail()).length;
    const served = lean.served;
    const a = await app.get(`/eu/status/${statusId}/`, ANALYST).expect(200);
    expect(lean.served - served).to.equal(1);
    const b = await full.get(`/eu/status/${statusId}/`).set('Accept', TAXII).auth(ANALYST.name, ANALYST.password);
    const missing = await app.get('/eu/status/0f0f0f0f-0000-4000-8000-000000000001/', ANALYST).expect(404);
    const events = await trail();
    expect(events.length - before).to.equal(3);
    const byRequest = (id: string): AuditRecord | undefined => events.find((e) => e.requestId === id);
    const ea = byRequest(a.headers['x-request-id'] as string);
    const eb = byRequest(b.headers['x-request-id'] as string);
    const em = byRequest(missing.headers['x-request-id'] as string);
    expect(ea, 'the lean answer is audited under its request id').to.not.equal(undefined);
    const comparable = (e: AuditRecord | undefined): Record<string, unknown> => {
      const rest: Record<string, unknown> = { ...e };
      for (const k of ['id', 'at', 'requestId']) delete rest[k];
      return rest;
    };
    expect(comparable(ea)).to.deep.equal(comparable(eb));
    expect(ea).to.deep.include({
      outcome: 'ok',
      actor: ANALYST.name,
      apiRoot: 'eu',
      collectionId: C1,
      target: 'status',
    });
    expect(em).to.deep.include({ outcome: 'denied', actor: ANALYST.name, apiRoot: 'eu', target: 'status' });
  });

  it('writes one request log line for an answer it serves, named by its route template', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    const logged = await startTestApp({ log });
    try {
      await logged.get('/eu/collections/', ANALYST).expect(200); // checks the password (express path)
      const lean = leanOf(logged.http);
      const before = lean.served;
      const res = await logged.get('/eu/collections/', ANALYST).expect(200);
      expect(lean.served - before).to.equal(1);
      const mine = lines.filter((l) => l.requestId === res.headers['x-request-id']);
      expect(mine).to.have.length(1);
      expect(mine[0]).to.deep.include({
        method: 'GET',
        route: '/:root/collections/',
        status: 200,
        bytes: res.text.length,
        user: ANALYST.name,
        msg: 'request finished',
      });
    } finally {
      await logged.close();
    }
  });

  it('while the server drains, leaves every request to the express path (which closes connections)', async () => {
    const draining = supertest.agent(buildApp(app.container, { draining: () => true }));
    const lean = leanOf(draining);
    const res = await draining.get('/taxii2/').set('Accept', TAXII).auth(ANALYST.name, ANALYST.password).expect(200);
    expect(res.headers.connection).to.equal('close');
    expect(lean.served).to.equal(0);
  });

  it('matches only the exact templates, never the paths of the routers mounted before TAXII', () => {
    expect(matchSmallGet('/taxii2/')?.get.template).to.equal('/taxii2/');
    expect(matchSmallGet('/eu/?x=1')?.params).to.deep.equal({ root: 'eu' });
    expect(matchSmallGet(`/eu/collections/${C1}/`)?.params).to.deep.equal({ root: 'eu', collection: C1 });
    expect(matchSmallGet('/eu/status/s-1/')?.get.template).to.equal('/:root/status/:status/');
    for (const path of [
      '/',
      '/taxii2',
      '//',
      '/eu//collections/',
      '/eu/collections/x/objects/',
      '/eu/Collections/',
      '/e%75/',
      '/admin/',
      '/API/',
      '/console/',
      '/healthz/',
      '/Metrics/',
      '/readyz/',
    ])
      expect(matchSmallGet(path), path).to.equal(undefined);
  });
});

describe('the lean path and the caller limits', function () {
  this.timeout(60_000);

  it('a failed sign-in is counted once (the throttle is reached at its limit, not before)', async () => {
    const app = await startTestApp({ config: TEST_CONFIG.replace('failure_limit: 1000', 'failure_limit: 3') });
    try {
      const u = READER;
      for (let i = 0; i < 3; i++)
        await app.http.get('/taxii2/').set('Accept', TAXII).auth(u.name, `wrong-${i}`).expect(401);
      await app.http.get('/taxii2/').set('Accept', TAXII).auth(u.name, u.password).expect(429);
    } finally {
      await app.close();
    }
  });

  it('a request is counted once against the rate limit, whichever path answers it', async () => {
    const config = `server: { limits: { rate_limit: { requests_per_second: 0.01, burst: 6 } } }\n${TEST_CONFIG}`;
    const app = await startTestApp({ config });
    try {
      const lean = leanOf(app.http);
      // 1: the express path (password not yet remembered); 2-3: the lean path; 4-6: handed on
      // after the lean path had admitted them (a hidden collection, twice; an unknown root)
      await app.get('/taxii2/', ANALYST).expect(200);
      await app.get('/taxii2/', ANALYST).expect(200);
      await app.get('/eu/collections/', ANALYST).expect(200);
      expect(lean.served).to.equal(2);
      await app.get(`/eu/collections/${C2}/`, ANALYST).expect(404);
      await app.get(`/eu/collections/${C2}/`, ANALYST).expect(404);
      await app.get('/nowhere/', ANALYST).expect(404);
      const refused = await app.get('/taxii2/', ANALYST).expect(429);
      expect(refused.headers['retry-after']).to.match(/^\d+$/);
      expect(refused.body.http_status).to.equal('429');
    } finally {
      await app.close();
    }
  });
});
