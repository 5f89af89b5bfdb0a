// Declarative reconciliation: the configuration file is the source of truth for what it declares.
// Every section the file declares is written to the store at start-up, and records that an earlier
// file declared (source 'config') but this one does not are removed: users, tenants, groups and
// their grants are deleted; collections and API roots are retired (objects stay stored,
// unreachable, until an admin deletes them). Records made through the admin API or at the first
// start are not the file's to remove, with one exception: once the file declares a platform admin,
// the first-start `admin` account is deleted, so it never keeps rights the file did not give.
//
// Before anything is written, the file is checked against what it does not own in the store: a
// collection, certificate or STIX identity that an admin (or the first start) made keeps it, so a
// file claiming its alias, certificate or identity is a configuration error listing every such
// clash (ConfigError: the start stops with status 2), never a constraint error half-way through
// and never a silent takeover.
import { ConfigError, ConflictError } from '../errors.js';
import type { Source, Store, Subject } from '../store/store.js';
import type { Config } from './load-config.js';

export interface ReconcileReport {
  removed: string[];
}

export async function reconcile(
  store: Store,
  config: Readonly<Config>,
  hash: (password: string) => Promise<string>,
): Promise<ReconcileReport> {
  const clashes = await storeConflicts(store, config);
  if (clashes.length > 0) throw new ConfigError(clashes);
  const removed: string[] = [];
  const drop = async (what: string, subject?: Subject): Promise<void> => {
    removed.push(what);
    if (subject) await store.grants.deleteGrantsOf(subject);
  };

  if (config.tenants) {
    const declared = new Set(config.tenants.map((t) => t.id));
    for (const t of config.tenants) {
      await store.tenancy.putTenant({
        id: t.id,
        name: t.name,
        ...(t.identities.length > 0 ? { identities: t.identities } : {}),
        source: 'config',
      });
    }
    for (const t of await store.tenancy.listTenants()) {
      if (t.source === 'config' && !declared.has(t.id)) {
        await store.tenancy.deleteTenant(t.id);
        await drop(`tenant ${t.id}`, { kind: 'tenant', id: t.id });
      }
    }
  }

  if (config.groups) {
    const declared = new Set(config.groups.map((g) => g.id));
    for (const g of config.groups) {
      await store.tenancy.putGroup({
        id: g.id,
        ...(g.name !== undefined ? { name: g.name } : {}),
        tenants: g.tenants,
        source: 'config',
      });
    }
    for (const g of await store.tenancy.listGroups()) {
      if (g.source === 'config' && !declared.has(g.id)) {
        await store.tenancy.deleteGroup(g.id);
        await drop(`group ${g.id}`, { kind: 'group', id: g.id });
      }
    }
  }

  if (config.markings) {
    const declared = new Set(config.markings.map((m) => m.id));
    for (const m of config.markings)
      await store.markings.setBinding({ markingId: m.id, subjects: m.subjects, source: 'config' });
    for (const b of await store.markings.listBindings()) {
      if (b.source === 'config' && !declared.has(b.markingId)) {
        await store.markings.setBinding({ markingId: b.markingId, subjects: [], source: 'config' });
        removed.push(`marking binding ${b.markingId}`);
      }
    }
  }

  if (config.users) {
    const declared = new Set(config.users.map((u) => u.username));
    for (const u of config.users) {
      await store.identity.putUser({
        username: u.username,
        kind: u.kind,
        ...(u.password !== undefined ? { passwordHash: await hash(u.password) } : {}),
        role: u.role,
        ...(u.tenant !== undefined ? { tenant: u.tenant } : {}),
        certificates: u.certificates,
        source: 'config',
      });
    }
    const fileHasAdmin = config.users.some((u) => u.role === 'platform-admin');
    for (const u of await store.identity.listUsers()) {
      const undeclared = u.source === 'config' && !declared.has(u.username);
      const superseded = u.source === 'bootstrap' && fileHasAdmin;
      if (undeclared || superseded) {
        await store.identity.deleteUser(u.username);
        await drop(`user ${u.username}`, { kind: 'user', id: u.username });
      }
    }
  }

  if (config.apiRoots) {
    const roots = new Set(config.apiRoots.map((r) => r.path));
    const collections = new Set<string>();
    for (const root of config.apiRoots) {
      await store.catalog.putApiRoot({
        path: root.path,
        title: root.title,
        ...(root.description !== undefined ? { description: root.description } : {}),
        maxContentLength: root.maxContentLength,
        source: 'config',
      });
      for (const col of root.collections) {
        collections.add(col.id);
        // An alias is unique within its API root: free it from a collection that gave it up first.
        if (col.alias !== undefined) {
          const holder = await store.catalog.getCollection(root.path, col.alias);
          if (holder && holder.id !== col.id && holder.source === 'config')
            await store.catalog.retireCollection(holder.id);
        }
        try {
          await store.catalog.putCollection({
            id: col.id,
            apiRoot: root.path,
            title: col.title,
            ...(col.description !== undefined ? { description: col.description } : {}),
            ...(col.alias !== undefined ? { alias: col.alias } : {}),
            ...(col.owner !== undefined ? { owner: col.owner } : {}),
            ...(col.releasability ? { releasability: true } : {}),
            ...(col.policy !== undefined ? { policy: col.policy } : {}),
            source: 'config',
          });
        } catch (err) {
          // Taken since the check above (an admin request on another instance sharing the store).
          if (err instanceof ConflictError)
            throw new ConfigError([`collection ${col.id} in the API root "${root.path}": ${err.message}`]);
          throw err;
        }
        await store.grants.setGrants(
          col.id,
          col.grants.map((g) => ({ subject: g.subject, read: g.read, write: g.write })),
          'config',
        );
      }
    }
    for (const c of await store.catalog.listAllCollections()) {
      if (c.source === 'config' && !collections.has(c.id)) {
        await store.catalog.retireCollection(c.id);
        await store.grants.setGrants(c.id, [], 'config');
        removed.push(`collection ${c.id}`);
      }
    }
    for (const r of await store.catalog.listApiRoots()) {
      if (r.source === 'config' && !roots.has(r.path)) {
        await store.catalog.retireApiRoot(r.path);
        removed.push(`API root ${r.path}`);
      }
    }
  }
  return { removed };
}

