// Objects area: stored STIX object versions, their date_added order and the first/last flags
// (TAXII 2.1 §3.4 filtering and paging, §5.3–§5.8).
import type { VersionRecord } from '../stix/versions.js';

/** A validated STIX object ready to store (built by stix/versions.ts). */
export type NewVersion = VersionRecord;

export type AddOutcomeKind = 'added' | 'duplicate' | 'conflict';
export interface AddOutcome {
  id: string;
  version: string;
  outcome: AddOutcomeKind;
}

/** Version selection after the caller applied the defaults (§3.4.1): 'all', or a union. */
export type VersionSelection =
  { all: true } | { all?: false; first: boolean; last: boolean; exact: readonly string[] /* version keys */ };

export interface ObjectQuery {
  /** restrict to one object (get-object, versions, delete) */
  objectId?: string;
  ids?: readonly string[];
  types?: readonly string[];
  versions: VersionSelection;
  /** undefined means "newest spec version of each object" (§3.4.1) */
  specVersions?: readonly string[];
  /** exclusive lower bound on date_added, microseconds */
  addedAfter?: number;
  /** releasability: versions carrying any of these marking definitions are invisible */
  deniedMarkings?: readonly string[];
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

/**
 * A page of objects as the §5.4 envelope carries them: their stored texts in date_added order,
 * joined by commas, and what the response headers and the next cursor need.
 */
export interface TextPage {
  count: number;
  more: boolean;
  /** date_added (µs) of the first and the last object; absent when count is 0 */
  first?: number;
  last?: number;
  /** byte ranges that, one after the other, are the texts joined by commas */
  texts: Buffer[];
  /**
   * Set by a store whose pages live in memory it reuses (SQLite's reader threads): frees that
   * memory, after which `texts` must not be read. Call it once the texts are no longer needed
   * (the response that carries them has finished or closed); a page never released is freed when
   * its texts are garbage-collected.
   */
  release?: () => void;
}

export interface Page<T> {
  items: T[];
  more: boolean;
}

export interface ObjectStore {
  /**
   * Stores the versions in order, in one atomic unit where the backend allows. date_added is
   * assigned per added version from nowMicros, kept strictly increasing within the collection.
   * One outcome per input, in input order.
   */
  addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]>;
  /** ascending date_added; filters and version selection run in the database */
  queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>>;
  /**
   * The same page as queryObjects, as texts only (TextPage), where the backend can join them
   * itself: one buffer for the page instead of one per object. Optional: callers fall back to
   * queryObjects (textPageOf).
   */
  queryObjectTexts?(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<TextPage>;
  /** whether any version of the object is stored and not hidden by the denied markings */
  objectExists(collectionId: string, id: string, deniedMarkings?: readonly string[]): Promise<boolean>;
  /**
   * The newest date_added the collection ever handed out (0 for none): it moves with every added
   * version, whichever process adds it, and never goes back. Backends where another process may
   * also delete objects (several servers on one MongoDB) leave it out: a read-ahead page
   * (src/taxii/read-ahead.ts) is only trusted while it stands still.
   */
  getWriteMark?(collectionId: string): Promise<number>;
  /** deletes the versions of query.objectId selected by the query; returns how many */
  deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number>;
}

const COMMA = Buffer.from(',');

/** A page of stored versions as a TextPage (for backends without queryObjectTexts). */
export function textPageOf(page: Page<StoredVersion>): TextPage {
  const texts: Buffer[] = [];
  page.items.forEach((v, i) => {
    if (i > 0) texts.push(COMMA);
    texts.push(typeof v.json === 'string' ? Buffer.from(v.json) : v.json);
  });
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return {
    count: page.items.length,
    more: page.more,
    ...(first && last ? { first: first.dateAdded, last: last.dateAdded } : {}),
    texts,
  };
}
