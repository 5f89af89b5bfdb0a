// What the admin API creates is marked source 'admin' and the configuration file leaves it alone:
// it survives a restart with the same file, next to what the file declares (re-declared at every
// start). The generated first-start admin may be changed here and keeps its source, so it still
// goes once a file declares an admin; the last platform admin cannot be removed or demoted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { TAXII, restartableStore, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { ADMIN_CONFIG, ADMIN_ENV, EU_WIDE, FILE_MARKING, FR_DROP, OPS, adminClient } from './admin-fixtures.js';

const MARKING = 'marking-definition--2f1e5b6c-7d8e-4f90-a1b2-c3d4e5f6a7b8';
const NL_IDENTITY = 'identity--5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';

describe('Admin API: records made here survive restarts; the file keeps its own', function () {
  this.timeout(60_000);
  let dir: string;
  const store = restartableStore();
  const start = (config = ADMIN_CONFIG, env: Record<string, string> = ADMIN_ENV): Promise<TestApp> =>
    startTestApp({ dir, config, env, ...store });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-admin-restart-'));
  });
  after(async () => {
    await store.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps tenants, groups, accounts, tokens, API roots, collections, grants and bindings made here across a restart', async () => {
    let app = await start();
    let api = adminClient(app);
    await api.post('/admin/tenants', { id: 'nl-ncsc', name: 'Netherlands', identities: [NL_IDENTITY] }).expect(201);
    await api.post('/admin/groups', { id: 'benelux', tenants: ['nl-ncsc'] }).expect(201);
    await api.post('/admin/users', { username: 'nl-1', password: 'nl-password-12', tenant: 'nl-ncsc' }).expect(201);
    const token = (await api.post('/admin/users/nl-1/tokens', { label: 'x' }).expect(201)).body.token as string;
    await api.post('/admin/api-roots', { path: 'nl', title: 'NL' }).expect(201);
    const policy = { allowed_types: ['indicator'], max_tlp: 'amber', provenance: true };
    const made = { title: 'NL', owner: 'nl-ncsc', releasability: true, policy };
    const col = (await api.post('/admin/api-roots/nl/collections', made).expect(201)).body.id as string;
    await api.put(`/admin/markings/${MARKING}`, { groups: ['benelux'] }).expect(200);
    await api.put(`/admin/collections/${col}/grants`, { grants: [{ group: 'benelux', read: true }] }).expect(200);
    // Admin grants on a collection the file declares sit next to the file's.
    await api.put(`/admin/collections/${FR_DROP}/grants`, { grants: [{ tenant: 'nl-ncsc', write: true }] }).expect(200);
    await app.close();

    app = await start();
    api = adminClient(app);
    const NL: TestUser = { name: 'nl-1', password: 'nl-password-12' };
    expect((await api.get('/admin/tenants/nl-ncsc').expect(200)).body).to.include({ source: 'admin' });
    expect((await api.get('/admin/tenants/nl-ncsc').expect(200)).body.identities).to.deep.equal([NL_IDENTITY]);
    const kept = (await api.get(`/admin/api-roots/nl/collections/${col}`).expect(200)).body;
    expect(kept).to.deep.include({ releasability: true, policy });
    const bindings = (await api.get('/admin/markings').expect(200)).body.markings as { id: string; source: string }[];
    expect(bindings.map((b) => `${b.id}:${b.source}`)).to.deep.equal(
      [`${FILE_MARKING}:config`, `${MARKING}:admin`].sort(),
    );
    expect((await api.get('/admin/groups/benelux').expect(200)).body).to.include({ source: 'admin' });
    expect((await api.get('/admin/users/nl-1').expect(200)).body).to.include({ source: 'admin', tenant: 'nl-ncsc' });
    expect((await api.get('/admin/api-roots/nl').expect(200)).body.source).to.equal('admin');
    expect((await api.get(`/admin/api-roots/nl/collections/${col}`).expect(200)).body.source).to.equal('admin');
    expect((await api.get(`/admin/collections/${FR_DROP}/grants`).expect(200)).body.grants).to.have.deep.members([
      { tenant: 'fr-anssi', read: true, write: false, source: 'config' },
      { tenant: 'nl-ncsc', read: false, write: true, source: 'admin' },
    ]);
    // And they act: the account signs in, its token works, the group grant gives read.
    const cols = await app.http.get('/nl/collections/').set('Accept', TAXII).auth(NL.name, NL.password).expect(200);
    expect(cols.body.collections[0]).to.include({ id: col, can_read: true, can_write: false });
    await app.http.get('/taxii2/').set('Accept', TAXII).set('Authorization', `Bearer ${token}`).expect(200);
    // The file's records are as the file says.
    expect((await api.get('/admin/users/de-analyst').expect(200)).body.source).to.equal('config');
    expect((await api.get(`/admin/api-roots/eu/collections/${EU_WIDE}`).expect(200)).body.source).to.equal('config');
    await app.close();
  });

  it('a file that later declares a record made here takes it over; one that drops its own leaves ours', async () => {
    const config = ADMIN_CONFIG.replace(
      '  - { id: it-acn, name: Italy (ACN) }',
      '  - { id: it-acn, name: Italy (ACN) }\n  - { id: nl-ncsc, name: Netherlands (from the file) }',
    );
    let app = await start(config);
    let api = adminClient(app);
    expect((await api.get('/admin/tenants/nl-ncsc').expect(200)).body).to.deep.equal({
      id: 'nl-ncsc',
      name: 'Netherlands (from the file)',
      identities: [],
      source: 'config',
    });
    await api.patch('/admin/tenants/nl-ncsc', { name: 'x' }).expect(409);
    await app.close();

    // Without the entry, the file removes what it declared; the account made here stays.
    app = await start(ADMIN_CONFIG);
    api = adminClient(app);
    await api.get('/admin/tenants/nl-ncsc').expect(404);
    expect((await api.get('/admin/users/nl-1').expect(200)).body.source).to.equal('admin');
    expect((await api.get('/admin/users').expect(200)).body.users).to.have.length.above(5);
    await app.close();
  });

  it('the generated first-start admin can be changed here, stays bootstrap, and is never the last admin removed', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'palisade-admin-bootstrap-'));
    const ADMIN: TestUser = { name: 'admin', password: 'first-start-password' };
    const app = await startTestApp({
      dir: bare,
      config: 'auth: { failure_limit: 1000 }\n',
      env: { PALISADE_ADMIN_PASSWORD: ADMIN.password },
    });
    try {
      const api = adminClient(app);
      const me = (await api.get('/admin/users/admin', ADMIN).expect(200)).body;
      expect(me).to.include({ role: 'platform-admin', source: 'bootstrap' });
      expect((await api.patch('/admin/users/admin', { role: 'member' }, ADMIN).expect(409)).body.detail).to.match(
        /last platform administrator/,
      );
      await api.del('/admin/users/admin', ADMIN).expect(409);
      const changed = await api.patch('/admin/users/admin', { password: 'a-better-password' }, ADMIN).expect(200);
      expect(changed.body.source).to.equal('bootstrap');
      const NEW: TestUser = { name: 'admin', password: 'a-better-password' };
      await api.get('/admin/users/admin', ADMIN).expect(401);
      // With a second platform admin, the first may go.
      await api
        .post('/admin/users', { username: 'root2', password: 'root2-password', role: 'platform-admin' }, NEW)
        .expect(201);
      await api.patch('/admin/users/admin', { role: 'member' }, NEW).expect(200);
      await api.get('/admin/users', NEW).expect(403);
      const ROOT2: TestUser = { name: 'root2', password: 'root2-password' };
      await api.del('/admin/users/root2', ROOT2).expect(409);
      // The demo is the first start's too: it may be changed here, and keeps its source.
      const demo = await api.patch('/admin/api-roots/demo', { title: 'Demo (renamed)' }, ROOT2).expect(200);
      expect(demo.body).to.include({ title: 'Demo (renamed)', source: 'bootstrap' });
    } finally {
      await app.close();
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('OPS is declared by the file and cannot be changed here', async () => {
    const app = await start();
    try {
      await adminClient(app).patch('/admin/users/ops', { password: 'another-password' }, OPS).expect(409);
    } finally {
      await app.close();
    }
  });
});
