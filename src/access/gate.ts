// The one access gate: every "may this principal see / read / write / delete here, and what does
// it see" question is answered here, and the refusal (404 or 403) is thrown here.
//
// A collection on which the caller holds neither read nor write does not exist for them: it is
// absent from listings and every request naming it is a 404, the same as for an id that was never
// created (TAXII 2.1 §5.2: a server may hide collections; hiding must not leak existence). On a
// collection the caller can see, a missing right is a 403, whatever the object named.
// Rights come from grants to the caller itself, to its tenant and to any group its tenant is in;
// they add up. Platform admins hold every right; that bypass lives only in isPlatformAdmin().
// An API root in which the caller can see no collection does not exist for them either.
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type {
  ApiRootRecord,
  CatalogStore,
  CollectionRecord,
  GrantRecord,
  GrantStore,
  MarkingStore,
  StatusRecord,
  Subject,
  TenancyStore,
} from '../store/store.js';

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
  /** releasability: versions carrying any of these marking definitions are invisible to the caller */
  deniedMarkings: readonly string[];
  /** who writes, for the collection's write policy (access/write-policy.ts) */
  writer: { role: Principal['role']; identities: readonly string[] };
}

/** A collection the principal may read, for reads that span collections (the analyst API). */
export interface Readable {
  root: ApiRootRecord;
  collection: CollectionRecord;
  rights: Rights;
  /** releasability: versions carrying any of these marking definitions are invisible to the caller */
  deniedMarkings: readonly string[];
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

function isPlatformAdmin(p: Principal): boolean {
  return p.role === 'platform-admin';
}

/** Everything a grant can name that the principal is: itself, its tenant, its tenant's groups. */
export function subjectsOf(p: Principal): Subject[] {
  const out: Subject[] = [{ kind: 'user', id: p.username }];
  if (p.tenant !== undefined) out.push({ kind: 'tenant', id: p.tenant });
  for (const g of p.groups) out.push({ kind: 'group', id: g });
  return out;
}

function union(grants: readonly GrantRecord[]): Rights {
  let read = false;
  let write = false;
  for (const g of grants) {
    read ||= g.read;
    write ||= g.write;
  }
  return { read, write };
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
    private readonly markings: MarkingStore,
    private readonly tenancy: TenancyStore,
  ) {}

  /** The API roots the principal can see (at least one visible collection), ordered by path. */
  async visibleApiRoots(principal: Principal): Promise<ApiRootRecord[]> {
    const roots = await this.catalog.listApiRoots();
    if (isPlatformAdmin(principal)) return roots;
    const granted = await this.grantedCollections(principal);
    const withAccess = new Set(
      (await this.catalog.listAllCollections()).filter((c) => granted.has(c.id)).map((c) => c.apiRoot),
    );
    return roots.filter((r) => withAccess.has(r.path));
  }

  /** An API root the principal can see, else a 404 identical to an unknown path. */
  async apiRoot(principal: Principal, path: string): Promise<ApiRootRecord> {
    const root = await this.catalog.getApiRoot(path);
    if (root && (await this.canSeeApiRoot(principal, path))) return root;
    throw new NotFoundError(`There is no API root at /${path}/.`);
  }

  /** The collections of an API root the principal can see, with its rights on each, by id. */
  async visibleCollections(
    principal: Principal,
    apiRoot: string,
  ): Promise<{ collection: CollectionRecord; rights: Rights }[]> {
    await this.apiRoot(principal, apiRoot);
    return this.visibleIn(principal, apiRoot);
  }

  private async visibleIn(
    principal: Principal,
    apiRoot: string,
  ): Promise<{ collection: CollectionRecord; rights: Rights }[]> {
    const collections = await this.catalog.listCollections(apiRoot);
    if (isPlatformAdmin(principal)) return collections.map((collection) => ({ collection, rights: ALL }));
    const granted = await this.grantedCollections(principal);
    return collections
      .map((collection) => ({ collection, rights: granted.get(collection.id) ?? NONE }))
      .filter((c) => visible(c.rights));
  }

