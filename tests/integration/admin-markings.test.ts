// Marking bindings through the admin API: a platform admin binds a marking to tenants and groups,
// replaces and removes the binding; every problem of a binding is listed; the file's bindings
// cannot be changed here (409); tenant admins read the bindings but may not change them, members
// may do neither; a tenant or group a binding names cannot be deleted; every change is on record.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import {
  ADMIN_CONFIG,
  ADMIN_ENV,
  DE,
  DE_ADMIN,
  FILE_MARKING,
  adminClient,
  detailOf,
  type AdminClient,
} from './admin-fixtures.js';

const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const CUSTOM = 'marking-definition--2f1e5b6c-7d8e-4f90-a1b2-c3d4e5f6a7b8';
const FILE_BINDING = { id: FILE_MARKING, tenants: [], groups: ['eu-member-states'], source: 'config' };

describe('Admin API: marking bindings', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
  });
  after(async () => app.close());

  it('binds, reads, lists, replaces and removes a binding; the file keeps its own', async () => {
    expect((await api.get('/admin/markings').expect(200)).body).to.deep.equal({ markings: [FILE_BINDING] });
    const made = await api.put(`/admin/markings/${TLP_RED}`, { tenants: ['fr-anssi', 'de-bsi'] }).expect(200);
    expect(made.headers['content-type']).to.equal('application/json');
    expect(made.body).to.deep.equal({ id: TLP_RED, tenants: ['de-bsi', 'fr-anssi'], groups: [], source: 'admin' });
    expect((await api.get(`/admin/markings/${TLP_RED}`).expect(200)).body).to.deep.equal(made.body);

    const replaced = await api.put(`/admin/markings/${TLP_RED}`, { groups: ['eu-member-states'] }).expect(200);
    expect(replaced.body).to.deep.equal({ id: TLP_RED, tenants: [], groups: ['eu-member-states'], source: 'admin' });
    await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['it-acn'], groups: ['eu-member-states'] }).expect(200);
    const ids = ((await api.get('/admin/markings').expect(200)).body.markings as { id: string }[]).map((m) => m.id);
    expect(ids).to.deep.equal([FILE_MARKING, CUSTOM, TLP_RED].sort());

    await api.del(`/admin/markings/${TLP_RED}`).expect(204);
    const gone = await api.get(`/admin/markings/${TLP_RED}`).expect(404);
    expect(detailOf(gone)).to.equal(`No tenant or group is bound to the marking "${TLP_RED}".`);
    await api.del(`/admin/markings/${TLP_RED}`).expect(404);
    await api.del(`/admin/markings/${CUSTOM}`).expect(204);
    expect((await api.get('/admin/markings').expect(200)).body).to.deep.equal({ markings: [FILE_BINDING] });
  });

  it('lists every problem of a binding at once: path, body, unknown tenants and groups', async () => {
    const all = await api
      .put('/admin/markings/marking-definition--NOT-A-UUID', { tenants: ['nowhere', 'de-bsi'], groups: ['nobody'] })
      .expect(400);
    expect(all.headers['content-type']).to.equal('application/problem+json');
    expect(all.body.details.problems).to.deep.equal([
      'marking_id: must be marking-definition--<uuid> in lower case',
      'tenants.0: there is no tenant "nowhere"',
      'groups.0: there is no group "nobody"',
    ]);
    const shape = await api.put(`/admin/markings/${CUSTOM}`, { tenants: 'de-bsi', colour: 'red' }).expect(400);
    expect(shape.body.details.problems).to.have.members(['(body): unknown key "colour"', 'tenants: must be array']);
    for (const empty of [{}, { tenants: [], groups: [] }]) {
      const res = await api.put(`/admin/markings/${CUSTOM}`, empty).expect(400);
      expect(res.body.details.problems).to.deep.equal([
        '(body): name at least one tenant or group; to lift the restriction, delete the binding',
      ]);
    }
    await api.get(`/admin/markings/${CUSTOM}`).expect(404);
  });

  it('refuses to replace or remove a binding the file declares (409)', async () => {
    for (const res of [
      await api.put(`/admin/markings/${FILE_MARKING}`, { tenants: ['de-bsi'] }),
      await api.del(`/admin/markings/${FILE_MARKING}`),
    ]) {
      expect(res.status, res.text).to.equal(409);
      expect(detailOf(res)).to.match(/declared in the configuration file; change it there\.$/);
    }
    expect((await api.get(`/admin/markings/${FILE_MARKING}`).expect(200)).body).to.deep.equal(FILE_BINDING);
  });

  it('tenant admins read the bindings but may not change them; members may do neither', async () => {
    await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['fr-anssi'] }).expect(200);
    const listed = await api.get('/admin/markings', DE_ADMIN).expect(200);
    expect((listed.body.markings as { id: string }[]).map((m) => m.id)).to.deep.equal([FILE_MARKING, CUSTOM].sort());
    await api.get(`/admin/markings/${CUSTOM}`, DE_ADMIN).expect(200);
    const put = await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['de-bsi'] }, DE_ADMIN).expect(403);
    expect(detailOf(put)).to.equal('Only platform administrators may bind markings.');
    await api.put(`/admin/markings/${TLP_RED}`, { tenants: ['de-bsi'] }, DE_ADMIN).expect(403);
    await api.del(`/admin/markings/${CUSTOM}`, DE_ADMIN).expect(403);
    for (const res of [
      await api.get('/admin/markings', DE),
      await api.get(`/admin/markings/${CUSTOM}`, DE),
      await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['de-bsi'] }, DE),
      await api.del(`/admin/markings/${CUSTOM}`, DE),
    ])
      expect(res.status, res.text).to.equal(403);
    expect((await api.get(`/admin/markings/${CUSTOM}`).expect(200)).body.tenants).to.deep.equal(['fr-anssi']);
    await api.del(`/admin/markings/${CUSTOM}`).expect(204);
  });

  it('keeps a tenant or group a binding names from being deleted: the marking would release to nobody', async () => {
    await api.post('/admin/tenants', { id: 'nl-ncsc', name: 'Netherlands' }).expect(201);
    await api.post('/admin/groups', { id: 'benelux', tenants: ['nl-ncsc'] }).expect(201);
    await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['nl-ncsc'], groups: ['benelux'] }).expect(200);
    const group = await api.del('/admin/groups/benelux').expect(409);
    expect(group.body.details).to.deep.equal({ markings: 1 });
    await api.del('/admin/groups/benelux', DE_ADMIN).expect(403);
    await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['nl-ncsc'] }).expect(200);
    await api.del('/admin/groups/benelux').expect(204);
    const tenant = await api.del('/admin/tenants/nl-ncsc').expect(409);
    expect(tenant.body.details).to.deep.equal({ accounts: 0, collections: 0, markings: 1 });
    await api.put(`/admin/markings/${CUSTOM}`, { tenants: ['de-bsi'] }).expect(200);
    await api.del('/admin/tenants/nl-ncsc').expect(204);
    await api.del(`/admin/markings/${CUSTOM}`).expect(204);
  });

  it('puts every change on record, refused ones included, with the tenants and groups named', async () => {
    await api.put(`/admin/markings/${TLP_RED}`, { tenants: ['de-bsi'], groups: ['eu-member-states'] }).expect(200);
    await api.put(`/admin/markings/${TLP_RED}`, { tenants: ['fr-anssi'] }).expect(200);
    await api.put(`/admin/markings/${TLP_RED}`, { tenants: ['it-acn'] }, DE_ADMIN).expect(403);
    await api.del(`/admin/markings/${TLP_RED}`).expect(204);
    const page = await api.get('/admin/audit?limit=1000').expect(200);
    const target = `/admin/markings/${encodeURIComponent(TLP_RED)}`;
    const mine = (page.body.records as { target?: string; actor: string; action: string; outcome: string }[])
      .filter((r) => r.target === target)
      .map((r) => ({
        actor: r.actor,
        action: r.action,
        outcome: r.outcome,
        detail: (r as { detail?: unknown }).detail,
      }));
    expect(mine.slice(-4)).to.deep.equal([
      {
        actor: 'ops',
        action: 'admin.update',
        outcome: 'ok',
        detail: { tenants: ['de-bsi'], groups: ['eu-member-states'], created: true },
      },
      { actor: 'ops', action: 'admin.update', outcome: 'ok', detail: { tenants: ['fr-anssi'], groups: [] } },
      { actor: 'de-admin', action: 'admin.update', outcome: 'denied', detail: { error: 'forbidden' } },
      { actor: 'ops', action: 'admin.delete', outcome: 'ok', detail: undefined },
    ]);
  });
});
