// Read-ahead for clients that walk a collection by `next` (§3.4): while one page travels to the
// client, the page its `next` names is already being read on another database thread, so the
// client's next request finds it ready instead of waiting for the query. A walk by one client is
// a chain of round trips (query, send, client reads, next request); this takes the query out of
// that chain.
//
// What may be served from here is exactly what the request would read, as of a moment before it:
// - the key holds the page's fingerprint (caller, collection, endpoint, query), its position, its
//   size and the caller's denied markings, all as computed for the request that uses it (the
//   access gate admits every request first, so a revoked right is never served from here);
// - every write to a collection through this process (ingestion, deletion) discards its pages and
//   any page still being read, so a client that writes between pages reads its writes;
// - a write from another process (a CLI import beside the server) is caught by the collection's
//   write mark (ObjectStore.getWriteMark, the newest date_added it handed out), read before the
//   page and again when it is taken: a page is served only if the mark has not moved. Other
//   processes only add objects to a SQLite file; a backend where they may also delete (several
//   servers on one MongoDB) has no write mark, and then nothing is read ahead;
// - a page is kept for ttlMs at most;
// - at most maxEntries pages are kept (each up to a page of stored objects) and at most maxInFlight
//   are read at once, so read-ahead never takes every database reader.
import type { AddOutcome, NewVersion, ObjectQuery, ObjectStore, PageRequest } from '../store/store.js';

export interface ReadAheadOptions {
  maxEntries: number;
  maxInFlight: number;
  ttlMs: number;
  /**
   * Pages read ahead of the one served: with 2, the page after the next is read as soon as the
   * next is ready, so the reader works while the client reads and a client that asks quickly
   * still finds its page waiting. Never more than maxEntries.
   */
  depth: number;
}

export const DEFAULT_READ_AHEAD: ReadAheadOptions = { maxEntries: 4, maxInFlight: 1, ttlMs: 2000, depth: 2 };

interface Entry {
  collectionId: string;
  generation: number;
  expires: number;
  /** the collection's write mark, read before the page */
  mark: Promise<number>;
  page: Promise<unknown>;
}

/**
 * A page that will not be served gives back the memory it may hold (TextPage.release), once its
 * read has finished; a page without release is left to the garbage collector.
 */
function discard(e: Entry): void {
  e.page.then(
    (page) => (page as { release?: () => void } | undefined)?.release?.(),
    () => undefined,
  );
}

/** Reads a collection's write mark (ObjectStore.getWriteMark). */
export type WriteMark = (collectionId: string) => Promise<number>;

export class ReadAhead {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private inFlight = 0;
  /** pages served from here, and requests that found none (for tests and metrics) */
  readonly counts = { hits: 0, misses: 0 };

  /** `markOf` undefined: the store cannot tell other processes' writes, nothing is read ahead. */
  constructor(
    private readonly markOf: WriteMark | undefined,
    private readonly opts: ReadAheadOptions = DEFAULT_READ_AHEAD,
  ) {}

  /** The page read ahead under `key` if it is still what a read now would return; handed out once. */
  async take<T>(key: string, collectionId: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (e) this.entries.delete(key);
    const valid = (): boolean =>
      e !== undefined && e.expires >= Date.now() && e.generation === this.generation(collectionId);
    if (!e || !valid() || !this.markOf) {
      if (e || this.markOf) this.counts.misses++;
      if (e) discard(e);
      return undefined;
    }
    try {
      const [then, page, now] = await Promise.all([e.mark, e.page, this.markOf(collectionId)]);
      if (then === now && valid()) {
        this.counts.hits++;
        return page as T;
      }
    } catch {
      // a failed read ahead: the request reads the page itself
    }
    this.counts.misses++;
    discard(e);
    return undefined;
  }

  /** How many pages a walk reads ahead of the page it serves. */
  get depth(): number {
    return Math.max(0, Math.min(this.opts.depth, this.opts.maxEntries));
  }

  /**
   * Starts reading the page under `key`, unless it is read already or enough is being read.
   * `then` is called with the page once it is read (and its read no longer counts as in flight),
   * also when the page was already there: a walk chains its next read ahead from it.
   */
  start<T>(key: string, collectionId: string, read: () => Promise<T>, then?: (page: T) => void): void {
    const markOf = this.markOf;
    if (!markOf || this.opts.maxEntries <= 0) return;
    const known = this.entries.get(key);
    if (known !== undefined && known.generation === this.generation(collectionId)) {
      if (then)
        known.page.then(
          (page) => then(page as T),
          () => undefined,
        );
      return;
    }
    if (this.inFlight >= this.opts.maxInFlight) return;
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expires < now) this.drop(k, e);
    // The oldest entry goes first (a Map iterates in insertion order).
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.opts.maxEntries) break;
      this.drop(k, e);
    }
    this.inFlight++;
    // The mark first: a write that lands after it, before or during the read, moves it.
    const mark = markOf(collectionId);
    const page = mark.then(read).finally(() => this.inFlight--);
    // A failed read ahead is not an error of anyone's request: the request reads the page itself.
    mark.catch(() => undefined);
    page.then(then, () => undefined);
    this.entries.set(key, {
      collectionId,
      generation: this.generation(collectionId),
      expires: now + this.opts.ttlMs,
      mark,
      page,
    });
  }

  /** Objects of the collection changed: what was read ahead (or is being read) is discarded. */
  written(collectionId: string): void {
    this.generations.set(collectionId, this.generation(collectionId) + 1);
    for (const [k, e] of this.entries) if (e.collectionId === collectionId) this.drop(k, e);
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    discard(e);
  }

  /** The object store as writers in this process use it: each write discards the collection's pages. */
  watch(objects: ObjectStore): ObjectStore {
    return {
      ...(objects.getWriteMark ? { getWriteMark: (collectionId: string) => objects.getWriteMark!(collectionId) } : {}),
      queryObjects: (collectionId: string, query: ObjectQuery, page) => objects.queryObjects(collectionId, query, page),
      ...(objects.queryObjectTexts
        ? {
            queryObjectTexts: (collectionId: string, query: ObjectQuery, page: PageRequest) =>
              objects.queryObjectTexts!(collectionId, query, page),
          }
        : {}),
      objectExists: (collectionId: string, id: string, denied?: readonly string[]) =>
        objects.objectExists(collectionId, id, denied),
      addObjects: async (
        collectionId: string,
        versions: readonly NewVersion[],
        nowMicros: number,
      ): Promise<AddOutcome[]> => {
        try {
          return await objects.addObjects(collectionId, versions, nowMicros);
        } finally {
          this.written(collectionId);
        }
      },
      deleteObjects: async (collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number> => {
        try {
          return await objects.deleteObjects(collectionId, query);
        } finally {
          this.written(collectionId);
        }
      },
    };
  }

  private generation(collectionId: string): number {
    return this.generations.get(collectionId) ?? 0;
  }
}
