// Checkpoints of the WAL, run beside the writer instead of inside its commits. SQLite's automatic
// checkpoint runs in the connection that commits past wal_autocheckpoint pages: the writer thread
// would copy the WAL into the database file and wait for its fsync inside an ingest transaction
// (about 15 % of the writer's time on bulk ingest). A PASSIVE checkpoint from another connection
// copies what no reader still needs without taking the write lock, so commits go on meanwhile; the
// writer keeps a much higher automatic threshold only as a bound should this one fall behind.
//
// The checkpoints get a thread of their own, which runs no query: a checkpoint waits on the disk
// (its fsync) for tens of milliseconds at a time, and a reader doing it would keep the queries
// given to it waiting as long. The thread loads only the SQLite driver (a few MB).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL size from which a checkpoint is run */
export const CHECKPOINT_AT_BYTES = 16 * 1024 * 1024;
/** the writer's own automatic checkpoint (pages), a bound on the WAL should checkpoints here lag */
export const WRITER_WAL_AUTOCHECKPOINT = 100_000;
const EVERY_MS = 200;

/** The thread's code, plain CommonJS (evaluated as is, compiled or under tsx). */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
// Opened on the file the writer created and set to WAL; this connection never writes rows.
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');
const wal = workerData.file + '-wal';
const timer = setInterval(() => {
  try {
    if (statSync(wal).size >= workerData.atBytes) db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // no WAL yet, or a checkpoint that could not run now: the next tick tries again
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** stops checkpointing and closes the thread's connection */
  stop(): Promise<void>;
}

/** `onError`: the thread failed (the writer's own automatic checkpoint still bounds the WAL). */
export function startCheckpointer(
  file: string,
  atBytes = CHECKPOINT_AT_BYTES,
  onError?: (err: Error) => void,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: { file, atBytes, everyMs: EVERY_MS, driver },
    // It allocates next to nothing (a stat and a pragma every EVERY_MS): small ceilings keep V8
    // from letting its heap grow far past what it holds (see THREAD_OLD_GENERATION_MB).
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 },
  });
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => {
    if (!stopped) onError?.(err);
  });
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Referenced while it is waited for: with nothing else left to run, a process whose only
      // pending work is an unreferenced thread and timer would exit right here, with status 0.
      worker.ref();
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
