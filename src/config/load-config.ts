// Configuration: defaults < file (YAML or JSON) < environment < command-line flags, validated once
// with ajv against schemas/config.schema.json, then frozen. Every problem is reported at once.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { parseAccess } from './access-config.js';
import { describeAjvError } from './ajv-problems.js';
import {
  DEFAULT_ACCESS_CACHE_MS,
  DEFAULT_INGEST_LIMITS,
  DEFAULT_METRICS_HOST,
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_SERVER_LIMITS,
  MIN_METRICS_TOKEN_LENGTH,
  type Config,
  type IngestLimitsConfig,
  type MetricsConfig,
  type ServerLimitsConfig,
} from './types.js';
import { projectRoot } from '../paths.js';

export type * from './types.js';
export {
  DEFAULT_ACCESS_CACHE_MS,
  DEFAULT_INGEST_LIMITS,
  DEFAULT_MAX_CONTENT_LENGTH,
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_SERVER_LIMITS,
} from './types.js';
export { normalizeCertificate } from './access-config.js';

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

const L = DEFAULT_SERVER_LIMITS;
const I = DEFAULT_INGEST_LIMITS;
const DEFAULTS = {
  server: {
    host: '127.0.0.1',
    port: 8000,
    trust_proxy: false,
    limits: {
      headers_timeout_ms: L.headersTimeoutMs,
      request_timeout_ms: L.requestTimeoutMs,
      keep_alive_timeout_ms: L.keepAliveTimeoutMs,
      idle_timeout_ms: L.idleTimeoutMs,
      max_connections: L.maxConnections,
      max_headers_count: L.maxHeadersCount,
      max_header_size: L.maxHeaderSize,
      max_concurrent_requests_per_principal: L.maxConcurrentRequestsPerPrincipal,
      rate_limit: { requests_per_second: L.rateLimit.requestsPerSecond, burst: L.rateLimit.burst },
      shutdown_grace_ms: L.shutdownGraceMs,
    },
  },
  data_dir: './data',
  log: { level: 'info', requests: true },
  ops: { metrics: { enabled: true, allow_anonymous: false, host: DEFAULT_METRICS_HOST } },
  auth: { failure_limit: 10, failure_window_seconds: 60 },
  ingest: {
    max_objects_per_envelope: I.maxObjectsPerEnvelope,
    max_object_bytes: I.maxObjectBytes,
    max_decompressed_bytes: I.maxDecompressedBytes,
    max_depth: I.maxDepth,
    chunk_size: I.chunkSize,
    workers: I.workers,
    lease_seconds: I.leaseSeconds,
    status_detail_limit: I.statusDetailLimit,
    handoff_bytes: I.handoffBytes,
  },
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
    limits: RawLimits;
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
  const limits = toLimits(server.limits, problems);
  const dataDir = resolvePath(baseDir, raw.data_dir as string);
  const store = (raw.store as
    | {
        kind?: 'sqlite' | 'mongodb';
        file?: string;
        uri?: string;
        database?: string;
        query_timeout_ms?: number;
        access_cache_ms?: number;
      }
    | undefined) ?? { kind: 'sqlite' };
  // A store section may name only query_timeout_ms: a URI alone selects MongoDB, as PALISADE_MONGODB_URI does.
  const storeKind = store.kind ?? (store.uri !== undefined ? 'mongodb' : 'sqlite');
  const queryTimeoutMs = store.query_timeout_ms ?? DEFAULT_QUERY_TIMEOUT_MS;

  const access = parseAccess(raw, env, problems);
  if (
    taxii.default_api_root !== undefined &&
    access.apiRoots &&
    !access.apiRoots.some((r) => r.path === taxii.default_api_root)
  ) {
    problems.push(`taxii.default_api_root: "${taxii.default_api_root}" is not one of api_roots`);
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
      limits,
    },
    dataDir,
    store:
      storeKind === 'mongodb'
        ? {
            kind: 'mongodb',
            uri: store.uri as string,
            ...(store.database !== undefined ? { database: store.database } : {}),
            queryTimeoutMs,
          }
        : {
            kind: 'sqlite',
            file: store.file ? resolvePath(baseDir, store.file) : join(dataDir, 'palisade.db'),
            queryTimeoutMs,
          },
    log: {
      level: (raw.log as { level: string }).level,
      requests: (raw.log as { requests: boolean }).requests,
    },
    ops: { metrics: toMetrics((raw.ops as { metrics: RawMetrics }).metrics, env, server, problems) },
    ingest: toIngest(raw.ingest as RawIngest),
    accessCacheMs: store.access_cache_ms ?? DEFAULT_ACCESS_CACHE_MS,
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
    ...access,
    ...(env.PALISADE_ADMIN_PASSWORD ? { adminPassword: env.PALISADE_ADMIN_PASSWORD } : {}),
  };
}

