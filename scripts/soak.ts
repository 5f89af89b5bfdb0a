// Soak test: a separate `palisade serve` process on loopback with a fresh data directory (SQLite, or
// MongoDB with --mongodb-uri), a seeded collection, then mixed traffic from concurrent clients for a
// set time: `next` paging, Sentinel-style `added_after` polling, posts of envelopes of varied size
// followed to completion through their status, deletes, object and version reads, status reads,
// admin reads, discovery and health probes. Reports requests, errors (with samples) and p50/p99
// latency by kind, the server's RSS over time with the slope of its second half, the server's
// warnings and errors, and the load average; the last line printed is every figure as JSON.
//   npm run soak -- [--minutes 10] [--clients 6] [--mongodb-uri URI] [--seed 5000] [--think-ms 10]
//                   [--sample-seconds 5] [--dist] [--keep]
// --dist runs the compiled server (npm run build first) instead of the sources through tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../tests/helpers/free-port.js';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '6' },
    'mongodb-uri': { type: 'string' },
    seed: { type: 'string', default: '5000' },
    'think-ms': { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '5' },
    dist: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(opts.minutes);
const CLIENTS = Number(opts.clients);
const SEED = Number(opts.seed);
const THINK_MS = Number(opts['think-ms']);
const SAMPLE_MS = Number(opts['sample-seconds']) * 1000;
const MONGO_URI = opts['mongodb-uri'];
for (const [name, v] of Object.entries({ MINUTES, CLIENTS, SEED, THINK_MS, SAMPLE_MS })) {
  if (!Number.isFinite(v) || v < 0 || (name === 'CLIENTS' && v < 1)) {
    process.stderr.write(`soak: bad value for ${name.toLowerCase()}\n`);
    process.exit(2);
  }
}

