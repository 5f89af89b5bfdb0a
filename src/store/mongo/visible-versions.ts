// Version selection (first/last) for a reader at a horizon, without transactions.
//
// A writer stores a new version in a date_added block that readers do not see until the block is
// done, and sets the flags of the other versions before that (version-flags.ts). A reader at
// horizon h therefore takes a version as the latest when `last` is true OR `sup > h` (its newer
// versions all lie above h, so it is still the latest for this reader), and as the first when
// `first` is true OR `sub > h`. Whether a document is a candidate depends on that document alone,
// so the interleaving of the writer's single-document updates with the reader's query cannot make
// an object disappear.
//
// For the default latest-only listing the main query stays the range scan of c_last_da on
// `last: true`; the few versions superseded by a version above h are found by a second, bounded
// query: the ids of the versions above h (the blocks still being written), then those ids'
// versions with `sup > h`; skipped when no block reaching above h has been claimed (a read of the
// small ledger). It runs after the main query: a `last` cleared before the main query read it was
// cleared after the newer version was inserted, so that version (and its block) is found.
//
// Two candidates of one id can still appear for a moment (a delete raises the version that
// becomes the latest before it removes the old one; racing writers may briefly write flags from
// an older read; a writer may die between its steps). Within the rows read for a page the newest
// (for first: the oldest) candidate of each id wins, rows dropped that way are refilled so `limit`
// and `more` stay exact, and the ids are handed to VersionFlags.fix, which brings them back to one.
import type { Collection, Filter } from 'mongodb';
import { compareTimestamps } from '../../stix/timestamps.js';
import type { VersionSelection } from '../objects.js';
import type { ObjectDoc } from './documents.js';

export type PageDoc = Pick<
  ObjectDoc,
  'id' | 'version' | 'vkey' | 'da' | 'sv' | 'json' | 'first' | 'last' | 'sup' | 'sub'
>;

const PROJECTION = { _id: 0, id: 1, version: 1, vkey: 1, da: 1, sv: 1, json: 1, first: 1, last: 1, sup: 1, sub: 1 };
/** rounds of refilling a page whose rows lost duplicate candidates */
const REFILL_ROUNDS = 4;

/** The default selection: only the latest version of each object. */
export function latestOnly(v: VersionSelection): boolean {
  return !v.all && v.last && !v.first && v.exact.length === 0;
}

/**
 * The version-selection clauses (OR-ed) for a reader at `horizon`; without one (deletes) the flags
 * alone. The latest-only listing gets `last: true` only: its `sup > h` rows come from
 * supersededBelow(), so that the main query keeps its index.
 */
export function selectionClauses(v: VersionSelection & { all?: false }, horizon?: number): Filter<ObjectDoc>[] {
  const ors: Filter<ObjectDoc>[] = [];
  const split = latestOnly(v);
  if (v.last) ors.push({ last: true });
  if (v.last && horizon !== undefined && !split) ors.push({ last: false, sup: { $gt: horizon } });
  if (v.first) ors.push({ first: true });
  if (v.first && horizon !== undefined) ors.push({ first: false, sub: { $gt: horizon } });
  if (v.exact.length > 0) ors.push({ vkey: { $in: [...v.exact] } });
  return ors;
}

export interface PageRead {
  objects: Collection<ObjectDoc>;
  collectionId: string;
  versions: VersionSelection;
  horizon: number;
  limit: number;
  /** the page filter, including `da <= horizon` and the version clauses */
  filter: Filter<ObjectDoc>;
  /** wraps each read (server-side deadline) */
  run<T>(read: (opts: { maxTimeMS?: number }) => Promise<T>): Promise<T>;
  /** whether a block reaching above the horizon has been claimed (DateAddedLedger.claimedAbove) */
  claimedAbove(): Promise<boolean>;
  /** brings the flags of these ids back to one candidate each */
  repair(ids: string[]): Promise<void>;
}

