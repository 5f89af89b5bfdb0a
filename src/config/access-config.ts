// The access part of the configuration: tenants, groups, marking bindings, accounts, API roots,
// collections and their grants and policies. Every cross-reference is checked (a grant to an
// undeclared tenant is a problem), so is everything the store would otherwise resolve silently or
// refuse with a crash (a name declared twice, a certificate mapped to two accounts, a subject granted
// twice, an alias that another collection holds or that shadows an id), and every problem is
// reported, not just the first. Conflicts with what is stored are checked by reconcile.ts.
import {
  DEFAULT_MAX_CONTENT_LENGTH,
  type ApiRootConfig,
  type CollectionConfig,
  type GrantConfig,
  type GroupConfig,
  type MarkingConfig,
  type PolicyConfig,
  type RoleConfig,
  type TenantConfig,
  type UserConfig,
} from './types.js';

type Raw = Record<string, unknown>;

export interface AccessConfig {
  apiRoots?: ApiRootConfig[];
  tenants?: TenantConfig[];
  groups?: GroupConfig[];
  markings?: MarkingConfig[];
  users?: UserConfig[];
}

export function parseAccess(raw: Raw, env: NodeJS.ProcessEnv, problems: string[]): AccessConfig {
  const tenantIds = new Set<string>();
  let tenants: TenantConfig[] | undefined;
  const identityOwner = new Map<string, string>();
  if (raw.tenants !== undefined) {
    tenants = [];
    for (const [i, t] of (raw.tenants as Raw[]).entries()) {
      const id = t.id as string;
      if (tenantIds.has(id)) problems.push(`tenants[${i}]: tenant "${id}" is declared twice`);
      tenantIds.add(id);
      const identities = [...((t.identities as string[] | undefined) ?? [])];
      for (const identity of identities) {
        // An identity speaks for one tenant only (provenance would otherwise be ambiguous).
        const other = identityOwner.get(identity);
        if (other !== undefined)
          problems.push(`tenants[${i}]: identity ${identity} already belongs to tenant "${other}"`);
        identityOwner.set(identity, id);
      }
      tenants.push({ id, name: t.name as string, identities });
    }
  }
  const needTenant = (where: string, id: string): void => {
    if (!tenantIds.has(id)) problems.push(`${where}: tenant "${id}" is not declared under tenants`);
  };

  const groupIds = new Set<string>();
  let groups: GroupConfig[] | undefined;
  if (raw.groups !== undefined) {
    groups = [];
    for (const [i, g] of (raw.groups as Raw[]).entries()) {
      const id = g.id as string;
      if (groupIds.has(id)) problems.push(`groups[${i}]: group "${id}" is declared twice`);
      groupIds.add(id);
      const members = g.tenants as string[];
      members.forEach((t, j) => needTenant(`groups[${i}].tenants[${j}]`, t));
      groups.push({ id, ...(g.name !== undefined ? { name: g.name as string } : {}), tenants: [...members] });
    }
  }

  let markings: MarkingConfig[] | undefined;
  if (raw.markings !== undefined) {
    markings = [];
    const seenMarkings = new Set<string>();
    for (const [i, m] of (raw.markings as Raw[]).entries()) {
      const id = m.id as string;
      if (seenMarkings.has(id)) problems.push(`markings[${i}]: marking ${id} is declared twice`);
      seenMarkings.add(id);
      const subjects: MarkingConfig['subjects'] = [];
      ((m.tenants as string[] | undefined) ?? []).forEach((t, j) => {
        needTenant(`markings[${i}].tenants[${j}]`, t);
        subjects.push({ kind: 'tenant', id: t });
      });
      ((m.groups as string[] | undefined) ?? []).forEach((g, j) => {
        if (!groupIds.has(g)) problems.push(`markings[${i}].groups[${j}]: group "${g}" is not declared under groups`);
        subjects.push({ kind: 'group', id: g });
      });
      if (subjects.length === 0) problems.push(`markings[${i}]: name the tenants or groups allowed to receive ${id}`);
      markings.push({ id, subjects });
    }
  }

  const seenUsers = new Set<string>();
  // A certificate identifies one account: mapped twice, the store would keep only the last mapping.
  const certificateOwner = new Map<string, string>();
  let users: UserConfig[] | undefined;
  if (raw.users !== undefined) {
    users = [];
    for (const [i, u] of (raw.users as Raw[]).entries()) {
      const username = u.username as string;
      const where = `users[${i}] (${username})`;
      if (seenUsers.has(username)) problems.push(`users[${i}]: username "${username}" is declared twice`);
      seenUsers.add(username);
      const kind = (u.kind as 'user' | 'service' | undefined) ?? 'user';
      const envName = u.password_env as string | undefined;
      let password: string | undefined;
      if (envName !== undefined) {
        password = env[envName];
        if (!password) problems.push(`${where}: environment variable ${envName} is not set or empty`);
        if (kind === 'service')
          problems.push(`${where}: a service account has no password (use tokens or certificates)`);
      } else if (kind === 'user') {
        problems.push(`${where}: password_env is required for a user (service accounts use tokens or certificates)`);
      }
      let role = u.role as RoleConfig | undefined;
      if (u.admin === true) {
        if (role !== undefined && role !== 'platform-admin')
          problems.push(`${where}: admin: true contradicts role ${role}`);
        role = 'platform-admin';
      }
      role ??= 'member';
      const tenant = u.tenant as string | undefined;
      if (tenant !== undefined) needTenant(`${where}.tenant`, tenant);
      else if (role === 'tenant-admin') problems.push(`${where}: a tenant-admin needs a tenant`);
      const certificates = ((u.certificates as string[] | undefined) ?? []).map(normalizeCertificate);
      certificates.forEach((c, j) => {
        const holder = certificateOwner.get(c);
        if (holder === where) problems.push(`${where}.certificates[${j}]: certificate "${c}" is listed twice`);
        else if (holder !== undefined)
          problems.push(`${where}.certificates[${j}]: certificate "${c}" is already mapped to ${holder}`);
        else certificateOwner.set(c, where);
      });
      users.push({
        username,
        kind,
        ...(password !== undefined && kind === 'user' ? { password } : {}),
        role,
        ...(tenant !== undefined ? { tenant } : {}),
        certificates,
      });
    }
  }

  let apiRoots: ApiRootConfig[] | undefined;
  if (raw.api_roots !== undefined) {
    apiRoots = [];
    const rawRoots = raw.api_roots as Raw[];
    const paths = new Map<string, number>();
    const firstDeclared = new Map<string, string>();
    for (const [i, r] of rawRoots.entries()) {
      const path = r.path as string;
      const first = paths.get(path);
      if (first !== undefined)
        problems.push(`api_roots[${i}]: path "${path}" is declared twice (first at api_roots[${first}])`);
      else paths.set(path, i);
    }
    for (const [i, r] of rawRoots.entries()) {
      const path = r.path as string;
      const rawCollections = (r.collections as Raw[] | undefined) ?? [];
      // The ids of this API root, for the alias checks: an alias must never shadow an id.
      const idsHere = new Map<string, string>();
      rawCollections.forEach((c, j) => {
        if (!idsHere.has(c.id as string)) idsHere.set(c.id as string, `api_roots[${i}].collections[${j}]`);
      });
      const aliases = new Map<string, string>();
      const collections: CollectionConfig[] = [];
      for (const [j, c] of rawCollections.entries()) {
        const where = `api_roots[${i}].collections[${j}]`;
        const id = c.id as string;
        const first = firstDeclared.get(id);
        if (first !== undefined) problems.push(`${where}: collection id ${id} is declared twice (first at ${first})`);
        else firstDeclared.set(id, where);
        const alias = c.alias as string | undefined;
        if (alias !== undefined) problems.push(...aliasProblems(where, path, alias, idsHere, aliases));
        const grants: GrantConfig[] = [];
        const granted = new Set<string>();
        for (const [k, g] of ((c.grants as Raw[] | undefined) ?? []).entries()) {
          const at = `${where}.grants[${k}]`;
          let subject: GrantConfig['subject'];
          if (g.user !== undefined) {
            subject = { kind: 'user', id: g.user as string };
            if (!seenUsers.has(subject.id)) problems.push(`${at}: user "${subject.id}" is not declared under users`);
          } else if (g.tenant !== undefined) {
            subject = { kind: 'tenant', id: g.tenant as string };
            needTenant(at, subject.id);
          } else {
            subject = { kind: 'group', id: g.group as string };
            if (!groupIds.has(subject.id)) problems.push(`${at}: group "${subject.id}" is not declared under groups`);
          }
          // The store keeps one grant per subject: a second one would silently replace the first.
          const key = `${subject.kind}:${subject.id}`;
          if (granted.has(key))
            problems.push(`${at}: ${subject.kind} "${subject.id}" is named twice in the grants of this collection`);
          granted.add(key);
          if (g.read !== true && g.write !== true) problems.push(`${at}: gives neither read nor write`);
          grants.push({ subject, read: g.read === true, write: g.write === true });
        }
        const owner = c.owner as string | undefined;
        if (owner !== undefined) needTenant(`${where}.owner`, owner);
        collections.push({
          id,
          title: c.title as string,
          ...(c.description !== undefined ? { description: c.description as string } : {}),
          ...(alias !== undefined ? { alias } : {}),
          ...(owner !== undefined ? { owner } : {}),
          releasability: c.releasability === true,
          ...(c.policy !== undefined ? { policy: toPolicy(c.policy as Raw) } : {}),
          grants,
        });
      }
      apiRoots.push({
        path,
        title: r.title as string,
        ...(r.description !== undefined ? { description: r.description as string } : {}),
        maxContentLength: (r.max_content_length as number | undefined) ?? DEFAULT_MAX_CONTENT_LENGTH,
        collections,
      });
    }
  }

  return {
    ...(apiRoots !== undefined ? { apiRoots } : {}),
    ...(tenants !== undefined ? { tenants } : {}),
    ...(groups !== undefined ? { groups } : {}),
    ...(markings !== undefined ? { markings } : {}),
    ...(users !== undefined ? { users } : {}),
  };
}

