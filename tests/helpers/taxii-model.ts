// A reference model of one TAXII 2.1 collection for property-based tests: an array of stored
// versions in date_added order, the add semantics of the store (added / duplicate / conflict) and
// the §3.4 filtering rules as this server documents them (README, "Behaviour worth knowing"):
//   - filters are ANDed, values within one match[...] are ORed;
//   - match[version] defaults to `last`; first/last mean the earliest/newest version stored for the
//     id, whatever the other filters say; exact versions compare as instants;
//   - without match[spec_version] each object shows only its newest spec version;
//   - added_after and the paging position are exclusive lower bounds on date_added;
//   - results are in ascending date_added order.
// Also the fast-check generators for collections, queries and insert batches used by the suites.
import { expect } from 'chai';
import fc from 'fast-check';
import type { NewVersion, ObjectQuery } from '../../src/store/store.js';
import { objectMarkingRefs } from '../../src/stix/markings.js';
import { formatMicros, versionKey } from '../../src/stix/timestamps.js';
import { indicator, intrusionSet, ipv4, malware, stixId, type Stix } from '../fixtures/builders.js';

// ---- the model ------------------------------------------------------------------------------------

export interface ModelVersion {
  id: string;
  type: string;
  /** the version text as stored (for objects without modified/created: formatMicros(dateAdded)) */
  version: string;
  /** versionKey(version): orders versions as instants */
  vkey: string;
  specVersion: string;
  /** µs; NaN until settle() learnt it from the store */
  dateAdded: number;
  /** the object as stored */
  json: string;
  /** position in insertion order */
  seq: number;
}

export type Outcome = 'added' | 'duplicate' | 'conflict';

export class CollectionModel {
  readonly versions: ModelVersion[] = [];

  /** Applies one add batch in order and says what the store must answer for each input. */
  add(batch: readonly NewVersion[]): Outcome[] {
    return batch.map((v) => {
      const same =
        v.versionKey === undefined
          ? this.versions.find((m) => m.id === v.id)
          : this.versions.find((m) => m.id === v.id && m.vkey === v.versionKey);
      if (same) return same.json === v.json ? 'duplicate' : 'conflict';
      this.versions.push({
        id: v.id,
        type: v.type,
        version: v.version ?? '',
        vkey: v.versionKey ?? '',
        specVersion: v.specVersion,
        dateAdded: Number.NaN,
        json: v.json,
        seq: this.versions.length,
      });
      return 'added';
    });
  }

  /** The versions whose date_added the store has not told yet, oldest first. */
  unsettled(): ModelVersion[] {
    return this.versions.filter((m) => Number.isNaN(m.dateAdded));
  }

  /**
   * Learns date_added (and the assigned version of objects without one) from the store's answer
   * for the unsettled versions, which must be exactly those, in insertion order. Returns a
   * description of the first mismatch, or undefined.
   */
  settle(stored: readonly { id: string; version: string; dateAdded: number }[]): string | undefined {
    const open = this.unsettled();
    if (stored.length !== open.length) {
      return `expected ${open.length} new versions, the store lists ${stored.length}: ${stored.map((s) => `${s.id}@${s.version}`).join(', ')}`;
    }
    let previous = Math.max(-1, ...this.versions.filter((m) => !Number.isNaN(m.dateAdded)).map((m) => m.dateAdded));
    for (const [i, m] of open.entries()) {
      const s = stored[i] as { id: string; version: string; dateAdded: number };
      if (s.id !== m.id || (m.version !== '' && s.version !== m.version)) {
        return `position ${i}: expected ${m.id}@${m.version || '(assigned)'}, the store lists ${s.id}@${s.version}`;
      }
      if (!Number.isSafeInteger(s.dateAdded) || s.dateAdded <= previous) {
        return `position ${i}: date_added ${s.dateAdded} does not increase (previous ${previous})`;
      }
      previous = s.dateAdded;
      m.dateAdded = s.dateAdded;
      if (m.version === '') {
        m.version = s.version;
        if (s.version !== formatMicros(s.dateAdded))
          return `${m.id}: assigned version ${s.version} is not its date_added`;
        m.vkey = versionKey(s.version) as string;
      }
    }
    return undefined;
  }

