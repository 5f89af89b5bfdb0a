// API roots (TAXII 2.1 §4.2) and their collections (§5.2). Platform admins change them; tenant
// admins see the collections their tenant owns and the API roots holding them. Deleting retires:
// a collection's objects stay stored, unreachable, and an API root must be empty first (409).
// A collection created with the id of a retired one brings it back, with the objects it holds.
// Releasability and the write policy take effect on the next TAXII request: the gate reads them then.
// An alias of the form of a UUID is refused (400); an id or alias that a live collection holds is a
// 409 listing every clash, also when a concurrent request took it first (the store's unique check).
import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../config/load-config.js';
import { ConflictError } from '../errors.js';
import type { ApiRootRecord, CollectionRecord, NewCollection } from '../store/store.js';
import { adminPath, assertNotDeclared, without, type AdminContext, type AdminDeps } from './context.js';
import { patchPolicy, policyOf } from './policy-input.js';
import {
  aliasFormProblems,
  checkBody,
  conflicting,
  invalid,
  validateBody,
  type CollectionCreate,
} from './validation.js';
import { apiRootView, collectionView, type ApiRootView, type CollectionView } from './views.js';

export class ApiRootsAdmin {
  constructor(private readonly d: AdminDeps) {}

  async list(ctx: AdminContext): Promise<ApiRootView[]> {
    const { catalog } = this.d.store;
    const roots = this.d.rights.visibleApiRoots(
      ctx.principal,
      await catalog.listApiRoots(),
      await catalog.listAllCollections(),
    );
    return roots.map(apiRootView);
  }

  async get(ctx: AdminContext, path: string): Promise<ApiRootView> {
    return apiRootView(await this.find(ctx, path));
  }

  /** An API root the caller may see, else 404. */
  async find(ctx: AdminContext, path: string): Promise<ApiRootRecord> {
    this.d.rights.scope(ctx.principal);
    const { catalog } = this.d.store;
    return this.d.rights.apiRoot(
      ctx.principal,
      path,
      await catalog.getApiRoot(path),
      await catalog.listAllCollections(),
    );
  }

  async create(ctx: AdminContext, body: unknown): Promise<ApiRootView> {
    return this.d.recorder.change(ctx, 'admin.create', { target: adminPath('api-roots') }, async (rec) => {
      this.d.rights.requirePlatform(ctx.principal, 'create API roots');
      const input = validateBody('api-root-create', body);
      rec.at({ target: adminPath('api-roots', input.path), apiRoot: input.path });
      if (await this.d.store.catalog.getApiRoot(input.path))
        throw new ConflictError(`The API root "${input.path}" exists already.`);
      const record: ApiRootRecord = {
        path: input.path,
        title: input.title,
        ...(input.description !== undefined ? { description: input.description } : {}),
        maxContentLength: input.max_content_length ?? DEFAULT_MAX_CONTENT_LENGTH,
        source: 'admin',
      };
      await this.d.store.catalog.putApiRoot(record);
      return apiRootView(record);
    });
  }

  async update(ctx: AdminContext, path: string, body: unknown): Promise<ApiRootView> {
    const on = { target: adminPath('api-roots', path), apiRoot: path };
    return this.d.recorder.change(ctx, 'admin.update', on, async (rec) => {
      const existing = await this.find(ctx, path);
      this.d.rights.requirePlatform(ctx.principal, 'change API roots');
      assertNotDeclared(existing, `The API root "${path}"`);
      const input = validateBody('api-root-update', body);
      rec.note({ changed: Object.keys(input) });
      const rest = without(existing, 'description');
      const description = input.description === undefined ? existing.description : (input.description ?? undefined);
      const record: ApiRootRecord = {
        ...rest,
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(input.max_content_length !== undefined ? { maxContentLength: input.max_content_length } : {}),
      };
      await this.d.store.catalog.putApiRoot(record);
      return apiRootView(record);
    });
  }

