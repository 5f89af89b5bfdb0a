// Entry of a database thread: opens the in-process SQLite store on the shared WAL file and runs
// the calls the main thread posts, one at a time, in arrival order. A reader's connection is
// query_only; the writer's is the only one that writes (and checkpoints when it closes).
import { parentPort, workerData } from 'node:worker_threads';
import type { MigrationLog, Store } from '../../store.js';
import { INTEL_BATCH } from '../intel.js';
import { SQLITE_MIGRATIONS } from '../migrations.js';
import { openSqliteStore, type SqliteStore } from '../sqlite-store.js';
import { WRITER_WAL_AUTOCHECKPOINT } from './checkpointer.js';
import { POOLED_METHODS, placeInPool } from './page-pool.js';
import {
  decode,
  encode,
  toWireError,
  type Hello,
  type Notice,
  type Reply,
  type Request,
  type WorkerConfig,
} from './wire.js';

const port = parentPort;
if (!port) throw new Error('the SQLite worker runs as a worker thread');
const config = workerData as WorkerConfig;

/** The data areas of the store (every object-valued property) and the methods each one has. */
function describeAreas(store: Store): Record<string, string[]> {
  const areas: Record<string, string[]> = {};
  for (const [name, area] of Object.entries(store)) {
    if (typeof area !== 'object' || area === null) continue;
    const methods = new Set<string>();
    for (
      let o: object | null = area as object;
      o && o !== Object.prototype;
      o = Object.getPrototypeOf(o) as object | null
    ) {
      for (const key of Object.getOwnPropertyNames(o)) {
        if (key !== 'constructor' && typeof (area as Record<string, unknown>)[key] === 'function') methods.add(key);
      }
    }
    areas[name] = [...methods];
  }
  return areas;
}

let store: SqliteStore;
try {
  store = openSqliteStore(
    config.file,
    SQLITE_MIGRATIONS,
    config.role === 'reader'
      ? { readOnly: true }
      : {
          walAutocheckpoint: WRITER_WAL_AUTOCHECKPOINT,
          ...(config.indexWaitMs !== undefined ? { intelWaitMs: config.indexWaitMs } : {}),
        },
  );
} catch (err) {
  port.postMessage({ type: 'failed', error: toWireError(err) } satisfies Hello);
  process.exit(1);
}

type Outcome = { result: unknown; logs?: [object, string][] };

async function run(req: Request): Promise<Outcome> {
  if ('op' in req) {
    switch (req.op) {
      case 'migrate': {
        const logs: [object, string][] = [];
        const log: MigrationLog = { info: (details, message) => logs.push([details, message]) };
        return { result: await store.migrate(log), logs };
      }
      case 'ping':
        return { result: await store.ping() };
      case 'close':
        return { result: await store.close() };
    }
  }
  const area = (store as unknown as Record<string, Record<string, unknown> | undefined>)[req.area];
  const method = area?.[req.method];
  if (typeof method !== 'function') throw new Error(`the store has no method ${req.area}.${req.method}`);
  const args = decode(req.args) as unknown[];
  return { result: await (method as (...a: unknown[]) => unknown).apply(area, args) };
}

function post(id: number, outcome: Outcome, owned: boolean, poolable: boolean): void {
  const { value, bytes } = encode(outcome.result, { owned });
  const pooled = poolable && bytes && config.pagePool ? placeInPool(config.pagePool, bytes) : undefined;
  if (pooled) {
    port?.postMessage({ id, ok: true, value, pooled } satisfies Reply);
    return;
  }
  const message: Reply = {
    id,
    ok: true,
    value,
    ...(bytes ? { bytes } : {}),
    ...(outcome.logs ? { logs: outcome.logs } : {}),
  };
  port?.postMessage(message, bytes ? [bytes.buffer] : []);
}

function reply(id: number, outcome: Outcome, poolable: boolean): void {
  try {
    // A result is made for its call and unused once answered: its byte array may travel as it is.
    post(id, outcome, true, poolable);
  } catch {
    try {
      // One that cannot be transferred (a buffer Node marks as not transferable) is copied.
      post(id, outcome, false, false);
    } catch (err) {
      // A result that cannot be cloned (a function, a class with private state) is an error of the call.
      port?.postMessage({ id, ok: false, error: toWireError(err) } satisfies Reply);
    }
  }
}

// better-sqlite3 is synchronous, but the area methods are async functions that may await between
// statements: chaining keeps one call from interleaving with the next.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: Request) => {
  calls++;
  if ('op' in req && req.op === 'close') closing = true;
  queue = queue.then(async () => {
    try {
      reply(req.id, await run(req), 'method' in req && POOLED_METHODS.has(req.method));
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, error: toWireError(err) } satisfies Reply);
    } finally {
      calls--;
      lastCall = Date.now();
      idleSoon(IDLE_MS);
    }
  });
});

// ---- the writer's idle work ---------------------------------------------------------------------
// The analyst index's queued changes (sqlite/intel.ts) are applied once no call has come for
// IDLE_MS, one transaction at a time with a turn of the event loop in between: a call that arrives
// meanwhile waits for at most one batch. During a long ingest the queue grows and is applied after
// it, or sooner by a read of the intel area (which applies it first).

/** quiet time before the writer applies queued index changes */
const IDLE_MS = config.indexDelayMs ?? 50;
/** after a batch failed (another process holds the write lock for long): try again this much later */
const RETRY_MS = 1_000;
let calls = 0;
let lastCall = Date.now();
let closing = false;
let idleTimer: NodeJS.Timeout | undefined;
let failing = false;

function idleSoon(delayMs: number): void {
  if (config.role !== 'writer' || closing || idleTimer !== undefined) return;
  idleTimer = setTimeout(idleTick, delayMs);
  idleTimer.unref();
}

function idleTick(): void {
  idleTimer = undefined;
  if (calls > 0 || closing) return; // the call's end schedules the next tick
  const quiet = Date.now() - lastCall;
  if (quiet < IDLE_MS) return idleSoon(IDLE_MS - quiet);
  queue = queue.then(() => {
    if (calls > 0 || closing) return;
    try {
      if (store.applyQueued(1) >= INTEL_BATCH) idleSoon(0);
      failing = false;
    } catch (err) {
      // Left queued: the next attempt, or the next read of the index (which fails with the same
      // error), applies it. Reported once per run of failures.
      if (!failing) {
        const e = toWireError(err);
        port?.postMessage({
          type: 'notice',
          level: 'error',
          message: 'the analyst index could not apply queued changes; retrying every second',
          details: { err: { name: e.name, message: e.message, ...e.fields } },
        } satisfies Notice);
      }
      failing = true;
      idleSoon(RETRY_MS);
    }
  });
}

port.postMessage({ type: 'ready', areas: describeAreas(store) } satisfies Hello);
// Changes a previous process queued and did not apply.
idleSoon(IDLE_MS);
