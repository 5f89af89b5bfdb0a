// Intel area on SQLite (store/intel.ts): the latest version of every (collection, id) in
// intel_entries, its words in the FTS5 table intel_fts (rowid = entries.ekey), the links it makes in
// intel_edges and a change log in intel_changes. The objects area's write transactions only queue
// what changed in intel_pending; IntelIndexWriter applies the queue in order, later (the writer
// thread's idle time, threads/worker.ts) or before any read of this area, so a read reflects every
// write that completed before it. Read by SqliteIntel. Layout: src/store/README.md.
import type Database from 'better-sqlite3';
import {
  FIELD_WEIGHTS,
  fieldWords,
  intelFields,
  SEARCH_FIELDS,
  searchTokens,
  type IntelFields,
} from '../../stix/intel-fields.js';
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
  type SearchHit,
  type SearchPage,
  type SearchQuery,
} from '../intel.js';
import { UnavailableError } from '../../errors.js';
import type { Row, SqliteDb } from './database.js';

/**
 * Migration 9. The FTS tables are contentless (the entries and objects tables hold the text) with
 * contentless_delete so a row can be replaced by rowid. Their columns receive searchTokens() output
 * joined by spaces, so SQLite's tokenizer only splits on those spaces and both backends index the
 * same words; remove_diacritics 2 matches the accent folding of searchTokens for the rare character
 * it would still see. intel_fts_short holds the short fields again, on their own: the first stage
 * of a search reads only their doclists (a common description word or a one-letter prefix would
 * otherwise read postings of nearly every row), and its prefix indexes make the 1–3 letter prefixes
 * typed into a search box one doclist each instead of a merge of every term they begin.
 */
export const INTEL_SCHEMA = `
CREATE TABLE intel_entries (
  ekey INTEGER PRIMARY KEY,
  ckey INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT,
  version TEXT,
  date_added INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  markings TEXT,
  obj_seq INTEGER NOT NULL);
CREATE UNIQUE INDEX ix_intel_entries_id ON intel_entries (ckey, id);
CREATE INDEX ix_intel_entries_type ON intel_entries (ckey, type, date_added);
CREATE VIRTUAL TABLE intel_fts USING fts5(
  name, aliases, external_id, labels, description,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE VIRTUAL TABLE intel_fts_short USING fts5(
  name, aliases, external_id, labels,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
CREATE TABLE intel_edges (
  ekey INTEGER NOT NULL,
  ckey INTEGER NOT NULL,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  via TEXT);
CREATE INDEX ix_intel_edges_owner ON intel_edges (ekey);
CREATE INDEX ix_intel_edges_source ON intel_edges (source, ckey);
CREATE INDEX ix_intel_edges_target ON intel_edges (target, ckey);
CREATE TABLE intel_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ckey INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  kind TEXT NOT NULL,
  version TEXT,
  at INTEGER NOT NULL,
  markings TEXT);
CREATE INDEX ix_intel_changes_collection ON intel_changes (ckey, seq);
CREATE INDEX ix_intel_changes_at ON intel_changes (at, seq);
`;

type Prepare = (sql: string) => Database.Statement;

/** bm25() column weights, in the column order of intel_fts (SEARCH_FIELDS). */
const BM25_WEIGHTS = SEARCH_FIELDS.map((f) => FIELD_WEIGHTS[f]).join(', ');
/** intel_fts_short's columns: the first four of SEARCH_FIELDS (all but the description). */
const SHORT_FIELDS = SEARCH_FIELDS.filter((f) => f !== 'description');
const BM25_SHORT_WEIGHTS = SHORT_FIELDS.map((f) => FIELD_WEIGHTS[f]).join(', ');
/** bound parameters per IN list */
const CHUNK = 500;

/**
 * Migration 12: the writes the index has yet to follow, in commit order. `obj_seq` is the version
 * that became the latest of its id; NULL means versions of the id were deleted (the entry then
 * follows whatever version is left, see IntelIndexWriter.refresh). `at` is the change's time.
 */