/** Collection ids are UUIDs (any version, any case), so an alias of that form could pass for one. */
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What is wrong with `alias` for the collection at `where` in the API root `path`: it names one
 * collection there (`aliases` collects those seen so far), is never the id of one (`idsHere`), and
 * never has the form of an id, since TAXII clients name a collection by either in one URL segment.
 */
function aliasProblems(
  where: string,
  path: string,
  alias: string,
  idsHere: ReadonlyMap<string, string>,
  aliases: Map<string, string>,
): string[] {
  const problems: string[] = [];
  const other = aliases.get(alias);
  if (other !== undefined)
    problems.push(`${where}: alias "${alias}" is already the alias of ${other} in the API root "${path}"`);
  else aliases.set(alias, where);
  const idOf = idsHere.get(alias);
  if (idOf !== undefined && idOf !== where)
    problems.push(
      `${where}: alias "${alias}" is the id of ${idOf} in the API root "${path}"; an alias must not shadow an id`,
    );
  else if (UUID_FORM.test(alias))
    problems.push(`${where}: alias "${alias}" has the form of a collection id (a UUID); an alias must not`);
  return problems;
}

function toPolicy(p: Raw): PolicyConfig {
  const maxTlp = p.max_tlp === 'white' ? 'clear' : (p.max_tlp as PolicyConfig['maxTlp'] | undefined);
  return {
    ...(p.allowed_types !== undefined ? { allowedTypes: [...(p.allowed_types as string[])] } : {}),
    ...(maxTlp !== undefined ? { maxTlp } : {}),
    ...(p.provenance !== undefined ? { provenance: p.provenance === true } : {}),
  };
}

/** Fingerprints compare as lower-case hex without colons; subject DNs as written. */
export function normalizeCertificate(c: string): string {
  const m = /^sha256:([0-9A-Fa-f:]+)$/.exec(c.trim());
  return m ? `sha256:${(m[1] as string).replace(/:/g, '').toLowerCase()}` : c.trim();
}
