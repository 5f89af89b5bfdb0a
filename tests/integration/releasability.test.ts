// Releasability by marking and collection write policies. An object is returned, listed, counted
// in the Date-Added headers and reachable by id only for principals allowed every marking it
// carries; policies refuse types, TLP levels and foreign provenance object by object.
import { expect } from 'chai';
import { envelope, indicator, ipv4, malware, type Stix } from '../fixtures/builders.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const SHARED = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const PLAIN = '6c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const GUARDED = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const TLP_GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';
const TLP1_RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed';
const EU_ONLY = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-000000000e11';
const DE_IDENTITY = 'identity--0a1b2c3d-4e5f-4a6b-8c7d-0000000000de';
const FR_IDENTITY = 'identity--0a1b2c3d-4e5f-4a6b-8c7d-0000000000f2';

const user = (name: string): TestUser => ({ name, password: `${name}-password` });
const DE = user('de-analyst');
const FR = user('fr-analyst');
const IT = user('it-analyst');
const OPS = user('ops');
const ENV = Object.fromEntries([DE, FR, IT, OPS].map((u) => [`PW_${u.name.slice(0, 2).toUpperCase()}`, u.password]));

const CONFIG = `
auth: { failure_limit: 1000 }
tenants:
  - { id: de-bsi, name: Germany, identities: [${DE_IDENTITY}] }
  - { id: fr-anssi, name: France, identities: [${FR_IDENTITY}] }
  - { id: it-acn, name: Italy }
groups:
  - { id: eu-core, tenants: [de-bsi, fr-anssi] }
markings:
  - { id: ${TLP_RED}, tenants: [de-bsi] }
  - { id: ${EU_ONLY}, groups: [eu-core] }
users:
  - { username: de-analyst, tenant: de-bsi, password_env: PW_DE }
  - { username: fr-analyst, tenant: fr-anssi, password_env: PW_FR }
  - { username: it-analyst, tenant: it-acn, password_env: PW_IT }
  - { username: ops, role: platform-admin, password_env: PW_OP }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${SHARED}
        title: Shared with releasability
        releasability: true
        grants: [ { tenant: de-bsi, read: true, write: true }, { group: eu-core, read: true }, { tenant: it-acn, read: true } ]
      - id: ${PLAIN}
        title: Shared without releasability
        grants: [ { tenant: de-bsi, read: true, write: true }, { tenant: it-acn, read: true } ]
      - id: ${GUARDED}
        title: Policed
        policy: { allowed_types: [indicator, identity, marking-definition], max_tlp: amber, provenance: true }
        grants: [ { tenant: de-bsi, read: true, write: true }, { tenant: it-acn, write: true } ]
`;

const marked = (name: string, refs: string[], modified?: string): Stix => ({
  ...indicator(name, modified),
  object_marking_refs: refs,
});

describe('Releasability by marking', function () {
  this.timeout(60_000);
  let app: TestApp;
  const plain = indicator('rel-plain');
  const red = marked('rel-red', [TLP_RED]);
  const eu = marked('rel-eu', [EU_ONLY]);
  const both = marked('rel-both', [EU_ONLY, TLP_RED]);
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: ENV });
    for (const c of [SHARED, PLAIN])
      await app.post(`/eu/collections/${c}/objects/`, envelope(plain, red, eu, both), DE).expect(202);
  });
  after(async () => app.close());

  const ids = async (u: TestUser, path: string) => {
    const res = await app.get(path, u).expect(200);
    return ((res.body.objects ?? []) as { id: string }[]).map((o) => o.id);
  };

  it('lists to each principal only the objects whose every marking it may receive', async () => {
    const objects = `/eu/collections/${SHARED}/objects/`;
    expect(await ids(DE, objects)).to.deep.equal([plain.id, red.id, eu.id, both.id]);
    expect(await ids(FR, objects)).to.deep.equal([plain.id, eu.id]);
    expect(await ids(IT, objects)).to.deep.equal([plain.id]);
    expect(await ids(OPS, objects)).to.have.length(4);
    expect(await ids(IT, `/eu/collections/${SHARED}/manifest/`)).to.deep.equal([plain.id]);
  });

  it('counts only visible objects in the Date-Added headers and in paging', async () => {
    const all = await app.get(`/eu/collections/${SHARED}/manifest/`, DE).expect(200);
    const dates = (all.body.objects as { id: string; date_added: string }[]).map((o) => [o.id, o.date_added]);
    const mine = await app.get(`/eu/collections/${SHARED}/objects/`, FR).expect(200);
    expect(mine.headers['x-taxii-date-added-first']).to.equal(dates[0]?.[1]);
    expect(mine.headers['x-taxii-date-added-last']).to.equal(dates[2]?.[1]);
    const page1 = await app.get(`/eu/collections/${SHARED}/objects/?limit=1`, IT).expect(200);
    expect(page1.body).to.not.have.property('more', true);
    expect(page1.body.objects).to.have.length(1);
    const pageA = await app.get(`/eu/collections/${SHARED}/objects/?limit=1`, FR).expect(200);
    expect(pageA.body.more).to.equal(true);
    const pageB = await app
      .get(`/eu/collections/${SHARED}/objects/?limit=1&next=${encodeURIComponent(pageA.body.next as string)}`, FR)
      .expect(200);
    expect(pageB.body.objects.map((o: { id: string }) => o.id)).to.deep.equal([eu.id]);
    expect(pageB.body.more).to.equal(false);
  });

  it('answers an object the caller may not receive exactly like one that does not exist', async () => {
    const missing = await app.get(`/eu/collections/${SHARED}/objects/${indicator('never-posted').id}/`, IT).expect(404);
    for (const path of [
      `/eu/collections/${SHARED}/objects/${red.id}/`,
      `/eu/collections/${SHARED}/objects/${red.id}/versions/`,
    ]) {
      const res = await app.get(path, IT).expect(404);
      expect({ ...res.body, error_id: 'x' }).to.deep.equal({ ...missing.body, error_id: 'x' });
    }
    await app.get(`/eu/collections/${SHARED}/objects/${eu.id}/`, FR).expect(200);
  });

  it('hides the newest version when it carries a marking the caller may not receive, and shows older ones only on request', async () => {
    const v1 = indicator('rel-evolving');
    const v2 = marked('rel-evolving', [TLP_RED], '2024-06-01T00:00:00.000Z');
    await app.post(`/eu/collections/${SHARED}/objects/`, envelope(v1, v2), DE).expect(202);
    expect(await ids(FR, `/eu/collections/${SHARED}/objects/?match[id]=${v1.id}`)).to.deep.equal([]);
    const all = await app.get(`/eu/collections/${SHARED}/objects/${v1.id}/?match[version]=all`, FR).expect(200);
    expect(all.body.objects.map((o: { modified: string }) => o.modified)).to.deep.equal(['2024-01-01T00:00:00.000Z']);
  });

  it('does not apply where releasability is off', async () => {
    expect(await ids(IT, `/eu/collections/${PLAIN}/objects/`)).to.deep.equal([plain.id, red.id, eu.id, both.id]);
  });
});

