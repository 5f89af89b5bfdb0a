// Intel area on MongoDB (store/intel.ts), without transactions and without $text (FerretDB 1.x has
// neither text indexes nor $text): every entry carries a `tokens` array — the whole words of every
// field plus the prefixes of the short fields' words — under a multikey index, so a search is one
// `$all` over the query words; candidates are ranked here with FIELD_WEIGHTS. Writes follow the
// version flags (version-flags.ts): after a write, each touched id's entry is re-derived from the
// versions flagged latest, with conditional updates so that concurrent writers converge.
//
// The write path of a batch of new objects issues no read of the entries, edges or change log:
// FerretDB 1.x (the SQLite backend of our test server) answers every query, update and delete —
// `_id` equality included — by reading the whole collection, and only an insert is checked against
// the unique `_id` index alone. So new entries and edges are inserted and a duplicate key says one
// already exists (only those are read), and change numbers come from a one-document counter.
// Layout: src/store/README.md.
import {
  MongoBulkWriteError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Filter,
  type IndexDescription,
  type OptionalUnlessRequiredId,
} from 'mongodb';
import { compareTimestamps } from '../../stix/timestamps.js';
import { FIELD_WEIGHTS, intelFields, SEARCH_FIELDS, searchTokens, type IntelFields } from '../../stix/intel-fields.js';
import {
  decodeSearchCursor,
  encodeSearchCursor,
  SEARCH_CANDIDATES,
  SEARCH_MAX_WORDS,
  type ChangeKind,
  type ChangeQuery,
  type EdgeQuery,
  type IntelChange,
  type IntelEdge,
  type IntelEntry,
  type IntelScope,
  type IntelStore,
  type SearchField,
  type SearchPage,
  type SearchQuery,
} from '../intel.js';
import { isDuplicateKey, type ObjectDoc } from './documents.js';

/** Prefixes of short-field words are indexed up to this length; longer query words are cut to it. */
export const MAX_PREFIX = 20;
const CHUNK = 500;
/** ids re-derived at once after a write */
const PARALLEL = 16;

/** The latest version of one object in one collection: `collection|id`. */
export interface IntelEntryDoc {
  _id: string;
  c: string;
  id: string;
  type: string;
  name: string | null;
  version: string | null;
  /** version key of the objects document this entry copies */
  vkey: string;
  da: number;
  revoked: boolean;
  mk: string[];
  json: string;
  /** every whole word, and every prefix of the short fields' words (search) */
  tokens: string[];
  /** whole words per field, for ranking */
  tf: Record<SearchField, string[]>;
}

/** One link: `_id` is `collection|owner|kind|label|source|target`, so writing it twice is harmless. */
export interface IntelEdgeDoc {
  _id: string;
  c: string;
  /** the entry that makes the link */
  owner: string;
  source: string;
  target: string;
  kind: IntelEdge['kind'];
  label: string;
  via?: string;
}

/** One change: `_id` is the store-wide sequence number, claimed by inserting it (unique). */
export interface IntelChangeDoc {
  _id: number;
  c: string;
  id: string;
  type: string;
  kind: ChangeKind;
  version?: string;
  at: number;
  mk: string[];
}

/**
 * `{_id: 'intel_changes_seq', seq}`: a change number that is known to exist (or 0), raised after
 * each append. It may lag behind (a writer that stopped before raising it, an earlier release that
 * did not keep it), never run ahead, so it is only where the next claim starts looking.
 */
export interface IntelCounterDoc {
  _id: string;
  seq: number;
}
export const CHANGE_SEQ_COUNTER = 'intel_changes_seq';

export interface IntelCollections {
  entries: Collection<IntelEntryDoc>;
  edges: Collection<IntelEdgeDoc>;
  changes: Collection<IntelChangeDoc>;
  counters: Collection<IntelCounterDoc>;
}

export function intelCollections(db: Db): IntelCollections {
  return {
    entries: db.collection<IntelEntryDoc>('intel_entries'),
    edges: db.collection<IntelEdgeDoc>('intel_edges'),
    changes: db.collection<IntelChangeDoc>('intel_changes'),
    counters: db.collection<IntelCounterDoc>('intel_counters'),
  };
}

