// The documents of every MongoDB collection this backend uses, typed so that the driver checks
// filters and updates (string _id values need no casts). Layout: src/store/README.md.
import type { Binary, Collection, Db } from 'mongodb';
import type { AuditAction, AuditRecord } from '../audit.js';
import type { CollectionPolicy } from '../catalog.js';
import type { SubjectKind } from '../grants.js';
import type { Role, Source } from '../identity.js';
import type { StatusDetail, StatusRecord } from '../statuses.js';

export interface MetaDoc {
  _id: string;
  value: string;
}

export interface ApiRootDoc {
  /** the API root path */
  _id: string;
  title: string;
  description?: string | null;
  max_content_length: number;
  source: Source;
  retired: boolean;
}

export interface CollectionDoc {
  /** the collection id */
  _id: string;
  api_root: string;
  title: string;
  description: string | null;
  alias: string | null;
  owner: string | null;
  media_types: string[];
  source: Source;
  retired: boolean;
  releasability?: boolean;
  policy?: CollectionPolicy | null;
  /**
   * `api_root/alias` while live with an alias, else `#id`: its unique index keeps aliases unique
   * (migration 5; FerretDB has no partial unique indexes). Absent only before migration 5.
   */
  alias_key?: string;
}

export interface UserDoc {
  /** the username */
  _id: string;
  kind: 'user' | 'service';
  password_hash: string | null;
  role: Role;
  tenant: string | null;
  /** fingerprints (`sha256:…`) or subject DNs of the client certificates mapped to this account */
  certificates: string[];
  source: Source;
}

export interface TokenDoc {
  _id: string;
  username: string;
  secret_hash: string;
  label: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface TenantDoc {
  _id: string;
  name: string;
  /** STIX identity ids of the tenant (provenance) */
  identities?: string[];
  source: Source;
}

export interface MarkingBindingDoc {
  /** the marking definition id */
  _id: string;
  subjects: { kind: SubjectKind; id: string }[];
  source: Source;
}

export interface GroupDoc {
  _id: string;
  name: string | null;
  /** member tenant ids, sorted */
  tenants: string[];
  source: Source;
}

export interface GrantDoc {
  /** `collection|kind|subject` */
  _id: string;
  collection_id: string;
  kind: SubjectKind;
  subject: string;
  read: boolean;
  write: boolean;
  source: Source;
}

export interface StatusDoc {
  _id: string;
  api_root: string;
  collection_id: string;
  owner: string;
  tenant?: string | null;
  status: StatusRecord['status'];
  request_ts: number;
  total: number;
  successes: StatusDetail[];
  failures: StatusDetail[];
  pendings: StatusDetail[];
  success_count?: number;
  failure_count?: number;
  pending_count?: number;
}

/** One stored object version. */
export interface ObjectDoc {
  /** `collection|id|version key` (UNVERSIONED in place of the key for objects without one) */
  _id: string;
  c: string;
  id: string;
  vkey: string;
  version: string;
  /** date_added, µs */
  da: number;
  type: string;
  sv: string;
  first: boolean;
  last: boolean;
  /**
   * set while `last` is false: the smallest date_added among the newer versions, so a reader at
   * horizon h still takes this version as the latest when sup > h (see version-flags.ts)
   */
  sup?: number;
  /** set while `first` is false: the smallest date_added among the older versions */
  sub?: number;
  /** marked for deletion: the other versions' flags no longer count it; removed right after */
  del?: boolean;
  /** object-level marking definition ids (releasability) */
  mk: string[];
  json: string;
}

/**
 * One block of date_added values, claimed by one writer for one batch. _id is collection|seq, so the
 * primary key makes each seq claimable once: block n+1 starts after block n ends. While `done` is
 * false the block also holds readers back (see DateAddedLedger.horizon).
 */
export interface BlockDoc {
  _id: string;
  c: string;
  seq: number;
  start: number;
  end: number;
  done: boolean;
  expires: Date;
}

export interface AuditDoc {
  /** the record id: increasing, so the primary key orders and pages the log */
  _id: string;
  at: number;
  action: AuditAction;
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

/** One queued add-objects request (src/store/jobs.ts). */
export interface JobDoc {
  /** the status id */
  _id: string;
  api_root: string;
  collection_id: string;
  principal: { username: string; role: string; tenant?: string; groups: string[] };
  request_ts: number;
  request_id: string | null;
  created_ms: number;
  item_count: number | null;
  released: boolean;
}

/** One entry of a queued envelope: `job|seq` (seq zero-padded), so _id order is entry order. */
export interface JobItemDoc {
  _id: string;
  job: string;
  seq: number;
  raw: Binary | null;
  refused: string | null;
}

/**
 * The n-th lease of a job: `job|n`. The unique _id makes each lease claimable once, so a worker
 * takes over an expired job by inserting lease n+1, without an atomic read-modify-write.
 */
export interface JobLeaseDoc {
  _id: string;
  job: string;
  n: number;
  worker: string;
  until: number;
}

/** One applied schema step. */
export interface MigrationDoc {
  /** the step's version number */
  _id: number;
  name: string;
  applied_at: Date;
}

/** An unversioned object (no created/modified) has exactly one stored copy: a fixed _id suffix. */
export const UNVERSIONED = '~';

export interface MongoCollections {
  /** for documents of an older shape (migrations) */
  db: Db;
  meta: Collection<MetaDoc>;
  apiRoots: Collection<ApiRootDoc>;
  collections: Collection<CollectionDoc>;
  users: Collection<UserDoc>;
  tokens: Collection<TokenDoc>;
  tenants: Collection<TenantDoc>;
  groups: Collection<GroupDoc>;
  grants: Collection<GrantDoc>;
  markings: Collection<MarkingBindingDoc>;
  statuses: Collection<StatusDoc>;
  objects: Collection<ObjectDoc>;
  blocks: Collection<BlockDoc>;
  audit: Collection<AuditDoc>;
  migrations: Collection<MigrationDoc>;
  jobs: Collection<JobDoc>;
  jobItems: Collection<JobItemDoc>;
  jobLeases: Collection<JobLeaseDoc>;
}

export function mongoCollections(db: Db): MongoCollections {
  return {
    db,
    meta: db.collection<MetaDoc>('meta'),
    apiRoots: db.collection<ApiRootDoc>('api_roots'),
    collections: db.collection<CollectionDoc>('collections'),
    users: db.collection<UserDoc>('users'),
    tokens: db.collection<TokenDoc>('tokens'),
    tenants: db.collection<TenantDoc>('tenants'),
    groups: db.collection<GroupDoc>('tenant_groups'),
    grants: db.collection<GrantDoc>('grants'),
    markings: db.collection<MarkingBindingDoc>('marking_bindings'),
    statuses: db.collection<StatusDoc>('statuses'),
    objects: db.collection<ObjectDoc>('objects'),
    blocks: db.collection<BlockDoc>('date_added_blocks'),
    audit: db.collection<AuditDoc>('audit'),
    migrations: db.collection<MigrationDoc>('schema_migrations'),
    jobs: db.collection<JobDoc>('ingest_jobs'),
    jobItems: db.collection<JobItemDoc>('ingest_items'),
    jobLeases: db.collection<JobLeaseDoc>('ingest_leases'),
  };
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}
