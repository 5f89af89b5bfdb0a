// The admin API as a service: tenants, groups, accounts and tokens, API roots, collections, grants,
// marking bindings and the audit trail, for whoever a context names. No HTTP here, so the routes (routes.ts) and a
// future CLI share every rule: rights (access/admin-rights.ts) first, then the body, validated
// against schemas/admin/*.json, then the store. Every change is on record (context.ts).
//
// Records have a source. What the admin API creates is 'admin' and the configuration file leaves
// it alone; what the file declares ('config') is rewritten at every start, so changing or deleting
// it here answers 409 "declared in the configuration file"; records of the first start
// ('bootstrap': the generated admin, the demo) may be changed here and keep their source, so the
// rules the file applies to them (the generated admin goes once the file declares one) still hold.
import { AdminRights } from '../access/admin-rights.js';
import type { AuditLog } from '../access/audit-log.js';
import type { Clock } from '../stix/timestamps.js';
import type { Store } from '../store/store.js';
import { TokensAdmin, UsersAdmin } from './accounts-admin.js';
import { AuditAdmin } from './audit-admin.js';
import { ApiRootsAdmin, CollectionsAdmin } from './catalog-admin.js';
import { ChangeRecorder, type AdminDeps } from './context.js';
import { GrantsAdmin } from './grants-admin.js';
import { MarkingsAdmin } from './markings-admin.js';
import { GroupsAdmin, TenantsAdmin } from './tenancy-admin.js';

export type { AdminContext } from './context.js';

export class AdminService {
  readonly tenants: TenantsAdmin;
  readonly groups: GroupsAdmin;
  readonly users: UsersAdmin;
  readonly tokens: TokensAdmin;
  readonly apiRoots: ApiRootsAdmin;
  readonly collections: CollectionsAdmin;
  readonly grants: GrantsAdmin;
  readonly markings: MarkingsAdmin;
  readonly audit: AuditAdmin;

  constructor(store: Store, auditLog: AuditLog, clock: Clock, rights: AdminRights = new AdminRights()) {
    const d: AdminDeps = { store, rights, recorder: new ChangeRecorder(auditLog), clock };
    this.tenants = new TenantsAdmin(d);
    this.groups = new GroupsAdmin(d);
    this.users = new UsersAdmin(d);
    this.tokens = new TokensAdmin(d, this.users);
    this.apiRoots = new ApiRootsAdmin(d);
    this.collections = new CollectionsAdmin(d, this.apiRoots);
    this.grants = new GrantsAdmin(d);
    this.markings = new MarkingsAdmin(d);
    this.audit = new AuditAdmin(d, auditLog);
  }
}