/** Migration 9's indexes, each named after the query it serves. */
export const INTEL_ENTRY_INDEXES: IndexDescription[] = [
  { key: { tokens: 1, c: 1 }, name: 'tokens_c' },
  { key: { id: 1, c: 1 }, name: 'id_c' },
  { key: { c: 1, type: 1, da: -1 }, name: 'c_type_da' },
];
export const INTEL_EDGE_INDEXES: IndexDescription[] = [
  { key: { source: 1, c: 1 }, name: 'source_c' },
  { key: { target: 1, c: 1 }, name: 'target_c' },
  { key: { c: 1, owner: 1 }, name: 'c_owner' },
];
export const INTEL_CHANGE_INDEXES: IndexDescription[] = [
  { key: { c: 1, _id: 1 }, name: 'c_seq' },
  { key: { at: 1 }, name: 'at' },
];

type LatestDoc = Pick<ObjectDoc, 'id' | 'vkey' | 'version' | 'da' | 'json'>;

function parse(json: string): IntelFields {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    obj = {};
  }
  return intelFields(obj && typeof obj === 'object' ? (obj as Record<string, unknown>) : {});
}

/** The entry document for an objects document that is the latest version of its id. */
export function entryDoc(c: string, d: LatestDoc, f: IntelFields = parse(d.json)): IntelEntryDoc {
  const tf = {} as Record<SearchField, string[]>;
  const tokens = new Set<string>();
  for (const field of SEARCH_FIELDS) {
    const words = [...new Set(searchTokens(f.text[field]))];
    tf[field] = words;
    for (const w of words) {
      tokens.add(w.slice(0, MAX_PREFIX));
      // Descriptions: whole words only, to keep documents small.
      if (field !== 'description') for (let n = 1; n < Math.min(w.length, MAX_PREFIX); n++) tokens.add(w.slice(0, n));
    }
  }
  return {
    _id: `${c}|${d.id}`,
    c,
    id: d.id,
    type: f.type,
    name: f.name ?? null,
    version: f.version ?? null,
    vkey: d.vkey,
    da: d.da,
    revoked: f.revoked,
    mk: [...new Set(f.markings)].sort(),
    json: d.json,
    tokens: [...tokens],
    tf,
  };
}

export function edgeDocs(c: string, owner: string, f: IntelFields): IntelEdgeDoc[] {
  const out = new Map<string, IntelEdgeDoc>();
  for (const e of f.edges) {
    const _id = `${c}|${owner}|${e.kind}|${e.label}|${e.source}|${e.target}`;
    out.set(_id, {
      _id,
      c,
      owner,
      source: e.source,
      target: e.target,
      kind: e.kind,
      label: e.label,
      ...(e.via !== undefined ? { via: e.via } : {}),
    });
  }
  return [...out.values()];
}

/** Replaces the edges of one owner: the new set first (idempotent _id), then the others go. */
export async function writeEdges(
  edges: Collection<IntelEdgeDoc>,
  c: string,
  owner: string,
  docs: IntelEdgeDoc[],
): Promise<void> {
  if (docs.length > 0) {
    const ops: AnyBulkWriteOperation<IntelEdgeDoc>[] = docs.map((d) => ({
      replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true },
    }));
    try {
      await edges.bulkWrite(ops, { ordered: false });
    } catch (err) {
      // two writers upserting one _id at once: one of them reports a duplicate key, the edge is there
      if (!isDuplicateKey(err) && !String((err as Error).message).includes('E11000')) throw err;
    }
  }
  await edges.deleteMany({ c, owner, _id: { $nin: docs.map((d) => d._id) } });
}

type NewChange = Omit<IntelChangeDoc, '_id'>;

/** The indexes of the write errors of an unordered insertMany that are duplicate keys; any other error is thrown. */
function duplicateIndexes(err: unknown): Set<number> {
  if (!(err instanceof MongoBulkWriteError)) throw err;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  const out = new Set<number>();
  for (const we of errors) {
    if (we.code !== 11000) throw err;
    out.add(we.index);
  }
  return out;
}

/** Inserts documents that may exist already; answers the indexes of those that did (duplicate _id). */
async function insertNew<T extends { _id: string }>(col: Collection<T>, docs: T[]): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await col.insertMany(docs as unknown as OptionalUnlessRequiredId<T>[], { ordered: false });
    return new Set();
  } catch (err) {
    return duplicateIndexes(err);
  }
}