  private async grantedCollections(principal: Principal): Promise<Map<string, Rights>> {
    const byCollection = new Map<string, GrantRecord[]>();
    for (const g of await this.grants.grantsOf(subjectsOf(principal))) {
      byCollection.set(g.collectionId, [...(byCollection.get(g.collectionId) ?? []), g]);
    }
    return new Map([...byCollection].map(([id, gs]) => [id, union(gs)]));
  }

  /**
   * Resolves API root → collection → rights and checks `need`: an unknown or invisible collection
   * is a 404, a visible one without the right is a 403. One grant lookup, whatever the caller holds.
   */
  async collection<N extends Need>(principal: Principal, ref: CollectionRef, need: N): Promise<Admitted<N>> {
    const root = await this.catalog.getApiRoot(ref.apiRoot);
    const collection = root ? await this.catalog.getCollection(ref.apiRoot, ref.collection) : undefined;
    const rights = collection ? await this.rightsOf(principal, collection.id) : NONE;
    if (!root || !collection || !visible(rights)) {
      // An API root the caller sees nothing in answers like an unknown one.
      if (!root || !(await this.canSeeApiRoot(principal, ref.apiRoot)))
        throw new NotFoundError(`There is no API root at /${ref.apiRoot}/.`);
      throw new NotFoundError('There is no such collection in this API root.');
    }
    if (need !== 'see' && !satisfies(rights, need)) throw new ForbiddenError(REFUSAL[need as Exclude<Need, 'see'>]);
    const deniedMarkings = collection.releasability === true ? await this.deniedMarkings(principal) : [];
    const identities =
      need === 'write' && collection.policy?.provenance && principal.tenant !== undefined
        ? ((await this.tenancy.getTenant(principal.tenant))?.identities ?? [])
        : [];
    return { root, collection, rights, need, deniedMarkings, writer: { role: principal.role, identities } };
  }

  /**
   * Every collection the principal may read, in every API root, with what releasability hides there:
   * the analyst API (src/api/) looks into exactly these and nothing else. Ordered by API root, then id.
   */
  async readableCollections(principal: Principal): Promise<Readable[]> {
    const roots = new Map((await this.catalog.listApiRoots()).map((r) => [r.path, r]));
    const all = await this.catalog.listAllCollections();
    const granted = isPlatformAdmin(principal) ? undefined : await this.grantedCollections(principal);
    const readable = all.filter((c) => roots.has(c.apiRoot) && (granted === undefined || granted.get(c.id)?.read));
    const denied = readable.some((c) => c.releasability === true) ? await this.deniedMarkings(principal) : [];
    return readable.map((collection) => ({
      root: roots.get(collection.apiRoot) as ApiRootRecord,
      collection,
      rights: granted === undefined ? ALL : (granted.get(collection.id) as Rights),
      deniedMarkings: collection.releasability === true ? denied : [],
    }));
  }

  /**
   * §4.3: a status resource is visible to the tenant that made the request (to the account alone
   * when it has no tenant) and to platform admins, else 404.
   */
  status(principal: Principal, status: StatusRecord | undefined): StatusRecord {
    const mine =
      status !== undefined &&
      (status.owner === principal.username ||
        (status.tenant !== undefined && status.tenant === principal.tenant) ||
        isPlatformAdmin(principal));
    if (!mine) throw new NotFoundError('There is no such status resource.');
    return status;
  }

  /**
   * Releasability: the marking definitions bound to tenants or groups none of which the principal
   * belongs to. A marking without bindings restricts nobody; platform admins are restricted by none.
   */
  async deniedMarkings(principal: Principal): Promise<string[]> {
    if (isPlatformAdmin(principal)) return [];
    const mine = new Set(subjectsOf(principal).map((s) => `${s.kind}:${s.id}`));
    return (await this.markings.listBindings())
      .filter((b) => b.subjects.length > 0 && !b.subjects.some((s) => mine.has(`${s.kind}:${s.id}`)))
      .map((b) => b.markingId);
  }

  private async canSeeApiRoot(principal: Principal, path: string): Promise<boolean> {
    return isPlatformAdmin(principal) || (await this.visibleIn(principal, path)).length > 0;
  }

  private async rightsOf(principal: Principal, collectionId: string): Promise<Rights> {
    if (isPlatformAdmin(principal)) return ALL;
    return union(await this.grants.grantsOn(collectionId, subjectsOf(principal)));
  }
}