export const INTEL_PENDING_SCHEMA = `
CREATE TABLE intel_pending (
  qseq INTEGER PRIMARY KEY,
  ckey INTEGER NOT NULL,
  id TEXT NOT NULL,
  obj_seq INTEGER,
  at INTEGER NOT NULL);
`;

/** Queued writes applied per transaction: a read or a write arriving meanwhile waits at most one. */
export const INTEL_BATCH = 500;
/** how long one catchUp call applies batches (other writes wait behind it) */
const CATCH_UP_MS = 1_000;
/**
 * How long a read applies the queue before it gives up with UnavailableError (503): after a bulk
 * load the backlog can take minutes, and a read must neither hang that long nor answer from an
 * index that misses writes. What it applied stays applied; the next read goes on from there.
 */
export const DEFAULT_INTEL_WAIT_MS = 10_000;

/**
 * The error code of a read that found the index behind on a query_only connection (a reader
 * thread), which cannot apply the queue: the threaded store runs the read again on the writer.
 */
export const INTEL_BEHIND = 'intel-index-behind';

function fieldsOfText(json: string): IntelFields {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    obj = {};
  }
  return intelFields(obj && typeof obj === 'object' ? (obj as Record<string, unknown>) : {});
}

function markingsText(markings: readonly string[]): string | null {
  return markings.length > 0 ? JSON.stringify([...new Set(markings)].sort()) : null;
}

function textOf(json: unknown): string {
  return Buffer.isBuffer(json) ? json.toString('utf8') : String(json);
}

/** rows per statement of enqueueMany (4 parameters each) */
const QUEUE_ROWS = 50;

/** A change for the analyst index: version `seq` of `id`, added at `at`, became the latest. */
export interface QueuedChange {
  id: string;
  seq: number;
  at: number;
}

type PendingRow = [qseq: number, ckey: number, id: string, objSeq: number | null, at: number];

/**
 * Keeps the index rows of one (collection, id) in step with the objects table. Runs inside the
 * caller's transaction: the objects area queues (enqueue), applyPending and the migrations apply.
 */
export class IntelIndexWriter {
  constructor(private readonly prep: Prepare) {}

  /**
   * Queues a change for the index, in the caller's write transaction: version `seq` became the
   * latest of its id, or (seq null) versions of the id were deleted. Keeping the index in the same
   * transaction cost about two thirds of each stored object's write time; queued, it is applied
   * when the writer is idle or a read needs it.
   */
  enqueue(ckey: number, id: string, seq: number | null, at: number): void {
    this.prep('INSERT INTO intel_pending (ckey, id, obj_seq, at) VALUES (?, ?, ?, ?)').run(ckey, id, seq, at);
  }

  /**
   * Queues several changes of one collection, in the given order (the order they were made), as
   * `enqueue` one by one would: a statement of QUEUE_ROWS rows at a time, for the per-call cost
   * of a bulk write (about 3 µs per object one by one).
   */
  enqueueMany(ckey: number, changes: readonly QueuedChange[]): void {
    let i = 0;
    if (changes.length >= QUEUE_ROWS) {
      const many = this.prep(
        `INSERT INTO intel_pending (ckey, id, obj_seq, at) VALUES ${Array(QUEUE_ROWS).fill('(?, ?, ?, ?)').join(', ')}`,
      );
      const params: unknown[] = new Array(4 * QUEUE_ROWS);
      for (; i + QUEUE_ROWS <= changes.length; i += QUEUE_ROWS) {
        for (let k = 0; k < QUEUE_ROWS; k++) {
          const c = changes[i + k] as QueuedChange;
          params[4 * k] = ckey;
          params[4 * k + 1] = c.id;
          params[4 * k + 2] = c.seq;
          params[4 * k + 3] = c.at;
        }
        many.run(params);
      }
    }
    for (; i < changes.length; i++) {
      const c = changes[i] as QueuedChange;
      this.enqueue(ckey, c.id, c.seq, c.at);
    }
  }

