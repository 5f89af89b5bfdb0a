// `npm run bench`: Palisade's throughput, latency and memory over real HTTP on loopback, against
// its targets and (with --peers) against medallion 3.0.0 and OpenTAXII 0.9.3 with the identical
// client workload. Measurement only. Rows and figures: docs/benchmarks.md.
//   npm run bench -- [--objects N] [--runs R] [--store sqlite|mongodb|both] [--quick] [--peers]
//                    [--peer-objects N] [--peer-runs R] [--peer-timeout S] [--data FILE]
//                    [--big N] [--seed S] [--connections C] [--seconds S] [--rss-mb MB]
//                    [--palisade build|dist|tsx] [--window W] [--peers-only] [--row-timeout S]
// On the MongoDB store, without --objects/--big/--rss-mb, the rows run on smaller sizes (FerretDB,
// the MongoDB-wire server at hand, reads a whole collection for each update); every row has a time
// budget (--row-timeout; 3600 s on SQLite, 180 s on MongoDB unless given) after which its figure
// is left null with a note.
// Every server is a process of its own (Palisade: `palisade serve`); the client shares the
// machine's cores with it, as in the older scripts/bench-*.ts. The last line printed is one JSON
// object holding every figure.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../src/paths.js';
import { mongoCollections } from '../src/store/mongo/documents.js';
import { freePort } from '../tests/helpers/free-port.js';
import {
  Client,
  indexSettled,
  ingest,
  pageLatencies,
  TAXII,
  walk,
  type Target,
  type WalkResult,
} from './bench/client.js';
import type { LoadOptions, LoadResult } from './bench/loadgen.js';
import {
  cleanupPalisade,
  cpuMs,
  memoryMb,
  palisadeCommand,
  preparePalisade,
  palisadeImport,
  peerPython,
  startMedallion,
  startOpenTaxii,
  forget,
  remember,
  startPalisade,
  writePalisadeConfig,
  type PalisadeSetup,
  type Running,
} from './bench/servers.js';
import { Walker, type WalkerRun } from './bench/walkers.js';
import { envelopes, generatedSource, listSource, type ObjectSource, type StixObject } from './bench/stix-gen.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string' },
    runs: { type: 'string', default: '3' },
    store: { type: 'string', default: 'sqlite' },
    quick: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: false },
    'peers-only': { type: 'boolean', default: false },
    'peer-objects': { type: 'string', default: '5000' },
    'peer-runs': { type: 'string' },
    'peer-timeout': { type: 'string', default: '120' },
    data: { type: 'string' },
    big: { type: 'string' },
    seed: { type: 'string', default: '20240601' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    'rss-mb': { type: 'string' },
    'row-timeout': { type: 'string' },
    window: { type: 'string', default: '4' },
    palisade: { type: 'string', default: 'build' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  // the header comment of this file, up to its imports
  const text = readFileSync(new URL(import.meta.url), 'utf8');
  process.stdout.write(`${text.slice(0, text.indexOf('\nimport '))}\n`);
  process.exit(0);
}
const int = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be an integer of at least ${min} (got ${String(v)})\n`);
    process.exit(2);
  }
  return n;
};
const QUICK = values.quick;
/** only the peer comparison: Palisade's peer-size rows and small requests, then the peers */
const PEERS_ONLY = values['peers-only'];
const RUNS = int('runs', values.runs, 1);
const PEER_RUNS = int('peer-runs', values['peer-runs'] ?? String(RUNS), 1);
const PEER_N = int('peer-objects', values['peer-objects'], 100);
const PEER_TIMEOUT = int('peer-timeout', values['peer-timeout'], 1) * 1000;
const BIG = int('big', values.big ?? (QUICK ? '200000' : '1000000'), 1000);
const MORE = 100_000;
const CONNECTIONS = int('connections', values.connections, 1);
const SECONDS = int('seconds', values.seconds, 1);
const RSS_MB = int('rss-mb', values['rss-mb'] ?? '100', 1);
const WINDOW = int('window', values.window, 1);
const SEED = int('seed', values.seed, 0);
const STORES: ('sqlite' | 'mongodb')[] =
  values.store === 'both'
    ? ['sqlite', 'mongodb']
    : values.store === 'mongodb'
      ? ['mongodb']
      : values.store === 'sqlite'
        ? ['sqlite']
        : [];
if (STORES.length === 0) {
  process.stderr.write(`bench: --store is sqlite, mongodb or both (got ${values.store})\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// data

const generated = generatedSource(SEED);
let main: ObjectSource = generated;
if (values.data) {
  const file = resolve(values.data);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { objects?: StixObject[] };
  if (!Array.isArray(parsed.objects)) throw new Error(`${file} holds no objects array`);
  main = listSource(parsed.objects, file);
}
const N = Math.min(int('objects', values.objects ?? '100000', 1000), main.size ?? Infinity);

/** the sizes of one store's rows */
interface Sizes {
  /** objects of the ingest and walk rows */
  objects: number;
  /** the big collection: page latency, the walk's peak RSS, the ingest into it */
  big: number;
  /** the collection whose page latency the big one's is divided by */
  small: number;
  /** entries ingested into the big collection per run (without --quick) */
  more: number;
  rss_mb: number;
  /** the options whose MongoDB defaults replaced the usual ones (not given on the command line) */
  reduced: string[];
}
/** 10k beside the big collection; below 10k (small runs, MongoDB defaults) 1k or the big size */
const smallOf = (big: number): number => (big >= 10_000 ? 10_000 : Math.min(big, 1000));
/**
 * MongoDB's defaults when --objects, --big or --rss-mb is not given. The MongoDB-wire server here
 * is FerretDB 1.24 on SQLite, which reads a whole collection for each query or update by _id: its
 * ingest slows as the database grows (about 140 obj/s into an empty one, 30 obj/s beside 1,000
 * objects, on a loaded machine), so the usual 100k and 200k–1M are out of reach. Against a real
 * MongoDB (PALISADE_TEST_MONGO_URI) give the usual sizes on the command line.
 */
const MONGO_DEFAULTS = { objects: 1000, big: 3000, more: 1000, rss_mb: 1 };
const SIZES: Record<'sqlite' | 'mongodb', Sizes> = {
  sqlite: { objects: N, big: BIG, small: smallOf(BIG), more: MORE, rss_mb: RSS_MB, reduced: [] },
  mongodb: (() => {
    const reduced: string[] = [];
    const pick = (option: string, given: string | undefined, usual: number, small: number): number => {
      if (given !== undefined) return usual;
      reduced.push(`--${option} ${small}`);
      return small;
    };
    const objects = pick('objects', values.objects, N, Math.min(MONGO_DEFAULTS.objects, main.size ?? Infinity));
    const big = pick('big', values.big, BIG, MONGO_DEFAULTS.big);
    const more = values.big === undefined ? MONGO_DEFAULTS.more : MORE;
    const rss = pick('rss-mb', values['rss-mb'], RSS_MB, MONGO_DEFAULTS.rss_mb);
    return { objects, big, small: smallOf(big), more, rss_mb: rss, reduced };
  })(),
};
/** each row's time budget in seconds (--row-timeout, else generous on SQLite, bounded on MongoDB) */
const ROW_TIMEOUT: Record<'sqlite' | 'mongodb', number> =
  values['row-timeout'] === undefined
    ? { sqlite: 3600, mongodb: 180 }
    : (() => {
        const t = int('row-timeout', values['row-timeout'], 1);
        return { sqlite: t, mongodb: t };
      })();
const sizeLabel = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
/**
 * OpenTAXII answers 500 to an envelope holding an object without `modified` (marking
 * definitions, STIX 2.1 §7.2.1, have none): the peer data leaves such objects out, for all three.
 */
const peerKeep = (o: StixObject): boolean => typeof o.modified === 'string';
const peerList: StixObject[] = [];
for (let i = 0; i < (main.size ?? Infinity) && peerList.length < PEER_N; i++) {
  const o = main.object(i);
  if (peerKeep(o)) peerList.push(o);
}
const peerLeftOut = (() => {
  let k = 0;
  for (let i = 0; i < Math.min(main.size ?? Infinity, PEER_N * 2); i++) if (!peerKeep(main.object(i))) k++;
  return k;
})();
const peerSrc = listSource(peerList, 'peer data');

// ---------------------------------------------------------------------------------------------
// small helpers

/**
 * CPU per object of a row, started now: the server process (all its threads) and the client (this
 * process, or the CPU a walking client reports), in µs. With two cores, their sum against the
 * row's wall time per object says whether the row was short of CPU or waiting.
 */
function cpuMeter(pid: number): (objects: number, clientUs?: number) => CpuPerObject {
  const s0 = cpuMs(pid);
  const c0 = process.cpuUsage();
  return (objects, clientUs) => {
    const c = process.cpuUsage(c0);
    const n = Math.max(1, objects);
    return {
      server_us: round(((cpuMs(pid) - s0) * 1000) / n, 2),
      client_us: round((clientUs ?? c.user + c.system) / n, 2),
    };
  };
}

interface CpuPerObject {
  server_us: number | null;
  client_us: number | null;
}

const median = (xs: number[]): number | null => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const round = (x: number | null, d = 0): number | null => (x === null ? null : Number(x.toFixed(d)));
const loads: number[] = [];
const sampleLoad = (): void => {
  loads.push(Number((loadavg()[0] ?? 0).toFixed(2)));
};
const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`;
  }
};
const log = (s: string): void => {
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)} load ${(loadavg()[0] ?? 0).toFixed(1)}] ${s}\n`,
  );
};
const notes: string[] = [];
const note = (s: string): void => {
  notes.push(s);
  log(`NOTE: ${s}`);
};

