// TAXII 2.1 §4.1 discovery, §4.2 API root, §5.1/5.2 collections.
import { expect } from 'chai';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  C_WO,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  TEST_CONFIG,
  WRITER,
  startTestApp,
  type TestApp,
} from '../helpers/test-app.js';

describe('Discovery, API roots and collections', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app.close());

  it('T-33 T-34 T-39 serves discovery at /taxii2/ with title, default and relative api_roots', async () => {
    const res = await app.get('/taxii2/').expect(200);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.body).to.deep.equal({
      title: 'Palisade test server',
      description: 'integration tests',
      contact: 'cert@example.test',
      default: '/eu/',
      api_roots: ['/eu/', '/small/'],
    });
    for (const url of res.body.api_roots as string[]) expect(url).to.match(/^\/[^/]/);
  });

  it('T-38 discovery requires authentication', async () => {
    const res = await app.http.get('/taxii2/').set('Accept', TAXII).expect(401);
    expect(res.body.http_status).to.equal('401');
  });

  it('T-41 serves the API root resource with versions and max_content_length', async () => {
    const res = await app.get(`/${ROOT}/`).expect(200);
    expect(res.body).to.deep.equal({
      title: 'EU threat sharing',
      description: 'shared between member states',
      versions: [TAXII],
      max_content_length: 10485760,
    });
  });

  it('T-42 answers 404 with a TAXII error for an unknown API root', async () => {
    const res = await app.get('/nowhere/').expect(404);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.body).to.include({ title: 'Not found', http_status: '404' });
  });

  it('T-23 accepts request paths without the trailing slash', async () => {
    await app.get(`/${ROOT}`).expect(200);
    await app.get(`/${ROOT}/collections/${C1}`).expect(200);
  });

  it('T-48 T-51 lists only the collections the caller has a grant on, with real can_read/can_write', async () => {
    const res = await app.get(`/${ROOT}/collections/`, READER).expect(200);
    const cols = res.body.collections as { id: string; can_read: boolean; can_write: boolean }[];
    expect(cols.map((c) => [c.id, c.can_read, c.can_write])).to.deep.equal([
      [C1, true, false],
      [C_WO, false, true],
    ]);
  });

  it('T-48 an API root without collections lists {} (to a platform admin, the only one who sees it)', async () => {
    const res = await app.get('/empty/collections/', ADMIN).expect(200);
    expect(res.body).to.deep.equal({});
    expect((await app.get('/taxii2/', ADMIN).expect(200)).body.api_roots).to.deep.equal(['/empty/', '/eu/', '/small/']);
  });

  it('T-123 hides API roots in which the caller sees no collection: absent from discovery, 404 like an unknown path', async () => {
    const discovery = await app.get('/taxii2/', NOBODY).expect(200);
    expect(discovery.body).to.deep.equal({
      title: 'Palisade test server',
      description: 'integration tests',
      contact: 'cert@example.test',
    });
    const unknown = await app.get('/nowhere/collections/', NOBODY).expect(404);
    for (const path of [
      `/${ROOT}/`,
      `/${ROOT}/collections/`,
      `/${ROOT}/collections/${C1}/`,
      `/${ROOT}/collections/${C1}/objects/`,
      '/empty/',
    ]) {
      const res = await app.get(path, NOBODY).expect(404);
      const root = path.split('/')[1] as string;
      expect({ ...res.body, error_id: 'x' }, path).to.deep.equal({
        ...unknown.body,
        error_id: 'x',
        description: `There is no API root at /${root}/.`,
      });
    }
    // A caller with a grant in /eu/ still does not see /empty/.
    expect((await app.get('/taxii2/', READER).expect(200)).body.api_roots).to.deep.equal(['/eu/']);
    await app.get('/empty/', READER).expect(404);
  });

  it('T-49 lists collections in a consistent order, sorted by id', async () => {
    const res = await app.get(`/${ROOT}/collections/`, ADMIN).expect(200);
    const ids = (res.body.collections as { id: string }[]).map((c) => c.id);
    expect(ids).to.deep.equal([...ids].sort());
    expect(ids).to.have.members([C1, C2, C_WO]);
  });

  it('T-50 T-10 serves one collection with every property (booleans as JSON true/false)', async () => {
    const res = await app.get(`/${ROOT}/collections/${C1}/`, WRITER).expect(200);
    expect(res.body).to.deep.equal({
      id: C1,
      title: 'State-linked intrusion sets',
      alias: 'state-linked',
      can_read: false,
      can_write: true,
      media_types: ['application/stix+json;version=2.1'],
    });
  });

  it('T-50 resolves a collection by its alias', async () => {
    const res = await app.get(`/${ROOT}/collections/state-linked/`).expect(200);
    expect(res.body.id).to.equal(C1);
  });

  it('T-123 a collection without any grant is a 404, identical to an unknown one', async () => {
    const hidden = await app.get(`/${ROOT}/collections/${C2}/`, ANALYST).expect(404);
    const unknown = await app.get(`/${ROOT}/collections/00000000-0000-4000-8000-000000000000/`, ANALYST).expect(404);
    expect(hidden.body.description).to.equal(unknown.body.description);
    await app.get(`/${ROOT}/collections/${C2}/objects/`, ANALYST).expect(404);
    await app.get(`/${ROOT}/collections/${C2}/manifest/`, ANALYST).expect(404);
  });

  it('T-37 nothing is served under channels', async () => {
    await app.get(`/${ROOT}/channels/`).expect(404);
  });

  it('answers 405 with a TAXII error for an unsupported method', async () => {
    const res = await app.http
      .put(`/${ROOT}/collections/`)
      .set('Accept', TAXII)
      .auth(ANALYST.name, ANALYST.password)
      .expect(405);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.headers.allow).to.equal('GET');
  });
});

describe('Discovery behind a proxy', () => {
  it('T-128 P-7 advertises absolute API root URLs from the configured base_url, never from the Host header', async () => {
    const app = await startTestApp({ config: `server: { base_url: "https://taxii.example.gov/" }\n${TEST_CONFIG}` });
    try {
      const res = await app.get('/taxii2/').set('Host', 'evil.example').expect(200);
      expect(res.body.api_roots).to.deep.equal(['https://taxii.example.gov/eu/', 'https://taxii.example.gov/small/']);
      expect(res.body.default).to.equal('https://taxii.example.gov/eu/');
    } finally {
      await app.close();
    }
  });
});
