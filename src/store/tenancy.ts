// Tenancy area: tenants (a government, agency, CERT or vendor) and groups of tenants.
import type { Source } from './identity.js';

export interface TenantRecord {
  id: string;
  name: string;
  /** STIX identity ids that speak for this tenant (provenance policy), sorted */
  identities?: string[];
  source: Source;
}

export interface GroupRecord {
  id: string;
  name?: string;
  /** member tenant ids, sorted */
  tenants: string[];
  source: Source;
}

export interface TenancyStore {
  putTenant(tenant: TenantRecord): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  deleteTenant(id: string): Promise<boolean>;

  /** replaces the group and its membership */
  putGroup(group: GroupRecord): Promise<void>;
  getGroup(id: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;
  deleteGroup(id: string): Promise<boolean>;
  /** ids of the groups a tenant belongs to, sorted */
  groupsOf(tenantId: string): Promise<string[]>;
}