  /** Every version the query selects, ascending date_added, above the position `after`. */
  select(q: ObjectQuery, after?: number): ModelVersion[] {
    const byId = new Map<string, ModelVersion[]>();
    for (const m of this.versions) byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
    const lower = Math.max(q.addedAfter ?? -1, after ?? -1);
    return this.versions
      .filter((m) => {
        if (q.objectId !== undefined && m.id !== q.objectId) return false;
        if (q.ids && !q.ids.includes(m.id)) return false;
        if (q.types && !q.types.includes(m.type)) return false;
        if (m.dateAdded <= lower) return false;
        const siblings = byId.get(m.id) as ModelVersion[];
        if (q.specVersions) {
          if (!q.specVersions.includes(m.specVersion)) return false;
        } else if (
          m.specVersion !==
          siblings
            .map((s) => s.specVersion)
            .sort(compareSpec)
            .at(-1)
        ) {
          return false;
        }
        const v = q.versions;
        if (v.all) return true;
        const keys = siblings.map((s) => s.vkey).sort();
        return (v.first && m.vkey === keys[0]) || (v.last && m.vkey === keys.at(-1)) || v.exact.includes(m.vkey);
      })
      .sort((a, b) => a.dateAdded - b.dateAdded);
  }

  /** One page as the store must return it. */
  page(q: ObjectQuery, limit: number, after?: number): { items: ModelVersion[]; more: boolean } {
    const all = this.select(q, after);
    return { items: all.slice(0, limit), more: all.length > limit };
  }

  ids(): string[] {
    return [...new Set(this.versions.map((m) => m.id))];
  }
}

function compareSpec(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am - bm || an - bn;
}

/** `id@version`: how the suites name a version in messages and comparisons. */
export const label = (v: { id: string; version: string }): string => `${v.id}@${v.version}`;

// ---- version timestamps -------------------------------------------------------------------------

/**
 * How a fraction of a second is written: 0 shortest (no trailing zeros, none at all for .0; query
 * values only), 1 shortest with at least the milliseconds STIX 2.1 requires of created/modified,
 * 2 microseconds where exact, 3 nanoseconds.
 */
export type FractionStyle = 0 | 1 | 2 | 3;