const TAXII = 'application/taxii+json;version=2.1';
const ROOT = 'soak';
const COLLECTION = '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';
const OBJECTS = `/${ROOT}/collections/${COLLECTION}/objects/`;
const OPS = { name: 'ops', password: randomBytes(12).toString('hex') };
const clientUser = (i: number): { name: string; password: string } => ({
  name: `soak-${i}`,
  password: `soak-pw-${i}-${OPS.password}`,
});
const basic = (u: { name: string; password: string }): string =>
  `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;

// ---- figures ------------------------------------------------------------------------------------------

interface KindStats {
  requests: number;
  errors: number;
  latencies: number[];
  samples: string[];
}
const stats = new Map<string, KindStats>();
const statsOf = (kind: string): KindStats => {
  let s = stats.get(kind);
  if (!s) stats.set(kind, (s = { requests: 0, errors: 0, latencies: [], samples: [] }));
  return s;
};
function error(kind: string, what: string): void {
  const s = statsOf(kind);
  s.errors++;
  if (s.samples.length < 5) s.samples.push(what.slice(0, 300));
}
/** Time from a POST to its status reading complete, by envelope size. */
const ingestTimes = new Map<number, number[]>();

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

// ---- HTTP --------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let port = 0;

async function call(
  kind: string,
  agent: Agent,
  auth: string,
  method: string,
  path: string,
  expected: number,
  body?: Buffer,
): Promise<Reply | undefined> {
  const s = statsOf(kind);
  s.requests++;
  const started = performance.now();
  try {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          timeout: 120_000,
          headers: {
            Authorization: auth,
            Accept: path.startsWith('/admin/') ? 'application/json' : TAXII,
            ...(body ? { 'Content-Type': TAXII, 'Content-Length': body.length } : {}),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 120 s')));
      req.on('error', reject);
      req.end(body);
    });
    s.latencies.push(performance.now() - started);
    if (reply.status !== expected) {
      error(kind, `${method} ${path} → ${reply.status} (expected ${expected}): ${reply.body.toString('utf8')}`);
      return undefined;
    }
    return reply;
  } catch (err) {
    s.latencies.push(performance.now() - started);
    error(kind, `${method} ${path} → ${(err as Error).message}`);
    return undefined;
  }
}

const json = <T>(r: Reply): T => JSON.parse(r.body.toString('utf8')) as T;

// ---- STIX content -------------------------------------------------------------------------------------

let serial = 0;
function uuid4(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function indicator(id: string, created: string, modified: string): Record<string, unknown> {
  const n = ++serial;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id,
    created,
    modified,
    name: `soak indicator ${n}`,
    description: `generated by the soak test; ${'padding '.repeat(n % 40)}`,
    indicator_types: ['malicious-activity'],
    pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: created,
    labels: ['soak'],
  };
}

// ---- one client --------------------------------------------------------------------------------------

const ENVELOPE_SIZES = [1, 10, 100, 1000, 5000];
const ENVELOPE_WEIGHTS = [30, 30, 25, 12, 3];

function pick<T>(items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = Math.random() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly auth: string;
  private readonly adminAuth = basic(OPS);
  /** this client's objects: id → its newest modified (ms), so a new version is always newer */
  private readonly live = new Map<string, { created: string; modified: number }>();
  private readonly statusIds: string[] = [];
  private addedAfter = '1970-01-01T00:00:00.000000Z';

  constructor(readonly n: number) {
    this.auth = basic(clientUser(n));
  }

  private randomLive(): string | undefined {
    if (this.live.size === 0) return undefined;
    const i = Math.floor(Math.random() * this.live.size);
    let k = 0;
    for (const id of this.live.keys()) if (k++ === i) return id;
    return undefined;
  }

  async run(until: number): Promise<void> {
    const ops: [string, number, () => Promise<void>][] = [
      ['poll_next', 14, () => this.pollNext()],
      ['poll_added_after', 14, () => this.pollAddedAfter()],
      ['post', 10, () => this.post()],
      ['get_object', 10, () => this.getObject()],
      ['versions', 5, () => this.versions()],
      ['manifest', 5, () => this.manifest()],
      ['delete', 5, () => this.remove()],
      ['status', 5, () => this.status()],
      ['admin', 8, () => this.admin()],
      ['admin_audit', 2, () => this.audit()],
      ['discovery', 8, () => this.discovery()],
      ['health', 2, () => this.health()],
    ];
    const weights = ops.map((o) => o[1]);
    while (Date.now() < until) {
      const op = pick(ops, weights);
      await op[2]();
      if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
    }
    this.agent.destroy();
  }

  /** A client reading the whole collection by `next`, a few pages of it at most. */
  private async pollNext(): Promise<void> {
    let next: string | undefined;
    for (let page = 0; page < 4; page++) {
      const q = next ? `&next=${encodeURIComponent(next)}` : '';
      const r = await call('poll_next', this.agent, this.auth, 'GET', `${OBJECTS}?limit=500${q}`, 200);
      if (!r) return;
      const body = json<{ more?: boolean; next?: string }>(r);
      if (!body.more) return;
      next = body.next;
    }
  }

  /**
   * Sentinel-style: what was added since the X-TAXII-Date-Added-Last of the previous poll, page
   * by page; each page must start after the instant asked for.
   */
  private async pollAddedAfter(): Promise<void> {
    let next: string | undefined;
    let last: string | undefined;
    for (let page = 0; page < 50; page++) {
      const q = `added_after=${encodeURIComponent(this.addedAfter)}&limit=500${next ? `&next=${encodeURIComponent(next)}` : ''}`;
      const r = await call('poll_added_after', this.agent, this.auth, 'GET', `${OBJECTS}?${q}`, 200);
      if (!r) return;
      const first = r.headers['x-taxii-date-added-first'];
      if (typeof first === 'string' && !(first > this.addedAfter)) {
        error('poll_added_after', `a page starts at ${first}, not after added_after=${this.addedAfter}`);
      }
      const l = r.headers['x-taxii-date-added-last'];
      if (typeof l === 'string') last = l;
      const body = json<{ more?: boolean; next?: string }>(r);
      if (!body.more) break;
      next = body.next;
    }
    if (last !== undefined) this.addedAfter = last;
  }

  /** An envelope of new objects and new versions (and sometimes one invalid object), followed to completion. */
  private async post(): Promise<void> {
    const size = pick(ENVELOPE_SIZES, ENVELOPE_WEIGHTS);
    const objects: unknown[] = [];
    const now = Date.now();
    const touched = new Map<string, { created: string; modified: number }>();
    for (let i = 0; i < size; i++) {
      const existing = i % 10 === 9 ? this.randomLive() : undefined;
      if (existing !== undefined && !touched.has(existing)) {
        const o = this.live.get(existing) as { created: string; modified: number };
        const modified = Math.max(now, o.modified + 1);
        objects.push(indicator(existing, o.created, new Date(modified).toISOString()));
        touched.set(existing, { created: o.created, modified });
      } else {
        const id = `indicator--${uuid4()}`;
        const created = new Date(now).toISOString();
        objects.push(indicator(id, created, created));
        touched.set(id, { created, modified: now });
      }
    }
    const invalid = Math.random() < 0.3 ? 1 : 0;
    if (invalid) objects.push({ type: 'indicator', spec_version: '2.1', id: `indicator--${uuid4()}` });
    const started = performance.now();
    const r = await call('post', this.agent, this.auth, 'POST', OBJECTS, 202, Buffer.from(JSON.stringify({ objects })));
    if (!r) return;
    const id = json<{ id: string }>(r).id;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const s = await call('status', this.agent, this.auth, 'GET', `/${ROOT}/status/${id}/`, 200);
      if (!s) return;
      const st = json<{ status: string; total_count: number; success_count: number; failure_count: number }>(s);
      if (st.status === 'complete') {
        const list = ingestTimes.get(size) ?? [];
        list.push(performance.now() - started);
        ingestTimes.set(size, list);
        if (st.total_count !== objects.length || st.success_count !== size || st.failure_count !== invalid) {
          error('post', `status ${id}: ${JSON.stringify(st)}; expected ${size} successes, ${invalid} failures`);
          return;
        }
        for (const [oid, v] of touched) this.live.set(oid, v);
        this.statusIds.push(id);
        if (this.statusIds.length > 100) this.statusIds.shift();
        return;
      }
      if (Date.now() > deadline) {
        error('post', `status ${id} still pending after 300 s`);
        return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  private async getObject(): Promise<void> {
    const id = this.randomLive();
    if (id === undefined) return;
    const r = await call('get_object', this.agent, this.auth, 'GET', `${OBJECTS}${id}/`, 200);
    if (r && json<{ objects?: { id: string }[] }>(r).objects?.[0]?.id !== id)
      error('get_object', `${id}: wrong object`);
  }

  private async versions(): Promise<void> {
    const id = this.randomLive();
    if (id !== undefined) await call('versions', this.agent, this.auth, 'GET', `${OBJECTS}${id}/versions/`, 200);
  }

  private async manifest(): Promise<void> {
    await call('manifest', this.agent, this.auth, 'GET', `/${ROOT}/collections/${COLLECTION}/manifest/?limit=100`, 200);
  }

  /** Deletes one of this client's objects (every version), then checks it is gone. */
  private async remove(): Promise<void> {
    const id = this.randomLive();
    if (id === undefined) return;
    const all = 'match[version]=all'; // without it only the newest version is deleted
    if (!(await call('delete', this.agent, this.auth, 'DELETE', `${OBJECTS}${id}/?${all}`, 200))) return;
    this.live.delete(id);
    await call('get_deleted', this.agent, this.auth, 'GET', `${OBJECTS}${id}/`, 404);
  }

  private async status(): Promise<void> {
    const id = this.statusIds[Math.floor(Math.random() * this.statusIds.length)];
    if (id !== undefined) await call('status', this.agent, this.auth, 'GET', `/${ROOT}/status/${id}/`, 200);
  }

  private async admin(): Promise<void> {
    const paths = [
      '/admin/tenants',
      '/admin/groups',
      '/admin/users',
      '/admin/api-roots',
      `/admin/api-roots/${ROOT}/collections`,
      `/admin/collections/${COLLECTION}/grants`,
      '/admin/markings',
      `/admin/users/${clientUser(this.n).name}`,
    ];
    await call(
      'admin',
      this.agent,
      this.adminAuth,
      'GET',
      paths[Math.floor(Math.random() * paths.length)] as string,
      200,
    );
  }

  private async audit(): Promise<void> {
    await call('admin_audit', this.agent, this.adminAuth, 'GET', '/admin/audit?limit=100', 200);
  }

  private async discovery(): Promise<void> {
    const paths = ['/taxii2/', `/${ROOT}/`, `/${ROOT}/collections/`, `/${ROOT}/collections/${COLLECTION}/`];
    await call(
      'discovery',
      this.agent,
      this.auth,
      'GET',
      paths[Math.floor(Math.random() * paths.length)] as string,
      200,
    );
  }

  private async health(): Promise<void> {
    await call('health', this.agent, this.auth, 'GET', Math.random() < 0.5 ? '/healthz' : '/readyz', 200);
  }
}

// ---- the server --------------------------------------------------------------------------------------

function config(database: string | undefined): string {
  const users = Array.from({ length: CLIENTS }, (_, i) => clientUser(i + 1));
  return `
