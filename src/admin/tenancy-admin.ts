// Tenants and groups of tenants. Everyone who administers something may read them (a grant names
// tenants and groups); only platform admins change them. A tenant still holding accounts or owning
// collections cannot be deleted (409): its accounts would keep a tenant that no longer exists.
import { ConflictError, NotFoundError } from '../errors.js';
import type { GroupRecord, TenantRecord } from '../store/store.js';
import { adminPath, assertNotDeclared, without, type AdminContext, type AdminDeps } from './context.js';
import { invalid, validateBody } from './validation.js';
import { groupView, tenantView, type GroupView, type TenantView } from './views.js';

const NO_SUCH_TENANT = (id: string) => `There is no tenant "${id}".`;
const NO_SUCH_GROUP = (id: string) => `There is no group "${id}".`;

export class TenantsAdmin {
  constructor(private readonly d: AdminDeps) {}

  async list(ctx: AdminContext): Promise<TenantView[]> {
    this.d.rights.scope(ctx.principal);
    return (await this.d.store.tenancy.listTenants()).map(tenantView);
  }

  async get(ctx: AdminContext, id: string): Promise<TenantView> {
    return tenantView(await this.find(ctx, id));
  }

  private async find(ctx: AdminContext, id: string): Promise<TenantRecord> {
    this.d.rights.scope(ctx.principal);
    const t = await this.d.store.tenancy.getTenant(id);
    if (!t) throw new NotFoundError(NO_SUCH_TENANT(id));
    return t;
  }

  async create(ctx: AdminContext, body: unknown): Promise<TenantView> {
    return this.d.recorder.change(ctx, 'admin.create', { target: adminPath('tenants') }, async (rec) => {
      this.d.rights.requirePlatform(ctx.principal, 'create tenants');
      const input = validateBody('tenant-create', body);
      rec.at({ target: adminPath('tenants', input.id) });
      if (await this.d.store.tenancy.getTenant(input.id))
        throw new ConflictError(`The tenant "${input.id}" exists already.`);
      const record: TenantRecord = { id: input.id, name: input.name, source: 'admin' };
      await this.d.store.tenancy.putTenant(record);
      return tenantView(record);
    });
  }

  async update(ctx: AdminContext, id: string, body: unknown): Promise<TenantView> {
    return this.d.recorder.change(ctx, 'admin.update', { target: adminPath('tenants', id) }, async (rec) => {
      const existing = await this.find(ctx, id);
      this.d.rights.requirePlatform(ctx.principal, 'change tenants');
      assertNotDeclared(existing, `The tenant "${id}"`);
      const input = validateBody('tenant-update', body);
      rec.note({ changed: Object.keys(input) });
      const record: TenantRecord = { ...existing, ...(input.name !== undefined ? { name: input.name } : {}) };
      await this.d.store.tenancy.putTenant(record);
      return tenantView(record);
    });
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    await this.d.recorder.change(ctx, 'admin.delete', { target: adminPath('tenants', id) }, async () => {
      const existing = await this.find(ctx, id);
      this.d.rights.requirePlatform(ctx.principal, 'delete tenants');
      assertNotDeclared(existing, `The tenant "${id}"`);
      const accounts = (await this.d.store.identity.listUsers()).filter((u) => u.tenant === id).length;
      const owned = (await this.d.store.catalog.listAllCollections()).filter((c) => c.owner === id).length;
      if (accounts > 0 || owned > 0)
        throw new ConflictError(
          `The tenant "${id}" still has ${accounts} account(s) and owns ${owned} collection(s); move or delete them first.`,
          { details: { accounts, collections: owned } },
        );
      await this.d.store.tenancy.deleteTenant(id);
      await this.d.store.grants.deleteGrantsOf({ kind: 'tenant', id });
    });
  }
}

export class GroupsAdmin {
  constructor(private readonly d: AdminDeps) {}

  async list(ctx: AdminContext): Promise<GroupView[]> {
    this.d.rights.scope(ctx.principal);
    return (await this.d.store.tenancy.listGroups()).map(groupView);
  }

  async get(ctx: AdminContext, id: string): Promise<GroupView> {
    return groupView(await this.find(ctx, id));
  }

  private async find(ctx: AdminContext, id: string): Promise<GroupRecord> {
    this.d.rights.scope(ctx.principal);
    const g = await this.d.store.tenancy.getGroup(id);
    if (!g) throw new NotFoundError(NO_SUCH_GROUP(id));
    return g;
  }

  async create(ctx: AdminContext, body: unknown): Promise<GroupView> {
    return this.d.recorder.change(ctx, 'admin.create', { target: adminPath('groups') }, async (rec) => {
      this.d.rights.requirePlatform(ctx.principal, 'create groups');
      const input = validateBody('group-create', body);
      rec.at({ target: adminPath('groups', input.id) });
      await this.checkTenants(input.tenants);
      if (await this.d.store.tenancy.getGroup(input.id))
        throw new ConflictError(`The group "${input.id}" exists already.`);
      const record: GroupRecord = {
        id: input.id,
        ...(input.name !== undefined ? { name: input.name } : {}),
        tenants: [...input.tenants].sort(),
        source: 'admin',
      };
      await this.d.store.tenancy.putGroup(record);
      return groupView(record);
    });
  }

  async update(ctx: AdminContext, id: string, body: unknown): Promise<GroupView> {
    return this.d.recorder.change(ctx, 'admin.update', { target: adminPath('groups', id) }, async (rec) => {
      const existing = await this.find(ctx, id);
      this.d.rights.requirePlatform(ctx.principal, 'change groups');
      assertNotDeclared(existing, `The group "${id}"`);
      const input = validateBody('group-update', body);
      rec.note({ changed: Object.keys(input) });
      if (input.tenants !== undefined) await this.checkTenants(input.tenants);
      const rest = without(existing, 'name');
      const name = input.name === undefined ? existing.name : (input.name ?? undefined);
      const record: GroupRecord = {
        ...rest,
        ...(name !== undefined ? { name } : {}),
        tenants: [...(input.tenants ?? existing.tenants)].sort(),
      };
      await this.d.store.tenancy.putGroup(record);
      return groupView(record);
    });
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    await this.d.recorder.change(ctx, 'admin.delete', { target: adminPath('groups', id) }, async () => {
      const existing = await this.find(ctx, id);
      this.d.rights.requirePlatform(ctx.principal, 'delete groups');
      assertNotDeclared(existing, `The group "${id}"`);
      await this.d.store.tenancy.deleteGroup(id);
      await this.d.store.grants.deleteGrantsOf({ kind: 'group', id });
    });
  }

  private async checkTenants(ids: readonly string[]): Promise<void> {
    const known = new Set((await this.d.store.tenancy.listTenants()).map((t) => t.id));
    const problems = ids.flatMap((t, i) => (known.has(t) ? [] : [`tenants.${i}: there is no tenant "${t}"`]));
    if (problems.length > 0) throw invalid(problems);
  }
}
