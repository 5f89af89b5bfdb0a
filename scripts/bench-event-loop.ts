// Benchmark: does database work hold other requests? Runs the server with its SQLite store
// in-process and in worker threads (what `serve` uses) and times a discovery GET, the cheapest
// authenticated request, while (a) four clients loop on a listing that reads every object of a
// collection and returns nothing (every object carries a marking released to another tenant), and
// (b) a large write runs. Then walks a collection
// in pages of 1000 through the Store interface, in-process and threaded. Prints medians over runs.
//   npx tsx scripts/bench-event-loop.ts [--objects 100000] [--ingest 20000] [--chunk 500] [--tries 200] [--runs 3]
// The in-process server runs on ':memory:' (a file is served by the threads): for the CPU-bound
// filter that changes nothing, and it favours the in-process writes.
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { createContainer, type Container } from '../src/container.js';
import { silentLogger } from '../src/logger.js';
import { versionKey } from '../src/stix/timestamps.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { openThreadedSqliteStore } from '../src/store/sqlite/threads/threaded-store.js';
import type { NewVersion, Store } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '100000' },
    ingest: { type: 'string', default: '20000' },
    // objects per addObjects call during the write (the ingestion worker writes 500 at a time)
    chunk: { type: 'string', default: '500' },
    tries: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
  },
});
const OBJECTS = Number(values.objects);
const INGEST = Number(values.ingest);
const CHUNK = Number(values.chunk);
const TRIES = Number(values.tries);
const RUNS = Number(values.runs);

const C = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
/** may receive TLP:RED: discovery is probed as this account */
const USER = { name: 'bench', password: 'bench-password-1' };
/** may list the collection but receives none of its objects */
const OTHER = { name: 'other', password: 'other-password-1' };
const CONFIG = `
auth: { failure_limit: 100000 }
taxii: { title: bench, default_api_root: eu, max_page_size: 1000 }
tenants:
  - { id: de-bsi, name: Germany }
  - { id: it-acn, name: Italy }
markings:
  - { id: ${TLP_RED}, tenants: [de-bsi] }
users:
  - { username: bench, tenant: de-bsi, password_env: T_BENCH }
  - { username: other, tenant: it-acn, password_env: T_OTHER }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${C}
        title: bench
        releasability: true
        grants: [{ tenant: de-bsi, read: true, write: true }, { tenant: it-acn, read: true }]
`;
/** as OTHER: every row is read (type and is_last come from two indexes) and every one withheld */
const SLOW = `/eu/collections/${C}/objects/?match[type]=indicator`;

const MODIFIED = '2024-01-01T00:00:00.000Z';
const VKEY = versionKey(MODIFIED) as string;
const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
function versions(from: number, count: number): NewVersion[] {
  const out: NewVersion[] = [];
  for (let j = from; j < from + count; j++) {
    const id = `indicator--${hex(j, 8)}-0000-4000-8000-${hex(j * 7919, 12).slice(-12)}`;
    const obj = {
      type: 'indicator',
      spec_version: '2.1',
      id,
      created: MODIFIED,
      modified: MODIFIED,
      pattern: `[ipv4-addr:value = '10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}']`,
      pattern_type: 'stix',
      valid_from: MODIFIED,
      description: 'x'.repeat(600),
      object_marking_refs: [TLP_RED],
    };
    out.push({
      id,
      type: 'indicator',
      specVersion: '2.1',
      version: MODIFIED,
      versionKey: VKEY,
      markings: [TLP_RED],
      json: JSON.stringify(obj),
    });
  }
  return out;
}

