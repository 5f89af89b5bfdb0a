import type { Source } from '../identity.js';
import type { GroupRecord, TenancyStore, TenantRecord } from '../tenancy.js';
import type { Row, SqliteDb } from './database.js';
import { accessWrite } from './meta.js';

export class SqliteTenancy implements TenancyStore {
  constructor(private readonly s: SqliteDb) {}

  async putTenant(t: TenantRecord): Promise<void> {
    accessWrite(this.s, () => {
      this.s
        .stmt(
          `INSERT INTO tenants (id, name, source) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source`,
        )
        .run(t.id, t.name, t.source);
      this.s.stmt('DELETE FROM tenant_identities WHERE tenant_id = ?').run(t.id);
      const bind = this.s.stmt('INSERT OR REPLACE INTO tenant_identities (identity_id, tenant_id) VALUES (?, ?)');
      for (const identity of t.identities ?? []) bind.run(identity, t.id);
    });
  }

  async getTenant(id: string): Promise<TenantRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM tenants WHERE id = ?').get(id) as Row | undefined;
    return row ? this.toTenant(row) : undefined;
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (this.s.stmt('SELECT * FROM tenants ORDER BY id').all() as Row[]).map((r) => this.toTenant(r));
  }

  async deleteTenant(id: string): Promise<boolean> {
    return accessWrite(this.s, () => {
      this.s.stmt('DELETE FROM group_members WHERE tenant_id = ?').run(id);
      this.s.stmt('DELETE FROM tenant_identities WHERE tenant_id = ?').run(id);
      return this.s.stmt('DELETE FROM tenants WHERE id = ?').run(id).changes > 0;
    });
  }

  async putGroup(g: GroupRecord): Promise<void> {
    accessWrite(this.s, () => {
      this.s
        .stmt(
          `INSERT INTO tenant_groups (id, name, source) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, source = excluded.source`,
        )
        .run(g.id, g.name ?? null, g.source);
      this.s.stmt('DELETE FROM group_members WHERE group_id = ?').run(g.id);
      const add = this.s.stmt('INSERT OR IGNORE INTO group_members (group_id, tenant_id) VALUES (?, ?)');
      for (const t of g.tenants) add.run(g.id, t);
    });
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    const row = this.s.stmt('SELECT * FROM tenant_groups WHERE id = ?').get(id) as Row | undefined;
    return row ? this.toGroup(row) : undefined;
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (this.s.stmt('SELECT * FROM tenant_groups ORDER BY id').all() as Row[]).map((r) => this.toGroup(r));
  }

  async deleteGroup(id: string): Promise<boolean> {
    return accessWrite(this.s, () => {
      this.s.stmt('DELETE FROM group_members WHERE group_id = ?').run(id);
      return this.s.stmt('DELETE FROM tenant_groups WHERE id = ?').run(id).changes > 0;
    });
  }

  async groupsOf(tenantId: string): Promise<string[]> {
    return this.s
      .stmt('SELECT group_id FROM group_members WHERE tenant_id = ? ORDER BY group_id')
      .pluck()
      .all(tenantId) as string[];
  }

  private toTenant(r: Row): TenantRecord {
    const identities = this.s
      .stmt('SELECT identity_id FROM tenant_identities WHERE tenant_id = ? ORDER BY identity_id')
      .pluck()
      .all(r.id) as string[];
    return {
      id: r.id as string,
      name: r.name as string,
      ...(identities.length > 0 ? { identities } : {}),
      source: r.source as Source,
    };
  }

  private toGroup(r: Row): GroupRecord {
    const tenants = this.s
      .stmt('SELECT tenant_id FROM group_members WHERE group_id = ? ORDER BY tenant_id')
      .pluck()
      .all(r.id) as string[];
    return {
      id: r.id as string,
      ...(r.name !== null ? { name: r.name as string } : {}),
      tenants,
      source: r.source as Source,
    };
  }
}
