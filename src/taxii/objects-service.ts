// TAXII 2.1 §5.3 manifest, §5.4 objects, §5.6 get an object, §5.7 delete, §5.8 versions.
// Takes typed queries (query.ts); rights come from the access gate.
import type { AccessGate, Admitted, CollectionRef } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import type { ObjectStore } from '../store/store.js';
import type { PageResult, Pager, TextPageResult } from './paging.js';
import type { TaxiiQuery } from './query.js';

export class ObjectsService {
  constructor(
    private readonly gate: AccessGate,
    private readonly objects: ObjectStore,
    private readonly pager: Pager,
  ) {}

  /**
   * Lets the caller in before anything else about the request is looked at, so a caller without
   * the right learns nothing from query errors or from which object ids exist.
   */
  admit<N extends 'read' | 'delete'>(principal: Principal, ref: CollectionRef, need: N): Promise<Admitted<N>> {
    return this.gate.collection(principal, ref, need);
  }

  /** §5.3 manifest and §5.4 objects share filters and paging. */
  list(
    principal: Principal,
    at: Admitted<'read'>,
    q: TaxiiQuery,
    endpoint: 'objects' | 'manifest',
  ): Promise<PageResult> {
    return this.pager.page(principal, at, endpoint, q);
  }

  /** §5.4 objects as stored texts, for the envelope. */
  listTexts(principal: Principal, at: Admitted<'read'>, q: TaxiiQuery): Promise<TextPageResult> {
    return this.pager.texts(principal, at, q);
  }

  /** §5.6 get an object, §5.8 its versions; an unknown id is a 404. */
  async object(
    principal: Principal,
    at: Admitted<'read'>,
    objectId: string,
    q: TaxiiQuery,
    endpoint: 'object' | 'versions',
  ): Promise<PageResult> {
    if (!(await this.objects.objectExists(at.collection.id, objectId, at.deniedMarkings))) {
      throw new NotFoundError('There is no object with this id in the collection.');
    }
    return this.pager.page(principal, at, endpoint, q, objectId);
  }

  /** §5.7: delete the selected versions (default: the latest only). */
  async delete(at: Admitted<'delete'>, objectId: string, q: TaxiiQuery): Promise<void> {
    const removed = await this.objects.deleteObjects(at.collection.id, {
      objectId,
      versions: q.versions,
      ...(q.specVersions ? { specVersions: q.specVersions } : {}),
      ...(at.deniedMarkings.length > 0 ? { deniedMarkings: at.deniedMarkings } : {}),
    });
    if (removed === 0) throw new NotFoundError('There is no object with this id and version in the collection.');
  }
}
