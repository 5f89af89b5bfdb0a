// The access gate (src/access/gate.ts) over small in-memory stores: what an admitted request carries
// (denied markings, writer identities), how grants add up per collection, and which store calls a
// decision needs.
import { expect } from 'chai';
import { AccessGate, subjectsOf } from '../../src/access/gate.js';
import type { Principal } from '../../src/auth/principal.js';
import { NotFoundError } from '../../src/errors.js';
import type {
  ApiRootRecord,
  CatalogStore,
  CollectionRecord,
  GrantRecord,
  GrantStore,
  MarkingBinding,
  MarkingStore,
  Subject,
  TenancyStore,
  TenantRecord,
} from '../../src/store/store.js';

const ROOTS: ApiRootRecord[] = [
  { path: 'a', title: 'A', maxContentLength: 10, source: 'config' },
  { path: 'b', title: 'B', maxContentLength: 10, source: 'config' },
  { path: 'c', title: 'C', maxContentLength: 10, source: 'config' },
];
const col = (id: string, apiRoot: string, extra: Partial<CollectionRecord> = {}): CollectionRecord => ({
  id,
  apiRoot,
  title: id,
  mediaTypes: [],
  source: 'config',
  ...extra,
});
const COLLECTIONS: CollectionRecord[] = [
  col('plain', 'a'),
  col('released', 'a', { releasability: true }),
  col('prov', 'a', { policy: { provenance: true } }),
  col('typed', 'a', { policy: { allowedTypes: ['indicator'] } }),
  col('in-b', 'b'),
  col('in-c', 'c'),
];
const grant = (collectionId: string, subject: Subject, read: boolean, write: boolean): GrantRecord =>
  ({ collectionId, subject, read, write, source: 'config' }) as GrantRecord;
const same = (a: Subject, b: Subject) => a.kind === b.kind && a.id === b.id;

const GRANTS: GrantRecord[] = [
  // tenant t1 reads everything in a; its group g writes plain; a user alone writes in b
  ...['plain', 'released', 'prov', 'typed'].map((c) => grant(c, { kind: 'tenant', id: 't1' }, true, true)),
  grant('plain', { kind: 'group', id: 'g' }, false, true),
  grant('in-b', { kind: 'user', id: 'solo' }, false, true),
  grant('in-b', { kind: 'user', id: 'solo' }, false, false),
  grant('in-c', { kind: 'group', id: 't1' }, true, false), // a group that shares a tenant's name
];
const BINDINGS: MarkingBinding[] = [
  { markingId: 'md--t1', subjects: [{ kind: 'tenant', id: 't1' }], source: 'config' },
  { markingId: 'md--t2', subjects: [{ kind: 'tenant', id: 't2' }], source: 'config' },
  { markingId: 'md--g', subjects: [{ kind: 'group', id: 'g' }], source: 'config' },
  { markingId: 'md--group-named-t1', subjects: [{ kind: 'group', id: 't1' }], source: 'config' },
  {
    markingId: 'md--t2-or-g',
    subjects: [
      { kind: 'tenant', id: 't2' },
      { kind: 'group', id: 'g' },
    ],
    source: 'config',
  },
  { markingId: 'md--nobody', subjects: [], source: 'config' },
];
const TENANTS: TenantRecord[] = [
  { id: 't1', name: 'T1', identities: ['identity--1', 'identity--2'], source: 'config' },
  { id: 't3', name: 'T3', source: 'config' },
];

const calls: string[] = [];
const catalog = {
  listApiRoots: async () => ROOTS,
  getApiRoot: async (path: string) => ROOTS.find((r) => r.path === path),
  listCollections: async (apiRoot: string) => COLLECTIONS.filter((c) => c.apiRoot === apiRoot),
  listAllCollections: async () => COLLECTIONS,
  getCollection: async (apiRoot: string, id: string) => COLLECTIONS.find((c) => c.apiRoot === apiRoot && c.id === id),
} as unknown as CatalogStore;
const grants = {
  grantsOf: async (subjects: readonly Subject[]) => GRANTS.filter((g) => subjects.some((s) => same(s, g.subject))),
  grantsOn: async (c: string, subjects: readonly Subject[]) =>
    GRANTS.filter((g) => g.collectionId === c && subjects.some((s) => same(s, g.subject))),
} as unknown as GrantStore;
const markings = {
  listBindings: async () => (calls.push('listBindings'), BINDINGS),
} as unknown as MarkingStore;
const tenancy = {
  getTenant: async (id: string) => (calls.push(`getTenant ${id}`), TENANTS.find((t) => t.id === id)),
} as unknown as TenancyStore;