interface RawLimits {
  headers_timeout_ms: number;
  request_timeout_ms: number;
  keep_alive_timeout_ms: number;
  idle_timeout_ms: number;
  max_connections: number;
  max_headers_count: number;
  max_header_size: number;
  max_concurrent_requests_per_principal: number;
  rate_limit: { requests_per_second: number; burst: number };
  shutdown_grace_ms: number;
}

function toLimits(l: RawLimits, problems: string[]): ServerLimitsConfig {
  // Node's HTTP server refuses a headers timeout longer than the whole-request timeout, which
  // covers the headers too.
  if (l.headers_timeout_ms > l.request_timeout_ms) {
    problems.push(
      `server.limits.headers_timeout_ms: ${l.headers_timeout_ms} is longer than request_timeout_ms (${l.request_timeout_ms}), which includes the headers`,
    );
  }
  return {
    headersTimeoutMs: l.headers_timeout_ms,
    requestTimeoutMs: l.request_timeout_ms,
    keepAliveTimeoutMs: l.keep_alive_timeout_ms,
    idleTimeoutMs: l.idle_timeout_ms,
    maxConnections: l.max_connections,
    maxHeadersCount: l.max_headers_count,
    maxHeaderSize: l.max_header_size,
    maxConcurrentRequestsPerPrincipal: l.max_concurrent_requests_per_principal,
    rateLimit: { requestsPerSecond: l.rate_limit.requests_per_second, burst: l.rate_limit.burst },
    shutdownGraceMs: l.shutdown_grace_ms,
  };
}

interface RawIngest {
  max_objects_per_envelope: number;
  max_object_bytes: number;
  max_decompressed_bytes: number;
  max_depth: number;
  chunk_size: number;
  workers: number;
  lease_seconds: number;
  status_detail_limit: number;
  handoff_bytes: number;
}

function toIngest(i: RawIngest): IngestLimitsConfig {
  return {
    maxObjectsPerEnvelope: i.max_objects_per_envelope,
    maxObjectBytes: i.max_object_bytes,
    maxDecompressedBytes: i.max_decompressed_bytes,
    maxDepth: i.max_depth,
    chunkSize: i.chunk_size,
    workers: i.workers,
    leaseSeconds: i.lease_seconds,
    statusDetailLimit: i.status_detail_limit,
    handoffBytes: i.handoff_bytes,
  };
}

interface RawMetrics {
  enabled: boolean;
  token_env?: string;
  allow_anonymous: boolean;
  port?: number;
  host: string;
}

function toMetrics(
  m: RawMetrics,
  env: NodeJS.ProcessEnv,
  server: { host: string; port: number },
  problems: string[],
): MetricsConfig {
  let token: string | undefined;
  if (m.token_env !== undefined) {
    token = env[m.token_env];
    if (!token) problems.push(`ops.metrics.token_env: environment variable ${m.token_env} is not set or empty`);
    else if (token.length < MIN_METRICS_TOKEN_LENGTH)
      problems.push(
        `ops.metrics.token_env: the token in ${m.token_env} is shorter than ${MIN_METRICS_TOKEN_LENGTH} characters`,
      );
    // RFC 6750 §2.1: a bearer token is b64token characters only, or no header could carry it.
    else if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token))
      problems.push(`ops.metrics.token_env: the token in ${m.token_env} has characters a Bearer token cannot carry`);
  }
  // Port 0 (any free port) may be shared by both listeners; a fixed port may not.
  if (m.port !== undefined && m.port !== 0 && m.port === server.port) {
    problems.push(`ops.metrics.port: ${m.port} is already server.port`);
  }
  return {
    enabled: m.enabled,
    ...(token !== undefined ? { token } : {}),
    allowAnonymous: m.allow_anonymous,
    ...(m.port !== undefined ? { listener: { host: m.host, port: m.port } } : {}),
  };
}

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
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
