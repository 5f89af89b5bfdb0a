// TAXII 2.1 §5.1 collections and §5.2 collection: what the caller can see, with can_read/can_write.
import type { AccessGate, Admitted, CollectionRef, Rights } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import type { CollectionRecord } from '../store/store.js';

export class CollectionsService {
  constructor(private readonly gate: AccessGate) {}

  list(principal: Principal, apiRoot: string): Promise<{ collection: CollectionRecord; rights: Rights }[]> {
    return this.gate.visibleCollections(principal, apiRoot);
  }

  get(principal: Principal, ref: CollectionRef): Promise<Admitted> {
    return this.gate.collection(principal, ref, 'see');
  }
}