  async delete(ctx: AdminContext, path: string): Promise<void> {
    const on = { target: adminPath('api-roots', path), apiRoot: path };
    await this.d.recorder.change(ctx, 'admin.delete', on, async () => {
      const existing = await this.find(ctx, path);
      this.d.rights.requirePlatform(ctx.principal, 'delete API roots');
      assertNotDeclared(existing, `The API root "${path}"`);
      const held = (await this.d.store.catalog.listCollections(path)).length;
      if (held > 0)
        throw new ConflictError(`The API root "${path}" still holds ${held} collection(s); delete them first.`, {
          details: { collections: held },
        });
      await this.d.store.catalog.retireApiRoot(path);
    });
  }
}

export class CollectionsAdmin {
  constructor(
    private readonly d: AdminDeps,
    private readonly roots: ApiRootsAdmin,
  ) {}

  async list(ctx: AdminContext, path: string): Promise<CollectionView[]> {
    await this.roots.find(ctx, path);
    const all = await this.d.store.catalog.listCollections(path);
    return this.d.rights.visibleCollections(ctx.principal, all).map(collectionView);
  }

  async get(ctx: AdminContext, path: string, idOrAlias: string): Promise<CollectionView> {
    return collectionView(await this.find(ctx, path, idOrAlias));
  }

  /** A collection (by id or alias) the caller may see in an API root it may see, else 404. */
  private async find(ctx: AdminContext, path: string, idOrAlias: string): Promise<CollectionRecord> {
    await this.roots.find(ctx, path);
    return this.d.rights.collection(ctx.principal, await this.d.store.catalog.getCollection(path, idOrAlias));
  }

