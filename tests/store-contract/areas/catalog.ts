import { expect } from 'chai';
import { ConflictError } from '../../../src/errors.js';
import { C, type ContractContext } from '../contract.js';

/** The error a store call fails with (a ConflictError is expected), or undefined when it succeeds. */
async function failureOf(write: () => Promise<void>): Promise<unknown> {
  try {
    await write();
    return undefined;
  } catch (err) {
    return err;
  }
}

const EARLIER = '0a0b1c2d-4e5f-4a6b-8c7d-000000000002';

export function catalogContract(ctx: ContractContext): void {
  describe('catalog: API roots and collections', () => {
    it('stores API roots and collections, finds a collection by id or alias, lists by id', async () => {
      await ctx.store.catalog.putCollection({
        id: EARLIER,
        apiRoot: 'r1',
        title: 'Earlier id',
        owner: 'de-bsi',
        source: 'admin',
      });
      await ctx.store.catalog.putApiRoot({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
        source: 'config',
      });
      expect(await ctx.store.catalog.getApiRoot('r1')).to.deep.equal({
        path: 'r1',
        title: 'Root one, renamed',
        description: 'd',
        maxContentLength: 5,
        source: 'config',
      });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(C);
      expect(await ctx.store.catalog.getCollection('r1', C)).to.deep.equal({
        id: C,
        apiRoot: 'r1',
        title: 'C',
        alias: 'c-alias',
        mediaTypes: ['application/stix+json;version=2.1'],
        source: 'config',
      });
      expect(await ctx.store.catalog.getCollection('r1', EARLIER)).to.deep.include({
        owner: 'de-bsi',
        source: 'admin',
      });
      const policy = { allowedTypes: ['indicator'], maxTlp: 'amber' as const, provenance: true };
      await ctx.store.catalog.putCollection({
        id: EARLIER,
        apiRoot: 'r1',
        title: 'Earlier id',
        releasability: true,
        policy,
        source: 'admin',
      });
      expect(await ctx.store.catalog.getCollection('r1', EARLIER)).to.deep.include({ releasability: true, policy });
      await ctx.store.catalog.putCollection({ id: EARLIER, apiRoot: 'r1', title: 'Earlier id', source: 'admin' });
      const plain = await ctx.store.catalog.getCollection('r1', EARLIER);
      expect(plain).to.not.have.property('releasability');
      expect(plain).to.not.have.property('policy');
      expect((await ctx.store.catalog.listCollections('r1')).map((x) => x.id)).to.deep.equal([EARLIER, C]);
      expect((await ctx.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
    });

    it('retires collections and API roots: hidden everywhere, alias freed, back when put again', async () => {
      await ctx.store.catalog.putApiRoot({ path: 'r2', title: 'Two', maxContentLength: 5, source: 'config' });
      await ctx.store.catalog.putCollection({ id: EARLIER, apiRoot: 'r2', title: 'In r2', source: 'config' });
      await ctx.store.catalog.retireCollection(C);
      expect(await ctx.store.catalog.getCollection('r1', C)).to.equal(undefined);
      expect(await ctx.store.catalog.getCollection('r1', 'c-alias')).to.equal(undefined);
      expect(await ctx.store.catalog.listCollections('r1')).to.deep.equal([]);
      expect((await ctx.store.catalog.listAllCollections()).map((c) => [c.apiRoot, c.id])).to.deep.equal([
        ['r2', EARLIER],
      ]);
      // The alias is free for another collection of the same API root.
      const other = '0a0b1c2d-4e5f-4a6b-8c7d-000000000003';
      await ctx.store.catalog.putCollection({
        id: other,
        apiRoot: 'r1',
        title: 'New holder',
        alias: 'c-alias',
        source: 'config',
      });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(other);
      await ctx.store.catalog.putCollection({ id: C, apiRoot: 'r1', title: 'C again', source: 'config' });
      expect((await ctx.store.catalog.getCollection('r1', C))?.title).to.equal('C again');

      await ctx.store.catalog.retireApiRoot('r2');
      expect(await ctx.store.catalog.getApiRoot('r2')).to.equal(undefined);
      expect((await ctx.store.catalog.listApiRoots()).map((r) => r.path)).to.deep.equal(['r1']);
      await ctx.store.catalog.putApiRoot({ path: 'r2', title: 'Two again', maxContentLength: 5, source: 'config' });
      expect((await ctx.store.catalog.getApiRoot('r2'))?.title).to.equal('Two again');
    });

    it('keeps an alias to one live collection of an API root: a second holder is a ConflictError', async () => {
      const other = '0a0b1c2d-4e5f-4a6b-8c7d-000000000004';
      const taken = await failureOf(() =>
        ctx.store.catalog.putCollection({
          id: other,
          apiRoot: 'r1',
          title: 'Thief',
          alias: 'c-alias',
          source: 'admin',
        }),
      );
      expect(taken).to.be.instanceOf(ConflictError);
      expect((taken as ConflictError).details).to.deep.equal({ apiRoot: 'r1', alias: 'c-alias' });
      expect(await ctx.store.catalog.getCollection('r1', other)).to.equal(undefined);
      // The same alias in another API root is another alias.
      await ctx.store.catalog.putCollection({
        id: other,
        apiRoot: 'r2',
        title: 'Elsewhere',
        alias: 'c-alias',
        source: 'admin',
      });
      expect((await ctx.store.catalog.getCollection('r2', 'c-alias'))?.id).to.equal(other);
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.id).to.equal(C);
      // Moving it into r1 with the alias is refused too, and changes nothing.
      const moved = await failureOf(() =>
        ctx.store.catalog.putCollection({
          id: other,
          apiRoot: 'r1',
          title: 'Moved',
          alias: 'c-alias',
          source: 'admin',
        }),
      );
      expect(moved).to.be.instanceOf(ConflictError);
      expect(await ctx.store.catalog.getCollection('r2', other)).to.deep.include({
        title: 'Elsewhere',
        alias: 'c-alias',
      });
    });

    it('creates a collection only where its id and alias are free; a retired id comes back', async () => {
      const fresh = '0a0b1c2d-4e5f-4a6b-8c7d-000000000005';
      const live = await failureOf(() =>
        ctx.store.catalog.createCollection({ id: C, apiRoot: 'r1', title: 'Again', source: 'admin' }),
      );
      expect(live).to.be.instanceOf(ConflictError);
      expect((live as ConflictError).details).to.deep.equal({ id: C });
      expect((await ctx.store.catalog.getCollection('r1', C))?.title).to.equal('C');
      const alias = await failureOf(() =>
        ctx.store.catalog.createCollection({
          id: fresh,
          apiRoot: 'r1',
          title: 'New',
          alias: 'c-alias',
          source: 'admin',
        }),
      );
      expect((alias as ConflictError).details).to.deep.equal({ apiRoot: 'r1', alias: 'c-alias' });
      expect(await ctx.store.catalog.getCollection('r1', fresh)).to.equal(undefined);

      await ctx.store.catalog.createCollection({
        id: fresh,
        apiRoot: 'r1',
        title: 'New',
        alias: 'new',
        source: 'admin',
      });
      expect(await ctx.store.catalog.getCollection('r1', 'new')).to.deep.include({ id: fresh, title: 'New' });
      // Retiring C frees its alias and its id: a creation with that id brings C back.
      await ctx.store.catalog.retireCollection(C);
      await ctx.store.catalog.createCollection({
        id: fresh.replace(/5$/, '6'),
        apiRoot: 'r1',
        title: 'Heir',
        alias: 'c-alias',
        source: 'admin',
      });
      await ctx.store.catalog.createCollection({ id: C, apiRoot: 'r1', title: 'C is back', source: 'admin' });
      expect(await ctx.store.catalog.getCollection('r1', C)).to.deep.include({ title: 'C is back', source: 'admin' });
      expect((await ctx.store.catalog.getCollection('r1', 'c-alias'))?.title).to.equal('Heir');
    });

    it('of concurrent writers claiming one alias, exactly one succeeds', async () => {
      const ids = [7, 8, 9].map((n) => `0a0b1c2d-4e5f-4a6b-8c7d-00000000000${n}`);
      const outcomes = await Promise.all(
        ids.map((id, n) =>
          failureOf(() =>
            n === 0
              ? ctx.store.catalog.putCollection({ id, apiRoot: 'r1', title: id, alias: 'contested', source: 'admin' })
              : ctx.store.catalog.createCollection({
                  id,
                  apiRoot: 'r1',
                  title: id,
                  alias: 'contested',
                  source: 'admin',
                }),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === undefined)).to.have.length(1);
      for (const o of outcomes.filter((x) => x !== undefined)) expect(o).to.be.instanceOf(ConflictError);
      const holder = await ctx.store.catalog.getCollection('r1', 'contested');
      expect(holder?.id).to.equal(ids[outcomes.indexOf(undefined)]);
    });

    it('finds a collection by its id before any alias equal to that id (no shadowing)', async () => {
      // Refused by the configuration and the admin API; a store written earlier may hold it.
      const shadow = '0a0b1c2d-4e5f-4a6b-8c7d-00000000000a';
      await ctx.store.catalog.putCollection({ id: shadow, apiRoot: 'r1', title: 'Shadow', alias: C, source: 'admin' });
      expect((await ctx.store.catalog.getCollection('r1', C))?.id).to.equal(C);
      expect((await ctx.store.catalog.getCollection('r1', shadow))?.id).to.equal(shadow);
      await ctx.store.catalog.retireCollection(C);
      expect((await ctx.store.catalog.getCollection('r1', C))?.id).to.equal(shadow);
    });
  });
}
