// The validated, frozen configuration as the rest of the code sees it (see load-config.ts).

export const DEFAULT_MAX_CONTENT_LENGTH = 104_857_600;

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
