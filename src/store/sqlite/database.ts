// One better-sqlite3 connection with its pragmas and a cache of prepared statements, shared by
// the per-area modules of this backend.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Row = Record<string, unknown>;

export interface SqliteDbOptions {
  /**
   * A reader of a file another connection writes (the threaded store's reader threads): the
   * connection refuses to write (query_only) and leaves checkpoints to the writer.
   */
  readOnly?: boolean;
  /**
   * WAL pages after which a commit also checkpoints (default 10 000). The threaded store's writer
   * sets it far higher: another connection checkpoints (threads/checkpointer.ts).
   */
  walAutocheckpoint?: number;
  /**
   * How long a read of the analyst index may spend applying its queue before it answers
   * UnavailableError (sqlite/intel.ts, DEFAULT_INTEL_WAIT_MS); for tests.
   */
  intelWaitMs?: number;
}

export class SqliteDb {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** a query_only connection (SqliteDbOptions.readOnly) */
  readonly readOnly: boolean;

  constructor(file: string, opts: SqliteDbOptions = {}) {
    this.readOnly = opts.readOnly === true;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // WAL is a property of the file, set by the writing connection. Readers opening a new file at
    // the same moment as the writer must not try to switch it too: concurrent journal-mode changes
    // fail at once with "database is locked" (no busy wait). A reader follows the file's mode.
    if (!this.readOnly) this.db.pragma('journal_mode = WAL');
    // A committed transaction survives a process crash; an OS crash may lose the last ones.
    this.db.pragma('synchronous = NORMAL');
    // Fewer checkpoints during bulk ingest: the version index dirties about one page per row.
    this.db.pragma(`wal_autocheckpoint = ${Math.floor(opts.walAutocheckpoint ?? 10_000)}`);
    this.db.pragma('busy_timeout = 5000');
    // Any write on a reader is a routing mistake: it fails (SQLITE_READONLY) before changing anything.
    if (this.readOnly) this.db.pragma('query_only = ON');
  }

  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  close(): void {
    if (this.db.open) {
      if (!this.readOnly) this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }
}