  /** Whether queued changes wait (reads check this first). */
  hasPending(): boolean {
    return this.prep('SELECT 1 FROM intel_pending LIMIT 1').get() !== undefined;
  }

  /**
   * Applies up to `limit` queued changes in the order they were committed and removes them, in
   * the caller's transaction; returns how many it applied. Replaying in commit order leaves the
   * same entries and change log as applying each change in its own write transaction did: a
   * version deleted since it was queued is skipped (the deletion's own change follows in the
   * queue), and one that is the entry already (a deletion's fallback reached it) is not logged twice.
   */
  applyPending(limit: number): number {
    const rows = this.prep('SELECT qseq, ckey, id, obj_seq, at FROM intel_pending ORDER BY qseq LIMIT ?')
      .raw()
      .all(limit) as PendingRow[];
    if (rows.length === 0) return 0;
    const version = this.prep('SELECT json, date_added FROM objects WHERE seq = ?');
    const entry = this.prep('SELECT obj_seq FROM intel_entries WHERE ckey = ? AND id = ?').pluck();
    for (const [, ckey, id, objSeq, at] of rows) {
      if (objSeq === null) {
        this.refresh(ckey, id, at);
        continue;
      }
      if (entry.get(ckey, id) === objSeq) continue;
      const v = version.get(objSeq) as Row | undefined;
      if (v) this.setLatest(ckey, id, objSeq, textOf(v.json), v.date_added as number, { at });
    }
    this.prep('DELETE FROM intel_pending WHERE qseq <= ?').run((rows.at(-1) as PendingRow)[0]);
    return rows.length;
  }

