// Grants through the admin API, as a platform admin: a PUT replaces the grants made here and leaves
// those the configuration file declares; rights add up and act on TAXII at once; every problem of
// a grant list is reported; deleting an account removes the grants naming it.
import { expect } from 'chai';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { ADMIN_CONFIG, ADMIN_ENV, DE, EU_WIDE, FR_DROP, adminClient, type AdminClient } from './admin-fixtures.js';

describe('Admin API: grants', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
  });
  after(async () => app.close());

  const taxii = (path: string, as: TestUser) => app.http.get(path).set('Accept', TAXII).auth(as.name, as.password);

  it('a PUT replaces the grants made here and leaves those of the file', async () => {
    await api
      .post('/admin/users', { username: 'fr-extra', password: 'fr-extra-password', tenant: 'fr-anssi' })
      .expect(201);
    const FR_EXTRA: TestUser = { name: 'fr-extra', password: 'fr-extra-password' };
    const before = (await api.get(`/admin/collections/${FR_DROP}/grants`).expect(200)).body;
    expect(before).to.deep.equal({ grants: [{ tenant: 'fr-anssi', read: true, write: false, source: 'config' }] });

    const put = await api
      .put(`/admin/collections/${FR_DROP}/grants`, {
        grants: [
          { group: 'eu-member-states', write: true },
          { user: 'fr-extra', read: true, write: true },
        ],
      })
      .expect(200);
    expect(put.body.grants).to.have.deep.members([
      { tenant: 'fr-anssi', read: true, write: false, source: 'config' },
      { group: 'eu-member-states', read: false, write: true, source: 'admin' },
      { user: 'fr-extra', read: true, write: true, source: 'admin' },
    ]);
    // Rights add up at once: the group's write plus fr-anssi's read.
    const mine = await taxii(`/eu/collections/${FR_DROP}/`, DE).expect(200);
    expect(mine.body).to.include({ can_read: false, can_write: true });
    expect((await taxii(`/eu/collections/${FR_DROP}/`, FR_EXTRA).expect(200)).body).to.include({ can_write: true });

    const bad = await api
      .put(`/admin/collections/${FR_DROP}/grants`, {
        grants: [{ group: 'nope', read: true }, { tenant: 'de-bsi' }, { tenant: 'de-bsi', user: 'ops', read: true }],
      })
      .expect(400);
    expect(bad.body.details.problems).to.deep.equal([
      'grants.2: A grant names exactly one of user, tenant or group, and gives read, write or both.',
    ]);
    const bad2 = await api
      .put(`/admin/collections/${FR_DROP}/grants`, {
        grants: [{ group: 'nope', read: true }, { tenant: 'de-bsi' }, { tenant: 'de-bsi', read: true }],
      })
      .expect(400);
    expect(bad2.body.details.problems).to.deep.equal([
      'grants.0.group: there is no group "nope"',
      'grants.1: gives neither read nor write',
      'grants.2: tenant "de-bsi" is named twice',
    ]);

    await api.put(`/admin/collections/${FR_DROP}/grants`, { grants: [] }).expect(200);
    expect((await api.get(`/admin/collections/${FR_DROP}/grants`).expect(200)).body).to.deep.equal(before);
    await taxii(`/eu/collections/${FR_DROP}/`, DE).expect(404);
    await api.get('/admin/collections/00000000-0000-4000-8000-000000000000/grants').expect(404);
  });

  it('deleting an account removes the grants naming it', async () => {
    await api.post('/admin/users', { username: 'temp', password: 'temp-password-1' }).expect(201);
    await api.put(`/admin/collections/${EU_WIDE}/grants`, { grants: [{ user: 'temp', read: true }] }).expect(200);
    await api.del('/admin/users/temp').expect(204);
    const grants = (await api.get(`/admin/collections/${EU_WIDE}/grants`).expect(200)).body.grants as {
      source: string;
    }[];
    expect(grants.every((g) => g.source === 'config')).to.equal(true);
  });
});
