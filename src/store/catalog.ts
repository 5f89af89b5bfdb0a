// Catalog area: API roots (TAXII 2.1 §4.2) and the collections they hold (§5.2). A retired API
// root or collection (removed from the configuration) is hidden from every lookup; the objects of a
// retired collection stay stored, unreachable, until an admin deletes them.
//
// An alias names at most one live collection of an API root. Both backends enforce it with a unique
// index, so two writers racing for one alias end with one ConflictError rather than two holders; a
// retired collection holds no alias, so retiring one frees its alias for reuse.
import { ConflictError } from '../errors.js';
import type { Source } from './identity.js';

export interface ApiRootRecord {
  path: string;
  title: string;
  description?: string;
  maxContentLength: number;
  source: Source;
}

export interface CollectionRecord {
  id: string;
  apiRoot: string;
  title: string;
  description?: string;
  alias?: string;
  /** the tenant that owns the collection */
  owner?: string;
  mediaTypes: string[];
  source: Source;
  /** per-object access by marking (releasability) is on */
  releasability?: boolean;
  /** what may be written here */
  policy?: CollectionPolicy;
}

/** Write policy of a collection; every part is optional. */
export interface CollectionPolicy {
  /** STIX types that may be written; anything else fails */
  allowedTypes?: string[];
  /** the most restrictive TLP an object may carry (TLP 1.0 WHITE counts as CLEAR) */
  maxTlp?: 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
  /** objects must be created by an identity bound to the writer's tenant */
  provenance?: boolean;
}

export type NewCollection = Omit<CollectionRecord, 'mediaTypes'> & { mediaTypes?: string[] };

export interface CatalogStore {
  putApiRoot(root: ApiRootRecord): Promise<void>;
  getApiRoot(path: string): Promise<ApiRootRecord | undefined>;
  /** ordered by path */
  listApiRoots(): Promise<ApiRootRecord[]>;
  /** hides the API root (and nothing else); putApiRoot brings it back */
  retireApiRoot(path: string): Promise<void>;

  /**
   * Inserts or updates (a retired collection comes back); media types are set on insert only.
   * ConflictError (details: apiRoot, alias) when another live collection of the API root holds the alias.
   */
  putCollection(collection: NewCollection): Promise<void>;
  /**
   * Inserts, or brings back the retired collection with that id. ConflictError (details: id) when
   * a live collection has the id, or (details: apiRoot, alias) when the alias is taken: checked by
   * the write itself, so of two concurrent creations one fails.
   */
  createCollection(collection: NewCollection): Promise<void>;
  /** by id or else by alias, within one API root: an id always wins over an alias that equals it */
  getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined>;
  /** ordered by id (§5.1: a stable order across requests) */
  listCollections(apiRoot: string): Promise<CollectionRecord[]>;
  /** every live collection of every API root, ordered by API root then id */
  listAllCollections(): Promise<CollectionRecord[]>;
  /** hides the collection and frees its alias; its objects stay stored */
  retireCollection(id: string): Promise<void>;
}

/** The error both backends raise when a write would give an alias a second live holder. */
export function aliasTaken(apiRoot: string, alias: string): ConflictError {
  return new ConflictError(`The alias "${alias}" is taken in the API root "${apiRoot}".`, {
    details: { apiRoot, alias },
  });
}

/** The error both backends raise when a creation names the id of a live collection. */
export function collectionIdTaken(id: string): ConflictError {
  return new ConflictError(`A collection with the id ${id} exists already.`, { details: { id } });
}
