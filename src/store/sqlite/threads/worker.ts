// Entry of a database thread: opens the in-process SQLite store on the shared WAL file and runs
// the calls the main thread posts, one at a time, in arrival order. A reader's connection is
// query_only; the writer's is the only one that writes (and checkpoints when it closes).
import { parentPort, workerData } from 'node:worker_threads';
import type { MigrationLog, Store } from '../../store.js';
import { SQLITE_MIGRATIONS } from '../migrations.js';
import { openSqliteStore } from '../sqlite-store.js';
import { WRITER_WAL_AUTOCHECKPOINT } from './checkpointer.js';
import { decode, encode, toWireError, type Hello, type Reply, type Request, type WorkerConfig } from './wire.js';

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

let store: Store;
try {
  store = openSqliteStore(
    config.file,
    SQLITE_MIGRATIONS,
    config.role === 'reader' ? { readOnly: true } : { walAutocheckpoint: WRITER_WAL_AUTOCHECKPOINT },
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

function post(id: number, outcome: Outcome, owned: boolean): void {
  const { value, bytes } = encode(outcome.result, { owned });
  const message: Reply = {
    id,
    ok: true,
    value,
    ...(bytes ? { bytes } : {}),
    ...(outcome.logs ? { logs: outcome.logs } : {}),
  };
  port?.postMessage(message, bytes ? [bytes.buffer] : []);
}

function reply(id: number, outcome: Outcome): void {
  try {
    // A result is made for its call and unused once answered: its byte array may travel as it is.
    post(id, outcome, true);
  } catch {
    try {
      // One that cannot be transferred (a buffer Node marks as not transferable) is copied.
      post(id, outcome, false);
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
  queue = queue.then(async () => {
    try {
      reply(req.id, await run(req));
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, error: toWireError(err) } satisfies Reply);
    }
  });
});
port.postMessage({ type: 'ready', areas: describeAreas(store) } satisfies Hello);