/** Reads up to limit + 1 rows of a page, one candidate per id for first/last. */
export async function readVersionPage(r: PageRead): Promise<PageDoc[]> {
  let want = r.limit + 1;
  for (let round = 0; ; round++) {
    const rows = await fetchRows(r, want);
    if (r.versions.all) return rows;
    const { kept, doubled } = oneCandidateEach(rows, r.versions, r.horizon);
    if (doubled.length > 0) {
      try {
        await r.repair(doubled);
      } catch {
        // the page is right without it; the next write or read of these ids repairs them
      }
    }
    // Rows dropped: read further so that limit + 1 rows remain when they exist (exact `more`).
    if (kept.length >= r.limit + 1 || rows.length < want || round >= REFILL_ROUNDS) return kept.slice(0, r.limit + 1);
    want += rows.length - kept.length;
  }
}

async function fetchRows(r: PageRead, want: number): Promise<PageDoc[]> {
  const main = await r.run((opts) =>
    r.objects
      .find<PageDoc>(r.filter, { projection: PROJECTION, ...opts })
      .sort({ da: 1 })
      .limit(want)
      .toArray(),
  );
  if (!latestOnly(r.versions)) return main;
  const extra = await supersededBelow(r, want);
  if (extra.length === 0) return main;
  const byDa = new Map<number, PageDoc>();
  for (const d of [...main, ...extra]) byDa.set(d.da, d);
  return [...byDa.values()].sort((a, b) => a.da - b.da).slice(0, want);
}

/**
 * Latest-only: the versions that lost `last` to a version this reader cannot see yet. Those newer
 * versions lie above the horizon, in the blocks still being written, so their ids bound the search.
 */
async function supersededBelow(r: PageRead, want: number): Promise<PageDoc[]> {
  // Read after the main query: a version whose `last` that query missed was inserted before it, in
  // a block claimed before it. With no block reaching above the horizon there is nothing to look for.
  if (!(await r.claimedAbove())) return [];
  const above = await r.run((opts) =>
    r.objects
      .find<{ id: string }>({ c: r.collectionId, da: { $gt: r.horizon } }, { projection: { _id: 0, id: 1 }, ...opts })
      .toArray(),
  );
  if (above.length === 0) return [];
  const ids = [...new Set(above.map((d) => d.id))];
  // The page filter with `last: true` replaced (it holds no other version clause here).
  const f: Filter<ObjectDoc> = { ...r.filter, last: false, sup: { $gt: r.horizon } };
  f.$and = [...(r.filter.$and ?? []), { id: { $in: ids } }];
  return r.run((opts) =>
    r.objects
      .find<PageDoc>(f, { projection: PROJECTION, ...opts })
      .sort({ da: 1 })
      .limit(want)
      .toArray(),
  );
}

/**
 * Keeps, among the rows read, the newest last-candidate and the oldest first-candidate of each id
 * (exact versions always count); returns the ids that had more than one.
 */
function oneCandidateEach(
  rows: PageDoc[],
  v: VersionSelection & { all?: false },
  horizon: number,
): { kept: PageDoc[]; doubled: string[] } {
  const isLast = (d: PageDoc): boolean => v.last && (d.last || (d.sup ?? -1) > horizon);
  const isFirst = (d: PageDoc): boolean => v.first && (d.first || (d.sub ?? -1) > horizon);
  const newest = new Map<string, PageDoc>();
  const oldest = new Map<string, PageDoc>();
  const doubled = new Set<string>();
  for (const d of rows) {
    if (isLast(d)) {
      const n = newest.get(d.id);
      if (n) doubled.add(d.id);
      if (!n || compareTimestamps(d.version, n.version) > 0) newest.set(d.id, d);
    }
    if (isFirst(d)) {
      const o = oldest.get(d.id);
      if (o) doubled.add(d.id);
      if (!o || compareTimestamps(d.version, o.version) < 0) oldest.set(d.id, d);
    }
  }
  if (doubled.size === 0) return { kept: rows, doubled: [] };
  const exact = new Set(v.exact);
  const kept = rows.filter((d) => exact.has(d.vkey) || newest.get(d.id) === d || oldest.get(d.id) === d);
  return { kept, doubled: [...doubled] };
}
