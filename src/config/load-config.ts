// Configuration: defaults < file (YAML or JSON) < environment < command-line flags, validated once
// with ajv against schemas/config.schema.json, then frozen. Every problem is reported at once.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { projectRoot } from '../paths.js';

export type RoleConfig = 'platform-admin' | 'tenant-admin' | 'member';
export interface TenantConfig {
  id: string;
  name: string;
  identities: string[];
}
export interface MarkingConfig {
  id: string;
  subjects: { kind: 'tenant' | 'group'; id: string }[];
}
export interface PolicyConfig {
  allowedTypes?: string[];
  maxTlp?: 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
  provenance?: boolean;
}
export interface GroupConfig {
  id: string;
  name?: string;
  tenants: string[];
}
export interface UserConfig {
  username: string;
  kind: 'user' | 'service';
  /** undefined for service accounts */
  password?: string;
  role: RoleConfig;
  tenant?: string;
  certificates: string[];
}
export interface GrantConfig {
  subject: { kind: 'user' | 'tenant' | 'group'; id: string };
  read: boolean;
  write: boolean;
}
export interface CollectionConfig {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  owner?: string;
  releasability: boolean;
  policy?: PolicyConfig;
  grants: GrantConfig[];
}
export interface ApiRootConfig {
  path: string;
  title: string;
  description?: string;
  maxContentLength: number;
  collections: CollectionConfig[];
}
/** HTTPS: absolute paths of PEM files, read at start-up by the server (src/http/tls.ts). */
export interface TlsConfig {
  cert: string;
  key: string;
  /** CA bundle for client certificates; without it none is asked for */
  ca?: string;
  /** request: verified certificates authenticate, others may use Basic or a token; require: every TAXII request needs one */
  clientCertificates: 'request' | 'require';
}
export interface Config {
  server: { host: string; port: number; baseUrl?: string; trustProxy: boolean; tls?: TlsConfig };
  dataDir: string;
  store: { kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; database?: string };
  log: { level: string };
  auth: { failureLimit: number; failureWindowMs: number };
  taxii: {
    title: string;
    description?: string;
    contact?: string;
    defaultApiRoot?: string;
    maxPageSize: number;
    statusRetentionHours: number;
  };
  /** undefined when the configuration declares no api_roots (first start then seeds the demo) */
  apiRoots?: ApiRootConfig[];
  /** each undefined when the file does not declare that section: nothing of that kind is reconciled */
  tenants?: TenantConfig[];
  groups?: GroupConfig[];
  markings?: MarkingConfig[];
  users?: UserConfig[];
  /** PALISADE_ADMIN_PASSWORD, used once when the first admin user is created */
  adminPassword?: string;
}

