// Grants on a collection (read, write or both, to a user, a tenant or a group). Grants have a
// source: those the configuration file declares stay the file's, and a PUT here replaces only the
// grants made through the admin API. Platform admins manage the grants on every collection, tenant
// admins those on collections their tenant owns (others are 404 for them); a tenant admin may
// grant to any tenant or group, and to accounts of its own tenant only.
import type { CollectionRecord, NewGrant, SubjectKind } from '../store/store.js';
import { adminPath, type AdminContext, type AdminDeps } from './context.js';
import { invalid, validateBody } from './validation.js';
import { grantView, type GrantView } from './views.js';

const KINDS: readonly SubjectKind[] = ['user', 'tenant', 'group'];

export class GrantsAdmin {
  constructor(private readonly d: AdminDeps) {}

  /** Every grant on the collection, whatever its source. */
  async list(ctx: AdminContext, collectionId: string): Promise<GrantView[]> {
    await this.find(ctx, collectionId);
    return this.views(collectionId);
  }

  /** Replaces the admin-made grants on the collection; answers every grant on it. */
  async replace(ctx: AdminContext, collectionId: string, body: unknown): Promise<GrantView[]> {
    const on = { target: adminPath('collections', collectionId, 'grants'), collectionId };
    return this.d.recorder.change(ctx, 'admin.update', on, async (rec) => {
      const collection = await this.find(ctx, collectionId);
      rec.at({ apiRoot: collection.apiRoot });
      const input = validateBody('grants', body);
      const grants: NewGrant[] = [];
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const [i, g] of input.grants.entries()) {
        const kind = KINDS.find((k) => g[k] !== undefined) as SubjectKind;
        const id = g[kind] as string;
        const where = `grants.${i}`;
        if (g.read !== true && g.write !== true) problems.push(`${where}: gives neither read nor write`);
        if (seen.has(`${kind}:${id}`)) problems.push(`${where}: ${kind} "${id}" is named twice`);
        seen.add(`${kind}:${id}`);
        const problem = await this.unknownSubject(ctx, kind, id);
        if (problem !== undefined) problems.push(`${where}.${kind}: ${problem}`);
        grants.push({ subject: { kind, id }, read: g.read === true, write: g.write === true });
      }
      if (problems.length > 0) throw invalid(problems);
      rec.note({
        grants: grants.map((g) => `${g.subject.kind}:${g.subject.id}:${g.read ? 'r' : ''}${g.write ? 'w' : ''}`),
      });
      await this.d.store.grants.setGrants(collectionId, grants, 'admin');
      return this.views(collectionId);
    });
  }

  /** A live collection (by id, in any API root) whose grants the caller manages, else 404. */
  private async find(ctx: AdminContext, collectionId: string): Promise<CollectionRecord> {
    this.d.rights.scope(ctx.principal);
    const all = await this.d.store.catalog.listAllCollections();
    return this.d.rights.collection(
      ctx.principal,
      all.find((c) => c.id === collectionId),
    );
  }

  /** Why a grant cannot name this subject, or undefined; an account the caller may not see reads as missing. */
  private async unknownSubject(ctx: AdminContext, kind: SubjectKind, id: string): Promise<string | undefined> {
    const { identity, tenancy } = this.d.store;
    switch (kind) {
      case 'user':
        return this.d.rights.grantableUser(ctx.principal, await identity.getUser(id))
          ? undefined
          : `there is no account "${id}"`;
      case 'tenant':
        return (await tenancy.getTenant(id)) ? undefined : `there is no tenant "${id}"`;
      case 'group':
        return (await tenancy.getGroup(id)) ? undefined : `there is no group "${id}"`;
    }
  }

  private async views(collectionId: string): Promise<GrantView[]> {
    return (await this.d.store.grants.listGrants(collectionId)).map(grantView);
  }
}
