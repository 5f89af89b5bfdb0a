// What the admin API shows of each record (snake_case, as in the configuration file). Never a
// password hash or a token secret: accounts show no credentials, tokens their public id only.
import { formatMicros } from '../stix/timestamps.js';
import type {
  ApiRootRecord,
  AuditRecord,
  CollectionPolicy,
  CollectionRecord,
  GrantRecord,
  GroupRecord,
  MarkingBinding,
  Source,
  TenantRecord,
  TokenRecord,
  UserRecord,
} from '../store/store.js';

export interface TenantView {
  id: string;
  name: string;
  /** STIX identities that speak for the tenant (provenance), sorted */
  identities: string[];
  source: Source;
}
export const tenantView = (t: TenantRecord): TenantView => ({
  id: t.id,
  name: t.name,
  identities: [...(t.identities ?? [])].sort(),
  source: t.source,
});

export interface GroupView {
  id: string;
  name?: string;
  tenants: string[];
  source: Source;
}
export const groupView = (g: GroupRecord): GroupView => ({
  id: g.id,
  ...(g.name !== undefined ? { name: g.name } : {}),
  tenants: [...g.tenants],
  source: g.source,
});

export interface UserView {
  username: string;
  kind: UserRecord['kind'];
  role: UserRecord['role'];
  tenant?: string;
  certificates: string[];
  source: Source;
}
export const userView = (u: UserRecord): UserView => ({
  username: u.username,
  kind: u.kind,
  role: u.role,
  ...(u.tenant !== undefined ? { tenant: u.tenant } : {}),
  certificates: [...u.certificates],
  source: u.source,
});

export interface TokenView {
  id: string;
  username: string;
  label: string;
  created_at: string;
  expires_at?: string;
  revoked_at?: string;
}
export const tokenView = (t: TokenRecord): TokenView => ({
  id: t.id,
  username: t.username,
  label: t.label,
  created_at: formatMicros(t.createdAt),
  ...(t.expiresAt !== undefined ? { expires_at: formatMicros(t.expiresAt) } : {}),
  ...(t.revokedAt !== undefined ? { revoked_at: formatMicros(t.revokedAt) } : {}),
});

export interface ApiRootView {
  path: string;
  title: string;
  description?: string;
  max_content_length: number;
  source: Source;
}
export const apiRootView = (r: ApiRootRecord): ApiRootView => ({
  path: r.path,
  title: r.title,
  ...(r.description !== undefined ? { description: r.description } : {}),
  max_content_length: r.maxContentLength,
  source: r.source,
});

export interface CollectionView {
  id: string;
  api_root: string;
  title: string;
  description?: string;
  alias?: string;
  owner?: string;
  media_types: string[];
  releasability: boolean;
  policy?: PolicyView;
  source: Source;
}
export const collectionView = (c: CollectionRecord): CollectionView => {
  const policy = c.policy !== undefined ? policyView(c.policy) : undefined;
  return {
    id: c.id,
    api_root: c.apiRoot,
    title: c.title,
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.alias !== undefined ? { alias: c.alias } : {}),
    ...(c.owner !== undefined ? { owner: c.owner } : {}),
    media_types: [...c.mediaTypes],
    releasability: c.releasability === true,
    ...(policy !== undefined ? { policy } : {}),
    source: c.source,
  };
};

/** A write policy as the configuration file writes it; a policy without any part is no policy. */
export interface PolicyView {
  allowed_types?: string[];
  max_tlp?: NonNullable<CollectionPolicy['maxTlp']>;
  provenance?: boolean;
}
function policyView(p: CollectionPolicy): PolicyView | undefined {
  const out: PolicyView = {
    ...(p.allowedTypes !== undefined ? { allowed_types: [...p.allowedTypes] } : {}),
    ...(p.maxTlp !== undefined ? { max_tlp: p.maxTlp } : {}),
    ...(p.provenance !== undefined ? { provenance: p.provenance } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A marking binding as the configuration file writes it: `{ id, tenants: [...], groups: [...] }`. */
export interface MarkingView {
  id: string;
  tenants: string[];
  groups: string[];
  source: Source;
}
export const markingView = (b: MarkingBinding): MarkingView => ({
  id: b.markingId,
  tenants: b.subjects
    .filter((s) => s.kind === 'tenant')
    .map((s) => s.id)
    .sort(),
  groups: b.subjects
    .filter((s) => s.kind === 'group')
    .map((s) => s.id)
    .sort(),
  source: b.source,
});

/** A grant as the configuration file writes it: `{ tenant: de-bsi, read: true, write: false }`. */
export type GrantView = { [K in GrantRecord['subject']['kind']]?: string } & {
  read: boolean;
  write: boolean;
  source: Source;
};
export const grantView = (g: GrantRecord): GrantView => ({
  [g.subject.kind]: g.subject.id,
  read: g.read,
  write: g.write,
  source: g.source,
});

export interface AuditView {
  id: string;
  at: string;
  action: AuditRecord['action'];
  outcome: AuditRecord['outcome'];
  request_id?: string;
  actor?: string;
  tenant?: string;
  address?: string;
  api_root?: string;
  collection_id?: string;
  target?: string;
  detail?: Record<string, unknown>;
}
export const auditView = (r: AuditRecord): AuditView => ({
  id: r.id,
  at: formatMicros(r.at),
  action: r.action,
  outcome: r.outcome,
  ...(r.requestId !== undefined ? { request_id: r.requestId } : {}),
  ...(r.actor !== undefined ? { actor: r.actor } : {}),
  ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
  ...(r.address !== undefined ? { address: r.address } : {}),
  ...(r.apiRoot !== undefined ? { api_root: r.apiRoot } : {}),
  ...(r.collectionId !== undefined ? { collection_id: r.collectionId } : {}),
  ...(r.target !== undefined ? { target: r.target } : {}),
  ...(r.detail !== undefined ? { detail: r.detail } : {}),
});