  /**
   * The version stored at objects.seq `seq` became the latest of its id. `change` is logged with
   * it (none during the backfill); its kind, unless given: `added` for the first entry of the id,
   * else `revoked` when this version is revoked, else `versioned`.
   */
  setLatest(
    ckey: number,
    id: string,
    seq: number,
    json: string,
    dateAdded: number,
    change?: { kind?: ChangeKind; at: number },
  ): void {
    const f = fieldsOfText(json);
    const markings = markingsText(f.markings);
    const old = this.prep('SELECT ekey FROM intel_entries WHERE ckey = ? AND id = ?').get(ckey, id) as Row | undefined;
    let ekey: number;
    if (old) {
      ekey = old.ekey as number;
      this.prep(
        `UPDATE intel_entries SET type = ?, name = ?, version = ?, date_added = ?, revoked = ?, markings = ?, obj_seq = ?
         WHERE ekey = ?`,
      ).run(f.type, f.name ?? null, f.version ?? null, dateAdded, f.revoked ? 1 : 0, markings, seq, ekey);
      this.prep('DELETE FROM intel_fts WHERE rowid = ?').run(ekey);
      this.prep('DELETE FROM intel_fts_short WHERE rowid = ?').run(ekey);
      this.prep('DELETE FROM intel_edges WHERE ekey = ?').run(ekey);
    } else {
      ekey = Number(
        this.prep(
          `INSERT INTO intel_entries (ckey, id, type, name, version, date_added, revoked, markings, obj_seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(ckey, id, f.type, f.name ?? null, f.version ?? null, dateAdded, f.revoked ? 1 : 0, markings, seq)
          .lastInsertRowid,
      );
    }
    // Each field tokenized once: the short table takes the first four of the same strings.
    const words = fieldWords(f);
    this.prep(
      'INSERT INTO intel_fts (rowid, name, aliases, external_id, labels, description) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(ekey, ...words);
    this.prep('INSERT INTO intel_fts_short (rowid, name, aliases, external_id, labels) VALUES (?, ?, ?, ?, ?)').run(
      ekey,
      ...words.slice(0, SHORT_FIELDS.length),
    );
    const edge = this.prep(
      'INSERT INTO intel_edges (ekey, ckey, source, target, kind, label, via) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of f.edges) edge.run(ekey, ckey, e.source, e.target, e.kind, e.label, e.via ?? null);
    if (change) {
      const kind = change.kind ?? (!old ? 'added' : f.revoked ? 'revoked' : 'versioned');
      this.log(ckey, id, f.type, kind, f.version ?? null, change.at, markings);
    }
  }

  /**
   * After versions of the id were deleted: the entry follows the version now flagged latest, or
   * goes (with its words and edges) when none is left. A fallback to an older version is logged
   * as `versioned` with that version, a removal as `deleted`.
   */
  refresh(ckey: number, id: string, at: number): void {
    const latest = this.prep('SELECT seq, json, date_added FROM objects WHERE ckey = ? AND id = ? AND is_last = 1').get(
      ckey,
      id,
    ) as Row | undefined;
    const entry = this.prep('SELECT ekey, obj_seq, type, markings FROM intel_entries WHERE ckey = ? AND id = ?').get(
      ckey,
      id,
    ) as Row | undefined;
    if (!latest) {
      if (!entry) return;
      this.prep('DELETE FROM intel_entries WHERE ekey = ?').run(entry.ekey);
      this.prep('DELETE FROM intel_fts WHERE rowid = ?').run(entry.ekey);
      this.prep('DELETE FROM intel_fts_short WHERE rowid = ?').run(entry.ekey);
      this.prep('DELETE FROM intel_edges WHERE ekey = ?').run(entry.ekey);
      this.log(ckey, id, entry.type as string, 'deleted', null, at, entry.markings as string | null);
      return;
    }
    if (entry && entry.obj_seq === latest.seq) return;
    this.setLatest(ckey, id, latest.seq as number, textOf(latest.json), latest.date_added as number, {
      kind: entry ? 'versioned' : 'added',
      at,
    });
  }

  private log(
    ckey: number,
    id: string,
    type: string,
    kind: ChangeKind,
    version: string | null,
    at: number,
    markings: string | null,
  ): void {
    this.prep(
      'INSERT INTO intel_changes (ckey, id, type, kind, version, at, markings) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(ckey, id, type, kind, version, at, markings);
  }
}

/**
 * Migration 11: intel_fts as it is now. It keeps which column a word is in (bm25 weighs the
 * columns) but not its positions (detail=column: searches send single quoted words, never
 * phrases), and has no prefix indexes. Its prefix indexes and positions cost about two thirds of
 * the analyst index's write time. Prefixes of one or two letters are served by intel_fts_short,
 * which keeps its prefix indexes; on this table such a word must be whole (see searchObjects).
 */
export const FULL_TEXT_SCHEMA = `
CREATE VIRTUAL TABLE intel_fts USING fts5(
  name, aliases, external_id, labels, description,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', detail = column);
`;

/** Migration 11: intel_fts dropped, created again as FULL_TEXT_SCHEMA and filled from the entries. */
export function rebuildFullText(db: Database.Database): void {
  db.exec(`DROP TABLE intel_fts; ${FULL_TEXT_SCHEMA}`);
  const insert = db.prepare(
    'INSERT INTO intel_fts (rowid, name, aliases, external_id, labels, description) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // Pages by ekey: better-sqlite3 refuses writes while a read iterator is open on the connection.
  const page = db
    .prepare(
      `SELECT e.ekey, o.json FROM intel_entries e JOIN objects o ON o.seq = e.obj_seq
       WHERE e.ekey > ? ORDER BY e.ekey LIMIT 5000`,
    )
    .raw();
  for (let last = -1; ;) {
    const batch = page.all(last) as [number, Buffer | string][];
    if (batch.length === 0) break;
    for (const [ekey, json] of batch) {
      const f = fieldsOfText(Buffer.isBuffer(json) ? json.toString('utf8') : String(json));
      insert.run(ekey, ...fieldWords(f));
    }
    last = batch.at(-1)?.[0] ?? last;
  }
}

/** Migration 9: the tables, filled from the latest version of every stored object (no change is logged). */
export function createIntelIndex(db: Database.Database): void {
  db.exec(INTEL_SCHEMA);
  const cache = new Map<string, Database.Statement>();
  const writer = new IntelIndexWriter((sql) => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st;
  });
  // Pages by seq: better-sqlite3 refuses writes while a read iterator is open on the connection.
  const page = db
    .prepare(
      'SELECT seq, ckey, id, date_added, json FROM objects WHERE is_last = 1 AND seq > ? ORDER BY seq LIMIT 5000',
    )
    .raw();
  for (let last = -1; ;) {
    const batch = page.all(last) as [number, number, string, number, Buffer | string][];
    if (batch.length === 0) break;
    for (const [seq, ckey, id, dateAdded, json] of batch) {
      writer.setLatest(ckey, id, seq, Buffer.isBuffer(json) ? json.toString('utf8') : String(json), dateAdded);
    }
    last = batch.at(-1)?.[0] ?? last;
  }
}

interface EntryRow {
  ekey: number;
  ckey: number;
  id: string;
  type: string;
  name: string | null;
  version: string | null;
  date_added: number;
  revoked: number;
  markings: string | null;
  json: Buffer | string;
}

const ENTRY_COLUMNS =
  'e.ekey, e.ckey, e.id, e.type, e.name, e.version, e.date_added, e.revoked, e.markings, o.json AS json';

/** The scoped collections that exist, by ckey, and the SQL that keeps rows of others and hidden ones out. */
interface Scope {
  ids: Map<number, string>;
  /** condition on an entry row aliased `alias` (its markings are those of objects.seq obj_seq) */
  entries(alias: string): { sql: string; params: unknown[] };
  /** condition on a change-log row aliased `alias` (markings kept on the row) */
  changes(alias: string): { sql: string; params: unknown[] };
}

function qs(n: number): string {
  return new Array(n).fill('?').join(',');
}

/** Resolves the scope's collections (unknown ones are dropped) and builds its visibility conditions. */
function resolveScope(s: SqliteDb, scope: IntelScope): Scope | undefined {
  const wanted = new Map<string, readonly string[]>();
  for (const c of scope.collections) {
    // One collection named twice: both deny lists apply.
    wanted.set(c.id, [...(wanted.get(c.id) ?? []), ...c.deniedMarkings]);
  }
  if (wanted.size === 0) return undefined;
  const ids = new Map<number, string>();
  const denied = new Map<number, string[]>();
  const names = [...wanted.keys()];
  for (let i = 0; i < names.length; i += CHUNK) {
    const part = names.slice(i, i + CHUNK);
    const rows = s.stmt(`SELECT ckey, id FROM collections WHERE id IN (${qs(part.length)})`).all(...part) as Row[];
    for (const r of rows) {
      ids.set(r.ckey as number, r.id as string);
      denied.set(r.ckey as number, [...new Set(wanted.get(r.id as string) ?? [])]);
    }
  }
  if (ids.size === 0) return undefined;
  const build = (alias: string, hidden: (list: string) => string): { sql: string; params: unknown[] } => {
    const open = [...ids.keys()].filter((k) => (denied.get(k) ?? []).length === 0);
    const parts: string[] = [];
    const params: unknown[] = [];
    if (open.length > 0) {
      parts.push(`${alias}.ckey IN (${qs(open.length)})`);
      params.push(...open);
    }
    for (const [ckey, list] of denied) {
      if (list.length === 0) continue;
      parts.push(`(${alias}.ckey = ? AND NOT ${hidden(qs(list.length))})`);
      params.push(ckey, ...list);
    }
    return { sql: parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`, params };
  };
  return {
    ids,
    entries: (alias) =>
      build(
        alias,
        (list) =>
          `EXISTS (SELECT 1 FROM object_markings m WHERE m.seq = ${alias}.obj_seq AND m.marking_id IN (${list}))`,
      ),
    changes: (alias) =>
      build(
        alias,
        (list) =>
          `(${alias}.markings IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(${alias}.markings) j WHERE j.value IN (${list})))`,
      ),
  };
}

function toEntry(r: EntryRow, ids: Map<number, string>): IntelEntry {
  return {
    collectionId: ids.get(r.ckey) as string,
    id: r.id,
    type: r.type,
    ...(r.name !== null ? { name: r.name } : {}),
    ...(r.version !== null ? { version: r.version } : {}),
    dateAdded: r.date_added,
    revoked: r.revoked === 1,
    markings: r.markings !== null ? (JSON.parse(r.markings) as string[]) : [],
    json: Buffer.isBuffer(r.json) ? r.json.toString('utf8') : String(r.json),
  };
}

export class SqliteIntel implements IntelStore {
  private readonly writer: IntelIndexWriter;
  private readonly batch: () => number;

  constructor(
    private readonly s: SqliteDb,
    private readonly waitMs = DEFAULT_INTEL_WAIT_MS,
  ) {
    this.writer = new IntelIndexWriter((sql) => s.stmt(sql));
    const apply = s.db.transaction(() => this.writer.applyPending(INTEL_BATCH));
    this.batch = () => apply.immediate();
  }

  /**
   * Applies queued changes, one transaction of INTEL_BATCH at a time, at most `maxBatches`
   * transactions; returns how many changes it applied (fewer than maxBatches × INTEL_BATCH: the
   * queue is empty).
   */
  applyQueued(maxBatches: number): number {
    let applied = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = this.batch();
      applied += n;
      if (n < INTEL_BATCH) break;
    }
    return applied;
  }

  async countPending(): Promise<number> {
    return this.s.stmt('SELECT count(*) FROM intel_pending').pluck().get() as number;
  }

  async catchUp(): Promise<number> {
    const until = performance.now() + CATCH_UP_MS;
    while (this.applyQueued(1) === INTEL_BATCH && performance.now() < until);
    return this.countPending();
  }

  /**
   * Called first by every read: a read reflects every write that completed before it. A writable
   * connection applies the queue itself; a query_only one (a reader thread) refuses the read with
   * INTEL_BEHIND and the threaded store runs it on the writer.
   */
  private fresh(): void {
    if (!this.writer.hasPending()) return;
    if (this.s.readOnly) {
      throw Object.assign(new Error('the analyst index has queued changes to apply first'), { code: INTEL_BEHIND });
    }
    const until = performance.now() + this.waitMs;
    while (this.batch() === INTEL_BATCH) {
      if (performance.now() < until) continue;
      const pending = this.s.stmt('SELECT count(*) FROM intel_pending').pluck().get() as number;
      if (pending === 0) return;
      throw new UnavailableError(
        `The analyst index is still applying recent writes (${pending} changes left); try again shortly.`,
        { details: { pending } },
      );
    }
  }

  async searchObjects(scope: IntelScope, query: SearchQuery, limit: number, cursor?: string): Promise<SearchPage> {
    this.fresh();
    const offset = decodeSearchCursor(cursor);
    const sc = resolveScope(this.s, scope);
    const words = [...new Set(searchTokens(query.text))].slice(0, SEARCH_MAX_WORDS);
    if (!sc || words.length === 0 || limit <= 0) return { hits: [] };
    if (query.types && query.types.length === 0) return { hits: [] };
    const want = offset + limit + 1;
    // Each word quoted (its characters are letters and digits only; quotes doubled regardless), as
    // a prefix: user text never reaches the FTS5 query syntax.
    const quoted = (w: string): string => `"${w.replaceAll('"', '""')}"`;
    const phrase = words.map((w) => `${quoted(w)}*`).join(' AND ');
    // intel_fts has no prefix index: a prefix of one or two letters there would merge the postings
    // of every word it begins, so such a word matches whole words in that stage.
    const fullPhrase = words.map((w) => (w.length < 3 ? quoted(w) : `${quoted(w)}*`)).join(' AND ');
    const vis = sc.entries('e');
    const typeSql = query.types ? ` AND e.type IN (${qs(query.types.length)})` : '';
    const typeParams = query.types ? [...query.types] : [];
    const stage = (table: string, weights: string, match: string): { ekey: number; name: string | null; r: number }[] =>
      this.s
        .stmt(
          `SELECT e.ekey AS ekey, e.name AS name, bm25(${table}, ${weights}) AS r
           FROM ${table} JOIN intel_entries e ON e.ekey = ${table}.rowid
           WHERE ${table} MATCH ? AND ${vis.sql}${typeSql} LIMIT ${SEARCH_CANDIDATES}`,
        )
        .all(match, ...vis.params, ...typeParams) as { ekey: number; name: string | null; r: number }[];
    // A name match outranks any description match: the short fields are searched first, and the
    // description only when they do not fill the page. A word matching a whole token of the name
    // outranks one matching a prefix; bm25 (weighted per field) orders the rest.
    const order = (rows: { ekey: number; name: string | null; r: number }[]) =>
      rows
        .map((row) => {
          const nameTokens = new Set(searchTokens(row.name ?? ''));
          let exact = 0;
          for (const w of words) if (nameTokens.has(w)) exact++;
          return { ...row, exact };
        })
        .sort((a, b) => b.exact - a.exact || a.r - b.r || a.ekey - b.ekey);
    const ranked = order(stage('intel_fts_short', BM25_SHORT_WEIGHTS, phrase));
    if (ranked.length < want) {
      const seen = new Set(ranked.map((r) => r.ekey));
      ranked.push(...order(stage('intel_fts', BM25_WEIGHTS, fullPhrase).filter((r) => !seen.has(r.ekey))));
    }
    const page = ranked.slice(offset, offset + limit);
    if (page.length === 0) return { hits: [] };
    const rows = this.s
      .stmt(
        `SELECT ${ENTRY_COLUMNS} FROM intel_entries e JOIN objects o ON o.seq = e.obj_seq WHERE e.ekey IN (${qs(page.length)})`,
      )
      .all(...page.map((p) => p.ekey)) as EntryRow[];
    const byKey = new Map(rows.map((r) => [r.ekey, r]));
    const hits: SearchHit[] = [];
    page.forEach((p, i) => {
      const r = byKey.get(p.ekey);
      if (r) hits.push({ ...toEntry(r, sc.ids), score: ranked.length - (offset + i) });
    });
    return { hits, ...(ranked.length > offset + limit ? { next: encodeSearchCursor(offset + limit) } : {}) };
  }

  async getLatest(scope: IntelScope, ids: readonly string[]): Promise<IntelEntry[]> {
    this.fresh();
    const sc = resolveScope(this.s, scope);
    if (!sc || ids.length === 0) return [];
    const vis = sc.entries('e');
    const unique = [...new Set(ids)];
    const out: IntelEntry[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const rows = this.s
        .stmt(
          `SELECT ${ENTRY_COLUMNS} FROM intel_entries e JOIN objects o ON o.seq = e.obj_seq
           WHERE e.id IN (${qs(part.length)}) AND ${vis.sql} ORDER BY e.id, e.ckey`,
        )
        .all(...part, ...vis.params) as EntryRow[];
      for (const r of rows) out.push(toEntry(r, sc.ids));
    }
    return out;
  }

  async queryLatestByType(scope: IntelScope, types: readonly string[], limit: number): Promise<IntelEntry[]> {
    this.fresh();
    const sc = resolveScope(this.s, scope);
    if (!sc || types.length === 0 || limit <= 0) return [];
    const vis = sc.entries('e');
    const rows = this.s
      .stmt(
        `SELECT ${ENTRY_COLUMNS} FROM intel_entries e JOIN objects o ON o.seq = e.obj_seq
         WHERE e.type IN (${qs(types.length)}) AND ${vis.sql} ORDER BY e.date_added DESC, e.ekey DESC LIMIT ?`,
      )
      .all(...types, ...vis.params, limit) as EntryRow[];
    return rows.map((r) => toEntry(r, sc.ids));
  }

  async findEdges(scope: IntelScope, query: EdgeQuery): Promise<IntelEdge[]> {
    this.fresh();
    const sc = resolveScope(this.s, scope);
    const ids = [...new Set(query.ids)].slice(0, CHUNK);
    if (!sc || ids.length === 0 || query.limit <= 0) return [];
    if (query.relationshipTypes && query.relationshipTypes.length === 0) return [];
    const vis = sc.entries('e');
    const labelSql = query.relationshipTypes ? ` AND g.label IN (${qs(query.relationshipTypes.length)})` : '';
    const labelParams = query.relationshipTypes ? [...query.relationshipTypes] : [];
    // The edge's collection is the maker's: joining its entry applies the scope and releasability.
    const side = (column: 'source' | 'target', extra: string) =>
      `SELECT g.rowid AS k, g.ckey, g.source, g.target, g.kind, g.label, g.via FROM intel_edges g
       JOIN intel_entries e ON e.ekey = g.ekey
       WHERE g.${column} IN (${qs(ids.length)})${extra}${labelSql} AND ${vis.sql}`;
    const rows = this.s
      .stmt(
        `${side('source', '')} UNION ALL ${side('target', ` AND g.source NOT IN (${qs(ids.length)})`)}
         ORDER BY k LIMIT ?`,
      )
      .all(...ids, ...labelParams, ...vis.params, ...ids, ...ids, ...labelParams, ...vis.params, query.limit) as Row[];
    return rows.map((r) => ({
      collectionId: sc.ids.get(r.ckey as number) as string,
      source: r.source as string,
      target: r.target as string,
      kind: r.kind as IntelEdge['kind'],
      label: r.label as string,
      ...(r.via !== null ? { via: r.via as string } : {}),
    }));
  }

  async queryChanges(scope: IntelScope, query: ChangeQuery): Promise<IntelChange[]> {
    this.fresh();
    const sc = resolveScope(this.s, scope);
    if (!sc || query.limit <= 0) return [];
    const vis = sc.changes('c');
    const rows = this.s
      .stmt(
        `SELECT c.seq, c.ckey, c.id, c.type, c.kind, c.version, c.at FROM intel_changes c
         WHERE c.seq > ? AND c.at > ? AND ${vis.sql} ORDER BY c.seq LIMIT ?`,
      )
      .all(query.afterSeq ?? 0, query.since, ...vis.params, query.limit) as Row[];
    return rows.map((r) => ({
      seq: r.seq as number,
      collectionId: sc.ids.get(r.ckey as number) as string,
      id: r.id as string,
      type: r.type as string,
      kind: r.kind as ChangeKind,
      ...(r.version !== null ? { version: r.version as string } : {}),
      at: r.at as number,
    }));
  }

  async countLatest(scope: IntelScope): Promise<Record<string, number>> {
    this.fresh();
    const out: Record<string, number> = {};
    const sc = resolveScope(this.s, scope);
    if (!sc) return out;
    for (const id of sc.ids.values()) out[id] = 0;
    const vis = sc.entries('e');
    const rows = this.s
      .stmt(`SELECT e.ckey AS ckey, count(*) AS n FROM intel_entries e WHERE ${vis.sql} GROUP BY e.ckey`)
      .all(...vis.params) as Row[];
    for (const r of rows) out[sc.ids.get(r.ckey as number) as string] = r.n as number;
    return out;
  }
}
