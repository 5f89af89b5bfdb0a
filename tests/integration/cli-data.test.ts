// `palisade import`, `export` and `sync` as real processes on real SQLite stores: files, a
// directory and standard input with added / duplicate / failed counts and reasons; an import while
// `palisade serve` runs on the same data directory; a 60 MB file imported with bounded memory; an
// export round trip of real data; sync from a second Palisade (full copy, increments, a run killed
// with SIGKILL in the middle and rerun) and from medallion 3.0.0, the OASIS reference server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';
import { CLI, spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { sharedDataFile } from '../helpers/shared-data.js';

const TAXII = 'application/taxii+json;version=2.1';
const STACK = /\n\s+at /;
const ROOT = 'local';
const FILES = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e01';
const SERVED = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e02';
const BIG = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e03';
const ACTORS = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e04';
const MIRROR = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e05';
const CUT = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e06';
const MEDALLION_COPY = '0b6a6c1e-1f6e-4d7a-9d61-0a1b2c3d4e07';
const REMOTE_ROOT = 'remote';
const FEED = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e01';
const BULK = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e02';
const OPS_PASSWORD = 'ops-password-1';
const MIRROR_PASSWORD = 'mirror-password-1';

const LOCAL_CONFIG = `
users:
  - { username: ops, role: platform-admin, password_env: T_OPS }
api_roots:
  - path: ${ROOT}
    title: Local
    collections:
${[FILES, SERVED, BIG, ACTORS, MIRROR, CUT, MEDALLION_COPY].map((id, i) => `      - { id: ${id}, title: Local ${i} }`).join('\n')}
`;

const REMOTE_CONFIG = `
tenants:
  - { id: partner, name: Partner }
users:
  - { username: mirror, tenant: partner, role: member, password_env: T_MIRROR }
api_roots:
  - path: ${REMOTE_ROOT}
    title: Remote
    collections:
      - { id: ${FEED}, title: Feed, owner: partner, grants: [{ user: mirror, read: true }] }
      - { id: ${BULK}, title: Bulk, owner: partner, grants: [{ user: mirror, read: true }] }
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the CLI's peak resident set (VmHWM), bytes */
  peakRss: number;
}

/** Runs the CLI to its end; `input` (text or a file streamed in) on standard input. */
async function palisade(
  args: string[],
  opts: { input?: string; inputFile?: string; nodeOptions?: string[] } = {},
): Promise<Result> {
  const child = spawn(process.execPath, [...(opts.nodeOptions ?? []), '--import', 'tsx', CLI, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', T_MIRROR_PW: MIRROR_PASSWORD, PALISADE_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakRss = 0;
  const probe = setInterval(() => (peakRss = Math.max(peakRss, vmHwm(child.pid))), 50);
  if (opts.inputFile !== undefined) {
    const { createReadStream } = await import('node:fs');
    createReadStream(opts.inputFile).pipe(child.stdin);
  } else child.stdin.end(opts.input ?? '');
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(probe);
  return { code, stdout, stderr, peakRss };
}

/** The high-water mark of a process's resident set, from /proc (0 once it is gone). */
function vmHwm(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function indicator(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: '2024-03-01T10:00:00.000Z',
    modified: '2024-03-01T10:00:00.000Z',
    name: `indicator ${n}`,
    pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: '2024-03-01T10:00:00Z',
    ...extra,
  };
}

const bundle = (objects: unknown[]): string =>
  JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects });

const key = (o: Record<string, unknown>): string => `${o.id as string}|${(o.modified ?? o.created ?? '') as string}`;

/** Every stored version of a collection as `id|version` keys (from the store, not through the CLI). */
async function storedKeys(dataDir: string, root: string, collection: string): Promise<string[]> {
  const c = await createContainer(loadConfig({}, { dataDir }), silentLogger);
  try {
    const out: string[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await c.store.objects.queryObjects(
        collection,
        { versions: { all: true } },
        { limit: 1000, ...(after !== undefined ? { after } : {}) },
      );
      for (const v of page.items) out.push(`${v.id}|${v.version}`);
      const last = page.items.at(-1);
      if (!page.more || !last) return out;
      after = last.dateAdded;
    }
  } finally {
    await c.close();
  }
  void root;
}

/** Applies a configuration file to a data directory (as serve does at start), then closes it. */
async function applyConfig(
  dir: string,
  yaml: string,
  env: Record<string, string>,
): Promise<{ file: string; dataDir: string }> {
  const file = join(dir, 'palisade.yaml');
  const dataDir = join(dir, 'data');
  await mkdir(dir, { recursive: true });
  await writeFile(file, yaml);
  const c = await createContainer(loadConfig(env, { configFile: file, dataDir }), silentLogger);
  try {
    await bootstrap(c);
  } finally {
    await c.close();
  }
  return { file, dataDir };
}

async function waitReady(port: number, child: ServeProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${child.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serve did not become ready: ${child.output()}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

describe('palisade import / export / sync (real processes, SQLite)', function () {
  this.timeout(60_000);
  let dir: string;
  let local: { file: string; dataDir: string };
  let store: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-cli-data-'));
    local = await applyConfig(join(dir, 'local'), LOCAL_CONFIG, { T_OPS: OPS_PASSWORD });
    store = ['--data-dir', local.dataDir];
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('import', () => {
    const valid = Array.from({ length: 30 }, (_, i) => indicator(i));
    const invalid = { type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, name: 'no dates' };

    it('a bundle file: added and failed counts, with the reason of the failure; exit 1', async () => {
      const file = join(dir, 'one.json');
      await writeFile(file, bundle([...valid.slice(0, 20), invalid]));
      const r = await palisade(['import', file, '--api-root', ROOT, '--collection', FILES, '--quiet', ...store]);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stdout).to.contain(`${file}: 21 objects: 20 added, 0 duplicate, 1 failed`);
      expect(r.stdout).to.match(new RegExp(`failed ${invalid.id}: .*created`));
      expect(r.stderr).to.not.match(STACK);
      expect(await storedKeys(local.dataDir, ROOT, FILES)).to.have.members(valid.slice(0, 20).map(key));
    });

    it('a directory (its *.json files in name order) and standard input; a re-import is all duplicate', async () => {
      const d = join(dir, 'dir');
      await mkdir(d);
      await writeFile(join(d, 'b.json'), bundle(valid.slice(20, 30)));
      await writeFile(join(d, 'a.json'), JSON.stringify({ more: false, objects: valid.slice(10, 25) }));
      await writeFile(join(d, 'notes.txt'), 'not imported');
      const r = await palisade(['import', d, '--api-root', ROOT, '--collection', FILES, '--json', ...store]);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as {
        files: { file: string; total: number; added: number; duplicate: number; failed: number }[];
        total: { total: number; added: number; duplicate: number; failed: number };
      };
      expect(report.files.map((f) => f.file)).to.deep.equal([join(d, 'a.json'), join(d, 'b.json')]);
      // a.json: 10..19 were imported by the first file, 20..24 are new; b.json: 20..24 now present
      expect(report.files[0]).to.include({ total: 15, added: 5, duplicate: 10, failed: 0 });
      expect(report.files[1]).to.include({ total: 10, added: 5, duplicate: 5, failed: 0 });
      expect(report.total).to.include({ total: 25, added: 10, duplicate: 15, failed: 0 });

      const again = await palisade(['import', '-', '--api-root', ROOT, '--collection', FILES, '--quiet', ...store], {
        input: bundle(valid),
      });
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.contain('standard input: 30 objects: 0 added, 30 duplicate, 0 failed');
      expect(await storedKeys(local.dataDir, ROOT, FILES)).to.have.members(valid.map(key));
    });

    it('refuses bad calls with exit 2 and a malformed file with exit 1, adding nothing', async () => {
      const none = await palisade(['import', '--api-root', ROOT, '--collection', FILES, ...store]);
      expect(none.code).to.equal(2);
      expect(none.stderr).to.contain('missing FILE');
      const noColl = await palisade(['import', join(dir, 'one.json'), '--api-root', ROOT, ...store]);
      expect(noColl.code).to.equal(2);
      expect(noColl.stderr).to.contain('--collection');
      const bad = join(dir, 'bad.json');
      const fresh = indicator(999);
      await writeFile(bad, bundle([fresh]).slice(0, -2)); // cut short
      const r = await palisade(['import', bad, '--api-root', ROOT, '--collection', FILES, '--quiet', ...store]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/error: The request body is not valid JSON/);
      expect(r.stderr + r.stdout).to.not.match(STACK);
      expect(await storedKeys(local.dataDir, ROOT, FILES)).to.not.include(key(fresh));
      const unknown = await palisade(['import', bad, '--api-root', ROOT, '--collection', randomUUID(), ...store]);
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.contain('no such collection');
    });

    it('works while palisade serve runs on the same data directory; the server serves the objects', async function () {
      const port = await freePort();
      const serve = spawnServe({ config: local.file, dataDir: local.dataDir, port, env: { T_OPS: OPS_PASSWORD } });
      try {
        await waitReady(port, serve);
        const objects = Array.from({ length: 1200 }, (_, i) => indicator(i));
        const file = join(dir, 'served.json');
        await writeFile(file, bundle(objects));
        const r = await palisade(['import', file, '--api-root', ROOT, '--collection', SERVED, '--quiet', ...store]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain('1200 objects: 1200 added, 0 duplicate, 0 failed');
        const seen: string[] = [];
        let next: string | undefined;
        do {
          const res = await fetch(
            `http://127.0.0.1:${port}/${ROOT}/collections/${SERVED}/objects/?limit=500${next ? `&next=${encodeURIComponent(next)}` : ''}`,
            {
              headers: {
                Accept: TAXII,
                Authorization: `Basic ${Buffer.from(`ops:${OPS_PASSWORD}`).toString('base64')}`,
              },
            },
          );
          expect(res.status).to.equal(200);
          const env = (await res.json()) as { objects: Record<string, unknown>[]; more?: boolean; next?: string };
          seen.push(...env.objects.map(key));
          next = env.more ? env.next : undefined;
        } while (next !== undefined);
        expect(seen).to.have.members(objects.map(key));
      } finally {
        await stop(serve);
      }
      void this;
    });

    it('a 125 MB file imports with an 80 MB JavaScript heap: it is streamed, never held whole', async function () {
      this.timeout(420_000);
      const pad = 'x'.repeat(6000);
      const file = join(dir, 'big.json');
      const count = 20_000;
      const out = createWriteStream(file);
      out.write(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`);
      for (let i = 0; i < count; i++) {
        const ok = out.write(`${i === 0 ? '' : ','}${JSON.stringify(indicator(i, { description: `${i} ${pad}` }))}`);
        if (!ok) await once(out, 'drain');
      }
      out.end(']}');
      await once(out, 'finish');
      const size = (await stat(file)).size;
      expect(size).to.be.greaterThan(120_000_000);
      // Parsing the whole file would need several times its size of heap: the process would die.
      const r = await palisade(['import', file, '--api-root', ROOT, '--collection', BIG, '--quiet', ...store], {
        nodeOptions: ['--max-old-space-size=80'],
      });
      expect(r.code, r.stderr.slice(-2000)).to.equal(0);
      expect(r.stdout).to.contain(`${count} objects: ${count} added, 0 duplicate, 0 failed`);
      console.log(`      peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB for a ${(size / 1e6).toFixed(0)} MB file`);
    });
  });

  describe('export', () => {
    it('round trip of state-actors.json: import, export, the same objects', async function () {
      this.timeout(180_000);
      const file = sharedDataFile(this, 'state-actors.json');
      const source = (JSON.parse(readFileSync(file, 'utf8')) as { objects: Record<string, unknown>[] }).objects;
      const imp = await palisade([
        'import',
        file,
        '--api-root',
        ROOT,
        '--collection',
        ACTORS,
        '--json',
        '--quiet',
        ...store,
      ]);
      const report = JSON.parse(imp.stdout) as { total: { total: number; added: number; failed: number } };
      expect(report.total.total).to.equal(source.length);
      expect(imp.code, imp.stdout.slice(0, 2000)).to.equal(report.total.failed > 0 ? 1 : 0);
      const out = join(dir, 'actors-export.json');
      const exp = await palisade([
        'export',
        '--api-root',
        ROOT,
        '--collection',
        ACTORS,
        '--all-versions',
        '--output',
        out,
        ...store,
      ]);
      expect(exp.code, exp.stderr).to.equal(0);
      const exported = JSON.parse(readFileSync(out, 'utf8')) as {
        type: string;
        id: string;
        objects: Record<string, unknown>[];
      };
      expect(exported.type).to.equal('bundle');
      expect(exported.id).to.match(/^bundle--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(report.total.failed).to.equal(0);
      expect(exported.objects.map(key)).to.have.members(source.map(key));
      // stored JSON verbatim: every exported object equals its source object
      const byKey = new Map(source.map((o) => [key(o), o]));
      for (const o of exported.objects) expect(o).to.deep.equal(byKey.get(key(o)));
      // filters: --type and stdout
      const actors = await palisade([
        'export',
        '--api-root',
        ROOT,
        '--collection',
        ACTORS,
        '--type',
        'intrusion-set',
        ...store,
      ]);
      expect(actors.code, actors.stderr).to.equal(0);
      const sets = (JSON.parse(actors.stdout) as { objects: Record<string, unknown>[] }).objects;
      const expected = source.filter((o) => o.type === 'intrusion-set');
      expect(sets.map(key)).to.have.members(expected.map(key));
    });
  });

  describe('sync from a second Palisade', () => {
    let remote: { file: string; dataDir: string };
    let serve: ServeProcess;
    let url: string;
    const remoteStore = (): string[] => ['--data-dir', remote.dataDir];
    const auth = ['--user', 'mirror', '--password-env', 'T_MIRROR_PW'];

    before(async () => {
      remote = await applyConfig(join(dir, 'remote'), REMOTE_CONFIG, { T_MIRROR: MIRROR_PASSWORD });
      const port = await freePort();
      serve = spawnServe({ config: remote.file, dataDir: remote.dataDir, port, env: { T_MIRROR: MIRROR_PASSWORD } });
      await waitReady(port, serve);
      url = `http://127.0.0.1:${port}/${REMOTE_ROOT}/`;
    });
    after(async () => stop(serve));

    it('copies the collection, then only what was added since; remote errors are clear', async function () {
      this.timeout(120_000);
      const first = Array.from({ length: 120 }, (_, i) => indicator(i));
      // a second version of one object: every version is mirrored
      const newer = { ...first[0], modified: '2024-04-01T00:00:00.000Z', name: 'indicator 0, revised' };
      const seed = join(dir, 'seed.json');
      await writeFile(seed, bundle([...first, newer]));
      const s = await palisade([
        'import',
        seed,
        '--api-root',
        REMOTE_ROOT,
        '--collection',
        FEED,
        '--quiet',
        ...remoteStore(),
      ]);
      expect(s.code, s.stderr).to.equal(0);
      const sync = (): Promise<Result> =>
        palisade([
          'sync',
          '--from',
          url,
          '--collection',
          FEED,
          '--to-api-root',
          ROOT,
          '--to-collection',
          MIRROR,
          ...auth,
          '--limit',
          '25',
          '--quiet',
          ...store,
        ]);
      const r1 = await sync();
      expect(r1.code, r1.stderr).to.equal(0);
      expect(r1.stdout).to.match(/^121 objects fetched: 121 added, 0 duplicate, 0 failed; position \d{4}-/);
      const remoteKeys = await storedKeys(remote.dataDir, REMOTE_ROOT, FEED);
      expect(remoteKeys).to.have.length(121);
      expect(await storedKeys(local.dataDir, ROOT, MIRROR)).to.have.members(remoteKeys);

      const more = Array.from({ length: 7 }, (_, i) => indicator(1000 + i));
      await writeFile(seed, bundle(more));
      const s2 = await palisade([
        'import',
        seed,
        '--api-root',
        REMOTE_ROOT,
        '--collection',
        FEED,
        '--quiet',
        ...remoteStore(),
      ]);
      expect(s2.code, s2.stderr).to.equal(0);
      const r2 = await sync();
      expect(r2.code, r2.stderr).to.equal(0);
      expect(r2.stdout).to.match(/^7 objects fetched: 7 added, 0 duplicate, 0 failed/);
      const r3 = await sync();
      expect(r3.stdout).to.match(/^0 objects fetched/);
      expect(await storedKeys(local.dataDir, ROOT, MIRROR)).to.have.members(
        await storedKeys(remote.dataDir, REMOTE_ROOT, FEED),
      );

      const wrong = await palisade([
        'sync',
        '--from',
        url,
        '--collection',
        FEED,
        '--to-api-root',
        ROOT,
        '--to-collection',
        MIRROR,
        '--user',
        'mirror',
        '--password-env',
        'PATH',
        '--quiet',
        ...store,
      ]);
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(/answered 401/);
      const missing = await palisade([
        'sync',
        '--from',
        url,
        '--collection',
        randomUUID(),
        '--to-api-root',
        ROOT,
        '--to-collection',
        MIRROR,
        ...auth,
        '--quiet',
        ...store,
      ]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/answered 404/);
      const notTaxii = await palisade([
        'sync',
        '--from',
        `http://127.0.0.1:${await freePort()}/x/`,
        '--collection',
        FEED,
        '--to-api-root',
        ROOT,
        '--to-collection',
        MIRROR,
        ...auth,
        '--quiet',
        ...store,
      ]);
      expect(notTaxii.code).to.equal(1);
      expect(notTaxii.stderr).to.match(/cannot reach the remote/);
      for (const x of [wrong, missing, notTaxii]) expect(x.stderr).to.not.match(STACK);
      const usage = await palisade(['sync', '--from', url, '--collection', FEED, ...store]);
      expect(usage.code).to.equal(2);
    });

    it('a run killed with SIGKILL in the middle resumes: the end state equals the remote, nothing twice', async function () {
      this.timeout(180_000);
      const bulk = Array.from({ length: 5000 }, (_, i) => indicator(i));
      const seed = join(dir, 'bulk.json');
      await writeFile(seed, bundle(bulk));
      const s = await palisade([
        'import',
        seed,
        '--api-root',
        REMOTE_ROOT,
        '--collection',
        BULK,
        '--quiet',
        ...remoteStore(),
      ]);
      expect(s.code, s.stderr).to.equal(0);
      const args = [
        'sync',
        '--from',
        url,
        '--collection',
        BULK,
        '--to-api-root',
        ROOT,
        '--to-collection',
        CUT,
        ...auth,
        '--limit',
        '50',
        '--quiet',
        ...store,
      ];
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? '', T_MIRROR_PW: MIRROR_PASSWORD },
        stdio: 'ignore',
      });
      // Killed once some pages are ingested and their position stored, well before the end.
      const db = new Database(join(local.dataDir, 'palisade.db'), { readonly: true, fileMustExist: true });
      try {
        const positions = db.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'sync:%'");
        const deadline = Date.now() + 90_000;
        while ((positions.get() as { n: number }).n < 10) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error('the sync ended before it could be killed');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        db.close();
      }
      child.kill('SIGKILL');
      await once(child, 'exit');
      const partial = await storedKeys(local.dataDir, ROOT, CUT);
      expect(partial.length).to.be.greaterThan(0).and.lessThan(5000);

      const rerun = await palisade(args);
      expect(rerun.code, rerun.stderr).to.equal(0);
      const m = /^(\d+) objects fetched: (\d+) added, (\d+) duplicate, 0 failed/.exec(rerun.stdout);
      expect(m, rerun.stdout).to.not.equal(null);
      // resumed from the stored position: at most the pages after it are fetched again
      expect(Number(m?.[1])).to.be.lessThan(5000);
      const localKeys = await storedKeys(local.dataDir, ROOT, CUT);
      expect(new Set(localKeys).size).to.equal(localKeys.length);
      expect(localKeys).to.have.members(await storedKeys(remote.dataDir, REMOTE_ROOT, BULK));
    });
  });

  describe('sync from medallion 3.0.0', () => {
    let medallion: ChildProcess | undefined;
    after(async () => stop(medallion));

    it('mirrors a medallion collection (memory backend, Basic auth), ties of date_added included', async function () {
      this.timeout(90_000);
      const python = process.env.PALISADE_PYTHON;
      if (!python) {
        if (process.env.CI === 'true')
          throw new Error('CI=true but PALISADE_PYTHON is not set (bash scripts/python-env.sh)');
        console.log(
          '      (skipped: PALISADE_PYTHON is not set; export PALISADE_PYTHON=$(bash scripts/python-env.sh))',
        );
        this.skip();
      }
      const fixture = join(projectRoot, 'tests', 'fixtures', 'medallion');
      const data = JSON.parse(readFileSync(join(fixture, 'data.json'), 'utf8')) as Record<
        string,
        { collections?: { id: string; objects: Record<string, unknown>[] }[] }
      >;
      const coll = data.api1?.collections?.[0];
      if (!coll) throw new Error('the medallion fixture has no collection');
      const port = await freePort();
      const config = join(dir, 'medallion.json');
      const base = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as {
        backend: Record<string, unknown>;
      };
      await writeFile(
        config,
        JSON.stringify({ ...base, backend: { ...base.backend, filename: join(fixture, 'data.json') } }),
      );
      medallion = spawn(
        python as string,
        ['-m', 'medallion.scripts.run', config, '--host', '127.0.0.1', '--port', String(port)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let log = '';
      medallion.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      medallion.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const up = await fetch(`http://127.0.0.1:${port}/taxii2/`, {
          headers: { Accept: TAXII, Authorization: `Basic ${Buffer.from('mirror:mirror-pw').toString('base64')}` },
        }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (up) break;
        if (medallion.exitCode !== null || Date.now() > deadline) throw new Error(`medallion did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const args = [
        'sync',
        '--from',
        `http://127.0.0.1:${port}/api1/`,
        '--collection',
        coll.id,
        '--to-api-root',
        ROOT,
        '--to-collection',
        MEDALLION_COPY,
        '--user',
        'mirror',
        '--password-env',
        'T_MIRROR_PW',
        '--limit',
        '1',
        '--quiet',
        ...store,
      ];
      const r = await palisadeWith(args, 'mirror-pw');
      expect(r.code, r.stderr + log).to.equal(0);
      const expected = coll.objects.map(key);
      expect(r.stdout).to.match(
        new RegExp(`^${expected.length} objects fetched: ${expected.length} added, 0 duplicate, 0 failed`),
      );
      expect(await storedKeys(local.dataDir, ROOT, MEDALLION_COPY)).to.have.members(expected);
      // The positions kept, in order. Two versions share date_added 10:05 (pages 2 and 3 with
      // limit 1): 10:05 is stored once, after both are ingested (3 objects fetched by then), so a
      // run cut between them resumes before them rather than past the second.
      const db = new Database(join(local.dataDir, 'palisade.db'), { readonly: true });
      const rows = db.prepare("SELECT key, value FROM meta WHERE key LIKE 'sync:%'").all() as {
        key: string;
        value: string;
      }[];
      db.close();
      const positions = rows
        .map((row) => ({
          n: Number(row.key.split(':').at(-1)),
          ...(JSON.parse(row.value) as { addedLast: string; fetched: number; localCollection: string }),
        }))
        .filter((p) => p.localCollection === MEDALLION_COPY)
        .sort((a, b) => a.n - b.n)
        .map((p) => [p.addedLast, p.fetched]);
      expect(positions).to.deep.equal([
        ['2024-03-01T10:00:00.000000Z', 1],
        ['2024-03-01T10:05:00.000000Z', 3],
        ['2024-03-02T11:00:00.000000Z', 4],
        ['2024-03-03T12:00:00.000000Z', 5],
      ]);
      const again = await palisadeWith(args, 'mirror-pw');
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/^0 objects fetched/);
      const bad = await palisadeWith(args, 'wrong');
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.match(/answered 401/);
    });
  });
});

/** The CLI with T_MIRROR_PW set to `password`. */
async function palisadeWith(args: string[], password: string): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', T_MIRROR_PW: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr, peakRss: 0 };
}
