// Access lookups served from memory: accounts, tokens and certificate mappings (authentication),
// tenants and their groups, API roots and collections, grants and marking bindings (the gate).
// Every authenticated request needs several of them before it reads any data; here they cost a
// map lookup while nothing that decides access has changed.
//
// What "nothing has changed" means: the store keeps an access generation (store/meta.ts) that each
// write to those areas moves forward, in the write's own transaction on SQLite and right after it on
// MongoDB. An entry is served only while the generation it was filled under is still the store's.
// The generation is read again at most every `store.access_cache_ms` (config), so a change made by
// another process or instance on the same store is seen within that bound. A change made through
// this process (admin API, configuration reconciliation, bootstrap) goes through
// invalidatingStore() below and empties the cache when the write returns: it holds at once here.
// `store.access_cache_ms: 0` turns all of this off: every lookup goes to the store, as before.
//
// Fill races: a lookup remembers the epoch it started under and stores its answer only if no
// invalidation happened meanwhile, so an answer read before a write is never kept after it.
// Generation reads: one at a time is shared by concurrent lookups, but never one that started
// longer than the bound ago; the answer of a read older than an already applied one is ignored.
// Memory: each kind of lookup keeps at most maxEntries answers, negative ones (unknown account,
// unknown token) included, the oldest dropped first; nothing is served longer than MAX_AGE_MS,
// whatever the generation says (a write whose MongoDB increment was lost to a crash).
import type {
  CatalogStore,
  GrantStore,
  IdentityStore,
  MarkingStore,
  Store,
  Subject,
  TenancyStore,
} from '../store/store.js';

/** the most answers one kind of lookup keeps */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** the longest an answer is served, even under an unchanged generation */
export const MAX_AGE_MS = 60_000;

export interface AccessCacheOptions {
  /** how long a generation read is trusted, in milliseconds; 0 disables the cache */
  ttlMs: number;
  maxEntries?: number;
  maxAgeMs?: number;
  /** milliseconds, monotonic (tests step it) */
  now?: () => number;
}

interface Entry {
  epoch: number;
  value: unknown;
}

/** The kinds of lookup, each bounded on its own so that a flood of one cannot evict the others. */
export type Space = 'users' | 'tokens' | 'certificates' | 'tenancy' | 'catalog' | 'grants' | 'markings';

export class AccessCache {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  /** moves on every invalidation; entries of an older epoch are never served */
  private epoch = 0;
  private epochStartedAt: number;
  /** the store generation the current epoch was confirmed under */
  private generation: number | undefined;
  /** when the generation read that last confirmed `generation` started */
  private checkedAt = -Infinity;
  /** start of the newest generation read whose answer was applied */
  private appliedStart = -Infinity;
  private pending: { startedAt: number; done: Promise<void> } | undefined;
  private readonly spaces = new Map<Space, Map<string, Entry>>();
  /** store reads made because the answer was not in memory (tests and measurements) */
  misses = 0;
  hits = 0;