describe('Collection write policies', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: ENV });
  });
  after(async () => app.close());

  const post = async (u: TestUser, ...objects: unknown[]) =>
    (await app.post(`/eu/collections/${GUARDED}/objects/`, envelope(...objects), u).expect(202)).body as {
      successes?: { id: string }[];
      failures?: { id: string; message: string }[];
    };
  const ours = (name: string, extra: Record<string, unknown> = {}) =>
    indicator(name, undefined, { created_by_ref: DE_IDENTITY, ...extra });

  it('refuses, object by object and with the reason, types, TLP levels and creators the collection does not take', async () => {
    const ok = ours('policy-ok', { object_marking_refs: [TLP_GREEN] });
    const self = {
      type: 'identity',
      spec_version: '2.1',
      id: DE_IDENTITY,
      created: '2024-01-01T00:00:00.000Z',
      modified: '2024-01-01T00:00:00.000Z',
      name: 'BSI',
    };
    const status = await post(
      DE,
      ok,
      self,
      { ...malware('policy-rat'), created_by_ref: DE_IDENTITY },
      ours('policy-red', { object_marking_refs: [TLP_RED] }),
      ours('policy-red1', { object_marking_refs: [TLP1_RED, TLP_GREEN] }),
      indicator('policy-foreign', undefined, { created_by_ref: FR_IDENTITY }),
      indicator('policy-anonymous'),
      ipv4('198.51.100.9'),
    );
    expect(status.successes?.map((s) => s.id)).to.deep.equal([ok.id, DE_IDENTITY]);
    const reasons = Object.fromEntries((status.failures ?? []).map((f) => [f.id, f.message]));
    expect(reasons).to.deep.equal({
      [malware('policy-rat').id]:
        'this collection does not take malware objects (it takes indicator, identity, marking-definition)',
      [indicator('policy-red').id]: 'TLP:RED is above what this collection may hold (at most TLP:AMBER)',
      [indicator('policy-red1').id]: 'TLP:RED is above what this collection may hold (at most TLP:AMBER)',
      [indicator('policy-foreign').id]: `created_by_ref ${FR_IDENTITY} is not an identity of your tenant`,
      [indicator('policy-anonymous').id]: 'created_by_ref is required here and must be an identity of your tenant',
      [ipv4('198.51.100.9').id]:
        'this collection does not take ipv4-addr objects (it takes indicator, identity, marking-definition)',
    });
    const stored = await app.get(`/eu/collections/${GUARDED}/objects/`, DE).expect(200);
    expect(stored.body.objects.map((o: { id: string }) => o.id)).to.deep.equal([ok.id, DE_IDENTITY]);
  });

  it('holds a tenant without identities to provenance too, and lets a platform admin write for anyone', async () => {
    const anyone = indicator('policy-by-admin', undefined, { created_by_ref: FR_IDENTITY });
    expect((await post(OPS, anyone)).successes?.map((s) => s.id)).to.deep.equal([anyone.id]);
    const fromItaly = await post(IT, indicator('policy-it', undefined, { created_by_ref: FR_IDENTITY }));
    // A write-only caller learns nothing about the collection, but a policy refusal is about its own object.
    expect(fromItaly.failures?.[0]?.message).to.equal(
      `created_by_ref ${FR_IDENTITY} is not an identity of your tenant`,
    );
  });
});
