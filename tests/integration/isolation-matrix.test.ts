// The isolation matrix: three tenants, a group, accounts with every combination of rights, four
// collections (one with releasability on), walked over every TAXII endpoint. What each principal
// must see comes from a small model of the rules written here, not from the server: status codes,
// listings with can_read/can_write, object counts, API root visibility and status visibility.
import { expect } from 'chai';
import { envelope, indicator, type Stix } from '../fixtures/builders.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

type Tenant = 'ta' | 'tb' | 'tc';
interface P extends TestUser {
  tenant?: Tenant;
  admin?: boolean;
}
interface Grant {
  user?: string;
  tenant?: Tenant;
  group?: 'g';
  read?: boolean;
  write?: boolean;
}
interface Col {
  id: string;
  releasability: boolean;
  grants: Grant[];
}

const GROUP: Tenant[] = ['ta', 'tb'];
const M_A = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-00000000000a';
const M_G = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-00000000000b';
const BINDINGS: Record<string, { tenants: Tenant[]; groups: 'g'[] }> = {
  [M_A]: { tenants: ['ta'], groups: [] },
  [M_G]: { tenants: [], groups: ['g'] },
};

const pw = (name: string) => `${name}-matrix-pw`;
const principals: P[] = [
  { name: 'a-member', password: pw('a-member'), tenant: 'ta' },
  { name: 'a-admin', password: pw('a-admin'), tenant: 'ta' },
  { name: 'b-member', password: pw('b-member'), tenant: 'tb' },
  { name: 'b-writer', password: pw('b-writer'), tenant: 'tb' },
  { name: 'c-member', password: pw('c-member'), tenant: 'tc' },
  { name: 'loner', password: pw('loner') },
  { name: 'ops', password: pw('ops'), admin: true },
];
const collections: Col[] = [
  // A owns it; the group reads; releasability on
  {
    id: '1a000000-0000-4000-8000-000000000001',
    releasability: true,
    grants: [
      { tenant: 'ta', read: true, write: true },
      { group: 'g', read: true },
    ],
  },
  // a drop box for one account of B
  { id: '1a000000-0000-4000-8000-000000000002', releasability: false, grants: [{ user: 'b-writer', write: true }] },
  // C reads, the group writes, the loner reads by name
  {
    id: '1a000000-0000-4000-8000-000000000003',
    releasability: false,
    grants: [
      { tenant: 'tc', read: true },
      { group: 'g', write: true },
      { user: 'loner', read: true },
    ],
  },
  // nobody but platform admins
  { id: '1a000000-0000-4000-8000-000000000004', releasability: true, grants: [] },
];
const objects: Stix[] = [
  indicator('m-plain'),
  { ...indicator('m-a'), object_marking_refs: [M_A] },
  { ...indicator('m-g'), object_marking_refs: [M_G] },
];

// ---- the model ---------------------------------------------------------------------------------------
function rights(p: P, c: Col): { read: boolean; write: boolean } {
  if (p.admin) return { read: true, write: true };
  const mine = c.grants.filter(
    (g) =>
      g.user === p.name ||
      (g.tenant !== undefined && g.tenant === p.tenant) ||
      (g.group === 'g' && p.tenant !== undefined && GROUP.includes(p.tenant)),
  );
  return { read: mine.some((g) => g.read === true), write: mine.some((g) => g.write === true) };
}
const visible = (p: P, c: Col) => rights(p, c).read || rights(p, c).write;
const seesRoot = (p: P) => p.admin === true || collections.some((c) => visible(p, c));
function receives(p: P, c: Col, obj: Stix): boolean {
  if (!c.releasability || p.admin) return true;
  return ((obj.object_marking_refs as string[] | undefined) ?? []).every((m) => {
    const b = BINDINGS[m] as { tenants: Tenant[]; groups: 'g'[] };
    return (
      (p.tenant !== undefined && b.tenants.includes(p.tenant)) ||
      (b.groups.includes('g') && p.tenant !== undefined && GROUP.includes(p.tenant))
    );
  });
}
/** The status code a principal must get on a collection endpoint. */
function expected(p: P, c: Col, need: 'see' | 'read' | 'write' | 'delete', success: number): number {
  if (!seesRoot(p) || !visible(p, c)) return 404;
  const r = rights(p, c);
  const ok =
    need === 'see' ||
    (need === 'read' && r.read) ||
    (need === 'write' && r.write) ||
    (need === 'delete' && r.read && r.write);
  return ok ? success : 403;
}

