// Per-collection rights (DESIGN.md §4). A collection without a read or write grant for the caller
// does not exist for them: every decision that hides it is a 404, never a 403 (T-123, A-12).
import type { Principal } from '../auth/principal.js';
import type { Store } from '../store/store.js';

export interface Rights {
  read: boolean;
  write: boolean;
}

const NONE: Rights = Object.freeze({ read: false, write: false });
const ALL: Rights = Object.freeze({ read: true, write: true });

export class AccessPolicy {
  constructor(private readonly store: Store) {}

  /** Rights of the principal on every collection it has a grant on. */
  async rightsByCollection(principal: Principal): Promise<Map<string, Rights>> {
    const out = new Map<string, Rights>();
    for (const g of await this.store.grantsOf(principal.username)) {
      out.set(g.collectionId, { read: g.read, write: g.write });
    }
    return out;
  }

  async rights(principal: Principal, collectionId: string): Promise<Rights> {
    if (principal.admin) return ALL;
    return (await this.rightsByCollection(principal)).get(collectionId) ?? NONE;
  }

  rightsFrom(principal: Principal, grants: Map<string, Rights>, collectionId: string): Rights {
    if (principal.admin) return ALL;
    return grants.get(collectionId) ?? NONE;
  }

  static visible(r: Rights): boolean {
    return r.read || r.write;
  }
}