const gate = new AccessGate(catalog, grants, markings, tenancy);

const person = (username: string, tenant?: string, groups: string[] = []): Principal => ({
  username,
  role: 'member',
  ...(tenant !== undefined ? { tenant } : {}),
  groups,
});
const t1 = person('ann', 't1', ['g']);
const t1NoGroup = person('ben', 't1');
const solo = person('solo');
const admin: Principal = { username: 'root', role: 'platform-admin', groups: [] };

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
  return 'admitted';
}

describe('access gate details (src/access/gate.ts)', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('lists subjects: the user, then the tenant if any, then each group', () => {
    expect(subjectsOf(person('u', undefined, ['x', 'y']))).to.deep.equal([
      { kind: 'user', id: 'u' },
      { kind: 'group', id: 'x' },
      { kind: 'group', id: 'y' },
    ]);
    expect(subjectsOf(t1)).to.deep.equal([
      { kind: 'user', id: 'ann' },
      { kind: 'tenant', id: 't1' },
      { kind: 'group', id: 'g' },
    ]);
  });

  it('adds up the grants held on one collection through different subjects', async () => {
    const rightsIn = async (p: Principal, root: string) =>
      (await gate.visibleCollections(p, root)).map((c) => `${c.collection.id} ${c.rights.read} ${c.rights.write}`);
    expect(await rightsIn(t1, 'a')).to.deep.equal([
      'plain true true',
      'released true true',
      'prov true true',
      'typed true true',
    ]);
    expect(await rightsIn(person('gg', 'tx', ['g']), 'a')).to.deep.equal(['plain false true']);
    // a read-nothing grant beside a write grant takes nothing away
    expect(await rightsIn(solo, 'b')).to.deep.equal(['in-b false true']);
    expect((await gate.collection(solo, { apiRoot: 'b', collection: 'in-b' }, 'write')).rights).to.deep.equal({
      read: false,
      write: true,
    });
    // a group named like a tenant is not that tenant
    expect(await rightsIn(person('gt', undefined, ['t1']), 'c')).to.deep.equal(['in-c true false']);
    expect(await refusal(gate.visibleCollections(t1NoGroup, 'c'))).to.equal(
      'NotFoundError: There is no API root at /c/.',
    );
  });

  it('lists the API roots with at least one visible collection', async () => {
    const paths = async (p: Principal) => (await gate.visibleApiRoots(p)).map((r) => r.path);
    expect(await paths(t1)).to.deep.equal(['a']);
    expect(await paths(solo)).to.deep.equal(['b']);
    expect(await paths(person('gt', undefined, ['t1']))).to.deep.equal(['c']);
    expect(await paths(person('nobody'))).to.deep.equal([]);
    expect(await paths(admin)).to.deep.equal(['a', 'b', 'c']);
  });

  it('denies the markings bound only to tenants and groups the caller is not in', async () => {
    expect(await gate.deniedMarkings(t1)).to.deep.equal(['md--t2', 'md--group-named-t1']);
    expect(await gate.deniedMarkings(t1NoGroup)).to.deep.equal([
      'md--t2',
      'md--g',
      'md--group-named-t1',
      'md--t2-or-g',
    ]);
    expect(await gate.deniedMarkings(person('gt', undefined, ['t1']))).to.deep.equal([
      'md--t1',
      'md--t2',
      'md--g',
      'md--t2-or-g',
    ]);
    expect(await gate.deniedMarkings(person('two', 't2'))).to.deep.equal(['md--t1', 'md--g', 'md--group-named-t1']);
    calls.length = 0;
    expect(await gate.deniedMarkings(admin)).to.deep.equal([]);
    expect(calls).to.deep.equal([]);
  });

  it('carries the denied markings only on collections with releasability on', async () => {
    const released = await gate.collection(t1NoGroup, { apiRoot: 'a', collection: 'released' }, 'read');
    expect(released.deniedMarkings).to.deep.equal(['md--t2', 'md--g', 'md--group-named-t1', 'md--t2-or-g']);
    calls.length = 0;
    const plain = await gate.collection(t1NoGroup, { apiRoot: 'a', collection: 'plain' }, 'read');
    expect(plain.deniedMarkings).to.deep.equal([]);
    expect(calls).to.deep.equal([]);
    expect(
      (await gate.collection(admin, { apiRoot: 'a', collection: 'released' }, 'read')).deniedMarkings,
    ).to.deep.equal([]);
  });

  it('loads the writer’s identities only to write on a provenance collection', async () => {
    const writer = async (p: Principal, collection: string, need: 'read' | 'write' | 'delete' | 'see') =>
      (await gate.collection(p, { apiRoot: 'a', collection }, need)).writer;
    expect(await writer(t1, 'prov', 'write')).to.deep.equal({
      role: 'member',
      identities: ['identity--1', 'identity--2'],
    });
    expect(calls).to.deep.equal(['getTenant t1']);
    calls.length = 0;
    expect(await writer(t1, 'prov', 'read')).to.deep.equal({ role: 'member', identities: [] });
    expect(await writer(t1, 'prov', 'delete')).to.deep.equal({ role: 'member', identities: [] });
    expect(await writer(t1, 'typed', 'write')).to.deep.equal({ role: 'member', identities: [] });
    expect(await writer(t1, 'plain', 'write')).to.deep.equal({ role: 'member', identities: [] });
    expect(await writer(admin, 'prov', 'write')).to.deep.equal({ role: 'platform-admin', identities: [] });
    expect(calls).to.deep.equal([]);
    const tenantAdmin: Principal = { ...person('ta', 't3'), role: 'tenant-admin' };
    const t3 = gate.collection(tenantAdmin, { apiRoot: 'a', collection: 'prov' }, 'write');
    expect(await refusal(t3)).to.equal('NotFoundError: There is no API root at /a/.');
  });

  it('gives an empty identity list to a tenant without identities or unknown to the store', async () => {
    const withGrant = async (tenant: string) => {
      GRANTS.push(grant('prov', { kind: 'tenant', id: tenant }, false, true));
      try {
        return (await gate.collection(person('x', tenant), { apiRoot: 'a', collection: 'prov' }, 'write')).writer;
      } finally {
        GRANTS.pop();
      }
    };
    expect(await withGrant('t3')).to.deep.equal({ role: 'member', identities: [] });
    expect(await withGrant('ghost')).to.deep.equal({ role: 'member', identities: [] });
    expect(calls).to.deep.equal(['getTenant t3', 'getTenant ghost']);
  });

  it('admits with the root, the collection, the rights and the need', async () => {
    const at = await gate.collection(t1, { apiRoot: 'a', collection: 'typed' }, 'see');
    expect(at.root).to.equal(ROOTS[0]);
    expect(at.collection).to.equal(COLLECTIONS[3]);
    expect(at.rights).to.deep.equal({ read: true, write: true });
    expect(at.need).to.equal('see');
  });

  it('tells an unknown collection in a visible API root from an invisible API root', async () => {
    expect(await refusal(gate.collection(t1, { apiRoot: 'a', collection: 'nope' }, 'read'))).to.equal(
      'NotFoundError: There is no such collection in this API root.',
    );
    expect(await refusal(gate.collection(t1, { apiRoot: 'b', collection: 'in-b' }, 'read'))).to.equal(
      'NotFoundError: There is no API root at /b/.',
    );
    expect(await refusal(gate.collection(t1, { apiRoot: 'zz', collection: 'plain' }, 'read'))).to.equal(
      'NotFoundError: There is no API root at /zz/.',
    );
    expect(await refusal(gate.apiRoot(admin, 'zz'))).to.equal('NotFoundError: There is no API root at /zz/.');
    expect(await refusal(gate.collection(admin, { apiRoot: 'a', collection: 'in-b' }, 'read'))).to.equal(
      'NotFoundError: There is no such collection in this API root.',
    );
  });

  it('shows a status to its owner, its tenant and platform admins only', () => {
    const status = (owner: string, tenant?: string) =>
      ({ id: 's', owner, ...(tenant !== undefined ? { tenant } : {}) }) as unknown as Parameters<
        AccessGate['status']
      >[1];
    const mine = status('ann', 't1');
    expect(gate.status(t1, mine)).to.equal(mine);
    expect(gate.status(t1NoGroup, mine)).to.equal(mine);
    expect(gate.status(admin, mine)).to.equal(mine);
    expect(() => gate.status(person('ann2', 't2'), mine)).to.throw(NotFoundError);
    expect(() => gate.status(solo, mine)).to.throw(NotFoundError);
    const own = status('solo');
    expect(gate.status(solo, own)).to.equal(own);
    expect(() => gate.status(person('other'), own)).to.throw(NotFoundError);
    expect(() => gate.status(t1, own)).to.throw(NotFoundError);
    // same owner name, other tenant: the owner match alone suffices
    expect(gate.status(person('ann', 't9'), mine)).to.equal(mine);
  });
});
