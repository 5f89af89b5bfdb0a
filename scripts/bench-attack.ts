// Benchmark: import MITRE ATT&CK Enterprise (24,771 objects) through POST and page it back with
// limit=1000 via `next`, over real HTTP on loopback, on the SQLite store and (with --mongodb-uri or
// PALISADE_TEST_MONGO_URI) on MongoDB. The server is a separate `palisade serve` process, as in
// production; the client here shares the machine's two cores with it. Reports median [min–max].
//   npx tsx scripts/bench-attack.ts [--runs 3] [--store sqlite|mongodb|both] [--envelope 1000]
import { Agent, request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../tests/helpers/free-port.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    store: { type: 'string', default: 'both' },
    envelope: { type: 'string', default: '1000' },
    'mongodb-uri': { type: 'string' },
    data: { type: 'string', default: resolve(projectRoot, '..', 'shared', 'data', 'attack-enterprise.json') },
  },
});
const runs = Number(values.runs);
const perEnvelope = Number(values.envelope);
const mongoUri = values['mongodb-uri'] ?? process.env.PALISADE_TEST_MONGO_URI;
const COLLECTION = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const TAXII = 'application/taxii+json;version=2.1';
const AUTH = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;

const objects = (JSON.parse(readFileSync(values.data, 'utf8')) as { objects: unknown[] }).objects;
const envelopes: Buffer[] = [];
for (let i = 0; i < objects.length; i += perEnvelope) {
  envelopes.push(Buffer.from(JSON.stringify({ objects: objects.slice(i, i + perEnvelope) })));
}

let agent = new Agent({ keepAlive: true, maxSockets: 4 });

function call(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer; text: string }> {
  return new Promise((resolveCall, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          Accept: TAXII,
          Authorization: AUTH,
          ...(body ? { 'Content-Type': TAXII, 'Content-Length': body.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolveCall({ status: res.statusCode ?? 0, body: all, text: method === 'GET' ? '' : all.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runOnce(kind: 'sqlite' | 'mongodb'): Promise<{ ingest: number; page: number }> {
  agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-'));
  const database = `palisade_bench_${randomUUID().slice(0, 8)}`;
  const store =
    kind === 'mongodb' ? `store: { kind: mongodb, uri: ${JSON.stringify(mongoUri)}, database: ${database} }\n` : '';
  await writeFile(
    join(dir, 'bench.yaml'),
    `${store}api_roots:
  - path: bench
    title: Bench
    collections:
      - { id: ${COLLECTION}, title: Bench, grants: [ { user: bench, read: true, write: true } ] }
users:
  - { username: bench, password_env: BENCH_PW }
`,
  );
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'src', 'cli', 'main.ts'),
      'serve',
      '--config',
      join(dir, 'bench.yaml'),
      '--port',
      String(port),
      '--data-dir',
      join(dir, 'data'),
    ],
    {
      env: {
        ...process.env,
        BENCH_PW: 'bench-password',
        PALISADE_LOG_LEVEL: 'warn',
        PALISADE_ADMIN_PASSWORD: 'unused-admin',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  for (let i = 0; ; i++) {
    try {
      if ((await call(port, 'GET', '/healthz')).status === 200) break;
    } catch {
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const base = `/bench/collections/${COLLECTION}/objects/`;
  try {
    let t = process.hrtime.bigint();
    for (const env of envelopes) {
      const res = await call(port, 'POST', base, env);
      if (res.status !== 202 || !res.text.includes('"failure_count":0'))
        throw new Error(`POST failed: ${res.status} ${res.text.slice(0, 300)}`);
    }
    const ingest = objects.length / (Number(process.hrtime.bigint() - t) / 1e9);

    // Timed pass: follow `next` (it sits at the head of the envelope) without parsing the bodies.
    t = process.hrtime.bigint();
    let next: string | undefined;
    let bytes = 0;
    let pages = 0;
    for (;;) {
      const res = await call(port, 'GET', `${base}?limit=1000${next ? `&next=${encodeURIComponent(next)}` : ''}`);
      if (res.status !== 200) throw new Error(`GET failed: ${res.status}`);
      bytes += res.body.length;
      pages++;
      next = /"next":"([^"]+)"/.exec(res.body.subarray(0, 1024).toString('latin1'))?.[1];
      if (!next) break;
    }
    const page = objects.length / (Number(process.hrtime.bigint() - t) / 1e9);
    // Untimed pass: every object came back exactly once.
    const seen = new Set<string>();
    next = undefined;
    for (;;) {
      const res = await call(port, 'GET', `${base}?limit=1000${next ? `&next=${encodeURIComponent(next)}` : ''}`);
      const body = JSON.parse(res.body.toString('utf8')) as { objects?: { id: string }[]; next?: string };
      for (const o of body.objects ?? []) seen.add(o.id);
      next = body.next;
      if (!next) break;
    }
    if (seen.size !== objects.length)
      throw new Error(`paged ${seen.size} distinct objects, expected ${objects.length}`);
    if (pages < 2 || bytes === 0) throw new Error('paging returned nothing');
    return { ingest, page };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (kind === 'mongodb') {
      const client = await MongoClient.connect(mongoUri as string);
      await client.db(database).dropDatabase();
      await client.close();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median =
    s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  return `${Math.round(median)} obj/s [${Math.round(s[0] as number)}–${Math.round(s[s.length - 1] as number)}]`;
}

const kinds: ('sqlite' | 'mongodb')[] =
  values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store as 'sqlite' | 'mongodb'];
if (kinds.includes('mongodb') && !mongoUri) {
  console.error('MongoDB skipped: pass --mongodb-uri or set PALISADE_TEST_MONGO_URI');
  kinds.splice(kinds.indexOf('mongodb'), 1);
}
console.log(
  `${objects.length} objects in ${envelopes.length} envelopes of ≤${perEnvelope}; ${runs} runs per store; node ${process.version}`,
);
for (const kind of kinds) {
  const results: { ingest: number; page: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runOnce(kind);
    console.log(`  ${kind} run ${i + 1}: ingest ${Math.round(r.ingest)} obj/s, page ${Math.round(r.page)} obj/s`);
    results.push(r);
  }
  console.log(
    `${kind}: ingest ${stats(results.map((r) => r.ingest))}; page (limit=1000, next) ${stats(results.map((r) => r.page))}`,
  );
}
agent.destroy();