${MONGO_URI ? `store: { kind: mongodb, uri: ${JSON.stringify(MONGO_URI)}, database: ${database} }` : ''}
taxii: { title: Palisade soak, default_api_root: ${ROOT}, max_page_size: 1000 }
api_roots:
  - path: ${ROOT}
    title: Soak
    collections:
      - id: ${COLLECTION}
        title: Soak collection
        grants:
${users.map((u) => `          - { user: ${u.name}, read: true, write: true }`).join('\n')}
users:
  - { username: ${OPS.name}, password_env: SOAK_PW_OPS, admin: true }
${users.map((u, i) => `  - { username: ${u.name}, password_env: SOAK_PW_${i + 1} }`).join('\n')}
`;
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-soak-'));
  const database = MONGO_URI ? `palisade_soak_${randomBytes(6).toString('hex')}` : undefined;
  await writeFile(join(dir, 'palisade.yaml'), config(database));
  port = await freePort();
  const entry = opts.dist
    ? [join(projectRoot, 'dist', 'src', 'cli', 'main.js')]
    : ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts')];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    PALISADE_LOG_LEVEL: 'warn',
    SOAK_PW_OPS: OPS.password,
  };
  for (let i = 1; i <= CLIENTS; i++) env[`SOAK_PW_${i}`] = clientUser(i).password;
  const server: ChildProcess = spawn(
    process.execPath,
    [
      ...entry,
      'serve',
      '--config',
      join(dir, 'palisade.yaml'),
      '--port',
      String(port),
      '--data-dir',
      join(dir, 'data'),
    ],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = server.pid as number;
  let log = '';
  server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  const cleanup = async (): Promise<void> => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    if (!opts.keep) {
      await rm(dir, { recursive: true, force: true });
      if (MONGO_URI && database) {
        const client = await MongoClient.connect(MONGO_URI);
        await client.db(database).dropDatabase();
        await client.close();
      }
    }
  };

  try {
    const say = (line: string): void => void process.stdout.write(`${line}\n`);
    say(
      `soak: ${MINUTES} min, ${CLIENTS} clients, store ${MONGO_URI ? `mongodb (${database})` : 'sqlite'}, ` +
        `server ${opts.dist ? 'dist' : 'tsx'} pid ${pid} on 127.0.0.1:${port}, data ${dir}`,
    );
    const startedUp = Date.now();
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}):\n${log}`);
      const ok = await new Promise<boolean>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
        req.on('error', () => resolve(false));
        req.end();
      });
      if (ok) break;
      if (Date.now() - startedUp > 120_000) throw new Error(`the server is not ready after 120 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const startupMs = Date.now() - startedUp;

    // Seed through one client's account, in envelopes of 1000.
    const seedAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const seedAuth = basic(clientUser(1));
    const seedStarted = Date.now();
    for (let done = 0; done < SEED;) {
      const n = Math.min(1000, SEED - done);
      const now = new Date().toISOString();
      const objects = Array.from({ length: n }, () => indicator(`indicator--${uuid4()}`, now, now));
      const r = await call('seed', seedAgent, seedAuth, 'POST', OBJECTS, 202, Buffer.from(JSON.stringify({ objects })));
      if (!r) throw new Error(`seeding failed: ${statsOf('seed').samples.join('\n')}`);
      const id = json<{ id: string }>(r).id;
      for (;;) {
        const s = await call('seed', seedAgent, seedAuth, 'GET', `/${ROOT}/status/${id}/`, 200);
        if (s && json<{ status: string }>(s).status === 'complete') break;
        if (!s) throw new Error(`seeding failed: ${statsOf('seed').samples.join('\n')}`);
        await new Promise((res) => setTimeout(res, 100));
      }
      done += n;
    }
    seedAgent.destroy();
    const seedMs = Date.now() - seedStarted;
    say(`soak: server ready in ${startupMs} ms; seeded ${SEED} objects in ${seedMs} ms`);

    const samples: { t: number; rssMb: number; load1: number }[] = [];
    const t0 = Date.now();
    const sample = (): void => {
      const rss = rssMb(pid);
      if (rss !== undefined) samples.push({ t: (Date.now() - t0) / 1000, rssMb: rss, load1: loadavg()[0] as number });
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    const progress = setInterval(() => {
      const total = [...stats.values()].reduce((a, s) => a + s.requests, 0);
      const errors = [...stats.values()].reduce((a, s) => a + s.errors, 0);
      const last = samples[samples.length - 1];
      say(
        `soak: ${Math.round((Date.now() - t0) / 1000)} s, ${total} requests, ${errors} errors, ` +
          `RSS ${last ? round(last.rssMb) : '?'} MB, load ${loadavg()
            .map((l) => round(l, 2))
            .join(' ')}`,
      );
    }, 30_000);
    const until = t0 + MINUTES * 60_000;
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => new Client(i + 1).run(until)));
    clearInterval(sampler);
    clearInterval(progress);
    sample();
    const seconds = (Date.now() - t0) / 1000;

    const stopAsked = Date.now();
    server.kill('SIGTERM');
    const exitCode = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    const stopMs = Date.now() - stopAsked;

    // ---- report ----
    stats.delete('seed');
    const kinds = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b));
    const byKind: Record<string, unknown> = {};
    for (const [kind, s] of kinds) {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      byKind[kind] = {
        requests: s.requests,
        errors: s.errors,
        p50_ms: round(percentile(sorted, 50)),
        p99_ms: round(percentile(sorted, 99)),
        max_ms: round(sorted[sorted.length - 1] ?? NaN),
        ...(s.samples.length > 0 ? { error_samples: s.samples } : {}),
      };
    }
    const ingest: Record<string, unknown> = {};
    for (const size of ENVELOPE_SIZES) {
      const sorted = [...(ingestTimes.get(size) ?? [])].sort((a, b) => a - b);
      ingest[String(size)] = {
        posts: sorted.length,
        p50_ms: round(percentile(sorted, 50)),
        p99_ms: round(percentile(sorted, 99)),
      };
    }
    const half = samples.filter((s) => s.t >= seconds / 2);
    const rssValues = samples.map((s) => s.rssMb);
    const loads = samples.map((s) => s.load1);
    const logLines = log.split('\n').filter((l) => l.startsWith('{'));
    const levels: Record<string, number> = {};
    const messages: Record<string, number> = {};
    for (const l of logLines) {
      try {
        const rec = JSON.parse(l) as { level?: number; msg?: string };
        const level = rec.level === undefined ? '?' : rec.level >= 50 ? 'error' : rec.level >= 40 ? 'warn' : 'info';
        levels[level] = (levels[level] ?? 0) + 1;
        const key = `${level}: ${rec.msg ?? ''}`;
        messages[key] = (messages[key] ?? 0) + 1;
      } catch {
        levels.unparsed = (levels.unparsed ?? 0) + 1;
      }
    }
    const total = kinds.reduce((a, [, s]) => a + s.requests, 0);
    const errors = kinds.reduce((a, [, s]) => a + s.errors, 0);
    const result = {
      store: MONGO_URI ? 'mongodb' : 'sqlite',
      server: opts.dist ? 'dist' : 'tsx',
      minutes: MINUTES,
      clients: CLIENTS,
      think_ms: THINK_MS,
      seeded_objects: SEED,
      startup_ms: startupMs,
      seed_ms: seedMs,
      duration_s: round(seconds),
      requests: total,
      requests_per_s: round(total / seconds),
      errors,
      by_kind: byKind,
      ingest_complete_by_envelope_size: ingest,
      rss_mb: {
        first: round(rssValues[0] ?? NaN),
        last: round(rssValues[rssValues.length - 1] ?? NaN),
        min: round(Math.min(...rssValues)),
        max: round(Math.max(...rssValues)),
        samples: samples.length,
        second_half_slope_mb_per_min: round(slope(half.map((s) => ({ x: s.t / 60, y: s.rssMb }))), 2),
        series: samples.map((s) => [round(s.t, 0), round(s.rssMb)]),
      },
      load_average_1m: {
        min: round(Math.min(...loads), 2),
        mean: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), 2),
        max: round(Math.max(...loads), 2),
        cores: cpus().length,
      },
      server_log: { levels, messages },
      shutdown: { exit_code: exitCode, ms: stopMs },
    };

    say('');
    say(`kind                 requests  errors   p50 ms   p99 ms   max ms`);
    for (const [kind, s] of kinds) {
      const k = byKind[kind] as { p50_ms: number; p99_ms: number; max_ms: number };
      say(
        `${kind.padEnd(20)} ${String(s.requests).padStart(8)} ${String(s.errors).padStart(7)} ` +
          `${String(k.p50_ms).padStart(8)} ${String(k.p99_ms).padStart(8)} ${String(k.max_ms).padStart(8)}`,
      );
    }
    say(`total ${total} requests in ${round(seconds)} s (${result.requests_per_s}/s), ${errors} errors`);
    for (const [kind, s] of kinds) for (const sample of s.samples) say(`  error sample [${kind}] ${sample}`);
    say(`ingest, POST to status complete, by envelope size: ${JSON.stringify(ingest)}`);
    say(
      `server RSS: first ${result.rss_mb.first} MB, last ${result.rss_mb.last} MB, max ${result.rss_mb.max} MB; ` +
        `second-half slope ${result.rss_mb.second_half_slope_mb_per_min} MB/min over ${half.length} samples`,
    );
    say(`load average (1 min) during the run: ${JSON.stringify(result.load_average_1m)}`);
    say(`server log: ${JSON.stringify(result.server_log)}`);
    say(`shutdown: exit ${String(exitCode)} after ${stopMs} ms`);
    say(JSON.stringify(result));
    if (errors > 0 || exitCode !== 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
