// Releasability, write policies and tenant identities through the admin API: shown in the views,
// set on creation, changed by merge patch (TLP 1.0 WHITE read back as CLEAR), validated with every
// problem listed; an identity speaks for one tenant. End to end: a marking bound and releasability
// and a policy set here act on the next TAXII request, hiding marked objects from tenants outside
// the binding and refusing what the policy does not take, object by object, with the reason.
import { expect } from 'chai';
import { envelope, indicator, malware, type Stix } from '../fixtures/builders.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import {
  ADMIN_CONFIG,
  ADMIN_ENV,
  DE,
  DE_IDENTITY,
  EU_WIDE,
  FR,
  adminClient,
  detailOf,
  type AdminClient,
} from './admin-fixtures.js';

const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const TLP_AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421';
const DE_ONLY = 'marking-definition--2f1e5b6c-7d8e-4f90-a1b2-c3d4e5f6a7b8';
const NL_IDENTITY = 'identity--5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
const NL_OTHER = 'identity--5a6b7c8d-9e0f-4a1b-8c2d-000000000001';

describe('Admin API: releasability, write policies and tenant identities', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
    await api.post('/admin/api-roots', { path: 'pol', title: 'Policies' }).expect(201);
  });
  after(async () => app.close());

  it('collections: releasability and the policy are shown, set on creation and changed by merge patch', async () => {
    const body = {
      title: 'Policed',
      releasability: true,
      policy: { allowed_types: ['indicator', 'identity'], max_tlp: 'white', provenance: true },
    };
    const made = await api.post('/admin/api-roots/pol/collections', body).expect(201);
    const at = `/admin/api-roots/pol/collections/${made.body.id as string}`;
    expect(made.body).to.include({ releasability: true });
    expect(made.body.policy).to.deep.equal({
      allowed_types: ['indicator', 'identity'],
      max_tlp: 'clear',
      provenance: true,
    });
    expect((await api.get(at).expect(200)).body).to.deep.equal(made.body);

    const patched = await api.patch(at, { policy: { max_tlp: 'amber+strict', allowed_types: null } }).expect(200);
    expect(patched.body.policy).to.deep.equal({ max_tlp: 'amber+strict', provenance: true });
    expect(patched.body).to.include({ releasability: true, title: 'Policed' });
    const lifted = await api.patch(at, { policy: null, releasability: false }).expect(200);
    expect(lifted.body).to.include({ releasability: false }).and.not.have.property('policy');
    const emptied = await api.patch(at, { policy: { provenance: true } }).expect(200);
    expect(emptied.body.policy).to.deep.equal({ provenance: true });
    const none = await api.patch(at, { policy: { provenance: null } }).expect(200);
    expect(none.body).to.not.have.property('policy');

    const bad = await api
      .post('/admin/api-roots/pol/collections', {
        title: 'x',
        releasability: 'yes',
        policy: { allowed_types: [], max_tlp: 'pink', colour: 'red' },
      })
      .expect(400);
    expect(bad.body.details.problems).to.have.members([
      'releasability: must be boolean',
      'policy: unknown key "colour"',
      'policy.allowed_types: must NOT have fewer than 1 items',
      'policy.max_tlp: must be one of "clear", "white", "green", "amber", "amber+strict", "red"',
    ]);
    const file = (await api.get(`/admin/api-roots/eu/collections/${EU_WIDE}`).expect(200)).body;
    expect(file).to.include({ releasability: false, source: 'config' }).and.not.have.property('policy');
    await api.patch(`/admin/api-roots/eu/collections/${EU_WIDE}`, { releasability: true }).expect(409);
  });

  it('tenants: identities set on creation and replaced by a change; an identity speaks for one tenant', async () => {
    expect((await api.get('/admin/tenants/de-bsi').expect(200)).body.identities).to.deep.equal([DE_IDENTITY]);
    const nl = await api
      .post('/admin/tenants', { id: 'nl-ncsc', name: 'Netherlands', identities: [NL_OTHER, NL_IDENTITY] })
      .expect(201);
    expect(nl.body).to.deep.equal({
      id: 'nl-ncsc',
      name: 'Netherlands',
      identities: [NL_IDENTITY, NL_OTHER].sort(),
      source: 'admin',
    });
    const taken = await api.post('/admin/tenants', { id: 'xx', name: 'x', identities: [DE_IDENTITY] }).expect(409);
    expect(detailOf(taken)).to.equal(`The identity ${DE_IDENTITY} speaks for the tenant "de-bsi" already.`);
    await api.patch('/admin/tenants/nl-ncsc', { identities: [NL_IDENTITY, DE_IDENTITY] }).expect(409);
    const bad = await api.patch('/admin/tenants/nl-ncsc', { identities: ['identity--nope', NL_IDENTITY, NL_IDENTITY] });
    expect(bad.status).to.equal(400);
    expect(bad.body.details.problems).to.have.members([
      'identities.0: must match pattern "^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"',
      'identities: must NOT have duplicate items (items ## 2 and 1 are identical)',
    ]);
    const renamed = await api.patch('/admin/tenants/nl-ncsc', { name: 'NL' }).expect(200);
    expect(renamed.body.identities).to.deep.equal(nl.body.identities);
    expect((await api.patch('/admin/tenants/nl-ncsc', { identities: [] }).expect(200)).body.identities).to.deep.equal(
      [],
    );
    await api.patch('/admin/tenants/de-bsi', { identities: [] }).expect(409);
    await api.del('/admin/tenants/nl-ncsc').expect(204);
  });

  it('end to end: a binding, releasability and a policy set here act on the next TAXII request', async () => {
    const col = await api
      .post('/admin/api-roots/pol/collections', {
        title: 'EU-wide',
        owner: 'de-bsi',
        releasability: true,
        policy: { max_tlp: 'amber' },
      })
      .expect(201);
    const objects = `/pol/collections/${col.body.id as string}/objects/`;
    const at = `/admin/api-roots/pol/collections/${col.body.id as string}`;
    await api
      .put(`/admin/collections/${col.body.id as string}/grants`, {
        grants: [
          { group: 'eu-member-states', read: true },
          { tenant: 'de-bsi', read: true, write: true },
        ],
      })
      .expect(200);
    await api.put(`/admin/markings/${DE_ONLY}`, { tenants: ['de-bsi'] }).expect(200);

    const plain = indicator('e2e-plain');
    const mine = indicator('e2e-de-only', undefined, { object_marking_refs: [DE_ONLY, TLP_AMBER] });
    const red = indicator('e2e-red', undefined, { object_marking_refs: [TLP_RED] });
    const status = await post(objects, DE, plain, mine, red);
    expect(status.successes?.map((s) => s.id)).to.deep.equal([plain.id, mine.id]);
    expect(status.failures).to.deep.equal([
      {
        id: red.id,
        version: red.modified,
        message: 'TLP:RED is above what this collection may hold (at most TLP:AMBER)',
      },
    ]);

    // fr-anssi is in the group that reads the collection, but not in the marking's binding.
    expect(await ids(objects, DE)).to.deep.equal([plain.id, mine.id]);
    expect(await ids(objects, FR)).to.deep.equal([plain.id]);
    expect(await ids(objects.replace('/objects/', '/manifest/'), FR)).to.deep.equal([plain.id]);
    await app.get(`${objects}${mine.id}/`, FR).expect(404);

    // Widening the binding, then turning releasability off, each act at once.
    await api.put(`/admin/markings/${DE_ONLY}`, { tenants: ['de-bsi', 'fr-anssi'] }).expect(200);
    expect(await ids(objects, FR)).to.deep.equal([plain.id, mine.id]);
    await api.put(`/admin/markings/${DE_ONLY}`, { tenants: ['de-bsi'] }).expect(200);
    expect(await ids(objects, FR)).to.deep.equal([plain.id]);
    await api.patch(at, { releasability: false }).expect(200);
    expect(await ids(objects, FR)).to.deep.equal([plain.id, mine.id]);

    // The policy changes act too: TLP:RED lifted, then only malware taken.
    await api.patch(at, { policy: { max_tlp: null, allowed_types: ['malware'] } }).expect(200);
    const second = await post(objects, DE, red, malware('e2e-rat'));
    expect(second.successes?.map((s) => s.id)).to.deep.equal([malware('e2e-rat').id]);
    expect(second.failures?.map((f) => f.message)).to.deep.equal([
      'this collection does not take indicator objects (it takes malware)',
    ]);
  });

  it('end to end: provenance holds a tenant to the identities set here', async () => {
    await api.post('/admin/tenants', { id: 'nl-ncsc', name: 'Netherlands', identities: [NL_IDENTITY] }).expect(201);
    await api.post('/admin/users', { username: 'nl-1', password: 'nl-password-12', tenant: 'nl-ncsc' }).expect(201);
    const NL: TestUser = { name: 'nl-1', password: 'nl-password-12' };
    const col = await api
      .post('/admin/api-roots/pol/collections', { title: 'Provenance', policy: { provenance: true } })
      .expect(201);
    const id = col.body.id as string;
    await api.put(`/admin/collections/${id}/grants`, { grants: [{ tenant: 'nl-ncsc', write: true }] }).expect(200);
    const objects = `/pol/collections/${id}/objects/`;
    const ours = indicator('prov-ours', undefined, { created_by_ref: NL_IDENTITY });
    const theirs = indicator('prov-theirs', undefined, { created_by_ref: DE_IDENTITY });
    const status = await post(objects, NL, ours, theirs);
    expect(status.successes?.map((s) => s.id)).to.deep.equal([ours.id]);
    expect(status.failures?.map((f) => f.message)).to.deep.equal([
      `created_by_ref ${DE_IDENTITY} is not an identity of your tenant`,
    ]);
    await api.patch('/admin/tenants/nl-ncsc', { identities: [] }).expect(200);
    const again = await post(objects, NL, indicator('prov-later', undefined, { created_by_ref: NL_IDENTITY }));
    expect(again.failures?.map((f) => f.message)).to.deep.equal([
      `created_by_ref ${NL_IDENTITY} is not an identity of your tenant`,
    ]);
  });

  async function post(path: string, as: TestUser, ...objects: Stix[]) {
    return (await app.post(path, envelope(...objects), as).expect(202)).body as {
      successes?: { id: string }[];
      failures?: { id: string; version?: string; message: string }[];
    };
  }

  async function ids(path: string, as: TestUser): Promise<string[]> {
    const res = await app.get(path, as).expect(200);
    return ((res.body.objects ?? []) as { id: string }[]).map((o) => o.id);
  }
});