async function loadgen(o: LoadOptions): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'scripts', 'bench', 'loadgen.ts'), 'run', JSON.stringify(o)],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  if (code !== 0) throw new Error(`load generator failed (${code}): ${err.slice(-1000)}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as LoadResult;
}

/**
 * The load generator alone, against a trivial Node server (`trivial`: the ceiling of the
 * small-requests row) or a one-route express + helmet app (`express`: what any Express server
 * reaches here, Palisade's floor).
 */
async function clientCeiling(mode: 'trivial' | 'express' = 'trivial'): Promise<LoadResult> {
  const port = await freePort();
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'scripts', 'bench', 'loadgen.ts'), mode, String(port)],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((r) => server.stdout.once('data', () => r()));
  try {
    const res: LoadResult[] = [];
    for (let r = 0; r < RUNS; r++) res.push(await loadgen(smallLoad(port, ['/taxii2/'], { user: 'x', password: 'y' })));
    return { ...(res[0] as LoadResult), rps: median(res.map((x) => x.rps)) as number };
  } finally {
    server.kill('SIGTERM');
  }
}

/** The walk client alone against fixed pages (loadgen.ts `pages`): obj/s with one and two clients. */
async function walkCeiling(): Promise<{ one: number; two: number }> {
  const port = await freePort();
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'scripts', 'bench', 'loadgen.ts'), 'pages', String(port)],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => server.stdout.once('data', () => r()));
  const t: Target = {
    name: 'fixed pages',
    port,
    pid: server.pid as number,
    discovery: '/taxii2/',
    root: '/b/',
    collections: { a: 'a', b: 'b' },
    user: 'x',
    password: 'y',
  };
  const w = await Walker.start(t, 60_000);
  try {
    const one: number[] = [];
    const two: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      one.push(walkedPerSecond(await w.run([{ collection: 'a', limit: 1000 }])));
      two.push(
        walkedPerSecond(
          await w.run([
            { collection: 'a', limit: 1000 },
            { collection: 'b', limit: 1000 },
          ]),
        ),
      );
    }
    return { one: round(median(one)) as number, two: round(median(two)) as number };
  } finally {
    w.close();
    server.kill('SIGTERM');
  }
}

/** objects of a walker's run, all its walks together */
function walkedObjects(r: WalkerRun): number {
  return r.walks.reduce((a, w) => a + w.objects, 0);
}

/** objects per second over a walker's run, all its walks together */
function walkedPerSecond(r: WalkerRun): number {
  return walkedObjects(r) / r.seconds;
}

function smallLoad(port: number, paths: string[], who: { user: string; password: string }): LoadOptions {
  return {
    port,
    paths,
    headers: { Accept: TAXII, Authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}` },
    connections: CONNECTIONS,
    depth: 1,
    warmupMs: 1000,
    durationMs: SECONDS * 1000,
  };
}

/** discovery (§4.1), the collections list (§5.1) and a status (§4.3), in turn on every connection */
async function smallRps(
  t: Target,
  statusId: string | undefined,
  runs: number,
): Promise<{ rps: number | null; p50_ms: number | null; p99_ms: number | null; errors: number }> {
  const paths = [t.discovery, `${t.root}collections/`, ...(statusId ? [`${t.root}status/${statusId}/`] : [])];
  const res: LoadResult[] = [];
  for (let r = 0; r < runs; r++) {
    sampleLoad();
    res.push(await loadgen(smallLoad(t.port, paths, t)));
  }
  const errors = res.reduce((a, x) => a + x.errors, 0);
  if (errors > 0) note(`${t.name}: ${errors} small requests failed (${JSON.stringify(res.map((x) => x.statuses))})`);
  return {
    rps: round(median(res.map((x) => x.rps))),
    p50_ms: median(res.map((x) => x.p50_ms)),
    p99_ms: median(res.map((x) => x.p99_ms)),
    errors,
  };
}

interface Bodies {
  list: { body: Buffer; count: number }[];
  objects: number;
}
const build = (src: ObjectSource, from: number, to: number, per = 1000): Bodies => {
  const list = [...envelopes(src, from, to, per)];
  return { list, objects: list.reduce((a, b) => a + b.count, 0) };
};