async function fill(store: Store, from: number, total: number): Promise<void> {
  for (let i = from; i < from + total; i += 1000)
    await store.objects.addObjects(C, versions(i, Math.min(1000, from + total - i)), Date.now() * 1000);
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const basic = (u: { name: string; password: string }): string =>
  `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;
function get(port: number, path: string, auth = basic(USER)): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { Accept: 'application/taxii+json;version=2.1', Authorization: auth },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const median = (xs: number[]): number => pct(xs, 50);

interface Running {
  container: Container;
  server: Server;
  port: number;
  dir: string;
}

async function startServer(threaded: boolean): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-loop-bench-'));
  const file = join(dir, 'palisade.yaml');
  await writeFile(file, CONFIG);
  const config = loadConfig(
    { T_BENCH: USER.password, T_OTHER: OTHER.password },
    { configFile: file, dataDir: join(dir, 'data') },
  );
  const store = threaded ? config.store : { kind: 'sqlite' as const, file: ':memory:' };
  const container = await createContainer({ ...config, store }, silentLogger);
  await bootstrap(container);
  await fill(container.store, 0, OBJECTS);
  const server = createServer(buildApp(container));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { container, server, port: (server.address() as AddressInfo).port, dir };
}

async function stopServer(r: Running): Promise<void> {
  r.server.closeAllConnections();
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
  await r.container.close();
  await rm(r.dir, { recursive: true, force: true });
}

/**
 * Discovery latencies (one request at a time) around `load`, which starts 100 ms after the first
 * probe and gets a stop flag. `untilLoadEnds`: probe until the load has finished (a write), else
 * take TRIES probes and then stop the load (a flood).
 */
async function during(
  port: number,
  load: (stopped: () => boolean) => Promise<void>,
  untilLoadEnds = false,
): Promise<number[]> {
  let stop = false;
  let finished = false;
  const ms: number[] = [];
  const probes = (async () => {
    while (untilLoadEnds ? !finished : ms.length < TRIES) ms.push(await get(port, '/taxii2/'));
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const running = load(() => stop).then(() => {
    finished = true;
  });
  if (!untilLoadEnds) {
    await probes;
    stop = true;
  }
  await running;
  await probes;
  return ms;
}

interface Figures {
  idle: number[][];
  flood: number[][];
  ingest: number[][];
  ingestSeconds: number[];
}

async function measure(threaded: boolean): Promise<Figures> {
  const f: Figures = { idle: [], flood: [], ingest: [], ingestSeconds: [] };
  const r = await startServer(threaded);
  try {
    await get(r.port, SLOW, basic(OTHER));
    let next = OBJECTS;
    for (let run = 0; run < RUNS; run++) {
      f.idle.push(await during(r.port, async () => undefined));
      f.flood.push(
        await during(r.port, async (stopped) => {
          await Promise.all(
            [0, 1, 2, 3].map(async () => {
              while (!stopped()) await get(r.port, SLOW, basic(OTHER));
            }),
          );
        }),
      );
      // Built before the probes start: building them is not the store's work.
      const batches: NewVersion[][] = [];
      for (let i = next; i < next + INGEST; i += CHUNK) batches.push(versions(i, Math.min(CHUNK, next + INGEST - i)));
      next += INGEST;
      f.ingest.push(
        await during(
          r.port,
          async () => {
            // As the ingestion worker writes: one chunk after the other.
            const t0 = performance.now();
            for (const batch of batches) await r.container.store.objects.addObjects(C, batch, Date.now() * 1000);
            f.ingestSeconds.push((performance.now() - t0) / 1000);
          },
          true,
        ),
      );
    }
  } finally {
    await stopServer(r);
  }
  return f;
}

async function walk(store: Store): Promise<number> {
  const q = { versions: { first: false, last: true, exact: [] } };
  const t0 = performance.now();
  let n = 0;
  let after: number | undefined;
  for (;;) {
    const page = await store.objects.queryObjects(C, q, { limit: 1000, ...(after !== undefined ? { after } : {}) });
    n += page.items.length;
    after = page.items[page.items.length - 1]?.dateAdded;
    if (!page.more) break;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function walks(): Promise<{ inProcess: number[]; threaded: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-walk-bench-'));
  const file = join(dir, 'walk.db');
  const setup = openSqliteStore(file);
  await setup.migrate();
  await setup.catalog.putApiRoot({ path: 'eu', title: 'EU', maxContentLength: 1, source: 'config' });
  await setup.catalog.putCollection({ id: C, apiRoot: 'eu', title: 'bench', source: 'config' });
  await fill(setup, 0, OBJECTS);
  await setup.close();
  const out = { inProcess: [] as number[], threaded: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    const a = openSqliteStore(file);
    await walk(a);
    out.inProcess.push(await walk(a));
    await a.close();
    const b = await openThreadedSqliteStore(file);
    await walk(b);
    out.threaded.push(await walk(b));
    await b.close();
  }
  await rm(dir, { recursive: true, force: true });
  return out;
}

const row = (label: string, runs: number[][]): string =>
  `${label.padEnd(34)} p50 ${median(runs.map((r) => pct(r, 50)))
    .toFixed(1)
    .padStart(7)} ms   p99 ${median(runs.map((r) => pct(r, 99)))
    .toFixed(1)
    .padStart(7)} ms   max ${median(runs.map((r) => Math.max(...r)))
    .toFixed(1)
    .padStart(7)} ms`;

console.log(`${OBJECTS} objects, ${RUNS} runs; discovery GET latency (medians over runs):`);
for (const threaded of [false, true]) {
  const f = await measure(threaded);
  const mode = threaded ? 'threaded   ' : 'in-process ';
  console.log(row(`${mode} idle`, f.idle));
  console.log(row(`${mode} 4 clients on a slow listing`, f.flood));
  console.log(
    `${row(`${mode} write ${INGEST} in ${CHUNK}s`, f.ingest)}   (the write took ${median(f.ingestSeconds).toFixed(2)} s)`,
  );
}
const w = await walks();
console.log(
  `walk in pages of 1000: in-process ${median(w.inProcess).toFixed(0)} objects/s, threaded ${median(w.threaded).toFixed(0)} objects/s`,
);
agent.destroy();
