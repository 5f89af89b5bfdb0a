import { expect } from 'chai';
import type { UserRecord } from '../../../src/store/store.js';
import { C, type ContractContext } from '../contract.js';

const user = (username: string, over: Partial<UserRecord> = {}): UserRecord => ({
  username,
  kind: 'user',
  passwordHash: `hash-of-${username}`,
  role: 'member',
  certificates: [],
  source: 'config',
  ...over,
});

export function identityContract(ctx: ContractContext): void {
  describe('identity: users, certificates, tokens', () => {
    it('stores users, replaces them by username and counts platform admins', async () => {
      await ctx.store.identity.putUser(user('a', { role: 'platform-admin' }));
      await ctx.store.identity.putUser(user('b', { tenant: 'de-bsi', role: 'tenant-admin' }));
      await ctx.store.identity.putUser(user('a', { passwordHash: 'h3', role: 'platform-admin', source: 'admin' }));
      await ctx.store.identity.putUser(user('svc', { kind: 'service', passwordHash: undefined, tenant: 'de-bsi' }));
      expect(await ctx.store.identity.getUser('a')).to.deep.equal(
        user('a', { passwordHash: 'h3', role: 'platform-admin', source: 'admin' }),
      );
      expect(await ctx.store.identity.getUser('b')).to.deep.equal(
        user('b', { tenant: 'de-bsi', role: 'tenant-admin' }),
      );
      const svc = await ctx.store.identity.getUser('svc');
      expect(svc).to.deep.equal({
        username: 'svc',
        kind: 'service',
        role: 'member',
        tenant: 'de-bsi',
        certificates: [],
        source: 'config',
      });
      expect(await ctx.store.identity.countPlatformAdmins()).to.equal(1);
      expect((await ctx.store.identity.listUsers()).map((u) => u.username)).to.deep.equal(['a', 'b', 'svc']);
      await ctx.store.identity.putUser(user('a', { role: 'member' }));
      expect(await ctx.store.identity.countPlatformAdmins()).to.equal(0);
    });

    it('maps certificates to their account and forgets them with it', async () => {
      const fp = `sha256:${'ab'.repeat(32)}`;
      await ctx.store.identity.putUser(user('c', { certificates: [fp, 'CN=sync,O=Vendor'] }));
      expect((await ctx.store.identity.userByCertificate(fp))?.username).to.equal('c');
      expect((await ctx.store.identity.userByCertificate('CN=sync,O=Vendor'))?.username).to.equal('c');
      expect(await ctx.store.identity.userByCertificate('CN=other')).to.equal(undefined);
      await ctx.store.identity.putUser(user('c', { certificates: ['CN=sync,O=Vendor'] }));
      expect(await ctx.store.identity.userByCertificate(fp)).to.equal(undefined);
      expect(await ctx.store.identity.deleteUser('c')).to.equal(true);
      expect(await ctx.store.identity.userByCertificate('CN=sync,O=Vendor')).to.equal(undefined);
      expect(await ctx.store.identity.deleteUser('c')).to.equal(false);
    });

    it('stores tokens by id, updates revocation, and deletes them with their account', async () => {
      await ctx.store.identity.putUser(user('svc', { kind: 'service', passwordHash: undefined }));
      const token = {
        id: '0123456789abcdef',
        username: 'svc',
        secretHash: 'ff'.repeat(32),
        label: 'sync',
        createdAt: 5,
        expiresAt: 99,
      };
      await ctx.store.identity.putToken(token);
      await ctx.store.identity.putToken({ ...token, id: '1123456789abcdef', label: 'second', createdAt: 6 });
      expect(await ctx.store.identity.getToken(token.id)).to.deep.equal(token);
      await ctx.store.identity.putToken({ ...token, revokedAt: 50 });
      expect(await ctx.store.identity.getToken(token.id)).to.deep.equal({ ...token, revokedAt: 50 });
      expect((await ctx.store.identity.listTokens('svc')).map((t) => t.label)).to.deep.equal(['sync', 'second']);
      await ctx.store.identity.deleteUser('svc');
      expect(await ctx.store.identity.getToken(token.id)).to.equal(undefined);
    });
  });
}