export interface ConfigOverrides {
  configFile?: string;
  store?: string;
  mongodbUri?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

export const DEFAULT_MAX_CONTENT_LENGTH = 104_857_600;

const DEFAULTS = {
  server: { host: '127.0.0.1', port: 8000, trust_proxy: false },
  data_dir: './data',
  log: { level: 'info' },
  auth: { failure_limit: 10, failure_window_seconds: 60 },
  taxii: { title: 'Palisade TAXII 2.1 server', max_page_size: 1000, status_retention_hours: 168 },
};

type Raw = Record<string, unknown>;

const schema = JSON.parse(readFileSync(join(projectRoot, 'schemas', 'config.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false });
const validateRaw = ajv.compile(schema);

export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): Readonly<Config> {
  const configFile = overrides.configFile ?? env.PALISADE_CONFIG;
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const problems: string[] = [];

  const raw: Raw = deepMerge(structuredClone(DEFAULTS), fromFile);
  const server = raw.server as Raw;
  const host = overrides.host ?? env.PALISADE_HOST;
  if (host !== undefined) server.host = host;
  const port = overrides.port ?? env.PALISADE_PORT;
  if (port !== undefined) {
    if (/^\d{1,5}$/.test(port)) server.port = Number(port);
    else problems.push(`port: "${port}" is not a TCP port number`);
  }
  // TLS files named by a flag or the environment are relative to the working directory, those in
  // the file to the file: resolved here, before the merge, so toConfig leaves them as they are.
  for (const [key, flag, envName] of [
    ['cert', overrides.tlsCert, 'PALISADE_TLS_CERT'],
    ['key', overrides.tlsKey, 'PALISADE_TLS_KEY'],
    ['ca', overrides.tlsCa, 'PALISADE_TLS_CA'],
  ] as const) {
    const value = flag ?? (env[envName] || undefined);
    if (value === undefined) continue;
    if (value === '') problems.push(`--tls-${key}: empty path`);
    else ((server.tls ??= {}) as Raw)[key] = resolve(value);
  }
  const dataDir = overrides.dataDir ?? env.PALISADE_DATA_DIR;
  if (dataDir !== undefined) raw.data_dir = dataDir;
  if (env.PALISADE_LOG_LEVEL) (raw.log as Raw).level = env.PALISADE_LOG_LEVEL;
  const storeKind = overrides.store ?? env.PALISADE_STORE;
  const mongodbUri = overrides.mongodbUri ?? env.PALISADE_MONGODB_URI;
  if (storeKind !== undefined || mongodbUri !== undefined) {
    const store = (raw.store as Raw | undefined) ?? {};
    if (storeKind !== undefined) store.kind = storeKind;
    else if (store.kind === undefined) store.kind = 'mongodb';
    if (mongodbUri !== undefined) store.uri = mongodbUri;
    raw.store = store;
  }

  if (!validateRaw(raw)) problems.push(...(validateRaw.errors ?? []).map(describeAjvError));
  if (problems.length > 0) throw new ConfigError(problems);

  const cfg = toConfig(raw, env, configFile, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(cfg);
}

function readConfigFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read configuration file ${file}: ${(err as Error).message}`]);
  }
  try {
    const parsed: unknown = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the top level must be a mapping');
    }
    return parsed as Raw;
  } catch (err) {
    throw new ConfigError([`cannot parse configuration file ${file}: ${(err as Error).message}`]);
  }
}

function toConfig(raw: Raw, env: NodeJS.ProcessEnv, configFile: string | undefined, problems: string[]): Config {
  const server = raw.server as {
    host: string;
    port: number;
    base_url?: string;
    trust_proxy: boolean;
    tls?: { cert: string; key: string; ca?: string; client_certificates?: 'request' | 'require' };
  };
  const taxii = raw.taxii as {
    title: string;
    description?: string;
    contact?: string;
    default_api_root?: string;
    max_page_size: number;
    status_retention_hours: number;
  };
  const baseDir = configFile ? resolve(configFile, '..') : process.cwd();
  if (server.tls?.client_certificates === 'require' && server.tls.ca === undefined) {
    problems.push(
      'server.tls.client_certificates: "require" needs server.tls.ca (--tls-ca), the CA of the client certificates',
    );
  }
  const dataDir = resolvePath(baseDir, raw.data_dir as string);
  const store = (raw.store as
    { kind: 'sqlite' | 'mongodb'; file?: string; uri?: string; database?: string } | undefined) ?? {
    kind: 'sqlite',
  };

  const tenantIds = new Set<string>();
  let tenants: TenantConfig[] | undefined;
  if (raw.tenants !== undefined) {
    tenants = [];
    for (const [i, t] of (raw.tenants as Raw[]).entries()) {
      const id = t.id as string;
      if (tenantIds.has(id)) problems.push(`tenants[${i}]: tenant "${id}" is declared twice`);
      tenantIds.add(id);
      tenants.push({ id, name: t.name as string, identities: [...((t.identities as string[] | undefined) ?? [])] });
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
      users.push({
        username,
        kind,
        ...(password !== undefined && kind === 'user' ? { password } : {}),
        role,
        ...(tenant !== undefined ? { tenant } : {}),
        certificates: ((u.certificates as string[] | undefined) ?? []).map(normalizeCertificate),
      });
    }
  }

  let apiRoots: ApiRootConfig[] | undefined;
  if (raw.api_roots !== undefined) {
    apiRoots = [];
    const paths = new Set<string>();
    const collectionIds = new Set<string>();
    for (const [i, r] of (raw.api_roots as Raw[]).entries()) {
      const path = r.path as string;
      if (paths.has(path)) problems.push(`api_roots[${i}]: path "${path}" is declared twice`);
      paths.add(path);
      const aliases = new Set<string>();
      const collections: CollectionConfig[] = [];
      for (const [j, c] of ((r.collections as Raw[] | undefined) ?? []).entries()) {
        const where = `api_roots[${i}].collections[${j}]`;
        const id = c.id as string;
        if (collectionIds.has(id)) problems.push(`${where}: collection id ${id} is declared twice`);
        collectionIds.add(id);
        const alias = c.alias as string | undefined;
        if (alias !== undefined) {
          if (aliases.has(alias)) problems.push(`${where}: alias "${alias}" is not unique within the API root`);
          aliases.add(alias);
        }
        const grants: GrantConfig[] = [];
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
    if (taxii.default_api_root !== undefined && !paths.has(taxii.default_api_root)) {
      problems.push(`taxii.default_api_root: "${taxii.default_api_root}" is not one of api_roots`);
    }
  }

  return {
    server: {
      host: server.host,
      port: server.port,
      ...(server.base_url !== undefined ? { baseUrl: server.base_url.replace(/\/+$/, '') } : {}),
      trustProxy: server.trust_proxy,
      ...(server.tls !== undefined
        ? {
            tls: {
              cert: resolvePath(baseDir, server.tls.cert),
              key: resolvePath(baseDir, server.tls.key),
              ...(server.tls.ca !== undefined ? { ca: resolvePath(baseDir, server.tls.ca) } : {}),
              clientCertificates: server.tls.client_certificates ?? 'request',
            },
          }
        : {}),
    },
    dataDir,
    store:
      store.kind === 'mongodb'
        ? {
            kind: 'mongodb',
            uri: store.uri as string,
            ...(store.database !== undefined ? { database: store.database } : {}),
          }
        : { kind: 'sqlite', file: store.file ? resolvePath(baseDir, store.file) : join(dataDir, 'palisade.db') },
    log: { level: (raw.log as { level: string }).level },
    auth: {
      failureLimit: (raw.auth as { failure_limit: number }).failure_limit,
      failureWindowMs: (raw.auth as { failure_window_seconds: number }).failure_window_seconds * 1000,
    },
    taxii: {
      title: taxii.title,
      ...(taxii.description !== undefined ? { description: taxii.description } : {}),
      ...(taxii.contact !== undefined ? { contact: taxii.contact } : {}),
      ...(taxii.default_api_root !== undefined ? { defaultApiRoot: taxii.default_api_root } : {}),
      maxPageSize: taxii.max_page_size,
      statusRetentionHours: taxii.status_retention_hours,
    },
    ...(apiRoots !== undefined ? { apiRoots } : {}),
    ...(tenants !== undefined ? { tenants } : {}),
    ...(groups !== undefined ? { groups } : {}),
    ...(markings !== undefined ? { markings } : {}),
    ...(users !== undefined ? { users } : {}),
    ...(env.PALISADE_ADMIN_PASSWORD ? { adminPassword: env.PALISADE_ADMIN_PASSWORD } : {}),
  };
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

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing required key "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not':
      return `${where}: this value is reserved`;
    case 'if':
      return `${where}: does not satisfy the rules for its kind`;
    case 'oneOf':
      return `${where}: name exactly one of user, tenant or group`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}

function deepMerge(target: Raw, source: Raw): Raw {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    if (isPlainObject(v) && isPlainObject(t)) deepMerge(t, v);
    else target[k] = v;
  }
  return target;
}

function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