/** The newest change number by reading the log itself: a whole-collection read on FerretDB. */
async function newestLogged(changes: Collection<IntelChangeDoc>): Promise<number> {
  const newest = await changes
    .find({}, { projection: { _id: 1 } })
    .sort({ _id: -1 })
    .limit(1)
    .next();
  return newest?._id ?? 0;
}

/**
 * Appends changes with consecutive sequence numbers after the newest one. Each number is inserted
 * only after the one below it exists, so a reader paging by seq never passes a gap that fills later:
 * the search starts after the counter (a number that exists), and a duplicate key means another
 * writer took the number, or the counter lags; then the log itself says which number is the newest.
 * Without a counter (a log written by an earlier release) the log is read once, and the counter is
 * raised after every append.
 */
export async function appendChanges(
  ic: Pick<IntelCollections, 'changes' | 'counters'>,
  list: NewChange[],
): Promise<void> {
  let rest = list;
  const counted = (await ic.counters.findOne({ _id: CHANGE_SEQ_COUNTER }))?.seq;
  let next = counted === undefined ? (await newestLogged(ic.changes)) + 1 : counted + 1;
  let last = 0;
  for (let attempt = 0; rest.length > 0 && attempt < 1000; attempt++) {
    const docs = rest.map((ch, i) => ({ ...ch, _id: next + i }));
    try {
      await ic.changes.insertMany(docs, { ordered: true });
      last = next + docs.length - 1;
      rest = [];
      break;
    } catch (err) {
      const inserted =
        (err as { insertedCount?: number; result?: { insertedCount?: number } }).insertedCount ??
        (err as { result?: { insertedCount?: number } }).result?.insertedCount ??
        0;
      if (!isDuplicateKey(err) && !String((err as Error).message).includes('E11000')) throw err;
      if (inserted > 0) last = next + inserted - 1;
      rest = rest.slice(inserted);
      next = Math.max(next + inserted + 1, (await newestLogged(ic.changes)) + 1);
    }
  }
  if (last > (counted ?? 0)) {
    // $max: a writer that read the counter before us never lowers it on MongoDB (on FerretDB, which
    // does not apply updates atomically, it may set an older number, which exists all the same).
    const raise = (): Promise<unknown> =>
      ic.counters.updateOne({ _id: CHANGE_SEQ_COUNTER }, { $max: { seq: last } }, { upsert: true });
    try {
      await raise();
    } catch (err) {
      // two first upserts at once: the other one created the document, raise it now
      if (!isDuplicateKey(err) && !String((err as Error).message).includes('E11000')) throw err;
      await raise();
    }
  }
  if (rest.length > 0) throw new Error('could not append to the intel change log');
}

/** Keeps the entries, edges and change log in step with the objects collection (called by MongoObjects). */
export class MongoIntelWriter {
  constructor(
    private readonly objects: Collection<ObjectDoc>,
    private readonly ic: IntelCollections,
  ) {}

