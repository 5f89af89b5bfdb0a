// Tenants and groups of tenants. Everyone who administers something may read them (a grant names
// tenants and groups); only platform admins change them. A tenant still holding accounts or owning
// collections cannot be deleted (409): its accounts would keep a tenant that no longer exists. Nor
// can a tenant or group a marking binding names: dropping it from the binding could leave the
// marking bound to nobody, which restricts nobody, and a tenant made later under the same id would
// inherit what the binding releases to it.
//
// A tenant's identities are the STIX identities that speak for it (provenance policies). One
// identity speaks for one tenant (409 otherwise), or two tenants could publish in each other's name.
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
      const identities = [...(input.identities ?? [])].sort();
      await this.checkIdentities(input.id, identities);
      const record: TenantRecord = {
        id: input.id,
        name: input.name,
        ...(identities.length > 0 ? { identities } : {}),
        source: 'admin',
      };
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
      const identities = [...(input.identities ?? existing.identities ?? [])].sort();
      if (input.identities !== undefined) await this.checkIdentities(id, identities);
      const record: TenantRecord = {
        ...without(existing, 'identities'),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(identities.length > 0 ? { identities } : {}),
      };
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
      const markings = await bindingsNaming(this.d, 'tenant', id);
      const uses = [
        ...(accounts > 0 ? [`has ${accounts} account(s)`] : []),
        ...(owned > 0 ? [`owns ${owned} collection(s)`] : []),
        ...(markings > 0 ? [`is named by ${markings} marking binding(s)`] : []),
      ];
      if (uses.length > 0)
        throw new ConflictError(`The tenant "${id}" still ${uses.join(', ')}; move, change or delete them first.`, {
          details: { accounts, collections: owned, markings },
        });
      await this.d.store.tenancy.deleteTenant(id);
      await this.d.store.grants.deleteGrantsOf({ kind: 'tenant', id });
    });
  }

  /** 409 when an identity already speaks for another tenant. */
  private async checkIdentities(id: string, identities: readonly string[]): Promise<void> {
    if (identities.length === 0) return;
    const wanted = new Set(identities);
    for (const t of await this.d.store.tenancy.listTenants()) {
      const taken = t.id === id ? undefined : (t.identities ?? []).find((i) => wanted.has(i));
      if (taken !== undefined)
        throw new ConflictError(`The identity ${taken} speaks for the tenant "${t.id}" already.`, {
          details: { identity: taken, tenant: t.id },
        });
    }
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
      const markings = await bindingsNaming(this.d, 'group', id);
      if (markings > 0)
        throw new ConflictError(`The group "${id}" is named by ${markings} marking binding(s); change them first.`, {
          details: { markings },
        });
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

/** How many marking bindings name the tenant or group. */
async function bindingsNaming(d: AdminDeps, kind: 'tenant' | 'group', id: string): Promise<number> {
  const bindings = await d.store.markings.listBindings();
  return bindings.filter((b) => b.subjects.some((s) => s.kind === kind && s.id === id)).length;
}
