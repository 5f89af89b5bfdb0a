// Checkpoints of the WAL, run beside the writer instead of inside its commits. SQLite's automatic
// checkpoint runs in the connection that commits past wal_autocheckpoint pages: the writer thread
// would copy the WAL into the database file and wait for its fsync inside an ingest transaction
// (about 15 % of the writer's time on bulk ingest). A PASSIVE checkpoint from another connection
// copies what no reader still needs without taking the write lock, so commits go on meanwhile; the
// writer keeps a much higher automatic threshold only as a bound should this one fall behind.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';

/** WAL size from which a checkpoint is run */
export const CHECKPOINT_AT_BYTES = 16 * 1024 * 1024;
/** the writer's own automatic checkpoint (pages), a bound on the WAL should checkpoints here lag */
export const WRITER_WAL_AUTOCHECKPOINT = 100_000;
const EVERY_MS = 200;

export interface Checkpointer {
  stop(): void;
}

export function startCheckpointer(file: string, atBytes = CHECKPOINT_AT_BYTES): Checkpointer {
  // Opened on an existing file whose WAL mode the writer set; this connection never writes rows.
  const db = new Database(file, { fileMustExist: true });
  db.pragma('wal_autocheckpoint = 0');
  const wal = `${file}-wal`;
  const timer = setInterval(() => {
    try {
      if (statSync(wal).size >= atBytes) db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // no WAL yet, or a checkpoint that could not run now: the next tick tries again
    }
  }, EVERY_MS);
  return {
    stop: () => {
      clearInterval(timer);
      if (db.open) db.close();
    },
  };
}
