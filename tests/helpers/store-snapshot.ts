// What a store holds, read through the store API only (so it works on every backend), and the
// difference between two such readings: for tests that send hostile input and then check that the
// store holds exactly what it held before plus the valid objects of that request.
//
// Every version of every object of every live collection is read (versions: all, paged by
// date_added), with its bytes as stored. Status resources cannot be listed through the store API,
// so they are not part of a snapshot; the number of queued add-objects jobs is, and so are the
// tenants (for the admin API).
import type { Store } from '../../src/store/store.js';

export interface SnapshotVersion {
  collection: string;
  id: string;
  version: string;
  dateAdded: number;
  specVersion: string;
  /** the stored bytes, as UTF-8 text */
  json: string;
}

export interface StoreSnapshot {
  /** key: `${collection} ${id} ${version}` */
  versions: Map<string, SnapshotVersion>;
  /** released add-objects jobs not yet finished */
  queuedJobs: number;
  /** tenant id → tenant record as JSON */
  tenants: Map<string, string>;
}

export interface SnapshotDiff {
  added: SnapshotVersion[];
  removed: SnapshotVersion[];
  changed: { before: SnapshotVersion; after: SnapshotVersion }[];
  queuedJobs: { before: number; after: number };
  tenantsAdded: string[];
  tenantsRemoved: string[];
  tenantsChanged: string[];
}

const PAGE = 1000;

export const versionKey = (collection: string, id: string, version: string): string => `${collection} ${id} ${version}`;

export async function snapshotStore(store: Store): Promise<StoreSnapshot> {
  const versions = new Map<string, SnapshotVersion>();
  for (const c of await store.catalog.listAllCollections()) {
    let after: number | undefined;
    for (;;) {
      const page = await store.objects.queryObjects(
        c.id,
        { versions: { all: true } },
        { limit: PAGE, ...(after !== undefined ? { after } : {}) },
      );
      for (const v of page.items) {
        const json = typeof v.json === 'string' ? v.json : v.json.toString('utf8');
        versions.set(versionKey(c.id, v.id, v.version), {
          collection: c.id,
          id: v.id,
          version: v.version,
          dateAdded: v.dateAdded,
          specVersion: v.specVersion,
          json,
        });
      }
      const last = page.items.at(-1);
      if (!page.more || last === undefined) break;
      after = last.dateAdded;
    }
  }
  const tenants = new Map<string, string>();
  for (const t of await store.tenancy.listTenants()) tenants.set(t.id, JSON.stringify(t));
  return { versions, queuedJobs: await store.jobs.countQueued(), tenants };
}

export function diffSnapshots(before: StoreSnapshot, after: StoreSnapshot): SnapshotDiff {
  const added: SnapshotVersion[] = [];
  const removed: SnapshotVersion[] = [];
  const changed: { before: SnapshotVersion; after: SnapshotVersion }[] = [];
  for (const [key, a] of after.versions) {
    const b = before.versions.get(key);
    if (b === undefined) added.push(a);
    else if (JSON.stringify(b) !== JSON.stringify(a)) changed.push({ before: b, after: a });
  }
  for (const [key, b] of before.versions) if (!after.versions.has(key)) removed.push(b);
  const tenantsAdded = [...after.tenants.keys()].filter((t) => !before.tenants.has(t));
  const tenantsRemoved = [...before.tenants.keys()].filter((t) => !after.tenants.has(t));
  const tenantsChanged = [...after.tenants].filter(
    ([t, rec]) => before.tenants.has(t) && before.tenants.get(t) !== rec,
  );
  return {
    added,
    removed,
    changed,
    queuedJobs: { before: before.queuedJobs, after: after.queuedJobs },
    tenantsAdded,
    tenantsRemoved,
    tenantsChanged: tenantsChanged.map(([t]) => t),
  };
}

/**
 * A readable summary of what changed, for assertion messages: added object versions as
 * `collection id version`, then removals, changes, queued jobs and tenants.
 */
export function describeDiff(d: SnapshotDiff): {
  added: string[];
  removed: string[];
  changed: string[];
  queuedJobs: number;
  tenants: { added: string[]; removed: string[]; changed: string[] };
} {
  const key = (v: SnapshotVersion): string => versionKey(v.collection, v.id, v.version);
  return {
    added: d.added.map(key).sort(),
    removed: d.removed.map(key).sort(),
    changed: d.changed.map((c) => key(c.after)).sort(),
    queuedJobs: d.queuedJobs.after - d.queuedJobs.before,
    tenants: {
      added: [...d.tenantsAdded].sort(),
      removed: [...d.tenantsRemoved].sort(),
      changed: [...d.tenantsChanged].sort(),
    },
  };
}
