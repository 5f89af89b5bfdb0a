// Rights in the admin API: who may see and change which tenant, group, account, token, API root,
// collection, grant and audit record. Like the TAXII gate (gate.ts), a record the caller may not
// even see answers 404 with the same message as one that does not exist; a visible record the
// caller may not change answers 403.
//
// - Platform admins see and manage everything.
// - Tenant admins see the directory of tenants and groups (a grant names them), manage the accounts
//   of their own tenant and their tokens (never a platform admin's, never in another tenant), and
//   the grants on collections their tenant owns; they see those collections and the API roots that
//   hold them, and the audit records of their own tenant. They read the marking bindings too (a
//   binding names a marking and tenants and groups, which the directory shows anyway, and tells a
//   tenant admin who receives what its tenant marks) but may not change them: a binding acts on
//   the collections of every tenant.
// - Members, and tenant admins without a tenant, may do nothing here: 403 on every admin request.
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { ApiRootRecord, CollectionRecord, Role, UserRecord } from '../store/store.js';

/** What an administrator administers: everything, or one tenant. */
export type AdminScope = { kind: 'platform' } | { kind: 'tenant'; tenant: string };

export const NO_SUCH_USER = (username: string): string => `There is no account "${username}".`;
export const NO_SUCH_API_ROOT = (path: string): string => `There is no API root "${path}".`;
export const NO_SUCH_COLLECTION = 'There is no such collection.';

export class AdminRights {
  /** The caller's scope; a 403 for anyone who administers nothing. */
  scope(p: Principal): AdminScope {
    if (p.role === 'platform-admin') return { kind: 'platform' };
    if (p.role === 'tenant-admin' && p.tenant !== undefined) return { kind: 'tenant', tenant: p.tenant };
    throw new ForbiddenError('The admin API is for platform and tenant administrators.');
  }

  /** Changes to tenants, groups, marking bindings, API roots and collections: platform admins only. */
  requirePlatform(p: Principal, what: string): void {
    if (this.scope(p).kind !== 'platform') throw new ForbiddenError(`Only platform administrators may ${what}.`);
  }

  // ---- accounts and their tokens -------------------------------------------------------------------

  private seesUser(scope: AdminScope, u: UserRecord): boolean {
    return scope.kind === 'platform' || u.tenant === scope.tenant;
  }

  /** The accounts the caller may see: all, or those of its tenant. */
  visibleUsers(p: Principal, users: readonly UserRecord[]): UserRecord[] {
    const scope = this.scope(p);
    return users.filter((u) => this.seesUser(scope, u));
  }

  /** An account the caller may see, else a 404 identical to a missing one. */
  user(p: Principal, username: string, u: UserRecord | undefined): UserRecord {
    const scope = this.scope(p);
    if (!u || !this.seesUser(scope, u)) throw new NotFoundError(NO_SUCH_USER(username));
    return u;
  }

  /**
   * May the caller change this (visible) account, its password, certificates and tokens? A tenant
   * admin may not touch a platform admin that happens to be in its tenant: that would be a way up.
   */
  manageUser(p: Principal, u: UserRecord): void {
    const scope = this.scope(p);
    if (scope.kind === 'tenant' && u.role === 'platform-admin')
      throw new ForbiddenError('Tenant administrators may not change a platform administrator.');
  }

  /** May the caller give an account this role and tenant (on creation or change)? */
  assignAccount(p: Principal, role: Role, tenant: string | undefined): void {
    const scope = this.scope(p);
    if (scope.kind === 'platform') return;
    if (role === 'platform-admin')
      throw new ForbiddenError('Tenant administrators may not make platform administrators.');
    if (tenant !== scope.tenant)
      throw new ForbiddenError('Tenant administrators manage the accounts of their own tenant only.');
  }

  /** The tenant a new account lands in when the request names none: the tenant admin's own. */
  defaultTenant(p: Principal): string | undefined {
    const scope = this.scope(p);
    return scope.kind === 'tenant' ? scope.tenant : undefined;
  }

  /** May a grant made by the caller name this account? Tenant admins: accounts of their own tenant. */
  grantableUser(p: Principal, u: UserRecord | undefined): boolean {
    return u !== undefined && this.seesUser(this.scope(p), u);
  }

  // ---- catalog and grants --------------------------------------------------------------------------

  private seesCollection(scope: AdminScope, c: CollectionRecord): boolean {
    return scope.kind === 'platform' || c.owner === scope.tenant;
  }

  /** The collections the caller may see: all, or those its tenant owns. */
  visibleCollections(p: Principal, collections: readonly CollectionRecord[]): CollectionRecord[] {
    const scope = this.scope(p);
    return collections.filter((c) => this.seesCollection(scope, c));
  }

  /** A collection the caller may see, else a 404 identical to a missing one. */
  collection(p: Principal, c: CollectionRecord | undefined): CollectionRecord {
    if (!c || !this.seesCollection(this.scope(p), c)) throw new NotFoundError(NO_SUCH_COLLECTION);
    return c;
  }

  /**
   * The API roots the caller may see: all, or those holding a collection its tenant owns.
   * `collections` are every live collection.
   */
  visibleApiRoots(
    p: Principal,
    roots: readonly ApiRootRecord[],
    collections: readonly CollectionRecord[],
  ): ApiRootRecord[] {
    const scope = this.scope(p);
    if (scope.kind === 'platform') return [...roots];
    const holding = new Set(collections.filter((c) => this.seesCollection(scope, c)).map((c) => c.apiRoot));
    return roots.filter((r) => holding.has(r.path));
  }

  /** An API root the caller may see, else a 404 identical to a missing one. */
  apiRoot(
    p: Principal,
    path: string,
    root: ApiRootRecord | undefined,
    collections: readonly CollectionRecord[],
  ): ApiRootRecord {
    if (!root || this.visibleApiRoots(p, [root], collections).length === 0)
      throw new NotFoundError(NO_SUCH_API_ROOT(path));
    return root;
  }

  // ---- audit ---------------------------------------------------------------------------------------

  /** The tenant an audit query is limited to: any for platform admins, the caller's own for tenant admins. */
  auditTenant(p: Principal, requested: string | undefined): string | undefined {
    const scope = this.scope(p);
    if (scope.kind === 'platform') return requested;
    if (requested !== undefined && requested !== scope.tenant)
      throw new ForbiddenError('Tenant administrators see the audit records of their own tenant only.');
    return scope.tenant;
  }
}