// ---- the configuration --------------------------------------------------------------------------------
const grantYaml = (g: Grant) =>
  `{ ${g.user ? `user: ${g.user}` : g.tenant ? `tenant: ${g.tenant}` : 'group: g'}, read: ${g.read === true}, write: ${g.write === true} }`;
const CONFIG = `
auth: { failure_limit: 100000 }
tenants: [ { id: ta, name: A }, { id: tb, name: B }, { id: tc, name: C } ]
groups: [ { id: g, tenants: [${GROUP.join(', ')}] } ]
markings:
  - { id: ${M_A}, tenants: [ta] }
  - { id: ${M_G}, groups: [g] }
users:
${principals
  .map(
    (p) =>
      `  - { username: ${p.name}, password_env: PW_${p.name.replace(/-/g, '_').toUpperCase()}${p.tenant ? `, tenant: ${p.tenant}` : ''}${
        p.admin ? ', role: platform-admin' : p.name === 'a-admin' ? ', role: tenant-admin' : ''
      } }`,
  )
  .join('\n')}
api_roots:
  - path: m
    title: Matrix
    collections:
${collections
  .map(
    (c, i) =>
      `      - { id: ${c.id}, title: C${i + 1}, owner: ${i === 2 ? 'tc' : 'ta'}, releasability: ${c.releasability}, grants: [${c.grants.map(grantYaml).join(', ')}] }`,
  )
  .join('\n')}
`;
const ENV = Object.fromEntries(principals.map((p) => [`PW_${p.name.replace(/-/g, '_').toUpperCase()}`, p.password]));

