// Grants area: per-collection read/write rights of a user. Only src/access/ interprets them.

export interface GrantRecord {
  collectionId: string;
  username: string;
  read: boolean;
  write: boolean;
}

export type NewGrant = Omit<GrantRecord, 'collectionId'>;

export interface GrantStore {
  /** replaces every grant on the collection */
  setGrants(collectionId: string, grants: readonly NewGrant[]): Promise<void>;
  /** every grant of one user (for listings) */
  grantsOf(username: string): Promise<GrantRecord[]>;
  /** one user's grant on one collection: a single keyed lookup */
  grantOn(collectionId: string, username: string): Promise<GrantRecord | undefined>;
}
