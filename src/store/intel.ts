// Intel area: a derived index over the objects area for the analyst API (src/api/). For every object
// id in every collection it keeps the latest stored version (the one with the `last` flag, TAXII 2.1
// §3.4.1) with its searchable text, the links it makes (relationships, sightings, embedded *_ref and
// *_refs properties) and a log of changes. The objects area's addObjects and deleteObjects keep it
// current in the same unit of work; the migration that created it filled it from existing objects.
//
// Every read takes a scope: the collections the caller may read, each with the marking definitions
// it may not see there (releasability). An entry whose latest version carries a denied marking is
// left out of every answer, and the edges it makes with it: the area never returns, counts or hints
// at what is outside the scope.
import type { SearchField } from '../stix/intel-fields.js';
import { InvalidRequestError } from '../errors.js';

/** The collections a read may look into, with what releasability hides in each. */
export interface IntelScope {
  collections: readonly { id: string; deniedMarkings: readonly string[] }[];
}

/** The latest version of one object in one collection. */
export interface IntelEntry {
  collectionId: string;
  id: string;
  type: string;
  name?: string;
  /** `modified`, else `created`, else undefined (objects without versions) */
  version?: string;
  /** date_added of this version, microseconds */
  dateAdded: number;
  revoked: boolean;
  /** object_marking_refs of this version */
  markings: string[];
  /** the stored JSON text of this version */
  json: string;
}

export type { SearchField };

export interface SearchQuery {
  /** the words typed, as given; every word must match (a word matches a prefix of a token) */
  text: string;
  types?: readonly string[];
}

export interface SearchHit extends IntelEntry {
  /** higher is better; only the order between hits of one answer means anything */
  score: number;
}

export interface SearchPage {
  hits: SearchHit[];
  /** opaque position for the next page, absent on the last one */
  next?: string;
}

/** One link between two objects, in the collection where the linking object is stored. */
export interface IntelEdge {
  collectionId: string;
  source: string;
  target: string;
  /** relationship: a relationship object; sighting: a sighting (source = the sighting, target = sighting_of_ref
   *  or an observed/where-sighted ref); ref: an embedded *_ref / *_refs property of the source */
  kind: 'relationship' | 'sighting' | 'ref';
  /** the relationship_type of a relationship, or the property name of a sighting ref / embedded ref */
  label: string;
  /** the id of the relationship or sighting that makes the link (absent for embedded refs) */
  via?: string;
}

export interface EdgeQuery {
  /** edges whose source or target is one of these ids */
  ids: readonly string[];
  /** only edges with one of these labels (relationship_type for relationships; a property name for the others) */
  relationshipTypes?: readonly string[];
  /** stop after this many edges (the caller asks for one more than it shows) */
  limit: number;
}

/**
 * added: the first version of the id in the collection; versioned: a newer latest version, or after
 * a delete of the newest version(s) the older version that is the latest again; revoked: a newer
 * latest version that is revoked; deleted: no version of the id is left in the collection.
 */
export type ChangeKind = 'added' | 'versioned' | 'revoked' | 'deleted';

export interface IntelChange {
  /** strictly increasing over the whole store; the keyset of the change log */
  seq: number;
  collectionId: string;
  id: string;
  type: string;
  kind: ChangeKind;
  /** the version added, or for a deletion undefined */
  version?: string;
  /** when the change was recorded, microseconds */
  at: number;
}

export interface ChangeQuery {
  /** changes recorded strictly after this time, microseconds */
  since: number;
  /** keyset: changes with seq greater than this */
  afterSeq?: number;
  limit: number;
}

export interface IntelStore {
  /** Ranked full-text search over name, aliases, x_mitre_aliases, external ids, labels, description. */
  searchObjects(scope: IntelScope, query: SearchQuery, limit: number, cursor?: string): Promise<SearchPage>;
  /** The latest visible version of each id in each scoped collection holding it. */
  getLatest(scope: IntelScope, ids: readonly string[]): Promise<IntelEntry[]>;
  /** Latest visible entries of the given types, newest date_added first (actor listings). */
  queryLatestByType(scope: IntelScope, types: readonly string[], limit: number): Promise<IntelEntry[]>;
  /** Edges touching the ids, in either direction, made by visible entries. */
  findEdges(scope: IntelScope, query: EdgeQuery): Promise<IntelEdge[]>;
  /** The change log of the scoped collections, by seq; a change is hidden like the version it concerns. */
  queryChanges(scope: IntelScope, query: ChangeQuery): Promise<IntelChange[]>;
  /** How many visible latest entries each scoped collection holds, by collection id. */
  countLatest(scope: IntelScope): Promise<Record<string, number>>;
  /**
   * Changes written but not applied to the index yet (a backend may apply them after the write;
   * every read above applies them first). For the operator's metrics; 0 where writes index at once.
   */
  countPending(): Promise<number>;
  /**
   * Applies queued changes for about a second at most; resolves with how many are still queued
   * (0: the index is up to date). A bulk import calls it until 0 so that it ends indexed.
   */
  catchUp(): Promise<number>;
}

// ---- paging of search answers ---------------------------------------------------------------------

/**
 * A search ranks at most this many candidates per stage (short fields, then every field): the
 * answer to a very common word is its best-ranked candidates, not a ranking of the whole store.
 */
export const SEARCH_CANDIDATES = 2000;
/** query words beyond this many are ignored (each one is another index lookup) */
export const SEARCH_MAX_WORDS = 12;

/** The opaque position of the next page: the offset in the ranked answer, base64url. */
export function encodeSearchCursor(offset: number): string {
  return Buffer.from(`o${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor stands for (0 without one); a cursor this store did not make is refused. */
export function decodeSearchCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const text = /^[A-Za-z0-9_-]{1,16}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^o(\d{1,6})$/.exec(text);
  const offset = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(offset) || offset > 2 * SEARCH_CANDIDATES) {
    throw new InvalidRequestError('the search cursor is not valid: repeat the search from its first page', {
      details: { cursor },
    });
  }
  return offset;
}
