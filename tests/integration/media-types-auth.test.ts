// TAXII 2.1 §1.6.8 / §3.1 media types and content negotiation; §3.6 errors; §8 authentication.
import { expect } from 'chai';
import { envelope, indicator } from '../fixtures/builders.js';
import {
  ANALYST,
  C1,
  ROOT,
  TAXII,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

describe('Media types, errors and authentication', () => {
  let app: TestApp;
  const ind = indicator('media-1');
  before(async () => {
    app = await startTestApp();
    await app.post(objectsPath(), envelope(ind)).expect(202);
  });
  after(async () => app.close());

  const auth = (t: ReturnType<TestApp['http']['get']>) => t.auth(ANALYST.name, ANALYST.password);

  it('T-17 P-1 every endpoint answers with exactly application/taxii+json;version=2.1, errors included', async () => {
    const paths = [
      '/taxii2/',
      `/${ROOT}/`,
      `/${ROOT}/collections/`,
      `/${ROOT}/collections/${C1}/`,
      manifestPath(),
      objectsPath(),
      objectPath(ind.id),
      versionsPath(ind.id),
      `/${ROOT}/status/00000000-0000-4000-8000-000000000000/`,
      '/no/such/path/',
    ];
    for (const p of paths) {
      const res = await app.get(p);
      expect(res.headers['content-type'], p).to.equal(TAXII);
    }
    const unauth = await app.http.get('/taxii2/');
    expect(unauth.headers['content-type']).to.equal(TAXII);
    const bad = await app.get(`${objectsPath()}?limit=0`).expect(400);
    expect(bad.headers['content-type']).to.equal(TAXII);
  });

  it('T-14 T-16 A-2 serves Accept variants that name TAXII 2.1 or no version, with spaces, q and charset', async () => {
    for (const accept of [
      'application/taxii+json;version=2.1',
      'application/taxii+json',
      'application/taxii+json; version=2.1',
      'APPLICATION/TAXII+JSON;VERSION=2.1',
      'application/taxii+json;version=2.1;charset=utf-8',
      'text/html;q=0.9, application/taxii+json;version=2.1;q=0.8',
    ]) {
      await auth(app.http.get('/taxii2/').set('Accept', accept)).expect(200);
    }
  });

  it('T-16 A-1 serves */*, application/* and a missing Accept header', async () => {
    await auth(app.http.get('/taxii2/').set('Accept', '*/*')).expect(200);
    await auth(app.http.get('/taxii2/').set('Accept', 'application/*')).expect(200);
    await auth(app.http.get('/taxii2/')).expect(200);
  });

  it('T-16 P-5 answers 406 to other TAXII versions and unrelated types, naming the supported one', async () => {
    for (const accept of [
      'application/taxii+json;version=2.0',
      'application/vnd.oasis.taxii+json; version=2.0',
      'application/json',
      'text/html',
      'application/taxii+json;version=2.1;q=0',
    ]) {
      const res = await auth(app.http.get(objectsPath()).set('Accept', accept)).expect(406);
      expect(res.headers['content-type']).to.equal(TAXII);
      expect(res.body.error_code).to.equal('not-acceptable');
      expect(res.body.description).to.contain('application/taxii+json;version=2.1');
    }
  });

  it('T-18 P-4 accepts Content-Type variants of TAXII 2.1 on POST', async () => {
    for (const [i, ct] of [
      'application/taxii+json; version=2.1',
      'application/taxii+json',
      'application/taxii+json;version=2.1; charset=utf-8',
    ].entries()) {
      await auth(app.http.post(objectsPath()).set('Accept', TAXII).set('Content-Type', ct))
        .send(JSON.stringify(envelope(indicator(`ct-${i}`))))
        .expect(202);
    }
  });

  it('T-18 T-100 answers 415 to other Content-Types on POST, with nothing stored', async () => {
    for (const ct of [
      'application/json',
      'application/stix+json;version=2.1',
      'application/taxii+json;version=2.0',
      'text/plain',
    ]) {
      const res = await auth(app.http.post(objectsPath()).set('Accept', TAXII).set('Content-Type', ct))
        .send(JSON.stringify(envelope(indicator('never'))))
        .expect(415);
      expect(res.body.http_status).to.equal('415');
      expect(res.body.error_code).to.equal('unsupported-media-type');
    }
    await app.get(objectPath(indicator('never').id)).expect(404);
  });

  it('T-30 T-31 error resources carry title, http_status as a string and error_id matching X-Request-Id', async () => {
    const res = await app.get(`/${ROOT}/collections/00000000-0000-4000-8000-000000000000/`).expect(404);
    expect(res.body.title).to.be.a('string').with.length.above(0);
    expect(res.body.http_status).to.equal('404');
    expect(res.body.error_id).to.equal(res.headers['x-request-id']);
  });

  it('T-26 T-24 answers 401 with a Basic challenge and a TAXII error when credentials are missing', async () => {
    const res = await app.http.get(objectsPath()).set('Accept', TAXII).expect(401);
    expect(res.headers['www-authenticate']).to.match(/^Basic realm="palisade"/);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.body).to.include({
      http_status: '401',
      title: 'Authentication required',
      error_code: 'unauthenticated',
    });
  });

  it('T-122 T-132 a wrong password and an unknown user get the same 401', async () => {
    const wrong = await app.http
      .get(objectsPath())
      .set('Accept', TAXII)
      .auth(ANALYST.name, 'not-the-password')
      .expect(401);
    const unknown = await app.http.get(objectsPath()).set('Accept', TAXII).auth('ghost', 'whatever').expect(401);
    expect(wrong.body.description).to.equal(unknown.body.description);
    expect(wrong.headers['www-authenticate']).to.equal(unknown.headers['www-authenticate']);
  });

  it('T-122 every TAXII endpoint requires authentication', async () => {
    for (const p of [
      `/${ROOT}/`,
      `/${ROOT}/collections/`,
      manifestPath(),
      objectsPath(),
      objectPath(ind.id),
      versionsPath(ind.id),
    ]) {
      await app.http.get(p).set('Accept', TAXII).expect(401);
    }
    await app.http.post(objectsPath()).set('Accept', TAXII).set('Content-Type', TAXII).send('{}').expect(401);
    await app.http.delete(objectPath(ind.id)).set('Accept', TAXII).expect(401);
  });

  it('never answers with a stack trace: a malformed percent-encoding in the path is a TAXII 400 or 404', async () => {
    const res = await app.get(`/${ROOT}/collections/%E0%A4%A/`);
    expect([400, 404]).to.include(res.status);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(JSON.stringify(res.body)).not.to.match(/at .*\.(js|ts):\d+/);
  });

  it('T-22 keeps the HTTP Date header for clock-skew checks', async () => {
    const res = await app.get('/taxii2/').expect(200);
    expect(Date.parse(res.headers.date as string)).to.be.closeTo(Date.now(), 60_000);
  });

  it('T-21 serves requests without a User-Agent', async () => {
    await auth(app.http.get('/taxii2/').set('Accept', TAXII).unset('User-Agent')).expect(200);
  });

  it('T-20 ignores a Range header and answers 200', async () => {
    await app.get(objectsPath()).set('Range', 'items 0-10').expect(200);
  });

  it('serves /healthz and /readyz without authentication', async () => {
    await app.http.get('/healthz').expect(200);
    await app.http.get('/readyz').expect(200);
  });
});
