// The worked example of README.md ("Governments as tenants") loads as written and behaves as the
// README says it does. The YAML is read from the README itself, so the two cannot drift apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { issueToken } from '../../src/auth/tokens.js';
import { projectRoot } from '../../src/paths.js';
import { envelope, indicator } from '../fixtures/builders.js';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Governments as tenants'));
const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

const EU_WIDE = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const DE_NATIONAL = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const FR_DROP = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const DE_FR_MARKING = 'marking-definition--2f1e5b6c-7d8e-4f90-a1b2-c3d4e5f6a7b8';
const BSI_IDENTITY = 'identity--1b8d4a36-6b36-4c2d-9d2e-6a2b1f0c1d01';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const DE: TestUser = { name: 'de-analyst', password: 'readme-de' };
const FR: TestUser = { name: 'fr-analyst', password: 'readme-fr' };
const OPS: TestUser = { name: 'ops', password: 'readme-ops' };

describe('README worked example: two governments, an EU-wide group, shared and national collections, a marking bound to a group', function () {
  this.timeout(60_000);
  let app: TestApp;
  let sync: string;
  before(async () => {
    expect(yaml, 'the README example').to.contain('tenants:');
    app = await startTestApp({
      config: `auth: { failure_limit: 1000 }\n${yaml}`,
      env: { PW_DE: DE.password, PW_DE_ADMIN: 'readme-de-admin', PW_FR: FR.password, PW_OPS: OPS.password },
    });
    // it-sync signs in with a certificate in production; a token gives the same principal here.
    const t = issueToken();
    await app.container.store.identity.putToken({
      id: t.id,
      username: 'it-sync',
      secretHash: t.secretHash,
      label: 'readme',
      createdAt: 0,
    });
    sync = t.token;
  });
  after(async () => app.close());

  const asSync = (path: string) => app.http.get(path).set('Accept', TAXII).set('Authorization', `Bearer ${sync}`);
  const ids = (body: { objects?: { id: string }[] }) => (body.objects ?? []).map((o) => o.id);

  it('lets Germany write to the EU-wide collection, Italy read it, and keeps the de-fr reports from Italy', async () => {
    const open = indicator('readme-open');
    const restricted = { ...indicator('readme-de-fr'), object_marking_refs: [DE_FR_MARKING] };
    await app.post(`/eu/collections/${EU_WIDE}/objects/`, envelope(open, restricted), DE).expect(202);
    expect(ids((await asSync(`/eu/collections/${EU_WIDE}/objects/`).expect(200)).body)).to.deep.equal([open.id]);
    expect(ids((await app.get(`/eu/collections/${EU_WIDE}/objects/`, FR).expect(200)).body)).to.deep.equal([
      open.id,
      restricted.id,
    ]);
    await asSync(`/eu/collections/${EU_WIDE}/objects/${restricted.id}/`).expect(404);
  });

  it('keeps the German national collection out of Italy’s listing', async () => {
    const listed = (await asSync('/eu/collections/').expect(200)).body.collections.map((c: { id: string }) => c.id);
    expect(listed).to.deep.equal([EU_WIDE, FR_DROP]);
    await asSync(`/eu/collections/${DE_NATIONAL}/objects/`).expect(404);
  });

  it('takes only objects created by BSI in the German national collection', async () => {
    const status = await app
      .post(
        `/eu/collections/${DE_NATIONAL}/objects/`,
        envelope(indicator('readme-bsi', undefined, { created_by_ref: BSI_IDENTITY }), indicator('readme-anon')),
        DE,
      )
      .expect(202);
    expect(status.body).to.include({ success_count: 1, failure_count: 1 });
  });

  it('lets Germany drop reports into the French drop box without learning what it holds, and France read them', async () => {
    const dropped = indicator('readme-dropped');
    const first = await app.post(`/eu/collections/${FR_DROP}/objects/`, envelope(dropped), DE).expect(202);
    const again = await app.post(`/eu/collections/${FR_DROP}/objects/`, envelope(dropped), DE).expect(202);
    expect(again.body.successes).to.deep.equal(first.body.successes);
    await app.get(`/eu/collections/${FR_DROP}/objects/`, DE).expect(403);
    expect(ids((await app.get(`/eu/collections/${FR_DROP}/objects/`, FR).expect(200)).body)).to.deep.equal([
      dropped.id,
    ]);
  });

  it('refuses TLP:RED in the EU-wide collection with the reason', async () => {
    const red = { ...indicator('readme-red'), object_marking_refs: [TLP_RED] };
    const status = await app.post(`/eu/collections/${EU_WIDE}/objects/`, envelope(red), DE).expect(202);
    expect(status.body.failures[0].message).to.equal(
      'TLP:RED is above what this collection may hold (at most TLP:AMBER)',
    );
  });

  it('shows the platform admin everything, and the audit trail of it', async () => {
    const listed = (await app.get('/eu/collections/', OPS).expect(200)).body.collections;
    expect(listed).to.have.length(3);
    expect(ids((await app.get(`/eu/collections/${EU_WIDE}/objects/`, OPS).expect(200)).body)).to.have.length(2);
    await app.container.services.audit.flush();
    const trail = await app.container.store.audit.queryAudit({ actor: 'it-sync', limit: 100 });
    expect(trail.records.map((r) => [r.action, r.outcome])).to.deep.include(['taxii.read', 'denied']);
  });
});