export function tenancyContract(ctx: ContractContext): void {
  describe('tenancy: tenants and groups', () => {
    it('stores tenants and groups with their members, answers the groups of a tenant, deletes both', async () => {
      for (const id of ['de-bsi', 'fr-anssi', 'it-acn'])
        await ctx.store.tenancy.putTenant({ id, name: id.toUpperCase(), source: 'config' });
      await ctx.store.tenancy.putGroup({
        id: 'eu',
        name: 'EU',
        tenants: ['it-acn', 'de-bsi', 'fr-anssi'],
        source: 'config',
      });
      await ctx.store.tenancy.putGroup({ id: 'five', tenants: ['de-bsi'], source: 'admin' });
      expect(await ctx.store.tenancy.getTenant('de-bsi')).to.deep.equal({
        id: 'de-bsi',
        name: 'DE-BSI',
        source: 'config',
      });
      const ids = ['identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000002', 'identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001'];
      await ctx.store.tenancy.putTenant({ id: 'de-bsi', name: 'DE-BSI', identities: ids, source: 'config' });
      expect((await ctx.store.tenancy.getTenant('de-bsi'))?.identities).to.deep.equal([...ids].sort());
      await ctx.store.tenancy.putTenant({ id: 'de-bsi', name: 'DE-BSI', source: 'config' });
      expect(await ctx.store.tenancy.getTenant('de-bsi')).to.not.have.property('identities');
      expect((await ctx.store.tenancy.listTenants()).map((t) => t.id)).to.deep.equal(['de-bsi', 'fr-anssi', 'it-acn']);
      expect(await ctx.store.tenancy.getGroup('eu')).to.deep.equal({
        id: 'eu',
        name: 'EU',
        tenants: ['de-bsi', 'fr-anssi', 'it-acn'],
        source: 'config',
      });
      expect(await ctx.store.tenancy.groupsOf('de-bsi')).to.deep.equal(['eu', 'five']);
      expect(await ctx.store.tenancy.groupsOf('it-acn')).to.deep.equal(['eu']);
      await ctx.store.tenancy.putGroup({ id: 'eu', tenants: ['fr-anssi'], source: 'config' });
      expect(await ctx.store.tenancy.groupsOf('de-bsi')).to.deep.equal(['five']);
      expect(await ctx.store.tenancy.deleteTenant('fr-anssi')).to.equal(true);
      expect((await ctx.store.tenancy.getGroup('eu'))?.tenants).to.deep.equal([]);
      expect(await ctx.store.tenancy.deleteGroup('five')).to.equal(true);
      expect(await ctx.store.tenancy.groupsOf('de-bsi')).to.deep.equal([]);
      expect((await ctx.store.tenancy.listGroups()).map((g) => g.id)).to.deep.equal(['eu']);
    });
  });
}

export function grantsContract(ctx: ContractContext): void {
  describe('grants', () => {
    const OTHER = '3a0b1c2d-4e5f-4a6b-8c7d-000000000009';
    const u1 = { kind: 'user', id: 'u1' } as const;
    const de = { kind: 'tenant', id: 'de-bsi' } as const;
    const eu = { kind: 'group', id: 'eu' } as const;

    it('replaces the grants of one source on a collection and reads them per subject and per collection', async () => {
      await ctx.store.grants.setGrants(
        C,
        [
          { subject: u1, read: true, write: false },
          { subject: { kind: 'user', id: 'u2' }, read: true, write: true },
          { subject: eu, read: true, write: false },
        ],
        'config',
      );
      await ctx.store.grants.setGrants(C, [{ subject: de, read: false, write: true }], 'admin');
      await ctx.store.grants.setGrants(OTHER, [{ subject: u1, read: true, write: true }], 'config');
      await ctx.store.grants.setGrants(
        C,
        [
          { subject: u1, read: false, write: true },
          { subject: eu, read: true, write: false },
        ],
        'config',
      );

      expect(await ctx.store.grants.listGrants(C)).to.deep.equal([
        { collectionId: C, subject: eu, read: true, write: false, source: 'config' },
        { collectionId: C, subject: de, read: false, write: true, source: 'admin' },
        { collectionId: C, subject: u1, read: false, write: true, source: 'config' },
      ]);
      expect(await ctx.store.grants.grantsOf([u1])).to.have.deep.members([
        { collectionId: C, subject: u1, read: false, write: true, source: 'config' },
        { collectionId: OTHER, subject: u1, read: true, write: true, source: 'config' },
      ]);
      expect(await ctx.store.grants.grantsOf([{ kind: 'user', id: 'u2' }])).to.deep.equal([]);
      expect(await ctx.store.grants.grantsOn(C, [u1, de, eu, { kind: 'group', id: 'none' }])).to.have.deep.members([
        { collectionId: C, subject: u1, read: false, write: true, source: 'config' },
        { collectionId: C, subject: de, read: false, write: true, source: 'admin' },
        { collectionId: C, subject: eu, read: true, write: false, source: 'config' },
      ]);
      // A tenant grant and a user grant with the same id are different subjects.
      expect(await ctx.store.grants.grantsOn(C, [{ kind: 'user', id: 'de-bsi' }])).to.deep.equal([]);
      expect(await ctx.store.grants.deleteGrantsOf(u1)).to.equal(2);
      expect(await ctx.store.grants.grantsOf([u1])).to.deep.equal([]);
      await ctx.store.grants.setGrants(C, [], 'config');
      expect(await ctx.store.grants.listGrants(C)).to.deep.equal([
        { collectionId: C, subject: de, read: false, write: true, source: 'admin' },
      ]);
    });
  });
}
