// The admin API as a platform admin: create, read, list, change and delete tenants, groups,
// accounts, API roots and collections (grants: admin-grants.test.ts); what it creates is marked
// source 'admin' and acts on TAXII at once; what the configuration file declares cannot be changed here (409); bodies are
// validated with every problem listed (400); unknown paths, methods and media types are refused.
import { expect } from 'chai';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import {
  ADMIN_CONFIG,
  ADMIN_ENV,
  EU_WIDE,
  FR,
  OPS,
  adminClient,
  detailOf,
  type AdminClient,
} from './admin-fixtures.js';

describe('Admin API: a platform admin manages everything', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
  });
  after(async () => app.close());

  const taxii = (path: string, as: TestUser) => app.http.get(path).set('Accept', TAXII).auth(as.name, as.password);

  it('tenants: create, read, list, change, delete', async () => {
    const created = await api.post('/admin/tenants', { id: 'nl-ncsc', name: 'Netherlands' }).expect(201);
    expect(created.headers['content-type']).to.equal('application/json');
    expect(created.body).to.deep.equal({ id: 'nl-ncsc', name: 'Netherlands', identities: [], source: 'admin' });
    await api.post('/admin/tenants', { id: 'nl-ncsc', name: 'again' }).expect(409);
    expect((await api.get('/admin/tenants/nl-ncsc').expect(200)).body).to.deep.equal(created.body);
    const list = (await api.get('/admin/tenants').expect(200)).body.tenants as { id: string; source: string }[];
    expect(list.map((t) => `${t.id}:${t.source}`)).to.deep.equal([
      'de-bsi:config',
      'fr-anssi:config',
      'it-acn:config',
      'nl-ncsc:admin',
    ]);
    const renamed = await api.patch('/admin/tenants/nl-ncsc', { name: 'Netherlands (NCSC)' }).expect(200);
    expect(renamed.body).to.deep.equal({ id: 'nl-ncsc', name: 'Netherlands (NCSC)', identities: [], source: 'admin' });
    await api.del('/admin/tenants/nl-ncsc').expect(204);
    await api.get('/admin/tenants/nl-ncsc').expect(404);
    await api.del('/admin/tenants/nl-ncsc').expect(404);
  });

  it('groups: create, change membership and name, delete; members must be tenants', async () => {
    const bad = await api.post('/admin/groups', { id: 'five-eyes', tenants: ['de-bsi', 'xx', 'yy'] }).expect(400);
    expect(bad.body.details.problems).to.deep.equal([
      'tenants.1: there is no tenant "xx"',
      'tenants.2: there is no tenant "yy"',
    ]);
    const g = await api
      .post('/admin/groups', { id: 'core', name: 'Core', tenants: ['fr-anssi', 'de-bsi'] })
      .expect(201);
    expect(g.body).to.deep.equal({ id: 'core', name: 'Core', tenants: ['de-bsi', 'fr-anssi'], source: 'admin' });
    const changed = await api.patch('/admin/groups/core', { name: null, tenants: ['it-acn'] }).expect(200);
    expect(changed.body).to.deep.equal({ id: 'core', tenants: ['it-acn'], source: 'admin' });
    expect((await api.get('/admin/groups/core').expect(200)).body).to.deep.equal(changed.body);
    const ids = ((await api.get('/admin/groups').expect(200)).body.groups as { id: string }[]).map((x) => x.id);
    expect(ids).to.deep.equal(['core', 'eu-member-states']);
    await api.del('/admin/groups/core').expect(204);
    await api.get('/admin/groups/core').expect(404);
  });

  it('accounts: a user signs in with the password set here, never shown; changes and deletion act at once', async () => {
    const created = await api
      .post('/admin/users', { username: 'it-analyst', password: 'first-password-1', tenant: 'it-acn' })
      .expect(201);
    expect(created.body).to.deep.equal({
      username: 'it-analyst',
      kind: 'user',
      role: 'member',
      tenant: 'it-acn',
      certificates: [],
      source: 'admin',
    });
    const IT: TestUser = { name: 'it-analyst', password: 'first-password-1' };
    // The EU-wide collection is granted to the group it-acn is in.
    const seen = await taxii('/eu/collections/', IT).expect(200);
    expect((seen.body.collections as { id: string }[]).map((c) => c.id)).to.deep.equal([EU_WIDE]);
    const stored = await app.container.store.identity.getUser('it-analyst');
    expect(stored?.passwordHash).to.match(/^scrypt\$/);
    expect(JSON.stringify((await api.get('/admin/users/it-analyst').expect(200)).body)).to.not.match(/scrypt|hash/i);

    await api.patch('/admin/users/it-analyst', { password: 'second-password-2', role: 'tenant-admin' }).expect(200);
    await taxii('/eu/collections/', IT).expect(401);
    const IT2: TestUser = { name: 'it-analyst', password: 'second-password-2' };
    await taxii('/eu/collections/', IT2).expect(200);
    expect((await api.get('/admin/users/it-analyst').expect(200)).body.role).to.equal('tenant-admin');

    const users = (await api.get('/admin/users').expect(200)).body.users as { username: string }[];
    expect(users.map((u) => u.username)).to.include.members(['ops', 'de-admin', 'it-analyst']);

    await api.del('/admin/users/it-analyst').expect(204);
    await taxii('/eu/collections/', IT2).expect(401);
    await api.get('/admin/users/it-analyst').expect(404);
  });

  it('accounts: service accounts have no password, users need one; every problem is listed', async () => {
    const svc = await api
      .post('/admin/users', {
        username: 'acn-sync',
        kind: 'service',
        tenant: 'it-acn',
        certificates: ['sha256:AA:' + 'bb'.repeat(31)],
      })
      .expect(201);
    expect(svc.body).to.include({ kind: 'service', role: 'member' });
    expect(svc.body.certificates).to.deep.equal(['sha256:aa' + 'bb'.repeat(31)]);
    await api
      .post('/admin/users', { username: 'other', kind: 'service', certificates: ['sha256:aa' + 'BB'.repeat(31)] })
      .expect(409);
    const bad = await api
      .post('/admin/users', { username: '-bad name', password: 'short', role: 'boss', colour: 'red' })
      .expect(400);
    expect(bad.headers['content-type']).to.equal('application/problem+json');
    expect(bad.body.details.problems).to.have.members([
      '(body): unknown key "colour"',
      'username: must match pattern "^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"',
      'password: must NOT have fewer than 12 characters',
      'role: must be one of "platform-admin", "tenant-admin", "member"',
    ]);
    const semantic = await api
      .post('/admin/users', { username: 'x1', kind: 'service', password: 'long-enough-pw', role: 'tenant-admin' })
      .expect(400);
    expect(semantic.body.details.problems).to.deep.equal([
      'password: a service account has no password; it uses tokens or certificates',
      'tenant: a tenant-admin needs a tenant',
    ]);
    const nopw = await api.post('/admin/users', { username: 'x2', tenant: 'nowhere' }).expect(400);
    expect(nopw.body.details.problems).to.deep.equal([
      'tenant: there is no tenant "nowhere"',
      'password: a user needs a password; service accounts use tokens or certificates',
    ]);
    await api.post('/admin/users', { username: 'ops', password: 'long-enough-pw' }).expect(409);
    await api.patch('/admin/users/acn-sync', {}).expect(400);
  });

  it('API roots and collections: created here, served by TAXII at once, retired on delete', async () => {
    const root = await api.post('/admin/api-roots', { path: 'nl', title: 'Dutch sharing' }).expect(201);
    expect(root.body).to.deep.equal({
      path: 'nl',
      title: 'Dutch sharing',
      max_content_length: 104857600,
      source: 'admin',
    });
    const reserved = await api.post('/admin/api-roots', { path: 'admin', title: 'x' }).expect(400);
    expect(reserved.body.details.problems).to.deep.equal(['path: is reserved']);
    await api.post('/admin/api-roots', { path: 'nl', title: 'again' }).expect(409);
    await api.patch('/admin/api-roots/nl', { description: 'NL', max_content_length: 5000 }).expect(200);
    expect((await taxii('/nl/', OPS).expect(200)).body).to.include({ description: 'NL', max_content_length: 5000 });

    const col = await api
      .post('/admin/api-roots/nl/collections', { title: 'National', alias: 'national', owner: 'de-bsi' })
      .expect(201);
    const id = col.body.id as string;
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(col.body).to.deep.equal({
      id,
      api_root: 'nl',
      title: 'National',
      alias: 'national',
      owner: 'de-bsi',
      media_types: ['application/stix+json;version=2.1'],
      releasability: false,
      source: 'admin',
    });
    await api.post('/admin/api-roots/nl/collections', { title: 'Other', alias: 'national' }).expect(409);
    await api.post('/admin/api-roots/nl/collections', { id: EU_WIDE, title: 'Same id' }).expect(409);
    await api.post('/admin/api-roots/nl/collections', { title: 'X', owner: 'nowhere' }).expect(400);
    await api.post('/admin/api-roots/nowhere/collections', { title: 'X' }).expect(404);
    await taxii(`/nl/collections/national/`, OPS).expect(200);

    const patched = await api
      .patch(`/admin/api-roots/nl/collections/national`, { title: 'National (NL)', alias: null })
      .expect(200);
    expect(patched.body).to.not.have.property('alias');
    expect(patched.body.title).to.equal('National (NL)');
    expect((await api.get(`/admin/api-roots/nl/collections/${id}`).expect(200)).body).to.deep.equal(patched.body);
    const listed = (await api.get('/admin/api-roots/nl/collections').expect(200)).body.collections as unknown[];
    expect(listed).to.deep.equal([patched.body]);

    const busy = await api.del('/admin/api-roots/nl').expect(409);
    expect(busy.body.details).to.deep.equal({ collections: 1 });
    await api.del(`/admin/api-roots/nl/collections/${id}`).expect(204);
    await taxii(`/nl/collections/${id}/`, OPS).expect(404);
    await api.get(`/admin/api-roots/nl/collections/${id}`).expect(404);
    await api.del('/admin/api-roots/nl').expect(204);
    await taxii('/nl/', OPS).expect(404);
    await api.get('/admin/api-roots/nl').expect(404);
    const roots = (await api.get('/admin/api-roots').expect(200)).body.api_roots as { path: string }[];
    expect(roots.map((r) => r.path)).to.deep.equal(['eu']);
  });

  it('refuses to change or delete what the configuration file declares (409)', async () => {
    const cases = [
      api.patch('/admin/tenants/de-bsi', { name: 'x' }),
      api.del('/admin/tenants/de-bsi'),
      api.patch('/admin/groups/eu-member-states', { tenants: [] }),
      api.del('/admin/groups/eu-member-states'),
      api.patch('/admin/users/de-analyst', { role: 'tenant-admin' }),
      api.del('/admin/users/fr-analyst'),
      api.patch('/admin/api-roots/eu', { title: 'x' }),
      api.del('/admin/api-roots/eu'),
      api.patch(`/admin/api-roots/eu/collections/${EU_WIDE}`, { title: 'x' }),
      api.del(`/admin/api-roots/eu/collections/${EU_WIDE}`),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status, res.text).to.equal(409);
      expect(detailOf(res)).to.match(/declared in the configuration file; change it there\.$/);
      expect(res.body).to.include({ error_code: 'conflict', status: 409 });
    }
    expect((await api.get('/admin/users/de-analyst').expect(200)).body).to.include({
      role: 'member',
      source: 'config',
    });
    // Tokens belong to no file: accounts the file declares get theirs here.
    await api.post('/admin/users/fr-analyst/tokens', { label: 'sync' }).expect(201);
  });

  it('a tenant still holding accounts or collections cannot be deleted', async () => {
    await api.post('/admin/tenants', { id: 'es-ccn', name: 'Spain' }).expect(201);
    await api.post('/admin/users', { username: 'es-1', password: 'es-password-12', tenant: 'es-ccn' }).expect(201);
    const res = await api.del('/admin/tenants/es-ccn').expect(409);
    expect(res.body.details).to.deep.equal({ accounts: 1, collections: 0, markings: 0 });
    await api.patch('/admin/users/es-1', { tenant: null }).expect(200);
    await api.del('/admin/tenants/es-ccn').expect(204);
    expect((await api.get('/admin/users/es-1').expect(200)).body).to.not.have.property('tenant');
  });

  it('answers problem documents: 401 first, unknown paths 404, other methods 405, non-JSON 415, bad JSON 400', async () => {
    const anon = await app.http.get('/admin/nothing-here').expect(401);
    expect(anon.headers['content-type']).to.equal('application/problem+json');
    expect(anon.headers['www-authenticate']).to.match(/^Basic realm=/);
    const missing = await api.get('/admin/nothing-here').expect(404);
    expect(missing.body).to.include({
      status: 404,
      error_code: 'not-found',
      request_id: missing.headers['x-request-id'],
    });
    const wrong = await api.put('/admin/tenants', {}).expect(405);
    expect(wrong.headers.allow).to.equal('GET, POST');
    await app.http
      .post('/admin/tenants')
      .auth(OPS.name, OPS.password)
      .set('Content-Type', 'text/plain')
      .send('id=x')
      .expect(415);
    const broken = await app.http
      .post('/admin/tenants')
      .auth(OPS.name, OPS.password)
      .set('Content-Type', 'application/json')
      .send('{"id":')
      .expect(400);
    expect(detailOf(broken)).to.equal(
      'The request body is not a valid JSON object: unexpected end of input: the object is not complete at $.id (byte 6).',
    );
    const array = await api.post('/admin/tenants', ['not', 'an', 'object']).expect(400);
    expect(detailOf(array)).to.equal(
      'The request body is not a valid JSON object: expected a JSON object, found "[" at $ (byte 0).',
    );
    // TAXII paths are untouched.
    await taxii('/eu/collections/', FR).expect(200);
  });
});