  /**
   * Re-derives the entries of these ids from the versions flagged latest and logs what changed.
   * `at`: the time of a deletion; for an added version its date_added is used.
   */
  async sync(c: string, ids: readonly string[], at?: number): Promise<void> {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const { changes, slow } = await this.syncMany(c, part);
      for (let j = 0; j < slow.length; j += PARALLEL) {
        const done = await Promise.all(slow.slice(j, j + PARALLEL).map((id) => this.syncOne(c, id, at)));
        for (const ch of done) if (ch) changes.push(ch);
      }
      if (changes.length > 0) await appendChanges(this.ic, changes);
    }
  }

  /**
   * The common case in a few round trips: every id with a latest version gets its entry inserted,
   * which succeeds for new ids without reading anything; only the ids whose entry exists (duplicate
   * key) are read, and get it replaced on the condition that the entry still holds the version read.
   * Whatever else (a deletion, a fallback, a lost race) goes to syncOne, id by id.
   */
  private async syncMany(c: string, ids: string[]): Promise<{ changes: NewChange[]; slow: string[] }> {
    const latest = new Map<string, LatestDoc>();
    const found = await this.objects
      .find(
        { c, id: { $in: ids }, last: true, del: { $ne: true } },
        { projection: { _id: 0, id: 1, vkey: 1, version: 1, da: 1, json: 1 } },
      )
      .toArray();
    for (const d of found) {
      const best = latest.get(d.id);
      if (!best || compareTimestamps(d.version, best.version) > 0) latest.set(d.id, d);
    }
    const slow: string[] = [];
    const fresh: { doc: IntelEntryDoc; f: IntelFields }[] = [];
    for (const id of ids) {
      const l = latest.get(id);
      // No version left: an entry, if any, is deleted by syncOne.
      if (!l) slow.push(id);
      else {
        const f = parse(l.json);
        fresh.push({ doc: entryDoc(c, l, f), f });
      }
    }
    const written: { doc: IntelEntryDoc; f: IntelFields; kind: ChangeKind }[] = [];
    const existing = await insertNew(
      this.ic.entries,
      fresh.map((x) => x.doc),
    );
    const held = fresh.filter((_, n) => existing.has(n));
    for (const [n, x] of fresh.entries()) if (!existing.has(n)) written.push({ ...x, kind: 'added' });
    const replaces: { doc: IntelEntryDoc; f: IntelFields; old: string }[] = [];
    if (held.length > 0) {
      const entries = new Map(
        (
          await this.ic.entries
            .find({ _id: { $in: held.map((x) => x.doc._id) } }, { projection: { vkey: 1 } })
            .toArray()
        ).map((e) => [e._id, e.vkey]),
      );
      for (const x of held) {
        const old = entries.get(x.doc._id);
        if (old === x.doc.vkey) continue;
        // gone since the insert failed, or newer than the latest version read
        if (old === undefined || old > x.doc.vkey) slow.push(x.doc.id);
        else replaces.push({ ...x, old });
      }
    }
    if (replaces.length > 0) {
      const r = await this.ic.entries.bulkWrite(
        replaces.map((x) => ({ replaceOne: { filter: { _id: x.doc._id, vkey: x.old }, replacement: x.doc } })),
        { ordered: false },
      );
      let ok = new Set(replaces.map((x) => x.doc._id));
      if (r.matchedCount < replaces.length) {
        // Some entry changed under us: keep those that now hold our version, re-derive the others.
        const now = await this.ic.entries.find({ _id: { $in: [...ok] } }, { projection: { vkey: 1 } }).toArray();
        const vkeys = new Map(now.map((d) => [d._id, d.vkey]));
        ok = new Set(replaces.filter((x) => vkeys.get(x.doc._id) === x.doc.vkey).map((x) => x.doc._id));
      }
      for (const x of replaces) {
        if (ok.has(x.doc._id)) written.push({ ...x, kind: x.f.revoked ? 'revoked' : 'versioned' });
        else slow.push(x.doc.id);
      }
    }
    if (written.length > 0) {
      // A new entry's edges are new too (inserted; one left over by an interrupted deletion is
      // replaced); a replaced entry's edges are upserted and its other edges removed.
      const added = written.filter((w) => w.kind === 'added').flatMap((w) => edgeDocs(c, w.doc.id, w.f));
      const clash = await insertNew(this.ic.edges, added);
      const replaced = written.filter((w) => w.kind !== 'added');
      const kept = replaced.flatMap((w) => edgeDocs(c, w.doc.id, w.f));
      const upserts = [...added.filter((_, n) => clash.has(n)), ...kept];
      if (upserts.length > 0) {
        await this.ic.edges.bulkWrite(
          upserts.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
          { ordered: false },
        );
      }
      if (replaced.length > 0) {
        await this.ic.edges.deleteMany({
          c,
          owner: { $in: replaced.map((w) => w.doc.id) },
          _id: { $nin: kept.map((d) => d._id) },
        });
      }
    }
    const changes: NewChange[] = written.map((w) => ({
      c,
      id: w.doc.id,
      type: w.doc.type,
      kind: w.kind,
      ...(w.doc.version !== null ? { version: w.doc.version } : {}),
      at: w.doc.da,
      mk: w.doc.mk,
    }));
    return { changes, slow };
  }

  private async latest(c: string, id: string): Promise<LatestDoc | undefined> {
    // Two candidates may exist for a moment (visible-versions.ts): the newest one is the latest.
    const docs = await this.objects
      .find(
        { c, id, last: true, del: { $ne: true } },
        { projection: { _id: 0, id: 1, vkey: 1, version: 1, da: 1, json: 1 } },
      )
      .toArray();
    let best: LatestDoc | undefined;
    for (const d of docs) if (!best || compareTimestamps(d.version, best.version) > 0) best = d;
    return best;
  }

  private async syncOne(c: string, id: string, at: number | undefined): Promise<NewChange | undefined> {
    const _id = `${c}|${id}`;
    let raced = false;
    for (let attempt = 0; attempt < 10; attempt++) {
      const latest = await this.latest(c, id);
      const entry = await this.ic.entries.findOne({ _id }, { projection: { vkey: 1, type: 1, mk: 1 } });
      if (!latest) {
        if (!entry) return undefined;
        const gone = await this.ic.entries.deleteOne({ _id, vkey: entry.vkey });
        if (gone.deletedCount !== 1) {
          raced = true;
          continue;
        }
        await this.ic.edges.deleteMany({ c, owner: id });
        return { c, id, type: entry.type, kind: 'deleted', at: at ?? Date.now() * 1000, mk: entry.mk };
      }
      const f = parse(latest.json);
      if (entry && entry.vkey === latest.vkey) {
        // Up to date; after a lost race the other writer's edges may have been replaced by ours.
        if (raced) await writeEdges(this.ic.edges, c, id, edgeDocs(c, id, f));
        return undefined;
      }
      const fallback = entry !== null && entry.vkey > latest.vkey;
      if (fallback) {
        // A newer entry than the latest we read: our read is stale unless its version was deleted.
        const still = await this.objects.findOne(
          { c, id, vkey: entry.vkey, del: { $ne: true } },
          { projection: { _id: 1 } },
        );
        if (still) return undefined;
      }
      const doc = entryDoc(c, latest, f);
      if (!entry) {
        try {
          await this.ic.entries.insertOne(doc);
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          raced = true;
          continue;
        }
      } else {
        const r = await this.ic.entries.replaceOne({ _id, vkey: entry.vkey }, doc);
        if (r.matchedCount !== 1) {
          raced = true;
          continue;
        }
      }
      await writeEdges(this.ic.edges, c, id, edgeDocs(c, id, f));
      const kind: ChangeKind = !entry ? 'added' : fallback ? 'versioned' : f.revoked ? 'revoked' : 'versioned';
      return {
        c,
        id,
        type: f.type,
        kind,
        ...(f.version !== undefined ? { version: f.version } : {}),
        at: at ?? latest.da,
        mk: doc.mk,
      };
    }
    return undefined;
  }
}

