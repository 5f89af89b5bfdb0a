// Governments as tenants: the configuration of issue 7 loads and behaves as written (grants to
// tenants and groups add up, API roots without visible collections vanish, statuses are shared
// within a tenant, drop boxes answer alike whatever they hold), and the file is reconciled at
// every start: what it no longer declares is revoked or retired.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { envelope, indicator, ipv4 } from '../fixtures/builders.js';
import { restartableStore, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const EU_WIDE = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const FR_DROP = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const DE_ONLY = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';

const DE: TestUser = { name: 'de-analyst', password: 'de-pw' };
const DE_ADMIN: TestUser = { name: 'de-admin', password: 'de-admin-pw' };
const FR: TestUser = { name: 'fr-analyst', password: 'fr-pw' };
const IT: TestUser = { name: 'it-analyst', password: 'it-pw' };
const US: TestUser = { name: 'us-analyst', password: 'us-pw' };
const OPS: TestUser = { name: 'ops', password: 'ops-pw:with:colons' };
const ENV = {
  PW_DE: DE.password,
  PW_DE_ADMIN: DE_ADMIN.password,
  PW_FR: FR.password,
  PW_IT: IT.password,
  PW_US: US.password,
  PW_OPS: OPS.password,
};

const CONFIG = `
auth: { failure_limit: 1000 }
tenants:
  - { id: de-bsi, name: Germany (BSI) }
  - { id: fr-anssi, name: France (ANSSI) }
  - { id: it-acn, name: Italy (ACN) }
  - { id: us-cisa, name: United States (CISA) }
groups:
  - { id: eu-member-states, tenants: [de-bsi, fr-anssi, it-acn] }
users:
  - { username: de-analyst, tenant: de-bsi, role: member, password_env: PW_DE }
  - { username: de-admin, tenant: de-bsi, role: tenant-admin, password_env: PW_DE_ADMIN }
  - { username: fr-analyst, tenant: fr-anssi, role: member, password_env: PW_FR }
  - { username: it-analyst, tenant: it-acn, password_env: PW_IT }
  - { username: us-analyst, tenant: us-cisa, password_env: PW_US }
  - { username: ops, role: platform-admin, password_env: PW_OPS }
api_roots:
  - path: eu
    title: EU threat sharing
    collections:
      - id: ${EU_WIDE}
        title: EU-wide state actors
        owner: de-bsi
        grants:
          - { group: eu-member-states, read: true }
          - { tenant: de-bsi, read: true, write: true }
      - id: ${FR_DROP}
        title: French drop box
        owner: fr-anssi
        grants: [ { tenant: fr-anssi, read: true }, { group: eu-member-states, write: true } ]
      - id: ${DE_ONLY}
        title: German national
        alias: de-national
        owner: de-bsi
        grants: [ { tenant: de-bsi, read: true, write: true } ]
  - path: us
    title: US sharing
    collections:
      - id: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
        title: US national
        owner: us-cisa
        grants: [ { tenant: us-cisa, read: true, write: true } ]
`;

const listing = async (app: TestApp, user: TestUser, root = 'eu') => {
  const res = await app.get(`/${root}/collections/`, user);
  if (res.status !== 200) return res.status;
  return ((res.body.collections ?? []) as { id: string; can_read: boolean; can_write: boolean }[]).map((c) => [
    c.id,
    c.can_read,
    c.can_write,
  ]);
};

describe('Tenants, groups and grants (the configuration of issue 7)', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: ENV });
  });
  after(async () => app.close());

  it('lists for each principal exactly the collections its user, tenant and groups were granted', async () => {
    expect(await listing(app, DE)).to.deep.equal([
      [EU_WIDE, true, true],
      [FR_DROP, false, true],
      [DE_ONLY, true, true],
    ]);
    expect(await listing(app, FR)).to.deep.equal([
      [EU_WIDE, true, false],
      [FR_DROP, true, true],
    ]);
    expect(await listing(app, IT)).to.deep.equal([
      [EU_WIDE, true, false],
      [FR_DROP, false, true],
    ]);
    expect(await listing(app, US)).to.equal(404);
    expect(await listing(app, US, 'us')).to.deep.equal([['1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', true, true]]);
    expect(await listing(app, DE, 'us')).to.equal(404);
    expect((await listing(app, OPS)) as unknown[]).to.have.length(3);
  });

  it('shows each principal only the API roots it can see something in', async () => {
    const roots = async (u: TestUser) =>
      (await app.get('/taxii2/', u).expect(200)).body.api_roots as string[] | undefined;
    expect(await roots(DE)).to.deep.equal(['/eu/']);
    expect(await roots(US)).to.deep.equal(['/us/']);
    expect(await roots(OPS)).to.deep.equal(['/eu/', '/us/']);
  });

  it('enforces read and write from the grants that add up, and hides the rest', async () => {
    const obj = indicator('eu-shared');
    const post = (u: TestUser, c: string) => app.post(`/eu/collections/${c}/objects/`, envelope(obj), u);
    expect((await post(DE, EU_WIDE)).status).to.equal(202);
    expect((await post(FR, EU_WIDE)).body.error_code).to.equal('forbidden');
    expect((await app.get(`/eu/collections/${EU_WIDE}/objects/`, IT)).body.objects).to.have.length(1);
    expect((await app.get(`/eu/collections/${FR_DROP}/objects/`, DE)).body.error_code).to.equal('forbidden');
    expect((await app.get(`/eu/collections/de-national/objects/`, FR)).status).to.equal(404);
    expect((await app.get(`/eu/collections/${DE_ONLY}/`, FR)).body.description).to.equal(
      'There is no such collection in this API root.',
    );
    expect((await app.get(`/eu/collections/${EU_WIDE}/objects/`, US)).body.description).to.equal(
      'There is no API root at /eu/.',
    );
  });

  it('T-47 shares a status with the whole tenant that made the request, and no one else', async () => {
    const posted = await app
      .post(`/eu/collections/${DE_ONLY}/objects/`, envelope(indicator('de-status')), DE)
      .expect(202);
    const path = `/eu/status/${posted.body.id as string}/`;
    await app.get(path, DE).expect(200);
    await app.get(path, DE_ADMIN).expect(200);
    await app.get(path, OPS).expect(200);
    expect((await app.get(path, FR).expect(404)).body.description).to.equal('There is no such status resource.');
    await app.get(path, IT).expect(404);
  });

  it('answers a drop-box writer alike for a new object, one already there and one that differs from the stored copy', async () => {
    // fr-anssi stores two objects it can read; de-bsi may only write into the drop box.
    const stored = indicator('dropped-1');
    const clash = indicator('dropped-2');
    await app.post(`/eu/collections/${FR_DROP}/objects/`, envelope(stored, clash), FR).expect(202);
    const post = async (obj: unknown) =>
      (await app.post(`/eu/collections/${FR_DROP}/objects/`, envelope(obj), DE).expect(202)).body;
    const shape = (b: Record<string, unknown>) => ({ ...b, id: 'x', request_timestamp: 'x' });
    const fresh = await post(indicator('dropped-new'));
    const again = await post(stored);
    const differs = await post({ ...clash, name: 'a different body, same version' });
    for (const body of [again, differs]) {
      expect(shape(body)).to.deep.equal({
        ...shape(fresh),
        successes: [{ id: (body.successes as { id: string }[])[0]?.id, version: '2024-01-01T00:00:00.000Z' }],
      });
    }
    expect(fresh).to.include({ success_count: 1, failure_count: 0 });
    expect(fresh.successes[0]).to.not.have.property('message');
    // An SCO, which takes the time it was first added as its version: alike too.
    const sco = ipv4('198.51.100.77');
    const first = await post(sco);
    const second = await post(sco);
    expect(Object.keys(first.successes[0])).to.deep.equal(['id', 'version']);
    expect(Object.keys(second.successes[0])).to.deep.equal(['id', 'version']);
    // The reader of the collection sees what really happened: the stored copy was kept.
    const kept = await app.get(`/eu/collections/${FR_DROP}/objects/${clash.id}/`, FR).expect(200);
    expect(kept.body.objects[0].name).to.equal(clash.name);
  });
});

