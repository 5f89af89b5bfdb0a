// The persistence seam. Shapes only: no driver import, no HTTP, no TAXII resource building.
// Every backend passes tests/store-contract. "Not found" is undefined, never a throw.

export interface ApiRootRecord {
  path: string;
  title: string;
  description?: string;
  maxContentLength: number;
}

export interface CollectionRecord {
  id: string;
  apiRoot: string;
  title: string;
  description?: string;
  alias?: string;
  mediaTypes: string[];
}

export interface GrantRecord {
  collectionId: string;
  username: string;
  read: boolean;
  write: boolean;
}

export interface UserRecord {
  username: string;
  /** scrypt hash in the format of src/auth/passwords.ts */
  passwordHash: string;
  admin: boolean;
}

/** A validated STIX object ready to store. */
export interface NewVersion {
  id: string;
  type: string;
  specVersion: string;
  /** modified, else created; undefined for objects with neither (SCOs): the store assigns date_added */
  version?: string;
  /** stix/timestamps.versionKey(version); undefined exactly when version is */
  versionKey?: string;
  json: string;
}

export type AddOutcomeKind = 'added' | 'duplicate' | 'conflict';
export interface AddOutcome {
  id: string;
  version: string;
  outcome: AddOutcomeKind;
}

/** Version selection after defaults were applied by the caller (T-84): 'all', or a union. */
export type VersionSelection =
  | { all: true }
  | { all?: false; first: boolean; last: boolean; exact: readonly string[] /* version keys */ };

export interface ObjectQuery {
  /** restrict to one object (get-object, versions, delete) */
  objectId?: string;
  ids?: readonly string[];
  types?: readonly string[];
  versions: VersionSelection;
  /** undefined means "newest spec version of each object" (T-90) */
  specVersions?: readonly string[];
  /** exclusive lower bound on date_added, microseconds */
  addedAfter?: number;
}

export interface PageRequest {
  limit: number;
  /** keyset position: the date_added (µs) of the last item already returned */
  after?: number;
}

export interface StoredVersion {
  id: string;
  version: string;
  /** microseconds since the epoch; unique and strictly increasing within a collection */
  dateAdded: number;
  specVersion: string;
  mediaType: string;
  /** the object as stored, served verbatim: UTF-8 bytes (no decoding on the read path) or text */
  json: Buffer | string;
}

export interface Page<T> {
  items: T[];
  more: boolean;
}

export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}

export interface StatusRecord {
  id: string;
  apiRoot: string;
  collectionId: string;
  owner: string;
  status: 'complete' | 'pending';
  requestTimestamp: number;
  totalCount: number;
  successes: StatusDetail[];
  failures: StatusDetail[];
  pendings: StatusDetail[];
}

export interface Store {
  migrate(): Promise<void>;
  close(): Promise<void>;

  getMeta(key: string): Promise<string | undefined>;
  /** sets the value only if the key is absent; returns the value now stored */
  initMeta(key: string, value: string): Promise<string>;

  putApiRoot(root: ApiRootRecord): Promise<void>;
  getApiRoot(path: string): Promise<ApiRootRecord | undefined>;
  listApiRoots(): Promise<ApiRootRecord[]>;

  putCollection(collection: Omit<CollectionRecord, 'mediaTypes'> & { mediaTypes?: string[] }): Promise<void>;
  /** by id or by alias, within one API root */
  getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined>;
  /** ordered by id (T-49) */
  listCollections(apiRoot: string): Promise<CollectionRecord[]>;

  /** replaces every grant on the collection */
  setGrants(collectionId: string, grants: readonly Omit<GrantRecord, 'collectionId'>[]): Promise<void>;
  grantsOf(username: string): Promise<GrantRecord[]>;

  putUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  countAdmins(): Promise<number>;

  /**
   * Stores the versions in order, in one atomic unit where the backend allows. date_added is
   * assigned per added version from nowMicros, kept strictly increasing within the collection.
   */
  addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]>;
  /** ascending date_added; filters and version selection run in the database */
  queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>>;
  objectExists(collectionId: string, id: string): Promise<boolean>;
  /** deletes the versions of query.objectId selected by the query; returns how many */
  deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number>;

  putStatus(status: StatusRecord): Promise<void>;
  getStatus(apiRoot: string, id: string): Promise<StatusRecord | undefined>;
  /** removes complete statuses requested before the given time; returns how many */
  purgeStatuses(requestedBeforeMicros: number): Promise<number>;
}
