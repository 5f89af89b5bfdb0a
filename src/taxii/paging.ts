// TAXII 2.1 §3.4 paging shared by objects, manifest, get-object and versions: keyset on
// date_added, `next` signed and bound to the caller and the request (cursor.ts).
import type { Principal } from '../auth/principal.js';
import type { Admitted } from '../access/gate.js';
import type { ObjectQuery, ObjectStore, Page, StoredVersion } from '../store/store.js';
import type { ReadAhead } from './read-ahead.js';
import { CursorCodec } from './cursor.js';
import type { Endpoint, TaxiiQuery } from './query.js';

export interface PageResult {
  page: Page<StoredVersion>;
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

  async page(
    principal: Principal,
    at: Admitted<'read'>,
    endpoint: Endpoint,
    q: TaxiiQuery,
    objectId?: string,
  ): Promise<PageResult> {
    const fp = CursorCodec.fingerprint([
      principal.username,
      at.root.path,
      at.collection.id,
      endpoint,
      objectId ?? null,
      q.canonical,
    ]);
    const after = q.next !== undefined ? this.cursors.decode(q.next, fp) : undefined;
    const collectionId = at.collection.id;
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
    const keyOf = (position: number): string =>
      `${fp}\u0000${position}\u0000${q.limit}\u0000${at.deniedMarkings.join('\u0000')}`;
    const ready = after !== undefined ? this.ahead?.take(keyOf(after), collectionId) : undefined;
    const read = (position: number | undefined): Promise<Page<StoredVersion>> =>
      this.objects.queryObjects(collectionId, query, {
        limit: q.limit,
        ...(position !== undefined ? { after: position } : {}),
      });
    const page = (await ready) ?? (await read(after));
    // Every TAXII response listing objects, manifest records or versions is built from this page.
    this.counter?.served(page.items.length);
    const last = page.items[page.items.length - 1];
    // §3.4: `more: true` always comes with `next`, or a client that pages by `next` stops (or
    // loops on the first page).
    const next = page.more && last ? this.cursors.encode(last.dateAdded, fp) : undefined;
    if (next !== undefined && last) {
      const position = last.dateAdded;
      this.ahead?.start(keyOf(position), collectionId, () => read(position));
    }
    return { page, ...(next !== undefined ? { next } : {}) };
  }
}