  constructor(
    private readonly readGeneration: () => Promise<number>,
    opts: AccessCacheOptions,
  ) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxAgeMs = opts.maxAgeMs ?? MAX_AGE_MS;
    this.now = opts.now ?? (() => performance.now());
    this.epochStartedAt = this.now();
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The answer for `key`, from memory when the generation allows, else from `load` (and kept). */
  async read<T>(space: Space, key: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    await this.confirm();
    const entries = this.entriesOf(space);
    const hit = entries.get(key);
    if (hit !== undefined && hit.epoch === this.epoch) {
      this.hits++;
      return hit.value as T;
    }
    this.misses++;
    const epoch = this.epoch;
    const value = await load();
    if (epoch === this.epoch) {
      entries.delete(key);
      if (entries.size >= this.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(key, { epoch, value: deepFreeze(value) });
    }
    return value;
  }

  /** Forgets everything and re-reads the generation at the next lookup: a write through this process. */
  invalidate(): void {
    this.newEpoch();
    this.checkedAt = -Infinity;
  }

  private newEpoch(): void {
    this.epoch++;
    this.epochStartedAt = this.now();
    for (const entries of this.spaces.values()) entries.clear();
  }

  private entriesOf(space: Space): Map<string, Entry> {
    let entries = this.spaces.get(space);
    if (entries === undefined) {
      entries = new Map();
      this.spaces.set(space, entries);
    }
    return entries;
  }

  /** Makes sure the current epoch was confirmed by a generation read started less than ttlMs ago. */
  private async confirm(): Promise<void> {
    const now = this.now();
    if (now - this.epochStartedAt >= this.maxAgeMs) this.newEpoch();
    if (now - this.checkedAt < this.ttlMs) return;
    // A read in flight is shared while it is itself recent enough to bound what it reports.
    if (this.pending !== undefined && now - this.pending.startedAt < this.ttlMs) return this.pending.done;
    const startedAt = now;
    const done = this.readGeneration().then(
      (generation) => {
        if (this.pending?.done === done) this.pending = undefined;
        if (startedAt < this.appliedStart) return; // a newer read answered first
        this.appliedStart = startedAt;
        if (generation !== this.generation) {
          this.generation = generation;
          this.newEpoch();
        }
        if (startedAt > this.checkedAt) this.checkedAt = startedAt;
      },
      (err: unknown) => {
        if (this.pending?.done === done) this.pending = undefined;
        throw err;
      },
    );
    this.pending = { startedAt, done };
    return done;
  }
}

/** Answers are shared by every request: nobody may change one in place. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

const subjectsKey = (subjects: readonly Subject[]): string => subjects.map((s) => `${s.kind}:${s.id}`).join('\0');

/** The access areas as the gate and the authenticator read them: through the cache. */
export interface CachedAccessAreas {
  identity: IdentityStore;
  tenancy: TenancyStore;
  catalog: CatalogStore;
  grants: GrantStore;
  markings: MarkingStore;
}

/**
 * Views of the access areas whose lookups go through the cache; their other methods are the
 * store's. Give it the store of invalidatingStore(), so that a write through a view invalidates too.
 */
export function cachedAccessAreas(store: Store, cache: AccessCache): CachedAccessAreas {
  const { identity, tenancy, catalog, grants, markings } = store;
  const view = <A extends object>(area: A, overrides: Partial<A>): A => {
    const v = bound(area) as Record<string, unknown>;
    for (const [k, fn] of Object.entries(overrides)) v[k] = fn;
    return Object.freeze(v) as A;
  };
  return {
    identity: view<IdentityStore>(identity, {
      getUser: (username) => cache.read('users', username, () => identity.getUser(username)),
      getToken: (id) => cache.read('tokens', id, () => identity.getToken(id)),
      userByCertificate: (c) => cache.read('certificates', c, () => identity.userByCertificate(c)),
    }),
    tenancy: view<TenancyStore>(tenancy, {
      getTenant: (id) => cache.read('tenancy', `tenant\0${id}`, () => tenancy.getTenant(id)),
      groupsOf: (id) => cache.read('tenancy', `groupsOf\0${id}`, () => tenancy.groupsOf(id)),
    }),
    catalog: view<CatalogStore>(catalog, {
      getApiRoot: (path) => cache.read('catalog', `root\0${path}`, () => catalog.getApiRoot(path)),
      listApiRoots: () => cache.read('catalog', 'roots', () => catalog.listApiRoots()),
      getCollection: (root, idOrAlias) =>
        cache.read('catalog', `collection\0${root}\0${idOrAlias}`, () => catalog.getCollection(root, idOrAlias)),
      listCollections: (root) => cache.read('catalog', `collections\0${root}`, () => catalog.listCollections(root)),
      listAllCollections: () => cache.read('catalog', 'all', () => catalog.listAllCollections()),
    }),
    grants: view<GrantStore>(grants, {
      grantsOf: (subjects) => cache.read('grants', `of\0${subjectsKey(subjects)}`, () => grants.grantsOf(subjects)),
      grantsOn: (id, subjects) =>
        cache.read('grants', `on\0${id}\0${subjectsKey(subjects)}`, () => grants.grantsOn(id, subjects)),
    }),
    markings: view<MarkingStore>(markings, {
      listBindings: () => cache.read('markings', 'all', () => markings.listBindings()),
    }),
  };
}

/** Methods of the access areas that only read; every other method counts as a write. */
const READ = /^(get|list|count)(?![a-z0-9_])/;
const READ_NAMES: ReadonlySet<string> = new Set(['grantsOf', 'grantsOn', 'groupsOf', 'userByCertificate']);
const ACCESS_AREAS = ['identity', 'tenancy', 'catalog', 'grants', 'markings'] as const;

/**
 * Every method of the area, bound to it: a method that calls another through `this` (a backend's
 * private helper) reaches the area itself, never a wrapper's version of it.
 */
function bound(area: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const method of methodNames(area)) {
    out[method] = ((area as Record<string, unknown>)[method] as (...args: unknown[]) => unknown).bind(area);
  }
  return out;
}

function methodNames(area: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = area; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (name !== 'constructor' && d !== undefined && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/**
 * The store with every write to an access area followed by cache.invalidate(), whether the write
 * succeeded or not (a failed MongoDB write may have landed in part). A method that is not known to
 * read is treated as a write: an unknown name costs a refill, never a stale answer.
 */
export function invalidatingStore(store: Store, cache: AccessCache): Store {
  const out: Record<string, unknown> = { ...store };
  for (const name of ['migrate', 'ping', 'close'] as const) out[name] = store[name].bind(store);
  for (const name of ACCESS_AREAS) {
    const area = store[name] as object;
    const wrapped = bound(area);
    for (const method of Object.keys(wrapped)) {
      if (READ.test(method) || READ_NAMES.has(method)) continue;
      const fn = wrapped[method] as (...args: unknown[]) => unknown;
      wrapped[method] = async (...args: unknown[]): Promise<unknown> => {
        try {
          return await fn(...args);
        } finally {
          cache.invalidate();
        }
      };
    }
    out[name] = Object.freeze(wrapped);
  }
  return Object.freeze(out) as unknown as Store;
}
