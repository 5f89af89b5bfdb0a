// Grants area: read/write rights on a collection, given to a user, a tenant or a group of tenants.
// Only src/access/ interprets them.
import type { Source } from './identity.js';

export type SubjectKind = 'user' | 'tenant' | 'group';

export interface Subject {
  kind: SubjectKind;
  id: string;
}

export interface GrantRecord {
  collectionId: string;
  subject: Subject;
  read: boolean;
  write: boolean;
  source: Source;
}

export type NewGrant = Omit<GrantRecord, 'collectionId' | 'source'>;

export interface GrantStore {
  /** replaces the grants of one source on the collection; grants of other sources stay */
  setGrants(collectionId: string, grants: readonly NewGrant[], source: Source): Promise<void>;
  /** every grant on the collection */
  listGrants(collectionId: string): Promise<GrantRecord[]>;
  /** every grant held by any of the subjects (a caller's listing) */
  grantsOf(subjects: readonly Subject[]): Promise<GrantRecord[]>;
  /** the grants on one collection held by any of the subjects: keyed lookups, one per subject at most */
  grantsOn(collectionId: string, subjects: readonly Subject[]): Promise<GrantRecord[]>;
  /** removes every grant held by the subject (when it is removed); returns how many */
  deleteGrantsOf(subject: Subject): Promise<number>;
}
