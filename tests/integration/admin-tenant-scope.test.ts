// What a tenant admin may do through the admin API: the accounts and tokens of its own tenant and
// the grants on collections its tenant owns. Anything of another tenant it may not even see is a
// 404 identical to something missing; what it sees but may not change is a 403. Members get 403 on
// every admin request, and their attempts to change something are on record as denied.
import { expect } from 'chai';
import type supertest from 'supertest';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import {
  ADMIN_CONFIG,
  ADMIN_ENV,
  DE,
  DE_ADMIN,
  EU_WIDE,
  FR,
  FR_ADMIN,
  FR_DROP,
  UNKNOWN_COLLECTION,
  adminClient,
  detailOf,
  type AdminClient,
} from './admin-fixtures.js';

/** Status and detail: two answers that must not be told apart. */
const answer = (res: supertest.Response) => ({ status: res.status, detail: detailOf(res) });

describe('Admin API: tenant admins administer their own tenant, members nothing', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
    // A platform admin placed in de-bsi, an account of another tenant made here, and an API root
    // holding nothing de-bsi owns.
    await api
      .post('/admin/users', {
        username: 'de-ops',
        password: 'de-ops-password',
        tenant: 'de-bsi',
        role: 'platform-admin',
      })
      .expect(201);
    await api
      .post('/admin/users', { username: 'fr-extra', password: 'fr-extra-password', tenant: 'fr-anssi' })
      .expect(201);
    await api.post('/admin/api-roots', { path: 'us', title: 'US' }).expect(201);
    await api.post('/admin/api-roots/us/collections', { title: 'US national' }).expect(201);
  });
  after(async () => app.close());

  it('sees and lists the accounts of its own tenant only', async () => {
    const users = (await api.get('/admin/users', DE_ADMIN).expect(200)).body.users as { username: string }[];
    expect(users.map((u) => u.username)).to.deep.equal(['de-admin', 'de-analyst', 'de-ops']);
    await api.get('/admin/users/de-analyst', DE_ADMIN).expect(200);
    const frUsers = (await api.get('/admin/users', FR_ADMIN).expect(200)).body.users as { username: string }[];
    expect(frUsers.map((u) => u.username)).to.deep.equal(['fr-admin', 'fr-analyst', 'fr-extra']);
  });

  it('gets 404 for every account of another tenant, exactly as for a missing one', async () => {
    const requests: ((name: string) => supertest.Test)[] = [
      (n) => api.get(`/admin/users/${n}`, DE_ADMIN),
      (n) => api.patch(`/admin/users/${n}`, { role: 'member' }, DE_ADMIN),
      (n) => api.del(`/admin/users/${n}`, DE_ADMIN),
      (n) => api.get(`/admin/users/${n}/tokens`, DE_ADMIN),
      (n) => api.post(`/admin/users/${n}/tokens`, {}, DE_ADMIN),
      (n) => api.del(`/admin/users/${n}/tokens/0011223344556677`, DE_ADMIN),
    ];
    // fr-extra is in another tenant, ops in none: both outside de-admin's scope.
    for (const hiddenName of ['fr-extra', 'ops']) {
      for (const request of requests) {
        const hidden = await request(hiddenName);
        const missing = await request('no-one');
        expect(hidden.status, hidden.text).to.equal(404);
        expect(detailOf(hidden).replace(hiddenName, '?')).to.equal(detailOf(missing).replace('no-one', '?'));
      }
    }
    expect((await api.get('/admin/users/fr-extra').expect(200)).body.role).to.equal('member');
  });

  it('creates and changes accounts of its own tenant, never elsewhere and never platform admins', async () => {
    const made = await api
      .post('/admin/users', { username: 'de-new', password: 'de-new-password' }, DE_ADMIN)
      .expect(201);
    expect(made.body).to.include({ tenant: 'de-bsi', role: 'member', source: 'admin' });
    await api
      .post('/admin/users', { username: 'de-admin-2', password: 'de-new-password', role: 'tenant-admin' }, DE_ADMIN)
      .expect(201);
    const refusals = [
      api.post('/admin/users', { username: 'x-fr', password: 'de-new-password', tenant: 'fr-anssi' }, DE_ADMIN),
      api.post('/admin/users', { username: 'x-root', password: 'de-new-password', role: 'platform-admin' }, DE_ADMIN),
      api.patch('/admin/users/de-new', { tenant: 'fr-anssi' }, DE_ADMIN),
      api.patch('/admin/users/de-new', { tenant: null }, DE_ADMIN),
      api.patch('/admin/users/de-new', { role: 'platform-admin' }, DE_ADMIN),
      // A platform admin in its tenant is visible, but out of its reach.
      api.patch('/admin/users/de-ops', { password: 'taken-over-password' }, DE_ADMIN),
      api.del('/admin/users/de-ops', DE_ADMIN),
      api.post('/admin/users/de-ops/tokens', {}, DE_ADMIN),
      api.get('/admin/users/de-ops/tokens', DE_ADMIN),
    ];
    for (const res of await Promise.all(refusals)) expect(res.status, res.text).to.equal(403);
    await api.get('/admin/users/de-ops', DE_ADMIN).expect(200);
    // What the file declares stays the file's, for tenant admins too.
    await api.patch('/admin/users/de-analyst', { role: 'tenant-admin' }, DE_ADMIN).expect(409);
    await api
      .patch('/admin/users/de-new', { password: 'changed-password-1', role: 'tenant-admin' }, DE_ADMIN)
      .expect(200);
    await app.http.get('/taxii2/').set('Accept', TAXII).auth('de-new', 'changed-password-1').expect(200);
    await api.del('/admin/users/de-new', DE_ADMIN).expect(204);
    await api.del('/admin/users/de-admin-2', DE_ADMIN).expect(204);
  });

  it("issues, lists and revokes tokens of its own tenant's accounts", async () => {
    await api.post('/admin/users', { username: 'de-sync', kind: 'service' }, DE_ADMIN).expect(201);
    const issued = await api.post('/admin/users/de-sync/tokens', { label: 'feed' }, DE_ADMIN).expect(201);
    const tokens = (await api.get('/admin/users/de-sync/tokens', DE_ADMIN).expect(200)).body.tokens as object[];
    expect(tokens).to.have.length(1);
    await api.del(`/admin/users/de-sync/tokens/${issued.body.id as string}`, DE_ADMIN).expect(204);
    // Someone else's token id under this account is unknown here.
    const other = await api.post('/admin/users/fr-extra/tokens', {}, FR_ADMIN).expect(201);
    await api.del(`/admin/users/de-sync/tokens/${other.body.id as string}`, DE_ADMIN).expect(404);
  });

  it('reads the directory of tenants and groups but changes none of it', async () => {
    const tenants = (await api.get('/admin/tenants', DE_ADMIN).expect(200)).body.tenants as { id: string }[];
    expect(tenants.map((t) => t.id)).to.deep.equal(['de-bsi', 'fr-anssi', 'it-acn']);
    await api.get('/admin/tenants/fr-anssi', DE_ADMIN).expect(200);
    await api.get('/admin/groups/eu-member-states', DE_ADMIN).expect(200);
    await api.get('/admin/groups', DE_ADMIN).expect(200);
    const refusals = [
      api.post('/admin/tenants', { id: 'x', name: 'x' }, DE_ADMIN),
      api.patch('/admin/tenants/de-bsi', { name: 'x' }, DE_ADMIN),
      api.del('/admin/tenants/fr-anssi', DE_ADMIN),
      api.post('/admin/groups', { id: 'x', tenants: [] }, DE_ADMIN),
      api.patch('/admin/groups/eu-member-states', { tenants: [] }, DE_ADMIN),
      api.del('/admin/groups/eu-member-states', DE_ADMIN),
    ];
    for (const res of await Promise.all(refusals)) expect(res.status, res.text).to.equal(403);
  });

  it('sees the collections its tenant owns and the API roots holding them; changes neither', async () => {
    const roots = (await api.get('/admin/api-roots', DE_ADMIN).expect(200)).body.api_roots as { path: string }[];
    expect(roots.map((r) => r.path)).to.deep.equal(['eu']);
    const cols = (await api.get('/admin/api-roots/eu/collections', DE_ADMIN).expect(200)).body.collections as {
      id: string;
    }[];
    expect(cols.map((c) => c.id)).to.deep.equal([EU_WIDE]);
    await api.get(`/admin/api-roots/eu/collections/${EU_WIDE}`, DE_ADMIN).expect(200);

    const hidden = await api.get(`/admin/api-roots/eu/collections/${FR_DROP}`, DE_ADMIN);
    const missing = await api.get(`/admin/api-roots/eu/collections/${UNKNOWN_COLLECTION}`, DE_ADMIN);
    expect(answer(hidden)).to.deep.equal(answer(missing)).and.to.include({ status: 404 });
    const hiddenRoot = await api.get('/admin/api-roots/us', DE_ADMIN);
    const missingRoot = await api.get('/admin/api-roots/zz', DE_ADMIN);
    expect(hiddenRoot.status).to.equal(404);
    expect(detailOf(hiddenRoot)).to.equal(detailOf(missingRoot).replace('zz', 'us'));
    await api.get('/admin/api-roots/us/collections', DE_ADMIN).expect(404);
    await api.post('/admin/api-roots/us/collections', { title: 'x' }, DE_ADMIN).expect(404);

    const refusals = [
      api.post('/admin/api-roots', { path: 'de', title: 'x' }, DE_ADMIN),
      api.patch('/admin/api-roots/eu', { title: 'x' }, DE_ADMIN),
      api.del('/admin/api-roots/eu', DE_ADMIN),
      api.post('/admin/api-roots/eu/collections', { title: 'x' }, DE_ADMIN),
      api.patch(`/admin/api-roots/eu/collections/${EU_WIDE}`, { title: 'x' }, DE_ADMIN),
      api.del(`/admin/api-roots/eu/collections/${EU_WIDE}`, DE_ADMIN),
    ];
    for (const res of await Promise.all(refusals)) expect(res.status, res.text).to.equal(403);
    for (const path of [`/admin/api-roots/eu/collections/${FR_DROP}`]) {
      await api.patch(path, { title: 'x' }, DE_ADMIN).expect(404);
      await api.del(path, DE_ADMIN).expect(404);
    }
  });

  it('manages the grants on collections its tenant owns: any tenant or group, accounts of its own tenant', async () => {
    const put = await api
      .put(
        `/admin/collections/${EU_WIDE}/grants`,
        {
          grants: [
            { tenant: 'it-acn', write: true },
            { user: 'de-analyst', write: true },
          ],
        },
        DE_ADMIN,
      )
      .expect(200);
    expect(put.body.grants).to.deep.include({ tenant: 'it-acn', read: false, write: true, source: 'admin' });
    // An account of another tenant reads as missing.
    const foreign = await api
      .put(`/admin/collections/${EU_WIDE}/grants`, { grants: [{ user: 'fr-extra', read: true }] }, DE_ADMIN)
      .expect(400);
    const absent = await api
      .put(`/admin/collections/${EU_WIDE}/grants`, { grants: [{ user: 'no-one', read: true }] }, DE_ADMIN)
      .expect(400);
    expect(foreign.body.details.problems).to.deep.equal(['grants.0.user: there is no account "fr-extra"']);
    expect(absent.body.details.problems).to.deep.equal(['grants.0.user: there is no account "no-one"']);
    // Collections of other tenants: 404, as for a collection that does not exist.
    for (const id of [FR_DROP, UNKNOWN_COLLECTION]) {
      const got = await api.get(`/admin/collections/${id}/grants`, DE_ADMIN);
      const put2 = await api.put(`/admin/collections/${id}/grants`, { grants: [] }, DE_ADMIN);
      expect(answer(got)).to.deep.equal({ status: 404, detail: 'There is no such collection.' });
      expect(answer(put2)).to.deep.equal({ status: 404, detail: 'There is no such collection.' });
    }
    await api.get(`/admin/collections/${FR_DROP}/grants`, FR_ADMIN).expect(200);
    await api.put(`/admin/collections/${EU_WIDE}/grants`, { grants: [] }, DE_ADMIN).expect(200);
  });

  it('reads the audit records of its own tenant only', async () => {
    const page = await api.get('/admin/audit?limit=1000', DE_ADMIN).expect(200);
    const records = page.body.records as { tenant?: string; actor?: string }[];
    expect(records.length).to.be.above(0);
    expect(records.every((r) => r.tenant === 'de-bsi')).to.equal(true);
    await api.get('/admin/audit?tenant=de-bsi', DE_ADMIN).expect(200);
    await api.get('/admin/audit?tenant=fr-anssi', DE_ADMIN).expect(403);
  });

  it('refuses members everything under /admin/ (403), and records their attempted changes as denied', async () => {
    const member: TestUser[] = [DE, FR];
    for (const who of member) {
      const tries = [
        api.get('/admin/tenants', who),
        api.get('/admin/users', who),
        api.get(`/admin/users/${who.name}`, who),
        api.get(`/admin/users/${who.name}/tokens`, who),
        api.post(`/admin/users/${who.name}/tokens`, {}, who),
        api.post('/admin/users', { username: 'sneaky', password: 'sneaky-password' }, who),
        api.get('/admin/api-roots', who),
        api.get(`/admin/collections/${EU_WIDE}/grants`, who),
        api.put(`/admin/collections/${EU_WIDE}/grants`, { grants: [] }, who),
        api.get('/admin/audit', who),
      ];
      for (const res of await Promise.all(tries)) {
        expect(res.status, res.text).to.equal(403);
        expect(res.headers['content-type']).to.equal('application/problem+json');
      }
    }
    await app.container.services.audit.flush();
    const denied = (
      await app.container.store.audit.queryAudit({ actor: 'de-analyst', action: 'admin.create', limit: 100 })
    ).records;
    expect(denied.map((r) => [r.outcome, r.target])).to.deep.include.members([
      ['denied', '/admin/users/de-analyst/tokens'],
      ['denied', '/admin/users'],
    ]);
    expect(denied.every((r) => r.detail?.error === 'forbidden')).to.equal(true);
  });
});
