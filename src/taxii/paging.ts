// TAXII 2.1 §3.4 paging shared by objects, manifest, get-object and versions: keyset on
// date_added, `next` signed and bound to the caller and the request (cursor.ts).
import type { Principal } from '../auth/principal.js';
import type { Admitted } from '../access/gate.js';
import type { ObjectQuery, ObjectStore, Page, PageRequest, StoredVersion, TextPage } from '../store/store.js';
import { textPageOf } from '../store/objects.js';
import type { ReadAhead } from './read-ahead.js';
import { CursorCodec } from './cursor.js';
import type { Endpoint, TaxiiQuery } from './query.js';

export interface PageResult {
  page: Page<StoredVersion>;
  next?: string;
}

export interface TextPageResult {
  texts: TextPage;
  next?: string;
}

/** Where the size of every page served is counted (the metrics, src/ops/metrics.ts). */
export interface ServedCounter {
  served(count: number): void;
}

export class Pager {
  constructor(
    private readonly objects: ObjectStore,
    private readonly cursors: CursorCodec,
    private readonly counter?: ServedCounter,
    /** reads the page after each page served (read-ahead.ts); none: every page is read on request */
    private readonly ahead?: ReadAhead,
  ) {}

  /** The position, the store query and the read-ahead key of a request (one fingerprint for all). */
  private plan(principal: Principal, at: Admitted<'read'>, endpoint: Endpoint, q: TaxiiQuery, objectId?: string) {
    const fp = CursorCodec.fingerprint([
      principal.username,
      at.root.path,
      at.collection.id,
      endpoint,
      objectId ?? null,
      q.canonical,
    ]);
    const after = q.next !== undefined ? this.cursors.decode(q.next, fp) : undefined;
    const query: ObjectQuery = {
      ...(objectId !== undefined ? { objectId } : {}),
      ...(q.ids ? { ids: q.ids } : {}),
      ...(q.types ? { types: q.types } : {}),
      versions: endpoint === 'versions' ? { all: true } : q.versions,
      ...(q.specVersions ? { specVersions: q.specVersions } : {}),
      ...(q.addedAfter !== undefined ? { addedAfter: q.addedAfter } : {}),
      ...(at.deniedMarkings.length > 0 ? { deniedMarkings: at.deniedMarkings } : {}),
    };
    // The denied markings are part of the key: a page read for other rights is never served.
    const keyOf = (form: string, position: number): string =>
      `${form}\u0000${fp}\u0000${position}\u0000${q.limit}\u0000${at.deniedMarkings.join('\u0000')}`;
    const request = (position: number | undefined): PageRequest => ({
      limit: q.limit,
      ...(position !== undefined ? { after: position } : {}),
    });
    return { fp, after, query, keyOf, request };
  }

  /**
   * A page read on request or, when the previous page of the same walk was read ahead of it, from
   * there; the page after it is then read ahead in turn (read-ahead.ts).
   */
  private async walk<T>(
    collectionId: string,
    form: string,
    p: ReturnType<Pager['plan']>,
    read: (position: number | undefined) => Promise<T>,
    lastOf: (page: T) => { more: boolean; last: number | undefined },
  ): Promise<{ page: T; next?: string }> {
    const ready = p.after !== undefined ? this.ahead?.take<T>(p.keyOf(form, p.after), collectionId) : undefined;
    const page = (await ready) ?? (await read(p.after));
    const { more, last } = lastOf(page);
    // §3.4: `more: true` always comes with `next`, or a client that pages by `next` stops (or
    // loops on the first page).
    const next = more && last !== undefined ? this.cursors.encode(last, p.fp) : undefined;
    if (next !== undefined && last !== undefined && this.ahead !== undefined) {
      const ahead = this.ahead;
      // The next page, and from it the pages after it up to the read-ahead depth.
      const readAhead = (position: number, depth: number): void =>
        ahead.start(
          p.keyOf(form, position),
          collectionId,
          () => read(position),
          depth > 1
            ? (page: T): void => {
                const l = lastOf(page);
                if (l.more && l.last !== undefined) readAhead(l.last, depth - 1);
              }
            : undefined,
        );
      if (ahead.depth > 0) readAhead(last, ahead.depth);
    }
    return { page, ...(next !== undefined ? { next } : {}) };
  }

  async page(
    principal: Principal,
    at: Admitted<'read'>,
    endpoint: Endpoint,
    q: TaxiiQuery,
    objectId?: string,
  ): Promise<PageResult> {
    const p = this.plan(principal, at, endpoint, q, objectId);
    const collectionId = at.collection.id;
    const r = await this.walk(
      collectionId,
      'items',
      p,
      (position) => this.objects.queryObjects(collectionId, p.query, p.request(position)),
      (page) => ({ more: page.more, last: page.items[page.items.length - 1]?.dateAdded }),
    );
    // Every TAXII response listing objects, manifest records or versions is built from a page.
    this.counter?.served(r.page.items.length);
    return r;
  }

  /** §5.4 objects as texts for the envelope (TextPage), from the store's own join where it has one. */
  async texts(principal: Principal, at: Admitted<'read'>, q: TaxiiQuery): Promise<TextPageResult> {
    const p = this.plan(principal, at, 'objects', q);
    const collectionId = at.collection.id;
    const read = (position: number | undefined): Promise<TextPage> =>
      this.objects.queryObjectTexts
        ? this.objects.queryObjectTexts(collectionId, p.query, p.request(position))
        : this.objects.queryObjects(collectionId, p.query, p.request(position)).then(textPageOf);
    const r = await this.walk(collectionId, 'texts', p, read, (page) => ({ more: page.more, last: page.last }));
    this.counter?.served(r.page.count);
    return { texts: r.page, ...(r.next !== undefined ? { next: r.next } : {}) };
  }
}
