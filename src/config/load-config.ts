// Configuration: defaults < file (YAML or JSON) < environment < command-line flags, validated once
// with ajv against schemas/config.schema.json, then frozen. Every problem is reported at once.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { projectRoot } from '../paths.js';

export interface UserConfig {
  username: string;
  password: string;
  admin: boolean;
}
export interface GrantConfig {
  user: string;
  read: boolean;
  write: boolean;
}
export interface CollectionConfig {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  grants: GrantConfig[];
}
export interface ApiRootConfig {
  path: string;
  title: string;
  description?: string;
  maxContentLength: number;
  collections: CollectionConfig[];
}
export interface Config {
  server: { host: string; port: number; baseUrl?: string; trustProxy: boolean };
  dataDir: string;
  store: { kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; database?: string };
  log: { level: string };
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
  users: UserConfig[];
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
}

export const DEFAULT_MAX_CONTENT_LENGTH = 104_857_600;

const DEFAULTS = {
  server: { host: '127.0.0.1', port: 8000, trust_proxy: false },
  data_dir: './data',
  log: { level: 'info' },
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
  const server = raw.server as { host: string; port: number; base_url?: string; trust_proxy: boolean };
  const taxii = raw.taxii as {
    title: string;
    description?: string;
    contact?: string;
    default_api_root?: string;
    max_page_size: number;
    status_retention_hours: number;
  };
  const baseDir = configFile ? resolve(configFile, '..') : process.cwd();
  const dataDir = resolvePath(baseDir, raw.data_dir as string);
  const store = (raw.store as
    { kind: 'sqlite' | 'mongodb'; file?: string; uri?: string; database?: string } | undefined) ?? {
    kind: 'sqlite',
  };

  const users: UserConfig[] = [];
  const seenUsers = new Set<string>();
  for (const [i, u] of ((raw.users as Raw[] | undefined) ?? []).entries()) {
    const username = u.username as string;
    const envName = u.password_env as string;
    if (seenUsers.has(username)) problems.push(`users[${i}]: username "${username}" is declared twice`);
    seenUsers.add(username);
    const password = env[envName];
    if (!password) problems.push(`users[${i}] (${username}): environment variable ${envName} is not set or empty`);
    users.push({ username, password: password ?? '', admin: u.admin === true });
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
          const user = g.user as string;
          if (!seenUsers.has(user)) problems.push(`${where}.grants[${k}]: user "${user}" is not declared under users`);
          grants.push({ user, read: g.read === true, write: g.write === true });
        }
        collections.push({
          id,
          title: c.title as string,
          ...(c.description !== undefined ? { description: c.description as string } : {}),
          ...(alias !== undefined ? { alias } : {}),
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
    taxii: {
      title: taxii.title,
      ...(taxii.description !== undefined ? { description: taxii.description } : {}),
      ...(taxii.contact !== undefined ? { contact: taxii.contact } : {}),
      ...(taxii.default_api_root !== undefined ? { defaultApiRoot: taxii.default_api_root } : {}),
      maxPageSize: taxii.max_page_size,
      statusRetentionHours: taxii.status_retention_hours,
    },
    ...(apiRoots !== undefined ? { apiRoots } : {}),
    users,
    ...(env.PALISADE_ADMIN_PASSWORD ? { adminPassword: env.PALISADE_ADMIN_PASSWORD } : {}),
  };
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
