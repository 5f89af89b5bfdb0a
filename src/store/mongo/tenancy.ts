import type { GroupRecord, TenancyStore, TenantRecord } from '../tenancy.js';
import type { GroupDoc, MongoCollections, TenantDoc } from './documents.js';
import { accessWrite } from './meta.js';

export class MongoTenancy implements TenancyStore {
  constructor(private readonly c: MongoCollections) {}

  async putTenant(t: TenantRecord): Promise<void> {
    return accessWrite(this.c, () => this.putTenantNow(t));
  }

  private async putTenantNow(t: TenantRecord): Promise<void> {
    await this.c.tenants.replaceOne(
      { _id: t.id },
      { name: t.name, identities: [...new Set(t.identities ?? [])].sort(), source: t.source },
      { upsert: true },
    );
  }

  async getTenant(id: string): Promise<TenantRecord | undefined> {
    const d = await this.c.tenants.findOne({ _id: id });
    return d ? toTenant(d) : undefined;
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (await this.c.tenants.find().sort({ _id: 1 }).toArray()).map(toTenant);
  }

  async deleteTenant(id: string): Promise<boolean> {
    return accessWrite(this.c, () => this.deleteTenantNow(id));
  }

  private async deleteTenantNow(id: string): Promise<boolean> {
    await this.c.groups.updateMany({ tenants: id }, { $pull: { tenants: id } });
    return (await this.c.tenants.deleteOne({ _id: id })).deletedCount > 0;
  }

  async putGroup(g: GroupRecord): Promise<void> {
    return accessWrite(this.c, () => this.putGroupNow(g));
  }

  private async putGroupNow(g: GroupRecord): Promise<void> {
    await this.c.groups.replaceOne(
      { _id: g.id },
      { name: g.name ?? null, tenants: [...new Set(g.tenants)].sort(), source: g.source },
      { upsert: true },
    );
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    const d = await this.c.groups.findOne({ _id: id });
    return d ? toGroup(d) : undefined;
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (await this.c.groups.find().sort({ _id: 1 }).toArray()).map(toGroup);
  }

  async deleteGroup(id: string): Promise<boolean> {
    return accessWrite(this.c, () => this.deleteGroupNow(id));
  }

  private async deleteGroupNow(id: string): Promise<boolean> {
    return (await this.c.groups.deleteOne({ _id: id })).deletedCount > 0;
  }

  async groupsOf(tenantId: string): Promise<string[]> {
    return (
      await this.c.groups
        .find({ tenants: tenantId }, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((d) => d._id);
  }
}

function toTenant(d: TenantDoc): TenantRecord {
  return {
    id: d._id,
    name: d.name,
    ...(d.identities && d.identities.length > 0 ? { identities: d.identities } : {}),
    source: d.source,
  };
}

function toGroup(d: GroupDoc): GroupRecord {
  return { id: d._id, ...(d.name != null ? { name: d.name } : {}), tenants: d.tenants, source: d.source };
}
