// The SQLite store with every query off the main thread: better-sqlite3 is synchronous, so a slow
// filter or a large write run in-process holds every other request for its whole duration. Here a
// pool of reader threads (query_only connections on the same WAL file) answers reads and one
// writer thread runs every write and migration, in call order (one process owns the file, see
// src/store/README.md). The main thread sees an ordinary Store whose area methods post
// {area, method, args} to a thread (routing.ts) and resolve with its reply.
//
// Deadlines: a read that runs longer than queryTimeoutMs is abandoned (better-sqlite3 cannot
// interrupt a statement, so its thread is terminated and a fresh one started) and the caller gets
// an UnavailableError (TAXII 503). Writes are never abandoned by the store (callers bound them by
// chunking); one that passes the much longer writeTimeoutMs is reported to its caller as
// unavailable with an unknown outcome, and logged with its late result.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../../../errors.js';
import type { MigrationLog, MigrationReport, Store } from '../../store.js';
import type { TextPage } from '../../objects.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { createPagePool, PagePool } from './page-pool.js';
import { INTEL_BEHIND } from '../intel.js';
import { laneOf, type Lane } from './routing.js';
import {
  decode,
  encode,
  fromWireError,
  type Hello,
  type Reply,
  type Request,
  type WireError,
  type Notice,
  type WorkerConfig,
} from './wire.js';

/** Where the store reports abandoned reads, slow writes and restarted threads (a pino logger fits). */
export interface StoreLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ThreadedSqliteOptions {
  /** reader threads; default: the available parallelism, at least 2 and at most 8 */
  readers?: number;
  /** the longest a read may run before it is cancelled (ms); default 5000 */
  queryTimeoutMs?: number;
  /** when a write still running is reported as unavailable (ms); default 120 000 */
  writeTimeoutMs?: number;
  log?: StoreLog;
  /** WAL size from which the checkpoint thread checkpoints (threads/checkpointer.ts); for tests */
  checkpointAtBytes?: number;
  /**
   * How long the writer waits without a call before it applies the analyst index's queued changes
   * (sqlite/intel.ts); default 50 ms. Tests set it high to see reads apply the queue themselves.
   */
  indexDelayMs?: number;
  /**
   * How long a read of the analyst index may spend applying its queue on the writer before it
   * answers UnavailableError (default 10 s); for tests.
   */
  indexWaitMs?: number;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 5000;
export const DEFAULT_WRITE_TIMEOUT_MS = 120_000;
/** wait between restarts of a thread that failed before it was ready */
const RESTART_BACKOFF_MS = 1000;

export function defaultReaderCount(): number {
  return Math.min(8, Math.max(2, availableParallelism()));
}

type AreaMap = Record<string, string[]>;
type RequestBody = { area: string; method: string; args: unknown[] } | { op: 'migrate' | 'ping' | 'close' };

type IndexTimings = Pick<WorkerConfig, 'indexDelayMs' | 'indexWaitMs'>;

/** A successful reply as the pool hands it on: `lease` ties a pooled page to its slot (page-pool.ts). */
type Answer = Extract<Reply, { ok: true }> & { lease?: (value: unknown) => unknown };

interface Call {
  body: RequestBody;
  lane: Lane;
  /** area.method or the operation, for messages and logs */
  label: string;
  resolve(reply: Answer): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * The worker entry next to this module. Compiled (dist/), it is worker.js. Under tsx (tests,
 * scripts) it is the .ts source, which a worker cannot load as its entry even with the inherited
 * `--import tsx`; registering tsx inside each thread works but costs most of a second per thread
 * (it starts its own loader thread), and tests open hundreds of stores. So the source is bundled
 * once per process with the esbuild that tsx itself uses, and each thread evaluates the bundle.
 */
function spawnWorker(config: WorkerConfig): Worker {
  const here = import.meta.url;
  // A thread's garbage is short-lived (rows and pages handed to the main thread): a young
  // generation of a few MB is collected often and cheaply, where V8's default lets each thread
  // grow tens of MB before its first scavenge (about 40 MB less peak memory for the pool).
  const resourceLimits = {
    maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB,
    maxOldGenerationSizeMb: THREAD_OLD_GENERATION_MB,
  };
  if (here.endsWith('.ts')) return new Worker(bundledSource(), { eval: true, workerData: config, resourceLimits });
  return new Worker(new URL('./worker.js', here), { workerData: config, resourceLimits });
}

const THREAD_YOUNG_GENERATION_MB = 4;
/**
 * The old generation's ceiling, which also sets how far V8 lets it grow between two full
 * collections: from a ceiling of 2 GB up, V8 lets a heap reach four times what survived the last
 * one; just under it, about twice. A thread otherwise inherits the process's ceiling (4 GB on a
 * machine with 16 GB or more), and the writer's heap then swelled from some 5 MB live to over
 * 20 MB during a large ingestion. 2000 MB stays far above what one call needs (a chunk of 500
 * objects of max_object_bytes each); a thread that still ran out would end alone and be
 * restarted, its callers told the database is unavailable.
 */
export const THREAD_OLD_GENERATION_MB = 2000;

interface Esbuild {
  buildSync(options: object): { outputFiles: { text: string }[] };
}

let bundle: string | undefined;

function bundledSource(): string {
  if (bundle === undefined) {
    const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
    const fromTsx = createRequire(import.meta.resolve('tsx/esm/api'));
    const esbuild = fromTsx('esbuild') as Esbuild;
    const [out] = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'iife',
      target: 'node20',
      // The native driver is loaded from the project, as the compiled worker loads it.
      external: ['better-sqlite3'],
      write: false,
      logLevel: 'error',
    }).outputFiles;
    if (!out) throw new Error(`bundling ${entry} produced nothing`);
    bundle = `(function (require) {\n${out.text}\n})(require('node:module').createRequire(${JSON.stringify(entry)}));`;
  }
  return bundle;
}