/** The scoped collections with what releasability hides in each, as filters. */
function scopeFilter(scope: IntelScope): { ids: string[]; vis: Filter<{ c: string; mk: string[] }> } | undefined {
  const denied = new Map<string, Set<string>>();
  for (const c of scope.collections) {
    const set = denied.get(c.id) ?? new Set<string>();
    for (const m of c.deniedMarkings) set.add(m);
    denied.set(c.id, set);
  }
  if (denied.size === 0) return undefined;
  const open = [...denied].filter(([, s]) => s.size === 0).map(([c]) => c);
  const ors: Filter<{ c: string; mk: string[] }>[] = [];
  if (open.length > 0) ors.push({ c: { $in: open } });
  for (const [c, s] of denied) if (s.size > 0) ors.push({ c, mk: { $nin: [...s] } });
  return {
    ids: [...denied.keys()],
    vis: ors.length === 1 ? (ors[0] as Filter<{ c: string; mk: string[] }>) : { $or: ors },
  };
}

const ENTRY_PROJECTION = { tokens: 0, tf: 0, vkey: 0 };

function toEntry(d: Partial<IntelEntryDoc>): IntelEntry {
  return {
    collectionId: d.c as string,
    id: d.id as string,
    type: d.type as string,
    ...(d.name != null ? { name: d.name } : {}),
    ...(d.version != null ? { version: d.version } : {}),
    dateAdded: d.da as number,
    revoked: d.revoked === true,
    markings: d.mk ?? [],
    json: d.json as string,
  };
}

export class MongoIntel implements IntelStore {
  constructor(
    private readonly ic: IntelCollections,
    private readonly queryTimeoutMs: number,
  ) {}

