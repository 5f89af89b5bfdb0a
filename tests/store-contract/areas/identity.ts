import { expect } from 'chai';
import { C, type ContractContext } from '../contract.js';

export function identityContract(ctx: ContractContext): void {
  describe('identity: users', () => {
    it('stores users, replaces them by username and counts admins', async () => {
      await ctx.store.identity.putUser({ username: 'a', passwordHash: 'h1', admin: true });
      await ctx.store.identity.putUser({ username: 'b', passwordHash: 'h2', admin: false });
      await ctx.store.identity.putUser({ username: 'a', passwordHash: 'h3', admin: true });
      expect(await ctx.store.identity.getUser('a')).to.deep.equal({ username: 'a', passwordHash: 'h3', admin: true });
      expect(await ctx.store.identity.getUser('b')).to.deep.equal({ username: 'b', passwordHash: 'h2', admin: false });
      expect(await ctx.store.identity.countAdmins()).to.equal(1);
      await ctx.store.identity.putUser({ username: 'a', passwordHash: 'h3', admin: false });
      expect(await ctx.store.identity.countAdmins()).to.equal(0);
    });
  });
}

export function grantsContract(ctx: ContractContext): void {
  describe('grants', () => {
    const OTHER = '3a0b1c2d-4e5f-4a6b-8c7d-000000000009';

    it('replaces every grant of a collection and reads them per user and per (collection, user)', async () => {
      await ctx.store.grants.setGrants(C, [
        { username: 'u1', read: true, write: false },
        { username: 'u2', read: true, write: true },
      ]);
      await ctx.store.grants.setGrants(OTHER, [{ username: 'u1', read: true, write: true }]);
      await ctx.store.grants.setGrants(C, [{ username: 'u1', read: false, write: true }]);
      expect(await ctx.store.grants.grantsOf('u1')).to.have.deep.members([
        { collectionId: C, username: 'u1', read: false, write: true },
        { collectionId: OTHER, username: 'u1', read: true, write: true },
      ]);
      expect(await ctx.store.grants.grantsOf('u2')).to.deep.equal([]);
      expect(await ctx.store.grants.grantOn(C, 'u1')).to.deep.equal({
        collectionId: C,
        username: 'u1',
        read: false,
        write: true,
      });
      expect(await ctx.store.grants.grantOn(OTHER, 'u1')).to.deep.equal({
        collectionId: OTHER,
        username: 'u1',
        read: true,
        write: true,
      });
      expect(await ctx.store.grants.grantOn(C, 'u2')).to.equal(undefined);
      await ctx.store.grants.setGrants(C, []);
      expect(await ctx.store.grants.grantOn(C, 'u1')).to.equal(undefined);
      expect(await ctx.store.grants.grantOn(OTHER, 'u1')).to.not.equal(undefined);
    });
  });
}