/** One database thread and the calls it has been given. */
class Thread {
  readonly worker: Worker;
  readonly ready: Promise<AreaMap>;
  isReady = false;
  exited = false;
  /** calls posted and not answered, by request id */
  readonly pending = new Map<number, Call>();
  private nextId = 1;
  private expectedExit = false;
  /** a reader's page pool (page-pool.ts) */
  private readonly pool: PagePool | undefined;

  constructor(
    readonly role: 'writer' | 'reader',
    file: string,
    onExit: (t: Thread, code: number, cause: Error | undefined) => void,
    /** the analyst index's timings, as the thread takes them (WorkerConfig) */
    index: IndexTimings,
    onNotice?: (n: Notice) => void,
  ) {
    this.pool = role === 'reader' ? new PagePool(createPagePool()) : undefined;
    this.worker = spawnWorker({
      file,
      role,
      ...(this.pool ? { pagePool: this.pool.share } : {}),
      ...index,
    });
    let crash: Error | undefined;
    this.ready = new Promise<AreaMap>((resolve, reject) => {
      this.worker.once('message', (hello: Hello) => {
        if (hello.type === 'ready') {
          this.isReady = true;
          this.worker.on('message', (m: Reply | Notice) => {
            if ('type' in m) onNotice?.(m);
            else this.answer(m);
          });
          this.refresh();
          resolve(hello.areas);
        } else reject(fromWireError(hello.error));
      });
      this.worker.on('error', (err) => {
        crash = err;
        reject(err);
      });
      this.worker.on('exit', (code) => {
        this.exited = true;
        reject(crash ?? new Error(`the SQLite ${role} thread exited (code ${code}) before it was ready`));
        if (!this.expectedExit) onExit(this, code, crash);
      });
    });
    // Callers that never wait for ready (a replaced reader) must not see an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  post(call: Call): void {
    if (this.exited) {
      call.reject(new UnavailableError(`the database ${this.role} thread has stopped; try again`));
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, call);
    this.refresh();
    try {
      // Encoded at each post: a call sent again (to the writer) needs its transferred bytes anew.
      const body = call.body;
      if ('op' in body) this.worker.postMessage({ id, op: body.op } satisfies Request);
      else {
        const args = encode(body.args);
        const message: Request = { id, area: body.area, method: body.method, args };
        this.worker.postMessage(message, args.bytes ? [args.bytes.buffer] : []);
      }
    } catch (err) {
      // Arguments that cannot be cloned (a function, a class instance with private state).
      this.pending.delete(id);
      this.refresh();
      call.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private answer(reply: Reply): void {
    const call = this.pending.get(reply.id);
    const pooled = reply.ok ? reply.pooled : undefined;
    if (!call) {
      if (pooled) this.pool?.discard(pooled);
      return;
    }
    this.pending.delete(reply.id);
    this.refresh();
    if (!reply.ok) call.reject(fromWireError(reply.error));
    else if (pooled && this.pool) {
      const pool = this.pool;
      call.resolve({
        ...reply,
        bytes: pool.unpack(pooled),
        lease: (value) => pool.lease(pooled.slot, value as TextPage),
      });
    } else call.resolve(reply);
  }

  /** Slots of this reader's page pool taken now (tests). */
  pagesHeld(): number {
    return this.pool?.taken() ?? 0;
  }

  /** Takes the call back without waiting for its answer (it passed its deadline). */
  forget(call: Call): void {
    for (const [id, c] of this.pending) if (c === call) this.pending.delete(id);
    this.refresh();
  }

  /**
   * A thread keeps the process alive while it starts or has calls to answer, and not otherwise:
   * an idle store must not hold the process open, a pending query must.
   */
  private refresh(): void {
    if (this.exited) return;
    if (!this.isReady || this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  async stop(): Promise<void> {
    this.expectedExit = true;
    if (this.exited) return;
    // Referenced while it is waited for: an idle thread is unreferenced (refresh), and a process
    // with nothing else left to run would exit right here, with status 0, before its caller
    // reports anything (a CLI command failing as it closes the store).
    this.worker.ref();
    await this.worker.terminate();
  }
}

const pools = new WeakMap<Store, ThreadPool>();

export async function openThreadedSqliteStore(file: string, opts: ThreadedSqliteOptions = {}): Promise<Store> {
  const pool = new ThreadPool(file, opts);
  const areas = await pool.start();
  const store = pool.store(areas);
  pools.set(store, pool);
  return store;
}

/** For tests: the threads of a store (to stop one as a crash would) and a call sent on a chosen lane. */
export function threadsOf(store: Store): {
  writer: Worker;
  readers: Worker[];
  call(area: string, method: string, args: unknown[], lane: Lane): Promise<unknown>;
  /** slots of the readers' page pools taken now (page-pool.ts) */
  pagesHeld(): number;
} {
  const pool = pools.get(store);
  if (!pool) throw new Error('not a threaded SQLite store');
  return pool.internals();
}

class ThreadPool {
  private readonly readerCount: number;
  private readonly queryTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly log: StoreLog | undefined;
  private readonly checkpointAtBytes: number | undefined;
  private readonly index: IndexTimings;
  private checkpointer: Checkpointer | undefined;
  private writer!: Thread;
  private readonly readers: Thread[] = [];
  /** the reader running each call (a reader runs one call at a time, so a cancelled one loses nothing else) */
  private readonly running = new Map<Thread, Call>();
  /** reads waiting for a reader, in arrival order */
  private readonly queue: Call[] = [];
  private inFlight = 0;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private readonly misrouted = new Set<string>();

  constructor(
    private readonly file: string,
    opts: ThreadedSqliteOptions,
  ) {
    this.readerCount = Math.max(1, Math.floor(opts.readers ?? defaultReaderCount()));
    this.queryTimeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.log = opts.log;
    this.checkpointAtBytes = opts.checkpointAtBytes;
    this.index = {
      ...(opts.indexDelayMs !== undefined ? { indexDelayMs: opts.indexDelayMs } : {}),
      ...(opts.indexWaitMs !== undefined ? { indexWaitMs: opts.indexWaitMs } : {}),
    };
  }

  /**
   * Starts every thread at once. Whichever opens the file first creates it and turns on WAL; the
   * others wait for that on SQLite's busy timeout.
   */
  async start(): Promise<AreaMap> {
    this.writer = this.spawn('writer');
    for (let i = 0; i < this.readerCount; i++) this.readers.push(this.spawn('reader'));
    try {
      const [areas] = await Promise.all([this.writer.ready, ...this.readers.map((r) => r.ready)]);
      // The writer has opened the file and set WAL: checkpoints may start (checkpointer.ts).
      this.checkpointer = startCheckpointer(this.file, this.checkpointAtBytes, (err) =>
        this.log?.error({ store: 'sqlite', err }, 'the WAL checkpoint thread failed; the writer checkpoints alone'),
      );
      return areas;
    } catch (err) {
      this.closing = Promise.resolve();
      await Promise.all([this.writer, ...this.readers].map((t) => t.stop()));
      throw err;
    }
  }

  store(areas: AreaMap): Store {
    const store: Record<string, unknown> = {};
    for (const [area, methods] of Object.entries(areas)) {
      const target: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const method of methods) {
        target[method] = (...args: unknown[]) => this.call(area, method, args, laneOf(method));
      }
      store[area] = Object.freeze(target);
    }
    store.migrate = async (log?: MigrationLog): Promise<MigrationReport> => {
      const reply = await this.submit({ op: 'migrate' }, 'write', 'migrate');
      for (const [details, message] of reply.logs ?? []) log?.info(details, message);
      return reply.value as MigrationReport;
    };
    store.ping = async (): Promise<void> => {
      await this.submit({ op: 'ping' }, 'lookup', 'ping');
    };
    store.close = () => this.close();
    return Object.freeze(store) as unknown as Store;
  }

  internals(): ReturnType<typeof threadsOf> {
    return {
      writer: this.writer.worker,
      readers: this.readers.map((r) => r.worker),
      call: (area, method, args, lane) => this.call(area, method, args, lane),
      pagesHeld: () => this.readers.reduce((n, r) => n + r.pagesHeld(), 0),
    };
  }

  private async call(area: string, method: string, args: unknown[], lane: Lane): Promise<unknown> {
    const reply = await this.submit({ area, method, args }, lane, `${area}.${method}`);
    const value = decode({ value: reply.value, ...(reply.bytes ? { bytes: reply.bytes } : {}) });
    return reply.lease ? reply.lease(value) : value;
  }

  private submit(body: RequestBody, lane: Lane, label: string): Promise<Answer> {
    if (this.closing) return Promise.reject(new UnavailableError('the database is closing'));
    this.inFlight++;
    return new Promise<Answer>((resolve, reject) => {
      const call: Call = { body, lane, label, resolve, reject };
      if (lane === 'write') this.toWriter(call);
      else {
        this.queue.push(call);
        this.dispatch();
      }
    }).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
  }

  // ---- the writer ---------------------------------------------------------------------------------

  private toWriter(call: Call): void {
    const { resolve, reject } = call;
    const started = Date.now();
    let late = false;
    // Migrations and close run as long as they need: a large backfill is no reason to stop.
    if ('area' in call.body) {
      call.timer = setTimeout(() => {
        late = true;
        this.log?.error(
          { store: 'sqlite', call: call.label, timeoutMs: this.writeTimeoutMs },
          'a database write is still running after its deadline; its caller was told the outcome is unknown',
        );
        reject(
          new UnavailableError(
            `the write did not finish within ${this.writeTimeoutMs} ms; it may still complete: check before repeating it`,
          ),
        );
      }, this.writeTimeoutMs);
    }
    call.resolve = (reply) => {
      clearTimeout(call.timer);
      if (late)
        this.log?.warn(
          { store: 'sqlite', call: call.label, ms: Date.now() - started },
          'late database write completed',
        );
      resolve(reply);
    };
    call.reject = (err) => {
      clearTimeout(call.timer);
      if (late) this.log?.warn({ store: 'sqlite', call: call.label, err }, 'late database write failed');
      reject(err);
    };
    if (!this.writer.isReady) {
      // Restarting after a crash: send the call when the new thread is up.
      void this.writer.ready.then(
        () => this.writer.post(call),
        () => call.reject(this.unavailable('the database writer could not be started')),
      );
      return;
    }
    this.writer.post(call);
  }

  // ---- the readers --------------------------------------------------------------------------------

  /** Scans may occupy every reader but one, so keyed lookups always find a free reader soon. */
  private get maxScans(): number {
    return Math.max(1, this.readerCount - 1);
  }

  private dispatch(): void {
    let scans = 0;
    for (const c of this.running.values()) if (c.lane === 'scan') scans++;
    for (let i = 0; i < this.queue.length;) {
      const call = this.queue[i] as Call;
      if (call.lane === 'scan' && scans >= this.maxScans) {
        i++;
        continue;
      }
      const reader = this.readers.find((r) => r.isReady && !r.exited && !this.running.has(r));
      if (!reader) return;
      this.queue.splice(i, 1);
      if (call.lane === 'scan') scans++;
      this.runOn(reader, call);
    }
  }

  private runOn(reader: Thread, call: Call): void {
    this.running.set(reader, call);
    const { resolve, reject } = call;
    const done = (): void => {
      clearTimeout(call.timer);
      if (this.running.get(reader) === call) this.running.delete(reader);
      this.dispatch();
    };
    call.timer = setTimeout(() => {
      reader.forget(call);
      this.log?.warn(
        { store: 'sqlite', call: call.label, timeoutMs: this.queryTimeoutMs },
        'database query cancelled at its deadline; restarting its reader thread',
      );
      reject(
        new UnavailableError(
          `the query took longer than ${this.queryTimeoutMs} ms and was cancelled; narrow the filter or try again`,
          { details: { timeout_ms: this.queryTimeoutMs } },
        ),
      );
      this.replaceReader(reader);
    }, this.queryTimeoutMs);
    call.resolve = (reply) => {
      done();
      resolve(reply);
    };
    call.reject = (err) => {
      done();
      const code = (err as { code?: unknown }).code;
      // The analyst index has queued changes a reader cannot apply: the writer applies them and reads.
      if (code === INTEL_BEHIND && 'area' in call.body) {
        this.toWriter({ ...call, lane: 'write', resolve, reject });
        return;
      }
      // query_only refused a write: the name looked like a read. Nothing was changed; run it on the writer.
      if (code === 'SQLITE_READONLY' && 'area' in call.body) {
        if (!this.misrouted.has(call.label)) {
          this.misrouted.add(call.label);
          this.log?.warn(
            { store: 'sqlite', call: call.label },
            'a store method named like a read writes: sent to the writer',
          );
        }
        this.toWriter({ ...call, lane: 'write', resolve, reject });
        return;
      }
      reject(err);
    };
    reader.post(call);
  }

  private replaceReader(old: Thread): void {
    this.running.delete(old);
    const i = this.readers.indexOf(old);
    void old.stop();
    if (this.closing || i < 0) return;
    this.readers[i] = this.spawn('reader');
    void this.readers[i].ready.then(
      () => this.dispatch(),
      () => undefined,
    );
    // Calls held back by the scan limit may run on the other readers meanwhile.
    this.dispatch();
  }

  // ---- crashes --------------------------------------------------------------------------------------

  private spawn(role: 'writer' | 'reader'): Thread {
    return new Thread(
      role,
      this.file,
      (t, code, cause) => this.crashed(t, code, cause),
      this.index,
      (n) => this.log?.[n.level]({ store: 'sqlite', role, ...n.details }, n.message),
    );
  }

  private unavailable(message: string, cause?: unknown): UnavailableError {
    return new UnavailableError(`${message}; try again`, cause !== undefined ? { cause } : {});
  }

  /** A thread died on its own: its callers are told at once, and a fresh thread takes its place. */
  private crashed(t: Thread, code: number, cause: Error | undefined): void {
    if (this.closing) return;
    this.log?.error(
      { store: 'sqlite', role: t.role, code, err: cause },
      'a SQLite thread stopped unexpectedly; restarting it',
    );
    const err = this.unavailable(`the database ${t.role} thread stopped unexpectedly`, cause);
    const calls = [...t.pending.values()];
    const running = this.running.get(t);
    if (running && !calls.includes(running)) calls.push(running);
    t.pending.clear();
    this.running.delete(t);
    const restart = (): void => {
      if (this.closing) return;
      if (t.role === 'writer') {
        if (this.writer === t) this.writer = this.spawn('writer');
        return;
      }
      const i = this.readers.indexOf(t);
      if (i < 0) return;
      const fresh = this.spawn('reader');
      this.readers[i] = fresh;
      void fresh.ready.then(
        () => this.dispatch(),
        () => undefined,
      );
    };
    // A thread that had started is replaced at once; one that failed while starting (the file
    // cannot be opened, say) is retried after a pause, and calls meanwhile fail fast.
    if (t.isReady) restart();
    else setTimeout(restart, RESTART_BACKOFF_MS).unref();
    for (const c of calls) c.reject(err);
  }

  // ---- close --------------------------------------------------------------------------------------

  /** Lets the calls already made finish, closes every connection (the writer checkpoints) and ends the threads. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      const closeOne = async (t: Thread): Promise<void> => {
        if (t.isReady && !t.exited) {
          await new Promise<void>((resolve) => {
            const call: Call = {
              body: { op: 'close' },
              lane: 'write',
              label: 'close',
              resolve: () => resolve(),
              reject: () => resolve(),
            };
            t.post(call);
          });
        }
        await t.stop();
      };
      // Readers and the checkpoint thread first: the writer's checkpoint can then truncate the whole WAL.
      await Promise.all([...this.readers.map(closeOne), this.checkpointer?.stop()]);
      await closeOne(this.writer);
    })();
    return this.closing;
  }
}

export type { WireError };