/** `f` on the target, timing each run; a failure of a peer row leaves null and a note */
async function rows<T>(label: string, runs: number, f: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let r = 0; r < runs; r++) {
    sampleLoad();
    const x = await f(r);
    out.push(x);
    log(`${label} run ${r + 1}/${runs}: ${JSON.stringify(x)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Palisade

interface PalisadeFigures {
  store: string;
  sizes: Sizes;
  /** each row's time budget on this store */
  row_timeout_s: number;
  /** figures left null because their row ran out of row_timeout_s (or needed such a row's data) */
  unfinished: string[];
  ingest_obj_s: number | null;
  ingest_failed: number;
  /**
   * the analyst index's catch-up after each ingest run: the backlog it found when the last status
   * was complete, over the seconds until none was left (SQLite applies it after the writes)
   */
  index_catchup_obj_s: number | null;
  /** objects over ingest seconds plus catch-up seconds: stored and searchable */
  ingest_indexed_obj_s: number | null;
  ingest_1m_obj_s: number | null;
  ingest_1m_at: number | null;
  walk_obj_s: number | null;
  walk2_obj_s: number | null;
  walk_objects: number | null;
  page_ms_10k: { first: number | null; deep: number | null; all: number | null };
  page_ms_big: { first: number | null; deep: number | null; all: number | null };
  page_big_objects: number;
  page_latency_ratio: number | null;
  small_rps: number | null;
  small_p50_ms: number | null;
  small_p99_ms: number | null;
  small_rps_by_path: Record<string, number>;
  idle_rss_mb: number | null;
  preload_obj_s: number | null;
  preload_via: string;
  walk_big_obj_s: number | null;
  peak_rss_walk_mb: number | null;
  peak_rss_ingest_mb: number | null;
  rss_envelope_mb: number;
  rss_envelope_objects: number;
  peer_n: { ingest_obj_s: number | null; walk_obj_s: number | null; small_rps: number | null; objects: number } | null;
}

const lat = (x: {
  first: number[];
  deep: number[];
}): { first: number | null; deep: number | null; all: number | null } => ({
  first: round(median(x.first), 2),
  deep: round(median(x.deep), 2),
  all: round(median([...x.first, ...x.deep]), 2),
});

/** added_after marks at 50 % and 90 % of a walk (deep positions for the latency samples) */
/** the latency row's query: a type filter, pages of 100 */
const LATENCY_QUERY = '&match[type]=indicator';
const deepMarks = (marks: string[]): string[] =>
  [marks[Math.floor(marks.length * 0.5)], marks[Math.floor(marks.length * 0.9)]].filter(
    (m): m is string => typeof m === 'string',
  );

async function mongoStore(): Promise<{ uri: string; stop: () => Promise<void> }> {
  const env = process.env.PALISADE_TEST_MONGO_URI;
  if (env) return { uri: env, stop: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-ferret-'));
  remember.dir(dir);
  const port = await freePort();
  const pid = Number(
    execFileSync('bash', [join(projectRoot, 'scripts', 'ferretdb.sh'), 'start', dir, String(port)], {
      encoding: 'utf8',
    }).trim(),
  );
  remember.pid(pid);
  log(`started FerretDB (pid ${pid}) on port ${port}`);
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    stop: async () => {
      process.kill(pid, 'SIGTERM');
      forget.pid(pid);
      await new Promise((r) => setTimeout(r, 500));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** what a row over its time budget returns */
const OVER: unique symbol = Symbol('over budget');
const noop = (): void => undefined;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runPalisade(
  kind: 'sqlite' | 'mongodb',
  sz: Sizes,
  mainBodies: Bodies,
  peerBodies: Bodies | undefined,
): Promise<PalisadeFigures> {
  const dir = await mkdtemp(join(tmpdir(), `palisade-bench-${kind}-`));
  remember.dir(dir);
  const mongo = kind === 'mongodb' ? await mongoStore() : undefined;
  const database = `palisade_bench_${randomUUID().slice(0, 8)}`;
  const store: PalisadeSetup['store'] = mongo ? { kind: 'mongodb', uri: mongo.uri, database } : { kind: 'sqlite' };
  const collections: Record<string, string> = {};
  const cid = (n: number): string => `b0b0b0b0-${n.toString(16).padStart(4, '0')}-4000-8000-000000000000`;
  let k = 1;
  for (let r = 0; r < Math.max(2, RUNS); r++) collections[`ingest-${r}`] = cid(k++);
  for (let r = 0; r < PEER_RUNS; r++) collections[`peer-${r}`] = cid(k++);
  collections.small = cid(k++);
  collections.big = cid(k++);
  collections.rss = cid(k++);
  const setup: PalisadeSetup = { dir, collections, store };
  const config = await writePalisadeConfig(setup);
  const budgetS = ROW_TIMEOUT[kind];
  const f: PalisadeFigures = {
    store: kind,
    sizes: sz,
    row_timeout_s: budgetS,
    unfinished: [],
    ingest_obj_s: null,
    ingest_failed: 0,
    index_catchup_obj_s: null,
    ingest_indexed_obj_s: null,
    ingest_1m_obj_s: null,
    ingest_1m_at: null,
    walk_obj_s: null,
    walk2_obj_s: null,
    walk_objects: null,
    page_ms_10k: { first: null, deep: null, all: null },
    page_ms_big: { first: null, deep: null, all: null },
    page_big_objects: sz.big,
    page_latency_ratio: null,
    small_rps: null,
    small_p50_ms: null,
    small_p99_ms: null,
    small_rps_by_path: {},
    idle_rss_mb: null,
    preload_obj_s: null,
    preload_via: 'palisade import - (the CLI, through the ingestion queue, server stopped)',
    walk_big_obj_s: null,
    peak_rss_walk_mb: null,
    peak_rss_ingest_mb: null,
    rss_envelope_mb: 0,
    rss_envelope_objects: 0,
    peer_n: null,
  };
  const unfinished = (figures: string[], why: string): void => {
    for (const x of figures) if (!f.unfinished.includes(x)) f.unfinished.push(x);
    note(`palisade/${kind}: ${why}; ${figures.join(', ')} left null`);
  };

  let server: Running | undefined;
  /** the clients talking to the current server process: a row over its budget aborts them all */
  let clients: Client[] = [];
  const client = (timeoutMs = 600_000): Client => {
    const x = new Client(current().target, timeoutMs);
    clients.push(x);
    return x;
  };
  let mainClient: Client | undefined;
  /** the client of the sequential rows, a new one after a row over budget aborted the last */
  const cm = (): Client => (mainClient && !mainClient.isAborted ? mainClient : (mainClient = client()));
  let mainWalker: Walker | undefined;
  /** the walking client of the walk rows (scripts/bench/walker.ts), kept across them */
  const wm = async (): Promise<Walker> =>
    mainWalker && !mainWalker.isAborted ? mainWalker : (mainWalker = await Walker.start(current().target, 600_000));
  /** one walk of `collection` by the walking client, with the CPU per object of both sides */
  const walkRow = async (collections: string[]): Promise<{ run: WalkerRun; objects: number; cpu: CpuPerObject }> => {
    const server = cpuMeter(current().target.pid);
    const run = await (await wm()).run(collections.map((collection) => ({ collection, limit: 1000 })));
    const objects = walkedObjects(run);
    return { run, objects, cpu: server(objects, run.cpu_us) };
  };
  const current = (): Running => {
    if (!server) throw new Error(`palisade/${kind}: no server running`);
    return server;
  };
  const start = async (): Promise<Running> => {
    server = await startPalisade(setup, config);
    return server;
  };
  const stop = async (): Promise<void> => {
    for (const x of clients) x.close();
    clients = [];
    mainWalker?.close();
    mainWalker = undefined;
    mainClient = undefined;
    await server?.stop();
    server = undefined;
  };
  /**
   * The envelopes a row over budget left in the durable ingestion queue (src/store/jobs.ts) would
   * be taken up again by the restarted server and slow every later row down: on MongoDB they are
   * deleted from the benchmark's own throwaway database, the server being stopped. On SQLite the
   * queue lives in the server's files and resumes; a note says so.
   */
  const dropQueuedIngest = async (): Promise<void> => {
    if (!mongo) {
      note(`palisade/${kind}: the envelopes still queued resume when the server restarts, beside the next rows`);
      return;
    }
    const mc = await MongoClient.connect(mongo.uri);
    try {
      const db = mongoCollections(mc.db(database));
      for (const c of [db.jobLeases, db.jobItems, db.jobs]) await c.deleteMany({});
    } finally {
      await mc.close();
    }
  };
  /**
   * `f` within the row budget (--row-timeout). Over it, the row's requests and its import are
   * cut, the server restarts without the row's queued work, `figures` are marked unfinished and
   * OVER is returned: the table shows no figure for them rather than a partial one.
   */
  const budget = async <T>(
    what: string,
    figures: string[],
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | typeof OVER> => {
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof OVER>((r) => {
      timer = setTimeout(() => r(OVER), budgetS * 1000);
    });
    const work = fn(ac.signal);
    work.catch(noop); // once the budget ran out, the row's failure is the expected one
    try {
      const won = await Promise.race([work, expired]);
      if (won !== OVER) return won;
    } finally {
      clearTimeout(timer);
    }
    const reason = new Error(`palisade/${kind}: ${what} ran out of its ${budgetS} s budget`);
    ac.abort(reason);
    for (const x of clients) x.abort(reason);
    mainWalker?.abort(reason);
    await Promise.race([work.then(noop, noop), sleep(30_000)]);
    unfinished(
      figures,
      `${what.replace(`palisade/${kind} `, '')} did not finish within the ${budgetS} s row budget (--row-timeout) on this store`,
    );
    const restart = server !== undefined;
    await stop();
    await dropQueuedIngest();
    if (restart) await start();
    return OVER;
  };
  /** `runs` runs of one row, each within the budget; all of them or OVER */
  const budgetRows = async <T>(
    label: string,
    runs: number,
    figures: string[],
    fn: (run: number, signal: AbortSignal) => Promise<T>,
  ): Promise<T[] | typeof OVER> => {
    const out: T[] = [];
    for (let r = 0; r < runs; r++) {
      sampleLoad();
      const x = await budget(`${label} (run ${r + 1}/${runs})`, figures, (signal) => fn(r, signal));
      if (x === OVER) return OVER;
      out.push(x);
      log(`${label} run ${r + 1}/${runs}: ${JSON.stringify(x)}`);
    }
    return out;
  };
  /** collections whose every object went in: the rows reading them need them whole */
  const loaded = new Set<string>();
  /** deep positions in the small collection, once it is loaded (the latency row) */
  let smallMarks: string[] | undefined;
  const bigLabel = sizeLabel(sz.big);

  try {
    // --- 1: empty collections
    log(`palisade/${kind}: starting (${palisadeCommand().label}); row budget ${budgetS} s`);
    f.idle_rss_mb = round(memoryMb((await start()).target.pid).rss);
    if (!PEERS_ONLY) {
      const ing = await budgetRows(
        `palisade/${kind} ingest ${mainBodies.objects}`,
        RUNS,
        ['ingest_obj_s'],
        async (r) => {
          const cpu = cpuMeter(current().target.pid);
          const x = await ingest(cm(), `ingest-${r}`, mainBodies.list, WINDOW);
          const used = cpu(x.objects);
          f.ingest_failed += x.failed;
          if (x.failed > 0) note(`palisade/${kind}: ${x.failed} objects failed to ingest, first: ${x.firstFailure}`);
          loaded.add(`ingest-${r}`);
          // Not in the ingest figure, reported beside it; and no row after this one runs beside it.
          const idx = await indexSettled(current().target.port);
          return {
            obj_s: Math.round(x.objects / x.seconds),
            seconds: round(x.seconds, 2),
            succeeded: x.succeeded,
            failed: x.failed,
            index_backlog: idx.backlog,
            index_s: Number(idx.seconds.toFixed(2)),
            indexed_obj_s: Math.round(x.objects / (x.seconds + idx.seconds)),
            ...used,
          };
        },
      );
      if (ing !== OVER) {
        f.ingest_obj_s = round(median(ing.map((x) => x.obj_s)));
        f.ingest_indexed_obj_s = round(median(ing.map((x) => x.indexed_obj_s)));
        const caught = ing.filter((x) => x.index_backlog > 0 && x.index_s > 0);
        if (caught.length > 0) f.index_catchup_obj_s = round(median(caught.map((x) => x.index_backlog / x.index_s)));
      }
      if (RUNS === 1 && loaded.has('ingest-0'))
        // a second full collection for walk2
        await budget(`palisade/${kind} second collection for the two-client walk`, ['walk2_obj_s'], async () => {
          const x = await ingest(cm(), 'ingest-1', mainBodies.list, WINDOW);
          if (x.failed > 0)
            note(`palisade/${kind}: ${x.failed} objects failed to ingest into ingest-1, first: ${x.firstFailure}`);
          await indexSettled(current().target.port);
          loaded.add('ingest-1');
        });
      const expected = main.distinct(sz.objects);
      if (!loaded.has('ingest-0'))
        unfinished(['walk_obj_s', 'walk2_obj_s'], 'the walk rows had no full collection to read');
      else {
        const walks = await budgetRows(`palisade/${kind} walk ${expected}`, RUNS, ['walk_obj_s'], async () => {
          const { run, cpu } = await walkRow(['ingest-0']);
          const w = run.walks[0] as WalkResult;
          if (w.objects !== expected)
            note(`palisade/${kind}: the walk returned ${w.objects} objects, expected ${expected}`);
          return {
            obj_s: Math.round(w.objects / run.seconds),
            objects: w.objects,
            pages: w.pages,
            mb: round(w.bytes / 1048576, 1),
            ...cpu,
          };
        });
        if (walks !== OVER) {
          f.walk_obj_s = round(median(walks.map((x) => x.obj_s)));
          f.walk_objects = walks[0]?.objects ?? null;
        }
        if (loaded.has('ingest-1')) {
          // each of the two walks has a client and connection pool of its own, kept across the runs
          const walks2 = await budgetRows(`palisade/${kind} walk x2`, RUNS, ['walk2_obj_s'], async () => {
            const { run, objects, cpu } = await walkRow(['ingest-0', 'ingest-1']);
            const [a, b] = run.walks as [WalkResult, WalkResult];
            if (objects !== 2 * expected)
              note(
                `palisade/${kind}: the two walks returned ${a.objects} + ${b.objects} objects, expected ${expected} each`,
              );
            return { obj_s: Math.round(objects / run.seconds), objects, ...cpu };
          });
          if (walks2 !== OVER) f.walk2_obj_s = round(median(walks2.map((x) => x.obj_s)));
        } else if (!f.unfinished.includes('walk2_obj_s'))
          unfinished(['walk2_obj_s'], 'the two-client walk had no second full collection');
      }
      // latency at the small size: its first generated entries
      log(`palisade/${kind}: loading ${sz.small} objects for the latency row`);
      const l10 = await budget(
        `palisade/${kind} loading and reading ${sz.small} objects for the latency row`,
        ['page_latency_ratio'],
        async () => {
          await ingest(cm(), 'small', build(generated, 0, sz.small).list, WINDOW);
          await indexSettled(current().target.port);
          const w10k = await walk(cm(), 'small', 1000);
          smallMarks = deepMarks(w10k.marks);
          return pageLatencies(cm(), 'small', LATENCY_QUERY, 100, smallMarks);
        },
      );
      if (l10 !== OVER) {
        // Replaced by the figure taken beside the big collection's, in its server (below).
        f.page_ms_10k = lat(l10);
        log(`palisade/${kind}: page latency at ${sizeLabel(sz.small)} ${JSON.stringify(f.page_ms_10k)} (first server)`);
      }
    }
    if (peerBodies) {
      const pi = await budgetRows(
        `palisade/${kind} peer-size ingest ${peerBodies.objects}`,
        PEER_RUNS,
        ['peer_n'],
        async (r) => {
          const x = await ingest(cm(), `peer-${r}`, peerBodies.list, WINDOW);
          await indexSettled(current().target.port);
          return { obj_s: Math.round(x.objects / x.seconds), failed: x.failed };
        },
      );
      // A walk of five pages takes some 30 ms here and moves by half from one run to the next;
      // Palisade's walks are cheap, so this one takes the median of --runs like its other rows
      // (the peers' walks take minutes: --peer-runs).
      const pw =
        pi === OVER
          ? OVER
          : await budgetRows(`palisade/${kind} peer-size walk`, Math.max(RUNS, PEER_RUNS), ['peer_n'], async () => {
              const { run, objects } = await walkRow(['peer-0']);
              return { obj_s: Math.round(objects / run.seconds), objects };
            });
      if (pi !== OVER && pw !== OVER)
        f.peer_n = {
          ingest_obj_s: round(median(pi.map((x) => x.obj_s))),
          walk_obj_s: round(median(pw.map((x) => x.obj_s))),
          small_rps: f.small_rps,
          objects: peerBodies.objects,
        };
    }
    // small requests last on this server: a status id for them, once its one object is in (on
    // FerretDB that job would otherwise hold the store, and every read of the mix behind it)
    const statusId = await budget(`palisade/${kind} one object for a status id`, ['small_rps'], async () => {
      const post = await cm().call(
        'POST',
        cm().objectsPath('small'),
        Buffer.from(JSON.stringify({ objects: [main.object(0)] })),
      );
      const id = (JSON.parse(post.body.toString()) as { id?: string }).id;
      const done = async (): Promise<boolean> => {
        const r = await cm().call('GET', `${cm().target.root}status/${id}/`);
        return (JSON.parse(r.body.toString()) as { status?: string }).status === 'complete';
      };
      while (id && !(await done())) await sleep(20);
      return id;
    });
    if (statusId !== OVER) {
      const t = current().target;
      // the load generator ends on its own after --seconds; no budget needed
      const small = await smallRps(t, statusId, RUNS);
      f.small_rps = small.rps;
      f.small_p50_ms = small.p50_ms;
      f.small_p99_ms = small.p99_ms;
      // each kind of request alone, once: where the time of the mix goes
      for (const [name, path] of [
        ['discovery', t.discovery],
        ['collections', `${t.root}collections/`],
        ['status', `${t.root}status/${statusId}/`],
        ['healthz_no_auth', '/healthz'],
      ] as const) {
        sampleLoad();
        f.small_rps_by_path[name] = (await loadgen(smallLoad(t.port, [path], t))).rps;
      }
      if (f.peer_n) f.peer_n.small_rps = f.small_rps;
      log(`palisade/${kind}: small requests ${f.small_rps} req/s (mix), alone ${JSON.stringify(f.small_rps_by_path)}`);
    }
    await stop();
    if (PEERS_ONLY) return f;

    // --- 2: a big collection, preloaded through `palisade import`
    log(`palisade/${kind}: preloading ${sz.big} objects through palisade import`);
    sampleLoad();
    const t0 = performance.now();
    const report = await budget(
      `palisade/${kind} preload of ${sz.big} objects through palisade import`,
      ['page_latency_ratio', 'peak_rss_walk_mb', ...(QUICK ? [] : ['ingest_1m_obj_s'])],
      (signal) =>
        palisadeImport(
          setup,
          config,
          'big',
          async (write) => {
            await write('{"objects":[');
            for (let i = 0; i < sz.big; i += 1000) {
              const parts: string[] = [];
              for (let j = i; j < Math.min(i + 1000, sz.big); j++) parts.push(JSON.stringify(generated.object(j)));
              await write((i > 0 ? ',' : '') + parts.join(','));
            }
            await write(']}');
          },
          signal,
        ),
    );
    if (report !== OVER) {
      f.preload_obj_s = Math.round(sz.big / ((performance.now() - t0) / 1000));
      log(
        `palisade/${kind}: preload ${f.preload_obj_s} obj/s (generation included); import said ${report.slice(0, 400)}`,
      );
      const sb = await start();
      sampleLoad();
      const expectedBig = generated.distinct(sz.big);
      const wb = await budget(`palisade/${kind} walk of ${bigLabel}`, ['peak_rss_walk_mb'], async () => {
        const { run } = await walkRow(['big']);
        const w = run.walks[0] as WalkResult;
        f.walk_big_obj_s = Math.round(w.objects / run.seconds);
        f.peak_rss_walk_mb = round(memoryMb(sb.target.pid).hwm);
        return w;
      });
      if (wb === OVER) f.walk_big_obj_s = null;
      else {
        if (wb.objects !== expectedBig)
          note(`palisade/${kind}: the walk of big returned ${wb.objects} objects, expected ${expectedBig}`);
        log(`palisade/${kind}: walk of ${wb.objects} at ${f.walk_big_obj_s} obj/s, VmHWM ${f.peak_rss_walk_mb} MB`);
      }
      sampleLoad();
      const lb = await budget(`palisade/${kind} page latency at ${bigLabel}`, ['page_latency_ratio'], async () => {
        // Both sizes in this one server (the small collection is in its database too), in
        // alternating rounds: the ratio compares the sizes, not two server processes minutes apart
        // on a machine whose speed moves.
        const bigMarks = wb === OVER ? [] : deepMarks(wb.marks);
        const big = { first: [] as number[], deep: [] as number[] };
        const small = { first: [] as number[], deep: [] as number[] };
        for (let round = 0; round < 2; round++) {
          const b = await pageLatencies(cm(), 'big', LATENCY_QUERY, 50, bigMarks);
          big.first.push(...b.first);
          big.deep.push(...b.deep);
          if (smallMarks === undefined) continue;
          const s10 = await pageLatencies(cm(), 'small', LATENCY_QUERY, 50, smallMarks);
          small.first.push(...s10.first);
          small.deep.push(...s10.deep);
        }
        return { big, small: smallMarks === undefined ? undefined : small };
      });
      if (lb !== OVER) {
        f.page_ms_big = lat(lb.big);
        if (lb.small) f.page_ms_10k = lat(lb.small);
        f.page_latency_ratio =
          f.page_ms_big.all !== null && f.page_ms_10k.all ? round(f.page_ms_big.all / f.page_ms_10k.all, 2) : null;
        log(
          `palisade/${kind}: page latency at ${sz.big} ${JSON.stringify(f.page_ms_big)}, at ${sizeLabel(sz.small)} in the same server ${JSON.stringify(f.page_ms_10k)}`,
        );
      }
      if (!QUICK) {
        const more = await budgetRows(
          `palisade/${kind} ingest ${sz.more} into ${sz.big}+`,
          RUNS,
          ['ingest_1m_obj_s'],
          async (r) => {
            const from = sz.big + r * sz.more;
            const bodies = build(generated, from, from + sz.more);
            const x = await ingest(cm(), 'big', bodies.list, WINDOW);
            const idx = await indexSettled(current().target.port);
            return {
              obj_s: Math.round(x.objects / x.seconds),
              failed: x.failed,
              at: from,
              index_s: round(idx.seconds, 2),
              indexed_obj_s: Math.round(x.objects / (x.seconds + idx.seconds)),
            };
          },
        );
        if (more !== OVER) {
          f.ingest_1m_obj_s = round(median(more.map((x) => x.obj_s)));
          f.ingest_1m_at = sz.big;
        }
      }
      await stop();
    }

    // --- 3: a fresh process takes one envelope of sz.rss_mb
    const sr = await start();
    const parts: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < sz.rss_mb * 1048576; i++) {
      const s = JSON.stringify(generated.object(5_000_000 + i));
      parts.push(s);
      bytes += s.length + 1;
    }
    const big = Buffer.from(`{"objects":[${parts.join(',')}]}`);
    f.rss_envelope_mb = round(big.length / 1048576, 1) as number;
    f.rss_envelope_objects = parts.length;
    parts.length = 0;
    log(
      `palisade/${kind}: posting one envelope of ${f.rss_envelope_mb} MB (${f.rss_envelope_objects} objects); VmRSS before ${round(memoryMb(sr.target.pid).rss)} MB`,
    );
    sampleLoad();
    const x = await budget(`palisade/${kind} one ${f.rss_envelope_mb} MB envelope`, ['peak_rss_ingest_mb'], () =>
      ingest(client(900_000), 'rss', [{ body: big, count: f.rss_envelope_objects }], 1),
    );
    if (x !== OVER) {
      f.peak_rss_ingest_mb = round(memoryMb(sr.target.pid).hwm);
      log(
        `palisade/${kind}: the envelope took ${round(x.seconds, 1)} s (${x.failed} failed); VmHWM ${f.peak_rss_ingest_mb} MB`,
      );
    }
  } catch (err) {
    if (server) log(`palisade/${kind} failed; the server's last output:\n${server.output().slice(-3000)}`);
    throw err;
  } finally {
    await stop();
    if (mongo) {
      const mc = await MongoClient.connect(mongo.uri).catch(() => undefined);
      await mc
        ?.db(database)
        .dropDatabase()
        .catch(() => undefined);
      await mc?.close();
      await mongo.stop();
    }
    await rm(dir, { recursive: true, force: true });
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// peers

interface PeerFigures {
  ingest_obj_s: number | null;
  walk_obj_s: number | null;
  walk_objects: number | null;
  small_rps: number | null;
  small_p99_ms: number | null;
  peak_rss_mb: number | null;
  objects: number;
  error?: string;
}

async function runPeer(name: 'medallion' | 'opentaxii', bodies: Bodies): Promise<PeerFigures> {
  const f: PeerFigures = {
    ingest_obj_s: null,
    walk_obj_s: null,
    walk_objects: null,
    small_rps: null,
    small_p99_ms: null,
    peak_rss_mb: null,
    objects: bodies.objects,
  };
  const python = peerPython(name, true);
  if (!python) {
    f.error = `could not build the ${name} virtualenv (scripts/peers/venv.sh ${name})`;
    note(f.error);
    return f;
  }
  const dir = await mkdtemp(join(tmpdir(), `palisade-bench-${name}-`));
  remember.dir(dir);
  const names = Array.from({ length: PEER_RUNS }, (_, r) => `peer-${r}`);
  let server: Running | undefined;
  try {
    log(`${name}: starting`);
    server = name === 'medallion' ? await startMedallion(python, dir, names) : await startOpenTaxii(python, dir, names);
    const c = new Client(server.target, PEER_TIMEOUT);
    const ing = await rows(`${name} ingest ${bodies.objects}`, PEER_RUNS, async (r) => {
      const x = await ingest(c, `peer-${r}`, bodies.list, WINDOW);
      if (x.failed > 0) note(`${name}: ${x.failed} objects failed to ingest, first: ${x.firstFailure}`);
      return { obj_s: Math.round(x.objects / x.seconds), seconds: round(x.seconds, 2), failed: x.failed };
    });
    f.ingest_obj_s = round(median(ing.map((x) => x.obj_s)));
    const expected = peerSrc.distinct(peerList.length);
    // the same walking client as Palisade's walk rows, in a process of its own
    const walker = await Walker.start(server.target, PEER_TIMEOUT);
    const walks = await rows(`${name} walk`, PEER_RUNS, async () => {
      const run = await walker.run([{ collection: 'peer-0', limit: 1000 }]);
      const w = run.walks[0] as WalkResult;
      if (w.objects !== expected) note(`${name}: the walk returned ${w.objects} objects, expected ${expected}`);
      return {
        obj_s: Math.round(w.objects / run.seconds),
        objects: w.objects,
        pages: w.pages,
        seconds: round(run.seconds, 2),
      };
    }).finally(() => walker.close());
    f.walk_obj_s = round(median(walks.map((x) => x.obj_s)));
    f.walk_objects = walks[0]?.objects ?? null;
    const post = await c.call('POST', c.objectsPath('peer-0'), Buffer.from(JSON.stringify({ objects: [peerList[0]] })));
    const statusId = (JSON.parse(post.body.toString()) as { id?: string }).id;
    const small = await smallRps(server.target, statusId, 1);
    f.small_rps = small.rps;
    f.small_p99_ms = small.p99_ms;
    f.peak_rss_mb = round(memoryMb(server.target.pid).hwm);
    c.close();
  } catch (err) {
    f.error = err instanceof Error ? err.message.slice(0, 600) : String(err);
    note(f.error.startsWith(`${name}:`) ? f.error : `${name}: ${f.error}`);
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// run

/** which code was measured: HEAD and the files of src/ that differ from it (read-only git calls) */
const codeVersion = (): { head: string | null; src_changes: number | null } => {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', ['--no-optional-locks', ...args], {
        cwd: projectRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const status = git(['status', '--porcelain', '--', 'src']);
  return {
    head: git(['rev-parse', '--short', 'HEAD']),
    src_changes: status === null ? null : status.split('\n').filter(Boolean).length,
  };
};
const code = codeVersion();
const uptimeStart = uptime();
log(`${uptimeStart}; ${cpus().length} cores; node ${process.version}`);
for (const w of await preparePalisade(values.palisade)) note(w);
log(
  `Palisade runs from ${palisadeCommand().label}; HEAD ${code.head}, ${code.src_changes} files of src/ differ from it`,
);
const firstKind = STORES[0] as 'sqlite' | 'mongodb';
log(
  `data: ${main.describe()}, ${SIZES[firstKind].objects} objects in envelopes of 1000; big collection ${SIZES[firstKind].big}${QUICK ? ' (--quick)' : ''}`,
);
/** the envelopes of the ingest and walk rows of the first store (another store may take fewer) */
const mainBodies = PEERS_ONLY ? { list: [], objects: 0 } : build(main, 0, SIZES[firstKind].objects);
log(
  `built ${mainBodies.list.length} envelopes, ${round(mainBodies.list.reduce((a, b) => a + b.body.length, 0) / 1048576, 1)} MB`,
);
const mongoSizes = SIZES.mongodb;
if (STORES.includes('mongodb')) {
  if (mongoSizes.reduced.length > 0)
    note(
      `MongoDB store: not given on the command line, so its own smaller defaults apply (${mongoSizes.reduced.join(', ')}${values.big === undefined ? `; latency base ${mongoSizes.small}${QUICK ? '' : `, ${mongoSizes.more} more per run into the big collection`}` : ''}): FerretDB slows with every object it holds`,
    );
  note(`MongoDB store: each row has ${ROW_TIMEOUT.mongodb} s (--row-timeout); a row over it is reported as null`);
}
/** the ingest and walk envelopes of each store (the same objects, fewer on MongoDB by default) */
const bodiesOf = (kind: 'sqlite' | 'mongodb'): Bodies =>
  PEERS_ONLY || SIZES[kind].objects === mainBodies.objects ? mainBodies : build(main, 0, SIZES[kind].objects);
const peerBodies = values.peers || PEERS_ONLY ? build(peerSrc, 0, peerList.length) : undefined;

const ceiling = await clientCeiling();
log(`client ceiling (trivial Node server, ${CONNECTIONS} keep-alive connections): ${ceiling.rps} req/s`);
const expressFloor = await clientCeiling('express');
log(`express + helmet, one route, same client: ${expressFloor.rps} req/s`);
const walkCeil = await walkCeiling();
log(`walk client against fixed pages: ${walkCeil.one} obj/s (1 client), ${walkCeil.two} obj/s (2 clients)`);

const palisade: Record<string, PalisadeFigures> = {};
for (const kind of STORES) palisade[kind] = await runPalisade(kind, SIZES[kind], bodiesOf(kind), peerBodies);

const peers: Record<string, PeerFigures | null> = { medallion: null, opentaxii: null };
if (peerBodies) {
  note(
    'the peers run Werkzeug (their own start commands): it answers HTTP/1.0 and closes the connection after each answer, so their small requests pay a connection each',
  );
  note(
    `peers and the ratios run on ${peerBodies.objects} objects (--peer-objects), Palisade on the same objects; per-request timeout ${PEER_TIMEOUT / 1000} s`,
  );
  if (peerLeftOut > 0)
    note(
      `${peerLeftOut} objects without modified (marking definitions) left out of the peer data: OpenTAXII answers 500 to them`,
    );
  peers.medallion = await runPeer('medallion', peerBodies);
  peers.opentaxii = await runPeer('opentaxii', peerBodies);
}
const uptimeEnd = uptime();
await cleanupPalisade();

// ---------------------------------------------------------------------------------------------
// report

const first = palisade[STORES[0] as string] as PalisadeFigures;
const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a && b ? round(a / b, 2) : null;
const peak = (f: PalisadeFigures): number | null =>
  f.peak_rss_walk_mb === null && f.peak_rss_ingest_mb === null
    ? null
    : Math.max(f.peak_rss_walk_mb ?? 0, f.peak_rss_ingest_mb ?? 0);

interface Row {
  label: string;
  target: string;
  get: (f: PalisadeFigures) => number | null;
  /** the target as a bound: [value, at least?] */
  bound: [number, boolean];
  unit: string;
  /** the figures behind the row, as PalisadeFigures.unfinished names them */
  keys: string[];
}
// the labels give the first store's sizes; another store's own sizes are listed under the table
const firstSizes = first.sizes;
const bigLabel = sizeLabel(firstSizes.big);
const table: Row[] = [
  {
    label: `ingest ${firstSizes.objects} objects, envelopes of 1000, empty collection`,
    target: '≥ 20,000',
    keys: ['ingest_obj_s'],
    get: (f) => f.ingest_obj_s,
    bound: [20000, true],
    unit: 'obj/s',
  },
  {
    label: `ingest ${firstSizes.more} more into ${bigLabel} objects`,
    target: '≥ 10,000',
    keys: ['ingest_1m_obj_s'],
    get: (f) => f.ingest_1m_obj_s,
    bound: [10000, true],
    unit: 'obj/s',
  },
  {
    label: 'walk, limit=1000 via next, 1 client',
    target: '≥ 120,000',
    keys: ['walk_obj_s'],
    get: (f) => f.walk_obj_s,
    bound: [120000, true],
    unit: 'obj/s',
  },
  {
    label: 'walk, 2 clients in parallel (total)',
    target: '≥ 180,000',
    keys: ['walk2_obj_s'],
    get: (f) => f.walk2_obj_s,
    bound: [180000, true],
    unit: 'obj/s',
  },
  {
    label: `page latency ${bigLabel} ÷ ${sizeLabel(firstSizes.small)} (limit=100, type=indicator)`,
    target: '≤ 1.2',
    keys: ['page_latency_ratio'],
    get: (f) => f.page_latency_ratio,
    bound: [1.2, false],
    unit: '',
  },
  {
    label: `small requests, ${CONNECTIONS} keep-alive connections`,
    target: '≥ 8,000',
    keys: ['small_rps'],
    get: (f) => f.small_rps,
    bound: [8000, true],
    unit: 'req/s',
  },
  {
    label: `peak RSS (walk ${bigLabel}; one ${firstSizes.rss_mb} MB envelope)`,
    target: '≤ 300',
    keys: ['peak_rss_walk_mb', 'peak_rss_ingest_mb'],
    get: peak,
    bound: [300, false],
    unit: 'MB',
  },
];
const verdict = (v: number | null, [b, atLeast]: [number, boolean], over?: number): string => {
  if (v === null) return over === undefined ? 'not measured' : `unfinished in ${over} s`;
  const ok = atLeast ? v >= b : v <= b;
  if (ok) return 'meets';
  return `misses by ${Math.abs(((v - b) / b) * 100).toFixed(0)} %`;
};
const fmt = (v: number | null): string =>
  v === null ? '—' : v >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
const lines: string[] = [];
lines.push('');
lines.push(
  `Palisade benchmark — ${main.describe()}, ${RUNS} run(s), medians; ${cpus().length} cores; Palisade from ${palisadeCommand().label}`,
);
lines.push(
  `code: HEAD ${code.head}, ${code.src_changes} files of src/ differing from it (compiled at the start of the run)`,
);
lines.push(`machine load at start: ${uptimeStart}`);
lines.push(`machine load at end:   ${uptimeEnd}`);
lines.push(
  `1-minute load sampled at each row: min ${Math.min(...loads)}, median ${median(loads)}, max ${Math.max(...loads)}`,
);
lines.push(
  `client ceiling: ${ceiling.rps.toLocaleString('en-US')} req/s (the same load generator against a trivial Node server)`,
);
lines.push(
  `express + helmet floor: ${expressFloor.rps.toLocaleString('en-US')} req/s (one route, the same load generator; no Express server exceeds it here)`,
);
lines.push(
  `walk client ceiling: ${walkCeil.one.toLocaleString('en-US')} obj/s, two clients ${walkCeil.two.toLocaleString('en-US')} obj/s (the same client against fixed pages)`,
);
lines.push('');
const head = ['row', 'target', ...STORES.flatMap((s) => [s, `${s} verdict`])];
const body = table.map((r) => [
  r.label,
  `${r.target} ${r.unit}`.trim(),
  ...STORES.flatMap((s) => {
    const f = palisade[s] as PalisadeFigures;
    const over = r.keys.some((x) => f.unfinished.includes(x)) ? f.row_timeout_s : undefined;
    const v = r.get(f);
    // a figure of two parts (peak RSS) with one part over budget is shown, and said to be partial
    return [fmt(v), `${verdict(v, r.bound, over)}${v !== null && over !== undefined ? ' (part unfinished)' : ''}`];
  }),
]);
const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
const line = (cells: string[]): string =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
lines.push(line(head));
lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
for (const b of body) lines.push(line(b));
lines.push('');
const sameSizes = (a: Sizes, b: Sizes): boolean =>
  a.objects === b.objects && a.big === b.big && a.small === b.small && a.more === b.more && a.rss_mb === b.rss_mb;
for (const s of STORES) {
  const f = palisade[s] as PalisadeFigures;
  if (!sameSizes(f.sizes, firstSizes))
    lines.push(
      `${s} ran on its own sizes${f.sizes.reduced.length > 0 ? ` (its defaults: ${f.sizes.reduced.join(', ')})` : ''}: ` +
        `ingest ${f.sizes.objects} objects, big collection ${f.sizes.big}, latency ${sizeLabel(f.sizes.big)} ÷ ${sizeLabel(f.sizes.small)}, ` +
        `${QUICK ? '' : `${f.sizes.more} more per run into the big collection, `}one ${f.sizes.rss_mb} MB envelope`,
    );
  if (f.unfinished.length > 0)
    lines.push(
      `${s}: unfinished within its ${f.row_timeout_s} s row budget (--row-timeout), left null: ${f.unfinished.join(', ')}`,
    );
}
for (const s of STORES) {
  const f = palisade[s] as PalisadeFigures;
  lines.push(
    `${s}: page latency ms (first / deep / all): ${sizeLabel(f.sizes.small)} ${f.page_ms_10k.first} / ${f.page_ms_10k.deep} / ${f.page_ms_10k.all}; ` +
      `${sizeLabel(f.sizes.big)} ${f.page_ms_big.first} / ${f.page_ms_big.deep} / ${f.page_ms_big.all}; small requests p50 ${f.small_p50_ms} ms, p99 ${f.small_p99_ms} ms, ` +
      `req/s alone ${JSON.stringify(f.small_rps_by_path)}; idle VmRSS after start ${f.idle_rss_mb} MB; ` +
      `analyst index after each ingest run: caught up at ${fmt(f.index_catchup_obj_s)} obj/s, stored and indexed ${fmt(f.ingest_indexed_obj_s)} obj/s; ` +
      `preload ${fmt(f.preload_obj_s)} obj/s via palisade import (indexed before it exits); walk of ${sizeLabel(f.sizes.big)} ${fmt(f.walk_big_obj_s)} obj/s; ` +
      `VmHWM walking ${f.peak_rss_walk_mb} MB, one ${f.rss_envelope_mb} MB envelope (${f.rss_envelope_objects} objects) ${f.peak_rss_ingest_mb} MB`,
  );
}
if (peerBodies) {
  const pf = first.peer_n;
  lines.push('');
  lines.push(
    `peers, on ${peerBodies.objects} objects (Palisade ${STORES[0]} on the same objects); ratios are Palisade ÷ peer:`,
  );
  const ph = ['server', 'ingest obj/s', 'walk obj/s', 'small req/s', 'peak RSS MB'];
  const pr = [
    ['palisade', fmt(pf?.ingest_obj_s ?? null), fmt(pf?.walk_obj_s ?? null), fmt(first.small_rps), fmt(peak(first))],
    ...(['medallion', 'opentaxii'] as const).map((n) => {
      const p = peers[n];
      return [
        n,
        fmt(p?.ingest_obj_s ?? null),
        fmt(p?.walk_obj_s ?? null),
        fmt(p?.small_rps ?? null),
        fmt(p?.peak_rss_mb ?? null),
      ];
    }),
  ];
  const pw = ph.map((h, i) => Math.max(h.length, ...pr.map((r) => (r[i] as string).length)));
  lines.push(ph.map((h, i) => (i === 0 ? h.padEnd(pw[i] as number) : h.padStart(pw[i] as number))).join('  '));
  for (const r of pr)
    lines.push(r.map((c, i) => (i === 0 ? c.padEnd(pw[i] as number) : c.padStart(pw[i] as number))).join('  '));
  for (const n of ['medallion', 'opentaxii'] as const)
    lines.push(
      `${n}: walk ratio ${ratio(pf?.walk_obj_s, peers[n]?.walk_obj_s)}, ingest ratio ${ratio(pf?.ingest_obj_s, peers[n]?.ingest_obj_s)}${peers[n]?.error ? ` (error: ${peers[n]?.error})` : ''}`,
    );
}
if (notes.length > 0) {
  lines.push('');
  lines.push('notes:');
  for (const n of notes) lines.push(`  - ${n}`);
}
console.log(lines.join('\n'));

const json = {
  store: STORES[0],
  objects: firstSizes.objects,
  runs: RUNS,
  quick: QUICK,
  ingest_obj_s: first.ingest_obj_s,
  ingest_1m_obj_s: first.ingest_1m_obj_s,
  index_catchup_obj_s: first.index_catchup_obj_s,
  ingest_indexed_obj_s: first.ingest_indexed_obj_s,
  walk_obj_s: first.walk_obj_s,
  walk2_obj_s: first.walk2_obj_s,
  page_latency_ratio: first.page_latency_ratio,
  small_rps: first.small_rps,
  peak_rss_mb: peak(first),
  medallion_walk_ratio: ratio(first.peer_n?.walk_obj_s, peers.medallion?.walk_obj_s),
  medallion_ingest_ratio: ratio(first.peer_n?.ingest_obj_s, peers.medallion?.ingest_obj_s),
  opentaxii_walk_ratio: ratio(first.peer_n?.walk_obj_s, peers.opentaxii?.walk_obj_s),
  opentaxii_ingest_ratio: ratio(first.peer_n?.ingest_obj_s, peers.opentaxii?.ingest_obj_s),
  client_ceiling_rps: ceiling.rps,
  express_helmet_rps: expressFloor.rps,
  walk_client_ceiling_obj_s: walkCeil.one,
  walk2_client_ceiling_obj_s: walkCeil.two,
  big_objects: firstSizes.big,
  peer_objects: peerBodies?.objects ?? null,
  load_1m: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
  uptime_start: uptimeStart,
  uptime_end: uptimeEnd,
  palisade_from: palisadeCommand().label,
  git_head: code.head,
  src_files_changed: code.src_changes,
  servers: { palisade, ...peers },
  notes,
};
console.log(JSON.stringify(json));