describe('Isolation matrix (3 tenants, a group, 7 principals, 4 collections, every TAXII endpoint)', function () {
  this.timeout(120_000);
  let app: TestApp;
  const ops = principals.find((p) => p.admin) as P;
  const statusOf = new Map<string, string>(); // collection id → status id posted by ops
  let checks = 0;
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: ENV });
    for (const c of collections) {
      const res = await app.post(`/m/collections/${c.id}/objects/`, envelope(...objects), ops).expect(202);
      statusOf.set(c.id, res.body.id as string);
    }
  });
  after(async function () {
    await app.close();
    console.log(`      ${checks} checks over ${principals.length} principals × ${collections.length} collections`);
  });

  it('discovery and the API root: listed and served exactly to principals that see a collection in it', async () => {
    for (const p of principals) {
      const d = await app.get('/taxii2/', p).expect(200);
      expect(d.body.api_roots ?? [], p.name).to.deep.equal(seesRoot(p) ? ['/m/'] : []);
      expect((await app.get('/m/', p)).status, p.name).to.equal(seesRoot(p) ? 200 : 404);
      checks += 2;
    }
  });

  it('collection listings: exactly the visible collections with their can_read/can_write', async () => {
    for (const p of principals) {
      const res = await app.get('/m/collections/', p);
      if (!seesRoot(p)) {
        expect(res.status, p.name).to.equal(404);
        continue;
      }
      const listed = ((res.body.collections ?? []) as { id: string; can_read: boolean; can_write: boolean }[]).map(
        (c) => [c.id, c.can_read, c.can_write],
      );
      const model = collections.filter((c) => visible(p, c)).map((c) => [c.id, rights(p, c).read, rights(p, c).write]);
      expect(listed, p.name).to.deep.equal(model);
      checks++;
    }
  });

  it('every collection endpoint answers each principal with the status the model predicts, and reads return what releasability allows', async () => {
    for (const p of principals) {
      for (const c of collections) {
        const base = `/m/collections/${c.id}`;
        const at = `${p.name} on ${c.id.slice(-1)}`;
        const expectStatus = async (
          res:
            | Promise<{ status: number; body: Record<string, unknown> }>
            | { status: number; body: Record<string, unknown> },
          want: number,
          what: string,
        ) => {
          const r = await res;
          expect(r.status, `${at}: ${what}`).to.equal(want);
          checks++;
          return r;
        };
        await expectStatus(app.get(`${base}/`, p), expected(p, c, 'see', 200), 'collection');
        const list = await expectStatus(app.get(`${base}/objects/`, p), expected(p, c, 'read', 200), 'objects');
        if (list.status === 200) {
          const got = ((list.body.objects ?? []) as { id: string }[]).map((o) => o.id);
          expect(got, `${at}: objects returned`).to.deep.equal(
            objects.filter((o) => receives(p, c, o)).map((o) => o.id),
          );
          checks++;
        }
        const manifest = await expectStatus(app.get(`${base}/manifest/`, p), expected(p, c, 'read', 200), 'manifest');
        if (manifest.status === 200) {
          expect(((manifest.body.objects ?? []) as unknown[]).length, `${at}: manifest count`).to.equal(
            objects.filter((o) => receives(p, c, o)).length,
          );
          checks++;
        }
        for (const obj of objects) {
          const want = expected(p, c, 'read', 200) === 200 && !receives(p, c, obj) ? 404 : expected(p, c, 'read', 200);
          await expectStatus(app.get(`${base}/objects/${obj.id}/`, p), want, `get ${obj.id.slice(-4)}`);
          await expectStatus(app.get(`${base}/objects/${obj.id}/versions/`, p), want, `versions ${obj.id.slice(-4)}`);
        }
        // DELETE of an object that does not exist: 404 only for those who may delete at all.
        await expectStatus(
          app.del(`${base}/objects/${indicator('m-never').id}/`, p),
          expected(p, c, 'delete', 404),
          'delete',
        );
        // The status of the admin's post: only platform admins (and its own tenant: none) may read it.
        await expectStatus(
          app.get(`/m/status/${statusOf.get(c.id) as string}/`, p),
          !seesRoot(p) || !p.admin ? 404 : 200,
          'status',
        );
      }
    }
    // Writes last, so that the reads above saw exactly the objects of the model.
    for (const p of principals) {
      for (const c of collections) {
        const res = await app.post(
          `/m/collections/${c.id}/objects/`,
          envelope(indicator(`m-new-${p.name}-${c.id.slice(-1)}`)),
          p,
        );
        expect(res.status, `${p.name} on ${c.id.slice(-1)}: post`).to.equal(expected(p, c, 'write', 202));
        checks++;
      }
    }
  });

  it('statuses are shared within the tenant that posted, hidden from everyone else', async () => {
    const c = collections[0] as Col;
    const poster = principals[0] as P; // a-member, tenant ta
    const res = await app.post(`/m/collections/${c.id}/objects/`, envelope(indicator('m-status')), poster).expect(202);
    for (const p of principals) {
      const want = p.admin || p.tenant === poster.tenant ? 200 : 404;
      expect((await app.get(`/m/status/${res.body.id as string}/`, p)).status, p.name).to.equal(want);
      checks++;
    }
  });

  it('the audit trail holds a record of every request of the matrix, denied ones included', async () => {
    await app.container.services.audit.flush();
    for (const p of principals.filter((q) => !q.admin)) {
      const mine = await app.container.store.audit.queryAudit({ actor: p.name, limit: 1000 });
      const denied = mine.records.filter((r) => r.outcome === 'denied').length;
      const deniedByModel = collections.some(
        (c) => expected(p, c, 'read', 200) !== 200 || expected(p, c, 'write', 202) !== 202,
      );
      expect(denied > 0, `${p.name}: denied records`).to.equal(deniedByModel);
      expect(
        mine.records.every((r) => r.actor === p.name && (r.tenant ?? undefined) === p.tenant),
        p.name,
      ).to.equal(true);
      checks++;
    }
  });
});

