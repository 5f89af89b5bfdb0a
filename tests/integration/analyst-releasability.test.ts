// The analyst API honours releasability like TAXII does: in a collection with releasability on, an
// object whose latest version carries a marking bound to other tenants is invisible to the caller
// in search, objects, neighbors, actors, counts, changes and exports, and a link it makes is too.
import { expect } from 'chai';
import { envelope, intrusionSet, malware, stixId, type Stix } from '../fixtures/builders.js';
import { asText } from '../helpers/text-body.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const SHARED = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const EU_ONLY = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-000000000e11';

const user = (name: string): TestUser => ({ name, password: `${name}-password` });
const DE = user('de-analyst');
const FR = user('fr-analyst');
const IT = user('it-analyst');

const CONFIG = `
auth: { failure_limit: 1000 }
tenants:
  - { id: de-bsi, name: Germany }
  - { id: fr-anssi, name: France }
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
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${SHARED}
        title: Shared with releasability
        releasability: true
        grants: [ { tenant: de-bsi, read: true, write: true }, { group: eu-core, read: true }, { tenant: it-acn, read: true } ]
`;

const marked = (o: Stix, refs: string[]): Stix => ({ ...o, object_marking_refs: refs });

describe('Analyst API and releasability', function () {
  this.timeout(60_000);
  let app: TestApp;
  const open = malware('Kestrel Loader');
  const red = marked(intrusionSet('Crimson Kestrel'), [TLP_RED]);
  const eu = marked(intrusionSet('Azure Kestrel'), [EU_ONLY]);
  const redUses: Stix = {
    type: 'relationship',
    spec_version: '2.1',
    id: stixId('relationship', 'red-uses'),
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    relationship_type: 'uses',
    source_ref: eu.id,
    target_ref: open.id,
    object_marking_refs: [TLP_RED],
  };
  let since = '';

  before(async () => {
    app = await startTestApp({
      config: CONFIG,
      env: { PW_DE: DE.password, PW_FR: FR.password, PW_IT: IT.password },
    });
    since = new Date(Date.now() - 1000).toISOString();
    await app.post(`/eu/collections/${SHARED}/objects/`, envelope(open, red, eu, redUses), DE).expect(202);
  });
  after(async () => app?.close());

  const api = (path: string, as: TestUser) => app.http.get(`/api/v1${path}`).auth(as.name, as.password);
  const hitIds = async (q: string, as: TestUser): Promise<string[]> =>
    ((await api(`/search?q=${encodeURIComponent(q)}`, as).expect(200)).body.hits as Stix[]).map((h) => h.id).sort();

  it('search shows each caller what its markings allow', async () => {
    expect(await hitIds('kestrel', DE)).to.deep.equal([open.id, red.id, eu.id].sort());
    expect(await hitIds('kestrel', FR)).to.deep.equal([open.id, eu.id].sort());
    expect(await hitIds('kestrel', IT)).to.deep.equal([open.id]);
  });

  it('a marked object is a 404 to those it is not released to, like an unknown id', async () => {
    await api(`/objects/${red.id}`, DE).expect(200);
    await api(`/objects/${red.id}`, FR).expect(404);
    await api(`/actors/${eu.id}`, IT).expect(404);
    await api(`/objects/${eu.id}/neighbors`, IT).expect(404);
  });

  it('a link carrying a marking is left out for those it is not released to', async () => {
    const de = (await api(`/objects/${open.id}/neighbors`, DE).expect(200)).body;
    expect(de.nodes.map((n: Stix) => n.id)).to.include(eu.id);
    const fr = (await api(`/objects/${open.id}/neighbors`, FR).expect(200)).body;
    expect(fr.nodes.map((n: Stix) => n.id)).to.deep.equal([open.id]);
    expect(fr.edges).to.deep.equal([]);
    const profile = (await api(`/actors/${eu.id}`, FR).expect(200)).body;
    expect(profile.malware).to.deep.equal([]);
  });

  it('counts, changes and exports leave out what the caller may not see', async () => {
    const count = async (u: TestUser): Promise<number> =>
      (await api('/collections', u).expect(200)).body.collections[0].objects as number;
    expect(await count(DE)).to.equal(4);
    expect(await count(FR)).to.equal(2);
    expect(await count(IT)).to.equal(1);
    const changed = ((await api(`/changes?since=${since}`, IT).expect(200)).body.changes as Stix[]).map((c) => c.id);
    expect(changed).to.deep.equal([open.id]);
    const text = (await asText(api(`/export?collection=${SHARED}`, IT)).expect(200)).body as string;
    expect((JSON.parse(text).objects as Stix[]).map((o) => o.id)).to.deep.equal([open.id]);
  });
});
