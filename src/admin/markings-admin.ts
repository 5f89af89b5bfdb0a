// Marking bindings (releasability): the tenants and groups allowed to receive objects carrying a
// marking definition, in every collection that has releasability on. A marking without a binding
// restricts nobody, so deleting a binding widens who reads: objects carrying the marking become
// readable by everyone holding read on such a collection.
//
// Every administrator may read the bindings: they name marking ids, tenants and groups, which the
// directory shows anyway, and a tenant admin granting read on its collections needs to know who
// will receive what is marked. Only platform admins change them, because a binding acts on the
// collections of every tenant. A binding the configuration file declares is the file's (409).
import { NotFoundError } from '../errors.js';
import type { MarkingBinding, Subject } from '../store/store.js';
import { adminPath, assertNotDeclared, type AdminContext, type AdminDeps } from './context.js';
import { checkBody, invalid } from './validation.js';
import { markingView, type MarkingView } from './views.js';

/** The identifier of a STIX 2.1 marking definition, as the configuration file takes it. */
const MARKING_ID = /^marking-definition--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_SUCH_BINDING = (id: string) => `No tenant or group is bound to the marking "${id}".`;

export class MarkingsAdmin {
  constructor(private readonly d: AdminDeps) {}

  /** Every binding, ordered by marking id. */
  async list(ctx: AdminContext): Promise<MarkingView[]> {
    this.d.rights.scope(ctx.principal);
    return (await this.d.store.markings.listBindings()).map(markingView);
  }

  async get(ctx: AdminContext, markingId: string): Promise<MarkingView> {
    this.d.rights.scope(ctx.principal);
    const b = await this.binding(markingId);
    if (!b) throw new NotFoundError(NO_SUCH_BINDING(markingId));
    return markingView(b);
  }

  /** Binds the marking to the tenants and groups named, replacing the binding made here. */
  async replace(ctx: AdminContext, markingId: string, body: unknown): Promise<MarkingView> {
    return this.d.recorder.change(ctx, 'admin.update', { target: adminPath('markings', markingId) }, async (rec) => {
      this.d.rights.requirePlatform(ctx.principal, 'bind markings');
      const existing = await this.binding(markingId);
      if (existing) assertNotDeclared(existing, `The binding of the marking "${markingId}"`);
      // The path and the body are checked together, so that one answer lists every problem.
      const problems: string[] = [];
      if (!MARKING_ID.test(markingId)) problems.push('marking_id: must be marking-definition--<uuid> in lower case');
      const checked = checkBody('marking-binding', body);
      if (!checked.ok) throw invalid([...problems, ...checked.problems]);
      const tenants = checked.value.tenants ?? [];
      const groups = checked.value.groups ?? [];
      if (tenants.length + groups.length === 0)
        problems.push('(body): name at least one tenant or group; to lift the restriction, delete the binding');
      problems.push(...(await this.unknown(tenants, groups)));
      if (problems.length > 0) throw invalid(problems);
      const subjects: Subject[] = [
        ...tenants.map((id): Subject => ({ kind: 'tenant', id })),
        ...groups.map((id): Subject => ({ kind: 'group', id })),
      ];
      rec.note({ tenants, groups, ...(existing ? {} : { created: true }) });
      const record: MarkingBinding = { markingId, subjects, source: 'admin' };
      await this.d.store.markings.setBinding(record);
      return markingView((await this.binding(markingId)) ?? record);
    });
  }

  /** Removes the binding: objects carrying the marking are then restricted by nothing. */
  async delete(ctx: AdminContext, markingId: string): Promise<void> {
    await this.d.recorder.change(ctx, 'admin.delete', { target: adminPath('markings', markingId) }, async () => {
      this.d.rights.scope(ctx.principal);
      const existing = await this.binding(markingId);
      if (!existing) throw new NotFoundError(NO_SUCH_BINDING(markingId));
      this.d.rights.requirePlatform(ctx.principal, 'unbind markings');
      assertNotDeclared(existing, `The binding of the marking "${markingId}"`);
      await this.d.store.markings.setBinding({ markingId, subjects: [], source: 'admin' });
    });
  }

  private async binding(markingId: string): Promise<MarkingBinding | undefined> {
    return (await this.d.store.markings.listBindings()).find((b) => b.markingId === markingId);
  }

  private async unknown(tenants: readonly string[], groups: readonly string[]): Promise<string[]> {
    const { tenancy } = this.d.store;
    const knownTenants = new Set((await tenancy.listTenants()).map((t) => t.id));
    const knownGroups = new Set((await tenancy.listGroups()).map((g) => g.id));
    return [
      ...tenants.flatMap((t, i) => (knownTenants.has(t) ? [] : [`tenants.${i}: there is no tenant "${t}"`])),
      ...groups.flatMap((g, i) => (knownGroups.has(g) ? [] : [`groups.${i}: there is no group "${g}"`])),
    ];
  }
}