describe('Isolation matrix: the admin API (platform admin, tenant admin, members, an account without tenant)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let checks = 0;
  const scopeOf = (p: P): 'platform' | 'tenant' | 'none' =>
    p.admin ? 'platform' : p.name === 'a-admin' ? 'tenant' : 'none';
  const owner = (c: Col) => (collections.indexOf(c) === 2 ? 'tc' : 'ta');
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: ENV });
  });
  after(async function () {
    await app.close();
    console.log(`      ${checks} admin checks over ${principals.length} principals`);
  });

  const get = (p: P, path: string) => app.http.get(path).set('Accept', 'application/json').auth(p.name, p.password);

  it('reads: directory, accounts, grants, markings and audit exactly within each caller’s scope', async () => {
    for (const p of principals) {
      const scope = scopeOf(p);
      const expectStatus = async (path: string, want: number) => {
        const res = await get(p, path);
        expect(res.status, `${p.name} GET ${path}`).to.equal(want);
        checks++;
        return res;
      };
      await expectStatus('/admin/tenants', scope === 'none' ? 403 : 200);
      await expectStatus('/admin/groups', scope === 'none' ? 403 : 200);
      await expectStatus('/admin/markings', scope === 'none' ? 403 : 200);
      const users = await expectStatus('/admin/users', scope === 'none' ? 403 : 200);
      if (users.status === 200) {
        const names = (users.body.users as { username: string }[]).map((u) => u.username).sort();
        const model = principals
          .filter((q) => scope === 'platform' || q.tenant === 'ta')
          .map((q) => q.name)
          .sort();
        expect(names, `${p.name} sees accounts`).to.deep.equal(model);
        checks++;
      }
      for (const q of principals) {
        const want = scope === 'none' ? 403 : scope === 'platform' || q.tenant === 'ta' ? 200 : 404;
        await expectStatus(`/admin/users/${q.name}`, want);
      }
      for (const c of collections) {
        const want = scope === 'none' ? 403 : scope === 'platform' || owner(c) === 'ta' ? 200 : 404;
        await expectStatus(`/admin/collections/${c.id}/grants`, want);
      }
      const audit = await expectStatus('/admin/audit?limit=1000', scope === 'none' ? 403 : 200);
      if (audit.status === 200 && scope === 'tenant') {
        expect(
          (audit.body.records as { tenant?: string }[]).every((r) => r.tenant === 'ta'),
          `${p.name} audit scope`,
        ).to.equal(true);
        checks++;
      }
    }
  });

  it('writes: accounts in one’s own tenant only, platform roles and other tenants out of a tenant admin’s reach', async () => {
    for (const p of principals) {
      const scope = scopeOf(p);
      const create = async (body: Record<string, unknown>, want: number, what: string) => {
        const res = await app.http
          .post('/admin/users')
          .set('Content-Type', 'application/json')
          .auth(p.name, p.password)
          .send(body);
        expect(res.status, `${p.name}: ${what}`).to.equal(want);
        checks++;
      };
      const tag = p.name.replace(/[^a-z]/g, '');
      await create(
        { username: `new-${tag}-a`, tenant: 'ta', role: 'member', password: 'a-long-password-1' },
        scope === 'none' ? 403 : 201,
        'member in ta',
      );
      await create(
        { username: `new-${tag}-b`, tenant: 'tb', role: 'member', password: 'a-long-password-1' },
        scope === 'platform' ? 201 : 403,
        'member in tb',
      );
      await create(
        { username: `new-${tag}-p`, tenant: 'ta', role: 'platform-admin', password: 'a-long-password-1' },
        scope === 'platform' ? 201 : 403,
        'platform admin',
      );
      const del = await app.http.delete('/admin/users/b-member').auth(p.name, p.password);
      expect(del.status, `${p.name}: delete b-member`).to.equal(
        scope === 'none' ? 403 : scope === 'tenant' ? 404 : 409,
      );
      checks++;
    }
  });
});
