// What one analyst request may look into: the collections the access gate lets the caller read
// (optionally narrowed to one), turned into the intel store's scope and into the locations shown.
import type { Readable } from '../access/gate.js';
import { NotFoundError } from '../errors.js';
import type { IntelScope } from '../store/store.js';

export interface Location {
  api_root: string;
  collection_id: string;
  collection_title: string;
}

export class ReadScope {
  private readonly byId: Map<string, Readable>;

  constructor(readonly readable: readonly Readable[]) {
    this.byId = new Map(readable.map((r) => [r.collection.id, r]));
  }

  /**
   * Narrowed to one collection, named by id. A collection the caller may not read answers exactly
   * like one that does not exist: the filter gives nothing away.
   */
  narrow(collectionId: string | undefined): ReadScope {
    if (collectionId === undefined) return this;
    const one = this.byId.get(collectionId);
    if (one === undefined) throw new NotFoundError('There is no such collection.');
    return new ReadScope([one]);
  }

  get intel(): IntelScope {
    return {
      collections: this.readable.map((r) => ({ id: r.collection.id, deniedMarkings: r.deniedMarkings })),
    };
  }

  get empty(): boolean {
    return this.readable.length === 0;
  }

  get(collectionId: string): Readable | undefined {
    return this.byId.get(collectionId);
  }

  location(collectionId: string): Location {
    const r = this.byId.get(collectionId);
    return {
      api_root: r?.root.path ?? '',
      collection_id: collectionId,
      collection_title: r?.collection.title ?? '',
    };
  }
}