  async create(ctx: AdminContext, path: string, body: unknown): Promise<CollectionView> {
    const on = { target: adminPath('api-roots', path, 'collections'), apiRoot: path };
    return this.d.recorder.change(ctx, 'admin.create', on, async (rec) => {
      await this.roots.find(ctx, path);
      this.d.rights.requirePlatform(ctx.principal, 'create collections');
      const input = await this.checkCreate(body);
      const id = input.id ?? randomUUID();
      rec.at({ target: adminPath('api-roots', path, 'collections', id), collectionId: id });
      const { catalog } = this.d.store;
      const conflicts: string[] = [];
      if ((await catalog.listAllCollections()).some((c) => c.id === id))
        conflicts.push(`id: a collection with the id ${id} exists already`);
      else {
        const holder = await catalog.getCollection(path, id);
        if (holder) conflicts.push(`id: ${id} is the alias of collection ${holder.id} in the API root "${path}"`);
      }
      conflicts.push(...(await this.aliasConflicts(path, id, input.alias)));
      if (conflicts.length > 0) throw conflicting(conflicts);
      const policy = policyOf(input.policy);
      const record: NewCollection = {
        id,
        apiRoot: path,
        title: input.title,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.alias !== undefined ? { alias: input.alias } : {}),
        ...(input.owner !== undefined ? { owner: input.owner } : {}),
        ...(input.releasability === true ? { releasability: true } : {}),
        ...(policy !== undefined ? { policy } : {}),
        source: 'admin',
      };
      // The store checks id and alias again in the write itself: a concurrent request may have
      // taken either since the checks above.
      await storeConflictsAs409(() => catalog.createCollection(record));
      return collectionView((await catalog.getCollection(path, id)) as CollectionRecord);
    });
  }

  /** The body of a creation, or a 400 listing every problem: schema, alias form, owner. */
  private async checkCreate(body: unknown): Promise<CollectionCreate> {
    const checked = checkBody('collection-create', body);
    const alias = (body as { alias?: unknown } | null | undefined)?.alias;
    const problems = checked.ok ? [] : [...checked.problems];
    problems.push(...aliasFormProblems(alias));
    if (checked.ok) problems.push(...(await this.ownerProblems(checked.value.owner)));
    if (problems.length > 0 || !checked.ok) throw invalid(problems);
    return checked.value;
  }

  async update(ctx: AdminContext, path: string, idOrAlias: string, body: unknown): Promise<CollectionView> {
    const on = { target: adminPath('api-roots', path, 'collections', idOrAlias), apiRoot: path };
    return this.d.recorder.change(ctx, 'admin.update', on, async (rec) => {
      const existing = await this.find(ctx, path, idOrAlias);
      rec.at({ target: adminPath('api-roots', path, 'collections', existing.id), collectionId: existing.id });
      this.d.rights.requirePlatform(ctx.principal, 'change collections');
      assertNotDeclared(existing, 'The collection');
      const checked = checkBody('collection-update', body);
      const problems = checked.ok ? [] : [...checked.problems];
      problems.push(...aliasFormProblems((body as { alias?: unknown } | null | undefined)?.alias));
      if (checked.ok && checked.value.owner !== undefined)
        problems.push(...(await this.ownerProblems(checked.value.owner ?? undefined)));
      if (problems.length > 0 || !checked.ok) throw invalid(problems);
      const input = checked.value;
      rec.note({ changed: Object.keys(input) });
      const merged = (key: 'description' | 'alias' | 'owner'): string | undefined =>
        input[key] === undefined ? existing[key] : (input[key] ?? undefined);
      const description = merged('description');
      const alias = merged('alias');
      const owner = merged('owner');
      if (alias !== existing.alias) {
        const conflicts = await this.aliasConflicts(path, existing.id, alias);
        if (conflicts.length > 0) throw conflicting(conflicts);
      }
      const rest = without(existing, 'description', 'alias', 'owner', 'releasability', 'policy');
      const releasability = input.releasability ?? existing.releasability === true;
      const policy = patchPolicy(existing.policy, input.policy);
      const record: NewCollection = {
        ...rest,
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(alias !== undefined ? { alias } : {}),
        ...(owner !== undefined ? { owner } : {}),
        ...(releasability ? { releasability: true } : {}),
        ...(policy !== undefined ? { policy } : {}),
      };
      await storeConflictsAs409(() => this.d.store.catalog.putCollection(record));
      return collectionView((await this.d.store.catalog.getCollection(path, existing.id)) as CollectionRecord);
    });
  }

  /** Retires the collection and removes the grants made here; its objects stay stored. */
  async delete(ctx: AdminContext, path: string, idOrAlias: string): Promise<void> {
    const on = { target: adminPath('api-roots', path, 'collections', idOrAlias), apiRoot: path };
    await this.d.recorder.change(ctx, 'admin.delete', on, async (rec) => {
      const existing = await this.find(ctx, path, idOrAlias);
      rec.at({ target: adminPath('api-roots', path, 'collections', existing.id), collectionId: existing.id });
      this.d.rights.requirePlatform(ctx.principal, 'delete collections');
      assertNotDeclared(existing, 'The collection');
      await this.d.store.catalog.retireCollection(existing.id);
      await this.d.store.grants.setGrants(existing.id, [], 'admin');
    });
  }

  private async ownerProblems(owner: string | undefined): Promise<string[]> {
    return owner !== undefined && !(await this.d.store.tenancy.getTenant(owner))
      ? [`owner: there is no tenant "${owner}"`]
      : [];
  }

  /**
   * An alias names one collection of the API root and is never another collection's id, since
   * TAXII URLs take either in one segment: every way `alias` for the collection `id` conflicts with
   * the live collections of `path`.
   */
  private async aliasConflicts(path: string, id: string, alias: string | undefined): Promise<string[]> {
    if (alias === undefined) return [];
    const conflicts: string[] = [];
    for (const other of await this.d.store.catalog.listCollections(path)) {
      if (other.id === id) continue;
      if (other.alias === alias)
        conflicts.push(`alias: "${alias}" is taken by collection ${other.id} in the API root "${path}"`);
      if (other.id === alias)
        conflicts.push(`alias: "${alias}" is the id of another collection in the API root "${path}"`);
    }
    return conflicts;
  }
}

/** A write whose store conflict (a race lost to a concurrent request) answers 409 in the listing format. */
async function storeConflictsAs409(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const { alias, apiRoot, id } = (err.details ?? {}) as { alias?: string; apiRoot?: string; id?: string };
    if (alias !== undefined) throw conflicting([`alias: "${alias}" is taken in the API root "${apiRoot}"`]);
    if (id !== undefined) throw conflicting([`id: a collection with the id ${id} exists already`]);
    throw err;
  }
}