/** Writes the instant `seconds` (since the epoch) + `nanos` in the given style. */
function writeInstant(seconds: number, nanos: string, style: FractionStyle): string {
  let frac: string;
  if (style === 0) frac = nanos.replace(/0+$/, '');
  else if (style === 1) frac = nanos.replace(/0+$/, '').padEnd(3, '0');
  else if (style === 2) frac = nanos.endsWith('000') ? nanos.slice(0, 6) : nanos;
  else frac = nanos;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${frac === '' ? '' : `.${frac}`}Z`;
}

/** Another text of the same instant. */
export function restyle(timestamp: string, style: FractionStyle): string {
  const key = versionKey(timestamp);
  if (key === undefined) throw new Error(`not a timestamp: ${timestamp}`);
  const [seconds, nanos] = key.split('.') as [string, string];
  return writeInstant(Number(seconds), nanos, style);
}

/** Fractions (µs) that collide when written with fewer digits and order differently as text. */
const FRACTIONS = [0, 99_000, 100_000, 100_100, 123_456, 500_000];
const BASE_SECONDS = Date.UTC(2024, 1, 1) / 1000;

export interface Stamp {
  sec: number;
  micros: number;
  style: FractionStyle;
}

export const stampText = (s: Stamp): string =>
  writeInstant(BASE_SECONDS + s.sec, `${String(s.micros).padStart(6, '0')}000`, s.style);

const styleArb: fc.Arbitrary<FractionStyle> = fc.constantFrom<FractionStyle>(0, 1, 2, 3);
const stampArb: fc.Arbitrary<Stamp> = fc.record({
  sec: fc.integer({ min: 0, max: 3 }),
  micros: fc.constantFrom(...FRACTIONS),
  style: fc.constantFrom<FractionStyle>(1, 2, 3),
});

// ---- objects ------------------------------------------------------------------------------------

/** indicator, intrusion-set and malware are versioned by modified, marking-definition by created, ipv4-addr not at all. */
export const TYPES = ['indicator', 'intrusion-set', 'malware', 'marking-definition', 'ipv4-addr'] as const;
export type ModelType = (typeof TYPES)[number];
const NAMES = 3;

export interface Draft {
  type: ModelType;
  /** which of a few objects of the type */
  name: number;
  stamp: Stamp;
  /** a second body for the same version: a conflict when both are sent */
  variant: 0 | 1;
}

export const draftArb: fc.Arbitrary<Draft> = fc.record({
  type: fc.constantFrom(...TYPES),
  name: fc.integer({ min: 0, max: NAMES - 1 }),
  stamp: stampArb,
  variant: fc.constantFrom<0 | 1>(0, 1),
});

export const idOf = (type: string, name: number): string =>
  type === 'ipv4-addr' ? ipv4(`198.51.100.${name}`).id : stixId(type, `prop-${name}`);

/** Ids no run stores: of a type never generated, and of generated types beyond the names drawn. */
const NEVER_STORED: readonly string[] = [stixId('tool', 'prop-0'), idOf('indicator', NAMES), idOf('ipv4-addr', NAMES)];

export function stixOf(d: Draft): Stix {
  const stamp = stampText(d.stamp);
  const note = { description: `variant ${d.variant}` };
  switch (d.type) {
    case 'indicator':
      return indicator(`prop-${d.name}`, stamp, note);
    case 'intrusion-set':
      return { ...intrusionSet(`prop-${d.name}`, stamp), ...note };
    case 'malware':
      return { ...malware(`prop-${d.name}`), modified: stamp, ...note };
    case 'marking-definition':
      return {
        type: 'marking-definition',
        spec_version: '2.1',
        id: idOf(d.type, d.name),
        created: stamp,
        definition_type: 'statement',
        definition: { statement: `Statement ${d.name}, ${note.description}` },
      };
    case 'ipv4-addr':
      // No timestamps: one version, the first copy; every repost is the same body.
      return ipv4(`198.51.100.${d.name}`);
  }
}

/** What the store receives for a posted object (the ingest path builds the same record). */
export function recordOf(o: Stix): NewVersion {
  const version = (o.modified ?? o.created) as string | undefined;
  return {
    id: o.id,
    type: o.type,
    specVersion: (o.spec_version as string | undefined) ?? '2.1',
    ...(version !== undefined ? { version, versionKey: versionKey(version) as string } : {}),
    markings: objectMarkingRefs(o),
    json: JSON.stringify(o),
  };
}

/** Add batches: at most `max` objects in all. */
export const batchesArb = (max: number, maxBatches = 4): fc.Arbitrary<Draft[][]> =>
  fc
    .array(fc.array(draftArb, { minLength: 1, maxLength: 20, size: 'max' }), { minLength: 1, maxLength: maxBatches })
    .map((batches) => {
      const out: Draft[][] = [];
      let left = max;
      for (const b of batches) {
        const take = b.slice(0, left);
        left -= take.length;
        if (take.length > 0) out.push(take);
      }
      return out;
    });

// ---- queries ------------------------------------------------------------------------------------

/** The listings under test; manifest and objects share one store query, object and versions are per id. */
export type Endpoint = 'objects' | 'manifest' | 'object' | 'versions';

/** A pick among the ids a run stored (by index), or an id it never stored. */
export interface IdPick {
  pick: number;
  unknown: boolean;
}

/** A query as drawn, before it is tied to what a run stored. Undefined filters are left out. */
export interface QuerySpec {
  endpoint: Endpoint;
  /** the object of get-object and versions */
  target: IdPick;
  types: string[] | undefined;
  ids: IdPick[] | undefined;
  versions:
    | { kind: 'default' }
    | { kind: 'all' }
    | {
        kind: 'pick';
        first: boolean;
        last: boolean;
        exact: { pick: number; style: FractionStyle }[];
        unknown: boolean;
      };
  specVersions: string[] | undefined;
  /** added_after: just below or at a stored date_added (by index) */
  addedAfter: { pick: number; below: boolean; nanos: boolean } | undefined;
  limit: number | undefined;
}

/** Present in about one draw of three: queries with every filter at once select almost nothing. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const idPickArb: fc.Arbitrary<IdPick> = fc.record({
  pick: fc.nat(),
  unknown: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

export const querySpecArb: fc.Arbitrary<QuerySpec> = fc.record({
  endpoint: fc.constantFrom<Endpoint>('objects', 'manifest', 'object', 'versions'),
  target: idPickArb,
  types: sometimes(fc.shuffledSubarray([...TYPES, 'tool'], { minLength: 1 })),
  ids: sometimes(fc.array(idPickArb, { minLength: 1, maxLength: 4 })),
  versions: fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'default' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'all' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('pick' as const),
        first: fc.boolean(),
        last: fc.boolean(),
        exact: fc.array(fc.record({ pick: fc.nat(), style: styleArb }), { maxLength: 3 }),
        unknown: fc.boolean(),
      }),
    },
  ),
  specVersions: sometimes(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<string[]>(['2.1']) },
      { weight: 1, arbitrary: fc.constantFrom<string[]>(['2.0'], ['2.0', '2.1'], ['2.1', '2.0']) },
    ),
  ),
  addedAfter: sometimes(fc.record({ pick: fc.nat(), below: fc.boolean(), nanos: fc.boolean() })),
  limit: sometimes(fc.integer({ min: 1, max: 7 })),
});

/**
 * A query tied to a collection: the store form (as the pager sends it) and the HTTP parameters,
 * which mean the same. Get-object and versions ignore match[id] and match[type] (TAXII 2.1 §5.6,
 * §5.8 do not define them), and versions always lists every version.
 */
export interface ResolvedQuery {
  endpoint: Endpoint;
  /** the object of get-object and versions */
  objectId?: string;
  store: ObjectQuery;
  params: [string, string][];
  limit?: number;
  describe: string;
}

/** A version the collection never stores (before every generated stamp). */
const UNKNOWN_VERSION = '2023-06-01T00:00:00.5Z';

export function resolveQuery(spec: QuerySpec, model: CollectionModel): ResolvedQuery {
  const store: ObjectQuery = { versions: { first: false, last: true, exact: [] } };
  const params: [string, string][] = [];
  const perObject = spec.endpoint === 'object' || spec.endpoint === 'versions';
  const stored = model.ids();
  const pickId = (p: IdPick): string =>
    p.unknown || stored.length === 0
      ? (NEVER_STORED[p.pick % NEVER_STORED.length] as string)
      : (stored[p.pick % stored.length] as string);
  const objectId = perObject ? pickId(spec.target) : undefined;
  if (objectId !== undefined) store.objectId = objectId;
  if (spec.types && !perObject) {
    store.types = spec.types;
    params.push(['match[type]', spec.types.join(',')]);
  }
  if (spec.ids && !perObject) {
    // Distinct ids only: the server refuses a repeated value.
    const ids = [...new Set(spec.ids.map(pickId))];
    store.ids = ids;
    params.push(['match[id]', ids.join(',')]);
  }
  const v = spec.versions;
  if (spec.endpoint === 'versions') {
    store.versions = { all: true };
  } else if (v.kind === 'all') {
    store.versions = { all: true };
    params.push(['match[version]', 'all']);
  } else if (v.kind === 'pick') {
    // Distinct instants only: the server refuses the same version named twice.
    const instants = [...new Set(model.versions.map((m) => m.version))];
    const texts: string[] = [];
    const keys = new Set<string>();
    const wanted = v.exact.map((e) =>
      instants.length > 0 ? restyle(instants[e.pick % instants.length] as string, e.style) : undefined,
    );
    if (v.unknown) wanted.push(UNKNOWN_VERSION);
    for (const t of wanted) {
      if (t === undefined) continue;
      const key = versionKey(t) as string;
      if (keys.has(key)) continue;
      keys.add(key);
      texts.push(t);
    }
    const values = [...(v.first ? ['first'] : []), ...(v.last ? ['last'] : []), ...texts];
    if (values.length > 0) {
      store.versions = { first: v.first, last: v.last, exact: [...keys].sort() };
      params.push(['match[version]', values.join(',')]);
    }
  }
  if (spec.specVersions) {
    store.specVersions = spec.specVersions;
    params.push(['match[spec_version]', spec.specVersions.join(',')]);
  }
  if (spec.addedAfter) {
    const stamps = model.versions.map((m) => m.dateAdded).sort((a, b) => a - b);
    const at =
      stamps.length > 0 ? (stamps[spec.addedAfter.pick % stamps.length] as number) : Date.UTC(2020, 0, 1) * 1000;
    const micros = spec.addedAfter.below ? at - 1 : at;
    store.addedAfter = micros;
    // Sub-microsecond digits are cut, not rounded: …123456999Z still means after …123456Z.
    const text = formatMicros(micros);
    params.push(['added_after', spec.addedAfter.nanos ? `${text.slice(0, -1)}999Z` : text]);
  }
  if (spec.limit !== undefined) params.push(['limit', String(spec.limit)]);
  return {
    endpoint: spec.endpoint,
    ...(objectId !== undefined ? { objectId } : {}),
    store,
    params,
    ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
    describe: `${spec.endpoint}${objectId !== undefined ? ` of ${objectId}` : ''}: ${params.map(([k, val]) => `${k}=${val}`).join('&') || '(no filters)'}`,
  };
}

/** The query string of a resolved query, with a `next`, another added_after or another limit when given. */
export function queryString(
  q: ResolvedQuery,
  extra: { next?: string; addedAfter?: string; limit?: number } = {},
): string {
  const p = new URLSearchParams(q.params);
  if (extra.addedAfter !== undefined) p.set('added_after', extra.addedAfter);
  if (extra.limit !== undefined) p.set('limit', String(extra.limit));
  if (extra.next !== undefined) p.set('next', extra.next);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

// ---- runs ---------------------------------------------------------------------------------------

/** FC_SEED and FC_RUNS override the fixed seed and the run count; fast-check prints the seed of a failure. */
export function fcOptions<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5a11ade;
  const runs = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : numRuns;
  return { seed, numRuns: runs };
}

// ---- walks --------------------------------------------------------------------------------------

export interface WalkRecord {
  /** the query's selection when the walk started */
  atStart: string[];
  /** every version stored when the walk started */
  storedAtStart: ReadonlySet<string>;
  /** what the pages returned, in order */
  seen: { id: string; version: string; dateAdded: number }[];
  pages: number;
  limit: number;
}

/**
 * What a client walking every page must get while objects and versions arrive between pages:
 * strictly increasing date_added (so nothing twice), each item selected both at the start and at
 * the end exactly once and in order (selected at both ends means selected throughout, as nothing
 * is deleted), everything there at the start when the selection cannot lose items (all or exact
 * versions), only stored versions, and no more pages than the items seen need.
 */
export function expectWalk(model: CollectionModel, q: ObjectQuery, w: WalkRecord, what: string): void {
  const walked = w.seen.map(label);
  const dates = w.seen.map((v) => v.dateAdded);
  expect(dates.join(' '), `${what}: strictly increasing date_added`).to.equal(
    [...new Set(dates)].sort((a, b) => a - b).join(' '),
  );
  expect(new Set(walked).size, `${what}: no item twice`).to.equal(walked.length);
  const atEnd = new Set(model.select(q).map(label));
  const stable = w.atStart.filter((l) => atEnd.has(l));
  expect(walked.filter((l) => stable.includes(l)).join('\n'), `${what}: every stable item once, in order`).to.equal(
    stable.join('\n'),
  );
  const v = q.versions;
  if (v.all || (!v.first && !v.last)) {
    expect(
      walked.filter((l) => w.storedAtStart.has(l)).join('\n'),
      `${what}: everything selected at the start`,
    ).to.equal(w.atStart.join('\n'));
  }
  const stored = new Set(model.versions.map(label));
  expect(
    walked.filter((l) => !stored.has(l)),
    `${what}: only stored versions`,
  ).to.deep.equal([]);
  expect(w.pages, `${what}: pages`).to.be.at.most(Math.floor(w.seen.length / w.limit) + 1);
}