  async searchObjects(scope: IntelScope, query: SearchQuery, limit: number, cursor?: string): Promise<SearchPage> {
    const offset = decodeSearchCursor(cursor);
    const sc = scopeFilter(scope);
    const words = [...new Set(searchTokens(query.text))].slice(0, SEARCH_MAX_WORDS);
    if (!sc || words.length === 0 || limit <= 0) return { hits: [] };
    if (query.types && query.types.length === 0) return { hits: [] };
    const f: Filter<IntelEntryDoc> = {
      c: { $in: sc.ids },
      tokens: { $all: [...new Set(words.map((w) => w.slice(0, MAX_PREFIX)))] },
      ...(query.types ? { type: { $in: [...query.types] } } : {}),
      $and: [sc.vis as Filter<IntelEntryDoc>],
    };
    const candidates = await this.ic.entries
      .find(f, { projection: { _id: 1, name: 1, tf: 1 }, maxTimeMS: this.queryTimeoutMs })
      .sort({ _id: 1 })
      .limit(SEARCH_CANDIDATES * 2)
      .toArray();
    // Per word, the best field: weight × (1 for a whole word, ½ for a prefix). Shorter names first
    // on a tie, then the key, so that pages are stable.
    const ranked: { _id: string; score: number; nlen: number }[] = [];
    for (const d of candidates) {
      let score = 0;
      let all = true;
      for (const w of words) {
        let best = 0;
        for (const field of SEARCH_FIELDS) {
          const list = d.tf?.[field] ?? [];
          const weight = FIELD_WEIGHTS[field];
          if (list.includes(w)) best = Math.max(best, weight);
          else if (weight / 2 > best && list.some((t) => t.startsWith(w))) best = weight / 2;
        }
        if (best === 0) all = false;
        score += best;
      }
      if (all) ranked.push({ _id: d._id, score, nlen: (d.name ?? '').length || Number.MAX_SAFE_INTEGER });
    }
    ranked.sort((a, b) => b.score - a.score || a.nlen - b.nlen || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    const page = ranked.slice(offset, offset + limit);
    if (page.length === 0) return { hits: [] };
    const docs = await this.ic.entries
      .find({ _id: { $in: page.map((p) => p._id) } }, { projection: ENTRY_PROJECTION, maxTimeMS: this.queryTimeoutMs })
      .toArray();
    const byId = new Map(docs.map((d) => [d._id, d]));
    const hits = page.flatMap((p) => {
      const d = byId.get(p._id);
      return d ? [{ ...toEntry(d), score: p.score }] : [];
    });
    return { hits, ...(ranked.length > offset + limit ? { next: encodeSearchCursor(offset + limit) } : {}) };
  }

  async getLatest(scope: IntelScope, ids: readonly string[]): Promise<IntelEntry[]> {
    const sc = scopeFilter(scope);
    if (!sc || ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const out: IntelEntry[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const docs = await this.ic.entries
        .find(
          { id: { $in: unique.slice(i, i + CHUNK) }, c: { $in: sc.ids }, $and: [sc.vis as Filter<IntelEntryDoc>] },
          { projection: ENTRY_PROJECTION, maxTimeMS: this.queryTimeoutMs },
        )
        .sort({ id: 1, c: 1 })
        .toArray();
      out.push(...docs.map(toEntry));
    }
    return out;
  }

  async queryLatestByType(scope: IntelScope, types: readonly string[], limit: number): Promise<IntelEntry[]> {
    const sc = scopeFilter(scope);
    if (!sc || types.length === 0 || limit <= 0) return [];
    const docs = await this.ic.entries
      .find(
        { c: { $in: sc.ids }, type: { $in: [...types] }, $and: [sc.vis as Filter<IntelEntryDoc>] },
        { projection: ENTRY_PROJECTION, maxTimeMS: this.queryTimeoutMs },
      )
      .sort({ da: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map(toEntry);
  }

  async findEdges(scope: IntelScope, query: EdgeQuery): Promise<IntelEdge[]> {
    const sc = scopeFilter(scope);
    const ids = [...new Set(query.ids)].slice(0, CHUNK);
    if (!sc || ids.length === 0 || query.limit <= 0) return [];
    if (query.relationshipTypes && query.relationshipTypes.length === 0) return [];
    const f: Filter<IntelEdgeDoc> = {
      c: { $in: sc.ids },
      $or: [{ source: { $in: ids } }, { target: { $in: ids } }],
      ...(query.relationshipTypes ? { label: { $in: [...query.relationshipTypes] } } : {}),
    };
    const out: IntelEdge[] = [];
    const batch = Math.max(query.limit * 2, 100);
    let after: string | undefined;
    // Edges whose maker is hidden are dropped: read on until the limit is reached.
    for (;;) {
      const page = await this.ic.edges
        .find(after === undefined ? f : { ...f, _id: { $gt: after } }, { maxTimeMS: this.queryTimeoutMs })
        .sort({ _id: 1 })
        .limit(batch)
        .toArray();
      if (page.length === 0) break;
      after = page[page.length - 1]?._id;
      const owners = [...new Set(page.map((e) => `${e.c}|${e.owner}`))];
      const visible = new Set(
        (
          await this.ic.entries
            .find({ _id: { $in: owners }, $and: [sc.vis as Filter<IntelEntryDoc>] }, { projection: { _id: 1 } })
            .toArray()
        ).map((d) => d._id),
      );
      for (const e of page) {
        if (!visible.has(`${e.c}|${e.owner}`)) continue;
        out.push({
          collectionId: e.c,
          source: e.source,
          target: e.target,
          kind: e.kind,
          label: e.label,
          ...(e.via !== undefined ? { via: e.via } : {}),
        });
        if (out.length >= query.limit) return out;
      }
      if (page.length < batch) break;
    }
    return out;
  }

  async queryChanges(scope: IntelScope, query: ChangeQuery): Promise<IntelChange[]> {
    const sc = scopeFilter(scope);
    if (!sc || query.limit <= 0) return [];
    const docs = await this.ic.changes
      .find(
        {
          _id: { $gt: query.afterSeq ?? 0 },
          at: { $gt: query.since },
          c: { $in: sc.ids },
          $and: [sc.vis as Filter<IntelChangeDoc>],
        },
        { maxTimeMS: this.queryTimeoutMs },
      )
      .sort({ _id: 1 })
      .limit(query.limit)
      .toArray();
    return docs.map((d) => ({
      seq: d._id,
      collectionId: d.c,
      id: d.id,
      type: d.type,
      kind: d.kind,
      ...(d.version !== undefined ? { version: d.version } : {}),
      at: d.at,
    }));
  }

  /** Nothing waits: the objects area's writes update the index themselves (MongoIntelWriter). */
  async countPending(): Promise<number> {
    return 0;
  }

  async catchUp(): Promise<number> {
    return 0;
  }

  async countLatest(scope: IntelScope): Promise<Record<string, number>> {
    const sc = scopeFilter(scope);
    const out: Record<string, number> = {};
    if (!sc) return out;
    for (const c of sc.ids) {
      out[c] = await this.ic.entries.countDocuments(
        { c, $and: [sc.vis as Filter<IntelEntryDoc>] },
        { maxTimeMS: this.queryTimeoutMs },
      );
    }
    return out;
  }
}

/** Migration 9: the indexes, and an entry (with edges) for the latest version of every stored object. */
export async function backfillIntel(objects: Collection<ObjectDoc>, ic: IntelCollections): Promise<void> {
  const cursor = objects
    .find(
      { last: true, del: { $ne: true } },
      { projection: { _id: 0, c: 1, id: 1, vkey: 1, version: 1, da: 1, json: 1 } },
    )
    .sort({ c: 1, id: 1, vkey: 1 });
  let pending: IntelEntryDoc[] = [];
  let edges: IntelEdgeDoc[] = [];
  let current: (LatestDoc & { c: string }) | undefined;
  const flush = async (): Promise<void> => {
    if (pending.length > 0) {
      // Replacing by _id: an instance running the same step at the same time writes the same documents.
      await ic.entries.bulkWrite(
        pending.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
        { ordered: false },
      );
    }
    if (edges.length > 0) {
      await ic.edges.bulkWrite(
        edges.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
        { ordered: false },
      );
    }
    pending = [];
    edges = [];
  };
  const take = async (d: LatestDoc & { c: string }): Promise<void> => {
    const f = parse(d.json);
    pending.push(entryDoc(d.c, d, f));
    edges.push(...edgeDocs(d.c, d.id, f));
    if (pending.length >= 1000) await flush();
  };
  for await (const doc of cursor) {
    const d = doc as LatestDoc & { c: string };
    // Two `last` candidates of one id (a write interrupted): the newest version wins.
    if (current && current.c === d.c && current.id === d.id) {
      if (compareTimestamps(d.version, current.version) > 0) current = d;
      continue;
    }
    if (current) await take(current);
    current = d;
  }
  if (current) await take(current);
  await flush();
}
