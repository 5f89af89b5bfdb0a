// The validated, frozen configuration as the rest of the code sees it (see load-config.ts).

export const DEFAULT_MAX_CONTENT_LENGTH = 104_857_600;

/**
 * What one connection and one caller may hold of the server (`server.limits`). Times are in
 * milliseconds; every one is enforced, none can be switched off.
 */
export interface ServerLimitsConfig {
  /** from the first byte of a request to the end of its header section; then 408 and close */
  headersTimeoutMs: number;
  /** from the first byte of a request to the end of its body; then 408 and close */
  requestTimeoutMs: number;
  /** how long a keep-alive connection may wait for its next request */
  keepAliveTimeoutMs: number;
  /** a socket with no traffic in either direction for this long is destroyed */
  idleTimeoutMs: number;
  /** open connections at most; a connection beyond is closed as soon as it is accepted */
  maxConnections: number;
  /** header fields per request at most (those beyond are dropped) */
  maxHeadersCount: number;
  /** bytes of the request line and header section at most; more is answered 431 */
  maxHeaderSize: number;
  /** requests of one caller (an account, or an address for unauthenticated requests) in progress at once */
  maxConcurrentRequestsPerPrincipal: number;
  /** token bucket per caller: refilled at requestsPerSecond, holding burst at most */
  rateLimit: { requestsPerSecond: number; burst: number };
  /** how long in-flight requests may still run after SIGTERM or SIGINT */
  shutdownGraceMs: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimitsConfig> = Object.freeze({
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxConnections: 2_000,
  maxHeadersCount: 100,
  maxHeaderSize: 16_384,
  maxConcurrentRequestsPerPrincipal: 32,
  // Far above one well-behaved client doing 10,000 small requests a second: meant to be lowered.
  rateLimit: Object.freeze({ requestsPerSecond: 20_000, burst: 40_000 }),
  shutdownGraceMs: 10_000,
});

/** Bounds on what one ingested envelope may cost (`ingest`). */
export interface IngestLimitsConfig {
  /** objects in one envelope at most */
  maxObjectsPerEnvelope: number;
  /** bytes of one serialized object at most */
  maxObjectBytes: number;
  /** bytes of a compressed request body once decompressed, at most */
  maxDecompressedBytes: number;
  /** nesting depth of the JSON of an envelope at most */
  maxDepth: number;
  /** objects per unit of work of the ingestion worker */
  chunkSize: number;
  /** queued add-objects requests processed at once by one process */
  workers: number;
  /** a claimed request left without a sign of life this long is taken over by another worker */
  leaseSeconds: number;
  /** successes and failures of a status are listed while each list holds at most this many */
  statusDetailLimit: number;
  /** bytes of received envelope entries held in memory for this process's worker (0: none) */
  handoffBytes: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimitsConfig> = Object.freeze({
  maxObjectsPerEnvelope: 100_000,
  maxObjectBytes: 1_048_576,
  maxDecompressedBytes: 419_430_400,
  maxDepth: 64,
  chunkSize: 500,
  workers: 2,
  leaseSeconds: 60,
  statusDetailLimit: 10_000,
  handoffBytes: 33_554_432,
});

/** `store.query_timeout_ms`: the longest one database query may run. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

/**
 * `store.access_cache_ms`: how long access lookups (accounts, tokens, catalog, grants, marking
 * bindings) are served from memory before the store's access generation is read again
 * (src/access/access-cache.ts); 0 turns the cache off.
 */
export const DEFAULT_ACCESS_CACHE_MS = 250;

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
/**
 * `ops.metrics`: the Prometheus scrape endpoint (src/ops/metrics-routes.ts). Without a listener the
 * endpoint is /metrics on the public port; with one it is served only there, beside the probes.
 */
export interface MetricsConfig {
  enabled: boolean;
  /** the bearer token a scrape must present (read from the variable named by token_env) */
  token?: string;
  /** without a token: true serves /metrics to anyone, false to authenticated platform administrators */
  allowAnonymous: boolean;
  /** a listener of its own for /metrics, /healthz and /readyz (an internal interface) */
  listener?: { host: string; port: number };
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** the shortest token accepted for scrapes: shorter ones are guessable */
export const MIN_METRICS_TOKEN_LENGTH = 16;

export interface Config {
  server: {
    host: string;
    port: number;
    baseUrl?: string;
    trustProxy: boolean;
    tls?: TlsConfig;
    limits: ServerLimitsConfig;
  };
  dataDir: string;
  /**
   * queryTimeoutMs is always set by loadConfig; it is optional so that a store opened without a
   * configuration (tools, tests) takes DEFAULT_QUERY_TIMEOUT_MS.
   */
  store: ({ kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; database?: string }) & {
    queryTimeoutMs?: number;
  };
  log: {
    level: string;
    /** one JSON line per finished request (src/http/request-log.ts) */
    requests: boolean;
  };
  ops: { metrics: MetricsConfig };
  ingest: IngestLimitsConfig;
  auth: { failureLimit: number; failureWindowMs: number };
  /**
   * `store.access_cache_ms`, kept beside the store section rather than in it: the store section
   * describes where the data is, this how long this process may trust what it read of it.
   */
  accessCacheMs: number;
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