const MADE_BY: Record<Source, string> = {
  admin: 'made through the admin API',
  bootstrap: 'made at the first start',
  config: 'declared by an earlier configuration file',
};

/**
 * What the file claims that a record it does not own holds: an alias (or id) of a collection, a
 * client certificate of an account, a STIX identity of a tenant. Records of the file (source
 * 'config') are not counted: the file rewrites, removes or retires them itself. Exported for tests.
 */
export async function storeConflicts(store: Store, config: Readonly<Config>): Promise<string[]> {
  const problems: string[] = [];

  if (config.apiRoots) {
    const declared = new Set(config.apiRoots.flatMap((r) => r.collections.map((c) => c.id)));
    for (const [i, root] of config.apiRoots.entries()) {
      const kept = (await store.catalog.listCollections(root.path)).filter(
        (c) => c.source !== 'config' && !declared.has(c.id),
      );
      for (const [j, col] of root.collections.entries()) {
        const where = `api_roots[${i}].collections[${j}] (${col.id})`;
        for (const other of kept) {
          const whose = `collection ${other.id} of the API root "${root.path}" (${MADE_BY[other.source]})`;
          if (col.alias !== undefined && other.alias === col.alias)
            problems.push(
              `${where}: alias "${col.alias}" is taken by ${whose}; choose another alias, or change or delete that collection through the admin API`,
            );
          if (col.alias !== undefined && other.id === col.alias)
            problems.push(`${where}: alias "${col.alias}" is the id of ${whose}; an alias must not shadow an id`);
          if (other.alias === col.id)
            problems.push(`${where}: the id is the alias of ${whose}; change that alias through the admin API`);
        }
      }
    }
  }

  if (config.users) {
    const declared = new Set(config.users.map((u) => u.username));
    const fileHasAdmin = config.users.some((u) => u.role === 'platform-admin');
    const mapped = new Map<string, { username: string; source: Source }>();
    for (const u of await store.identity.listUsers()) {
      const removed = u.source === 'config' || (u.source === 'bootstrap' && fileHasAdmin);
      if (!removed && !declared.has(u.username))
        for (const c of u.certificates) mapped.set(c, { username: u.username, source: u.source });
    }
    for (const [i, u] of config.users.entries()) {
      u.certificates.forEach((c, j) => {
        const holder = mapped.get(c);
        if (holder)
          problems.push(
            `users[${i}] (${u.username}).certificates[${j}]: certificate "${c}" is mapped to the account "${holder.username}" (${MADE_BY[holder.source]}); remove it there first`,
          );
      });
    }
  }

  if (config.tenants) {
    const declared = new Set(config.tenants.map((t) => t.id));
    const speaksFor = new Map<string, { id: string; source: Source }>();
    for (const t of await store.tenancy.listTenants()) {
      if (t.source !== 'config' && !declared.has(t.id))
        for (const identity of t.identities ?? []) speaksFor.set(identity, { id: t.id, source: t.source });
    }
    for (const [i, t] of config.tenants.entries()) {
      for (const identity of t.identities) {
        const holder = speaksFor.get(identity);
        if (holder)
          problems.push(
            `tenants[${i}] (${t.id}): identity ${identity} speaks for the tenant "${holder.id}" (${MADE_BY[holder.source]}); remove it there first`,
          );
      }
    }
  }
  return problems;
}
