// The persistence seam: one small interface per data area, opened together by open-store.ts.
// Shapes only: no driver import, no HTTP, no TAXII resource building. Every backend passes
// tests/store-contract. "Not found" is undefined, never a throw.
import type { AuditStore } from './audit.js';
import type { CatalogStore } from './catalog.js';
import type { GrantStore } from './grants.js';
import type { IdentityStore } from './identity.js';
import type { IntelStore } from './intel.js';
import type { JobStore } from './jobs.js';
import type { MarkingStore } from './markings.js';
import type { MetaStore } from './meta.js';
import type { ObjectStore } from './objects.js';
import type { StatusStore } from './statuses.js';
import type { TenancyStore } from './tenancy.js';

export type * from './audit.js';
export type * from './catalog.js';
export type * from './grants.js';
export type * from './identity.js';
export type * from './intel.js';
export type * from './jobs.js';
export type * from './markings.js';
export type * from './meta.js';
export type * from './objects.js';
export type * from './statuses.js';
export type * from './tenancy.js';

/** Where migrations report what they do (a pino logger fits). */
export interface MigrationLog {
  info(details: object, message: string): void;
}

export interface MigrationReport {
  /** schema version found before migrating (0: an empty database) */
  from: number;
  /** schema version after migrating */
  to: number;
  applied: { version: number; name: string }[];
}

export interface Store {
  readonly meta: MetaStore;
  readonly catalog: CatalogStore;
  readonly identity: IdentityStore;
  readonly tenancy: TenancyStore;
  readonly grants: GrantStore;
  readonly markings: MarkingStore;
  readonly objects: ObjectStore;
  readonly statuses: StatusStore;
  readonly audit: AuditStore;
  readonly jobs: JobStore;
  /** derived index of the latest versions for the analyst API, kept by objects' writes */
  readonly intel: IntelStore;

  /**
   * Brings the schema to the version this code knows, one numbered step at a time. Refuses a
   * database written by a newer release (StoreVersionError).
   */
  migrate(log?: MigrationLog): Promise<MigrationReport>;
  /** resolves when the database answers (readiness) */
  ping(): Promise<void>;
  close(): Promise<void>;
}
