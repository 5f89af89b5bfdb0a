// Object versions on SQLite: keyset paging on (ckey, date_added), first/last flags kept on write.
// Collections get an integer key (ckey) so object rows and indexes do not repeat the 36-character id.
import { compareTimestamps, formatMicros, versionKey } from '../../stix/timestamps.js';
import { stixMediaType } from '../../stix/versions.js';
import type {
  AddOutcome,
  NewVersion,
  ObjectQuery,
  ObjectStore,
  Page,
  PageRequest,
  StoredVersion,
  TextPage,
} from '../objects.js';
import type { Row, SqliteDb } from './database.js';
import { IntelIndexWriter, type QueuedChange } from './intel.js';

/** ids per statement when a batch looks up what is stored of its objects */
const LOOKUP_IDS = 100;

/** what a write batch needs of a stored version of one of its ids */
type StoredKey = { vkey: string; version: string };

type ObjectRow = [id: string, version: string, dateAdded: number, specVersion: string, json: Buffer];

export class SqliteObjects implements ObjectStore {
  private readonly ckeys = new Map<string, number>();
  private readonly intel: IntelIndexWriter;

  constructor(private readonly s: SqliteDb) {
    this.intel = new IntelIndexWriter((sql) => s.stmt(sql));
  }

  private ckey(collectionId: string): number | undefined {
    let key = this.ckeys.get(collectionId);
    if (key === undefined) {
      const row = this.s.stmt('SELECT ckey FROM collections WHERE id = ?').get(collectionId) as Row | undefined;
      if (!row) return undefined;
      key = row.ckey as number;
      this.ckeys.set(collectionId, key);
    }
    return key;
  }

  /**
   * The newest date_added the collection ever handed out, read inside the write transaction:
   * another process (a CLI import next to a running server) may write the same file, so no copy is
   * kept between transactions. The mark outlives deletions: a date_added is never handed out twice,
   * or a client that paged past a deleted newest version would miss what comes next (§3.4.2).
   */
  private lastDateAdded(ckey: number): number {
    const row = this.s
      .stmt(
        `SELECT max(coalesce((SELECT last FROM date_added_marks WHERE ckey = ?), 0),
                    coalesce((SELECT max(date_added) FROM objects WHERE ckey = ?), 0)) AS m`,
      )
      .get(ckey, ckey) as Row;
    return row.m as number;
  }

  async getWriteMark(collectionId: string): Promise<number> {
    const ckey = this.ckey(collectionId);
    return ckey === undefined ? 0 : this.lastDateAdded(ckey);
  }