describe('Declarative configuration: what the file no longer declares is revoked or retired', function () {
  this.timeout(60_000);
  let dir: string;
  const shared = restartableStore();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-reconcile-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await shared.drop();
  });
  const start = (config: string) =>
    startTestApp({
      config,
      env: ENV,
      dir,
      ...(shared.sharedMongoDatabase ? { sharedMongoDatabase: shared.sharedMongoDatabase } : {}),
    });

  it('removes users, grants, tenants and groups, retires collections and API roots, and keeps the objects', async () => {
    let app = await start(CONFIG);
    const obj = indicator('kept-while-retired');
    await app.post(`/eu/collections/${DE_ONLY}/objects/`, envelope(obj), DE).expect(202);
    // A grant made by an admin (not by the file) must survive the file's changes.
    await app.container.store.grants.setGrants(
      DE_ONLY,
      [{ subject: { kind: 'tenant', id: 'fr-anssi' }, read: true, write: false }],
      'admin',
    );
    await app.close();

    const reduced = CONFIG
      // it-analyst and the Italian tenant are gone; so is the group's write grant on the drop box
      .replace('  - { username: it-analyst, tenant: it-acn, password_env: PW_IT }\n', '')
      .replace('  - { id: it-acn, name: Italy (ACN) }\n', '')
      .replace('[de-bsi, fr-anssi, it-acn]', '[de-bsi, fr-anssi]')
      .replace('{ group: eu-member-states, write: true }', '{ tenant: de-bsi, write: true }')
      // the German national collection and the US API root are gone
      .replace(/ {6}- id: 9e8d7c6b[\s\S]*?grants: \[ \{ tenant: de-bsi, read: true, write: true \} \]\n/, '')
      .replace(/ {2}- path: us[\s\S]*$/, '');
    expect(reduced).to.not.contain(DE_ONLY);
    app = await start(reduced);
    try {
      expect((await app.get('/taxii2/', IT)).status, 'a removed user cannot sign in').to.equal(401);
      expect(await listing(app, FR)).to.deep.equal([
        [EU_WIDE, true, false],
        [FR_DROP, true, false],
      ]);
      expect(await listing(app, DE)).to.deep.equal([
        [EU_WIDE, true, true],
        [FR_DROP, false, true],
      ]);
      for (const u of [DE, OPS]) {
        expect(
          (await app.get(`/eu/collections/${DE_ONLY}/objects/`, u)).status,
          `retired collection for ${u.name}`,
        ).to.equal(404);
      }
      expect((await app.get('/us/', OPS)).status, 'retired API root').to.equal(404);
      expect(await app.container.store.tenancy.getTenant('it-acn')).to.equal(undefined);
      expect((await app.container.store.tenancy.getGroup('eu-member-states'))?.tenants).to.deep.equal([
        'de-bsi',
        'fr-anssi',
      ]);
    } finally {
      await app.close();
    }

    // Declared again: the collection comes back with its objects, and the admin's grant is still there.
    app = await start(CONFIG);
    try {
      const res = await app.get(`/eu/collections/de-national/objects/`, DE).expect(200);
      expect(res.body.objects.map((o: { id: string }) => o.id)).to.deep.equal([obj.id]);
      expect(await app.container.store.grants.listGrants(DE_ONLY)).to.deep.include({
        collectionId: DE_ONLY,
        subject: { kind: 'tenant', id: 'fr-anssi' },
        read: true,
        write: false,
        source: 'admin',
      });
      await app.get('/us/', OPS).expect(200);
    } finally {
      await app.close();
    }
  });

  it('lets a new collection take over the alias of one the file gave up', async () => {
    const other = '2b3c4d5e-6f70-4819-a2b3-c4d5e6f70819';
    const moved = CONFIG.replace('        alias: de-national\n', '').replace(
      '  - path: us\n',
      `      - { id: ${other}, title: New national, alias: de-national, owner: de-bsi, grants: [ { tenant: de-bsi, read: true } ] }\n  - path: us\n`,
    );
    let app = await start(CONFIG);
    await app.close();
    app = await start(moved);
    try {
      expect((await app.get('/eu/collections/de-national/', DE).expect(200)).body.id).to.equal(other);
      await app.get(`/eu/collections/${DE_ONLY}/`, DE).expect(200);
    } finally {
      await app.close();
    }
  });

  it('deletes the first-start admin once the file declares a platform admin', async () => {
    const noUsers = 'auth: { failure_limit: 1000 }\n';
    const fresh = await mkdtemp(join(tmpdir(), 'palisade-first-'));
    const db = restartableStore();
    const begin = (config: string) =>
      startTestApp({
        config,
        env: { ...ENV, PALISADE_UNUSED: 'x' },
        dir: fresh,
        ...(db.sharedMongoDatabase ? { sharedMongoDatabase: db.sharedMongoDatabase } : {}),
      });
    try {
      let app = await begin(noUsers);
      const admin = await app.container.store.identity.getUser('admin');
      expect(admin).to.deep.include({ role: 'platform-admin', source: 'bootstrap' });
      await app.close();
      app = await begin(`${noUsers}users:\n  - { username: ops, role: platform-admin, password_env: PW_OPS }\n`);
      try {
        expect(await app.container.store.identity.getUser('admin')).to.equal(undefined);
        await app.get('/taxii2/', OPS).expect(200);
      } finally {
        await app.close();
      }
    } finally {
      await rm(fresh, { recursive: true, force: true });
      await db.drop();
    }
  });
});
