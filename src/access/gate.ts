// The one access gate: every "may this principal see / read / write / delete here, and what does
// it see" question is answered here, and the refusal (404 or 403) is thrown here.
//
// A collection on which the caller holds neither read nor write does not exist for them: it is
// absent from listings and every request naming it is a 404, the same as for an id that was never
// created (TAXII 2.1 §5.2: a server may hide collections; hiding must not leak existence). On a
// collection the caller can see, a missing right is a 403, whatever the object named.
// Platform admins hold every right; that bypass lives only in rightsOf().
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { ApiRootRecord, CatalogStore, CollectionRecord, GrantStore, StatusRecord } from '../store/store.js';

export interface Rights {
  read: boolean;
  write: boolean;
}

/** What a request needs on a collection. `delete` needs read and write (§5.7). */
export type Need = 'see' | 'read' | 'write' | 'delete';

export interface CollectionRef {
  apiRoot: string;
  /** collection id or alias */
  collection: string;
}

/** A collection the principal was let into for `need`, with everything it may do there. */
export interface Admitted<N extends Need = Need> {
  root: ApiRootRecord;
  collection: CollectionRecord;
  rights: Rights;
  /** what the gate checked: services state the need they rely on in their parameter types */
  need: N;
}

const NONE: Rights = Object.freeze({ read: false, write: false });
const ALL: Rights = Object.freeze({ read: true, write: true });

const REFUSAL: Record<Exclude<Need, 'see'>, string> = {
  read: 'You may add objects to this collection but not read it.',
  write: 'You may read this collection but not add objects to it.',
  delete: 'Deleting objects requires both read and write access to the collection.',
};

function visible(r: Rights): boolean {
  return r.read || r.write;
}

function satisfies(r: Rights, need: Need): boolean {
  switch (need) {
    case 'see':
      return visible(r);
    case 'read':
      return r.read;
    case 'write':
      return r.write;
    case 'delete':
      return r.read && r.write;
  }
}

export class AccessGate {
  constructor(
    private readonly catalog: CatalogStore,
    private readonly grants: GrantStore,
  ) {}

  /** API roots are public to every authenticated principal; an unknown path is a 404. */
  async apiRoot(path: string): Promise<ApiRootRecord> {
    const root = await this.catalog.getApiRoot(path);
    if (!root) throw new NotFoundError(`There is no API root at /${path}/.`);
    return root;
  }

  /** The collections of an API root the principal can see, with its rights on each, by id. */
  async visibleCollections(
    principal: Principal,
    apiRoot: string,
  ): Promise<{ collection: CollectionRecord; rights: Rights }[]> {
    await this.apiRoot(apiRoot);
    const collections = await this.catalog.listCollections(apiRoot);
    let rightsOf: (id: string) => Rights;
    if (principal.admin) rightsOf = () => ALL;
    else {
      const mine = new Map((await this.grants.grantsOf(principal.username)).map((g) => [g.collectionId, g]));
      rightsOf = (id) => {
        const g = mine.get(id);
        return g ? { read: g.read, write: g.write } : NONE;
      };
    }
    return collections
      .map((collection) => ({ collection, rights: rightsOf(collection.id) }))
      .filter((c) => visible(c.rights));
  }

  /**
   * Resolves API root → collection → rights and checks `need`: an unknown or invisible collection
   * is a 404, a visible one without the right is a 403. One grant lookup, whatever the caller holds.
   */
  async collection<N extends Need>(principal: Principal, ref: CollectionRef, need: N): Promise<Admitted<N>> {
    const root = await this.apiRoot(ref.apiRoot);
    const collection = await this.catalog.getCollection(ref.apiRoot, ref.collection);
    const rights = collection ? await this.rightsOf(principal, collection.id) : NONE;
    if (!collection || !visible(rights)) throw new NotFoundError('There is no such collection in this API root.');
    if (need !== 'see' && !satisfies(rights, need)) throw new ForbiddenError(REFUSAL[need as Exclude<Need, 'see'>]);
    return { root, collection, rights, need };
  }

  /** §4.3: a status resource is visible to the principal that made the request (and admins), else 404. */
  status(principal: Principal, status: StatusRecord | undefined): StatusRecord {
    if (!status || (status.owner !== principal.username && !principal.admin)) {
      throw new NotFoundError('There is no such status resource.');
    }
    return status;
  }

  private async rightsOf(principal: Principal, collectionId: string): Promise<Rights> {
    if (principal.admin) return ALL;
    const g = await this.grants.grantOn(collectionId, principal.username);
    return g ? { read: g.read, write: g.write } : NONE;
  }
}