  async addObjects(collectionId: string, versions: readonly NewVersion[], nowMicros: number): Promise<AddOutcome[]> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) throw new Error(`unknown collection ${collectionId}`);
    const jsonOf = this.s.stmt('SELECT json FROM objects WHERE ckey = ? AND id = ? AND vkey = ?').pluck();
    const clearFirst = this.s.stmt('UPDATE objects SET is_first = 0 WHERE ckey = ? AND id = ? AND is_first = 1');
    const clearLast = this.s.stmt('UPDATE objects SET is_last = 0 WHERE ckey = ? AND id = ? AND is_last = 1');
    const insert = this.s.stmt(
      `INSERT INTO objects (ckey, id, vkey, version, date_added, type, spec_version, is_first, is_last, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const mark = this.s.stmt('INSERT OR IGNORE INTO object_markings (seq, marking_id) VALUES (?, ?)');
    const saveMark = this.s.stmt(
      `INSERT INTO date_added_marks (ckey, last) VALUES (?, ?)
       ON CONFLICT (ckey) DO UPDATE SET last = max(last, excluded.last)`,
    );
    const run = this.s.db.transaction((): AddOutcome[] => {
      const out: AddOutcome[] = [];
      // Strictly increasing per collection, even when the wall clock stalls or steps back.
      let lastAdded = this.lastDateAdded(ckey);
      const firstMark = lastAdded;
      // The stored versions of every id of the batch, read in a few statements instead of one per
      // object, and kept up to date below as versions of the batch are added.
      const stored = this.storedVersions(ckey, versions);
      const queued: QueuedChange[] = [];
      for (const v of versions) {
        const rows = stored.get(v.id) as StoredKey[];
        const bytes = Buffer.from(v.json);
        // An object without created/modified (STIX 2.1 §3.2, most SCOs) has one version: the first copy.
        const same = v.versionKey === undefined ? rows[0] : rows.find((r) => r.vkey === v.versionKey);
        if (same) {
          const equal = bytes.equals(jsonOf.get(ckey, v.id, same.vkey) as Buffer);
          // §5.5 status details name the version the client sent (the stored text of the same instant may differ).
          out.push({
            id: v.id,
            version: v.version ?? same.version,
            outcome: equal ? 'duplicate' : 'conflict',
          });
          continue;
        }
        const dateAdded = Math.max(nowMicros, lastAdded + 1);
        lastAdded = dateAdded;
        const version = v.version ?? formatMicros(dateAdded);
        const vkey = v.versionKey ?? (versionKey(version) as string);
        let isFirst = true;
        let isLast = true;
        for (const r of rows) {
          const cmp = compareTimestamps(r.version, version);
          if (cmp < 0) isFirst = false;
          if (cmp > 0) isLast = false;
        }
        if (rows.length > 0 && isFirst) clearFirst.run(ckey, v.id);
        if (rows.length > 0 && isLast) clearLast.run(ckey, v.id);
        const seq = insert.run(
          ckey,
          v.id,
          vkey,
          version,
          dateAdded,
          v.type,
          v.specVersion,
          isFirst ? 1 : 0,
          isLast ? 1 : 0,
          bytes,
        ).lastInsertRowid;
        for (const m of v.markings) mark.run(seq, m);
        rows.push({ vkey, version });
        // The intel index follows the latest version; an older version arriving late changes nothing.
        if (isLast) queued.push({ id: v.id, seq: Number(seq), at: dateAdded });
        out.push({ id: v.id, version, outcome: 'added' });
      }
      this.intel.enqueueMany(ckey, queued);
      if (lastAdded > firstMark) saveMark.run(ckey, lastAdded);
      return out;
    });
    return run.immediate();
  }

  /** The stored versions of the given objects' ids, by id: a list for every id, empty if none. */
  private storedVersions(ckey: number, versions: readonly NewVersion[]): Map<string, StoredKey[]> {
    const byId = new Map<string, StoredKey[]>(versions.map((v) => [v.id, []]));
    const ids = [...byId.keys()];
    // One statement of LOOKUP_IDS placeholders, the last group padded with its last id (IN is a set).
    const lookup = this.s
      .stmt(
        `SELECT id, vkey, version FROM objects WHERE ckey = ? AND id IN (${Array(LOOKUP_IDS).fill('?').join(', ')})`,
      )
      .raw(true);
    const params: unknown[] = new Array(1 + LOOKUP_IDS);
    params[0] = ckey;
    for (let i = 0; i < ids.length; i += LOOKUP_IDS) {
      for (let k = 0; k < LOOKUP_IDS; k++) params[1 + k] = ids[Math.min(i + k, ids.length - 1)];
      for (const [id, vkey, version] of lookup.all(params) as [string, string, string][])
        (byId.get(id) as StoredKey[]).push({ vkey, version });
    }
    return byId;
  }

  private where(ckey: number, q: ObjectQuery, after: number | undefined): { sql: string; params: unknown[] } {
    const parts = ['ckey = ?'];
    const params: unknown[] = [ckey];
    const lower = Math.max(q.addedAfter ?? -1, after ?? -1);
    if (lower >= 0) {
      parts.push('date_added > ?');
      params.push(lower);
    }
    if (q.objectId !== undefined) {
      parts.push('id = ?');
      params.push(q.objectId);
    }
    const inList = (column: string, values: readonly string[] | undefined): void => {
      if (!values) return;
      parts.push(`${column} IN (${values.map(() => '?').join(',')})`);
      params.push(...values);
    };
    inList('id', q.ids);
    inList('type', q.types);
    // Only STIX 2.1 is stored (the validator refuses other spec versions), so the default "newest
    // spec version of each object" (§3.4.1) needs no clause; an explicit list is a plain filter.
    inList('spec_version', q.specVersions);
    if (q.deniedMarkings && q.deniedMarkings.length > 0) {
      // Releasability: one probe of the (seq, marking_id) key per candidate row.
      parts.push(
        `NOT EXISTS (SELECT 1 FROM object_markings m WHERE m.seq = objects.seq AND m.marking_id IN (${q.deniedMarkings.map(() => '?').join(',')}))`,
      );
      params.push(...q.deniedMarkings);
    }
    const v = q.versions;
    if (!v.all) {
      const ors: string[] = [];
      if (v.last) ors.push('is_last = 1');
      if (v.first) ors.push('is_first = 1');
      if (v.exact.length > 0) {
        ors.push(`vkey IN (${v.exact.map(() => '?').join(',')})`);
        params.push(...v.exact);
      }
      parts.push(ors.length === 1 ? (ors[0] as string) : `(${ors.join(' OR ')})`);
    }
    return { sql: parts.join(' AND '), params };
  }

  async queryObjects(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<Page<StoredVersion>> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return { items: [], more: false };
    // Only STIX 2.1 is stored: a selection of other spec versions is empty without a scan.
    if (query.specVersions && !query.specVersions.includes('2.1')) return { items: [], more: false };
    const { sql, params } = this.where(ckey, query, page.after);
    // Ids named: their few versions come from ix_objects_version and are sorted after. Without the
    // unary +, SQLite (no statistics) walks a date_added index over the whole collection instead.
    const order = query.objectId !== undefined || query.ids !== undefined ? '+date_added' : 'date_added';
    const rows = this.s
      // json is stored as its UTF-8 bytes: no decode here, no re-encode when the envelope is sent.
      .stmt(`SELECT id, version, date_added, spec_version, json FROM objects WHERE ${sql} ORDER BY ${order} LIMIT ?`)
      .raw()
      .all(...params, page.limit + 1) as ObjectRow[];
    const more = rows.length > page.limit;
    if (more) rows.pop();
    return {
      more,
      items: rows.map(([id, version, dateAdded, specVersion, json]) => ({
        id,
        version,
        dateAdded,
        specVersion,
        mediaType: stixMediaType(specVersion),
        json,
      })),
    };
  }

  async queryObjectTexts(collectionId: string, query: ObjectQuery, page: PageRequest): Promise<TextPage> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined || page.limit <= 0) return { count: 0, more: false, texts: [] };
    if (query.specVersions && !query.specVersions.includes('2.1')) return { count: 0, more: false, texts: [] };
    const { sql, params } = this.where(ckey, query, page.after);
    const order = query.objectId !== undefined || query.ids !== undefined ? '+date_added' : 'date_added';
    // The page's texts joined by SQLite itself: one buffer for the page. The aggregate reads the
    // rows in the order the subquery yields them (date_added, from the index or its sort).
    const row = this.s
      .stmt(
        `SELECT count(*) AS n, min(d) AS first, max(d) AS last, CAST(group_concat(j, ',') AS BLOB) AS texts
         FROM (SELECT date_added AS d, json AS j FROM objects WHERE ${sql} ORDER BY ${order} LIMIT ?)`,
      )
      .get(...params, page.limit) as { n: number; first: number | null; last: number | null; texts: Buffer | null };
    if (row.n === 0 || row.first === null || row.last === null || row.texts === null)
      return { count: 0, more: false, texts: [] };
    // More: anything past the last date_added under the same filters.
    const rest = this.where(ckey, query, row.last);
    const more =
      row.n >= page.limit &&
      this.s.stmt(`SELECT 1 FROM objects WHERE ${rest.sql} LIMIT 1`).get(...rest.params) !== undefined;
    return { count: row.n, more, first: row.first, last: row.last, texts: [row.texts] };
  }

  async objectExists(collectionId: string, id: string, deniedMarkings?: readonly string[]): Promise<boolean> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return false;
    const { sql, params } = this.where(
      ckey,
      { objectId: id, versions: { all: true }, ...(deniedMarkings ? { deniedMarkings } : {}) },
      undefined,
    );
    return this.s.stmt(`SELECT 1 FROM objects WHERE ${sql} LIMIT 1`).get(...params) !== undefined;
  }

  async deleteObjects(collectionId: string, query: ObjectQuery & { objectId: string }): Promise<number> {
    const ckey = this.ckey(collectionId);
    if (ckey === undefined) return 0;
    const { sql, params } = this.where(ckey, query, undefined);
    const run = this.s.db.transaction((): number => {
      const removed = this.s.stmt(`DELETE FROM objects WHERE ${sql}`).run(...params).changes;
      if (removed > 0) {
        this.s
          .stmt(
            `UPDATE objects SET
               is_first = (vkey = (SELECT min(vkey) FROM objects o WHERE o.ckey = objects.ckey AND o.id = objects.id)),
               is_last = (vkey = (SELECT max(vkey) FROM objects o WHERE o.ckey = objects.ckey AND o.id = objects.id))
             WHERE ckey = ? AND id = ?`,
          )
          .run(ckey, query.objectId);
        this.intel.enqueue(ckey, query.objectId, null, Date.now() * 1000);
      }
      return removed;
    });
    return run.immediate();
  }
}
