// The servers under test, each a process of its own on 127.0.0.1: Palisade (`palisade serve`),
// medallion 3.0.0 (memory backend) and OpenTAXII 0.9.3 (SQLite), the peers from the throwaway
// virtualenvs of scripts/peers/venv.sh.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../../tests/helpers/free-port.js';
import type { Target } from './client.js';

/**
 * What an interrupted run leaves behind (Ctrl-C, a failed row): the processes it started and its
 * temporary directories, removed on exit. Only what this run created is listed.
 */
const leftovers = { pids: new Set<number>(), dirs: new Set<string>() };
export const forget = {
  pid: (pid: number): boolean => leftovers.pids.delete(pid),
  dir: (dir: string): boolean => leftovers.dirs.delete(dir),
};
export const remember = {
  pid: (pid: number | undefined): void => void (pid !== undefined && leftovers.pids.add(pid)),
  dir: (dir: string): void => void leftovers.dirs.add(dir),
};
process.on('exit', () => {
  for (const pid of leftovers.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of leftovers.dirs) rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

export const USER = 'bench';
export const PASSWORD = 'bench-password-1';

export interface Running {
  target: Target;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** VmHWM (peak resident set since the process started) and VmRSS of a process, in MB */
export function memoryMb(pid: number): { hwm: number; rss: number } {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { hwm: NaN, rss: NaN };
  }
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) / 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

/**
 * CPU time a process has used so far, all its threads, in ms (/proc/<pid>/stat utime + stime, in
 * clock ticks of 10 ms); NaN once it is gone. Taken around a row, it says how much of the row's
 * time the server spent working (the rest of the machine is the client and the kernel).
 */
export function cpuMs(pid: number): number {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // the fields after the command name, which is in parentheses and may hold spaces
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let command: { args: string[]; label: string } | undefined;
/** node's options in `npm start` (package.json), so that the server is measured as it is run */
const NODE_ARGS = ['--max-old-space-size=2000'];
let buildDir: string | undefined;

/**
 * How `palisade` is started, decided once by preparePalisade: `build` (the default) compiles src/
 * with the project's tsconfig into a throwaway directory and runs the JavaScript, as production
 * does (`npm run build`, `node dist/...`) but without touching the shared dist/; `dist` runs the
 * existing dist/ when it is newer than every file of src/ (else falls back to tsx); `tsx` runs the
 * sources through tsx as the tests do (its in-process compiler adds start-up time and memory).
 */
export function palisadeCommand(): { args: string[]; label: string } {
  if (!command) throw new Error('preparePalisade first');
  return command;
}

export async function preparePalisade(mode: string): Promise<string[]> {
  const warnings: string[] = [];
  const tsx = {
    args: [...NODE_ARGS, '--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts')],
    label: 'src/ through tsx',
  };
  if (mode === 'tsx') command = tsx;
  else if (mode === 'dist') {
    const built = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
    if (existsSync(built) && statSync(built).mtimeMs > newestMtime(join(projectRoot, 'src')))
      command = { args: [...NODE_ARGS, built], label: 'dist/ (newer than src/)' };
    else {
      warnings.push('dist/ is absent or older than src/: Palisade runs through tsx');
      command = tsx;
    }
  } else if (mode === 'build') {
    buildDir = await mkdtemp(join(tmpdir(), 'palisade-bench-build-'));
    remember.dir(buildDir);
    // projectRoot (src/paths.ts) is the nearest directory above the code holding package.json;
    // what the server reads from there (schemas/, demo/, dist/console/) is linked to the repository's
    for (const e of ['package.json', 'node_modules', 'schemas', 'demo', 'openapi.yaml'])
      if (existsSync(join(projectRoot, e))) await symlink(join(projectRoot, e), join(buildDir, e));
    await mkdir(join(buildDir, 'dist'));
    if (existsSync(join(projectRoot, 'dist', 'console')))
      await symlink(join(projectRoot, 'dist', 'console'), join(buildDir, 'dist', 'console'));
    const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '-p', join(projectRoot, 'tsconfig.json'), '--outDir', join(buildDir, 'dist'), '--sourceMap', 'false'],
      {
        cwd: projectRoot,
        encoding: 'utf8',
      },
    );
    const main = join(buildDir, 'dist', 'src', 'cli', 'main.js');
    if (!existsSync(main)) throw new Error(`tsc emitted nothing:\n${r.stdout}${r.stderr}`);
    if (r.status !== 0)
      warnings.push(
        `tsc reported type errors in the working tree (the JavaScript was emitted anyway): ${r.stdout.split('\n')[0]}`,
      );
    command = { args: [...NODE_ARGS, main], label: 'src/ compiled by tsc into a temporary directory (node, no tsx)' };
  } else throw new Error(`--palisade is build, dist or tsx (got ${mode})`);
  return warnings;
}

export async function cleanupPalisade(): Promise<void> {
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
}

export interface PalisadeSetup {
  dir: string;
  /** collection name → id; all in the API root `b`, readable and writable by the bench user */
  collections: Record<string, string>;
  store: { kind: 'sqlite' } | { kind: 'mongodb'; uri: string; database: string };
}

export async function writePalisadeConfig(s: PalisadeSetup): Promise<string> {
  await mkdir(s.dir, { recursive: true });
  const file = join(s.dir, 'palisade.yaml');
  const store =
    s.store.kind === 'mongodb'
      ? `store: { kind: mongodb, uri: ${JSON.stringify(s.store.uri)}, database: ${s.store.database} }\n`
      : '';
  const cols = Object.entries(s.collections)
    .map(([name, id]) => `      - { id: ${id}, title: ${name}, grants: [{ user: ${USER}, read: true, write: true }] }`)
    .join('\n');
  await writeFile(
    file,
    `${store}taxii: { title: bench, default_api_root: b, max_page_size: 1000 }
ingest: { max_objects_per_envelope: 1000000 }
ops: { metrics: { allow_anonymous: true } }
api_roots:
  - path: b
    title: bench
    max_content_length: 209715200
    collections:
${cols}
users:
  - { username: ${USER}, password_env: BENCH_PW }
`,
  );
  return file;
}

function palisadeEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    BENCH_PW: PASSWORD,
    PALISADE_LOG_LEVEL: 'warn',
    // As `npm start` runs it (README, Performance): glibc's per-thread malloc arenas otherwise keep
    // the freed memory of every database thread (about 50 MB more peak RSS).
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  };
}

async function waitFor(
  port: number,
  path: string,
  child: ChildProcess,
  output: () => string,
  seconds: number,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output().slice(-3000)}`);
    const ok = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`the server did not answer within ${seconds} s:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function track(child: ChildProcess): () => string {
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}

function stopper(child: ChildProcess): () => Promise<void> {
  remember.pid(child.pid);
  child.once('exit', () => child.pid !== undefined && forget.pid(child.pid));
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  };
}

export async function startPalisade(s: PalisadeSetup, config: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...palisadeCommand().args, 'serve', '--config', config, '--port', String(port), '--data-dir', join(s.dir, 'data')],
    {
      cwd: projectRoot,
      env: palisadeEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = track(child);
  const stop = stopper(child);
  try {
    await waitFor(port, '/healthz', child, output, 180);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    target: {
      name: 'palisade',
      port,
      pid: child.pid as number,
      discovery: '/taxii2/',
      root: '/b/',
      collections: s.collections,
      user: USER,
      password: PASSWORD,
    },
    child,
    output,
    stop,
  };
}

/**
 * `palisade import -` with the objects written to its standard input; returns its JSON report.
 * `signal` ends the import early (the bench's row budget, which FerretDB's preload can exceed):
 * the process is killed and the call fails.
 */
export async function palisadeImport(
  s: PalisadeSetup,
  config: string,
  collection: string,
  feed: (write: (chunk: string) => Promise<void>) => Promise<void>,
  signal?: AbortSignal,
): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      ...palisadeCommand().args,
      'import',
      '-',
      '--api-root',
      'b',
      '--collection',
      s.collections[collection] as string,
      '--config',
      config,
      '--data-dir',
      join(s.dir, 'data'),
      '--json',
      '--quiet',
    ],
    { cwd: projectRoot, env: palisadeEnv(), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output = track(child);
  remember.pid(child.pid);
  child.once('exit', () => child.pid !== undefined && forget.pid(child.pid));
  child.stdin.on('error', () => undefined); // an early exit is reported below, with the output
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let gone = false;
  const exited = new Promise<number>((r) =>
    child.once('exit', (code) => {
      gone = true;
      child.stdin.emit('drain'); // release a writer waiting for room
      r(code ?? -1);
    }),
  );
  const kill = (): void => void child.kill('SIGKILL');
  if (signal?.aborted) kill();
  else signal?.addEventListener('abort', kill, { once: true });
  void exited.then(() => signal?.removeEventListener('abort', kill));
  const write = async (chunk: string): Promise<void> => {
    if (gone) throw new Error(`palisade import exited early:\n${output().slice(-3000)}`);
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  };
  await feed(write);
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`palisade import exited with ${code}:\n${output().slice(-3000)}`);
  return stdout.trim();
}

/** the path of a peer's python, building its venv when `build` (else only an existing one) */
export function peerPython(name: 'medallion' | 'opentaxii', build: boolean): string | undefined {
  try {
    return execFileSync(
      'bash',
      [join(projectRoot, 'scripts', 'peers', 'venv.sh'), name, ...(build ? [] : ['--existing'])],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ).trim();
  } catch {
    return undefined;
  }
}

/** medallion 3.0.0 with its memory backend, one API root `bench`, the named collections */
export async function startMedallion(python: string, dir: string, names: string[]): Promise<Running> {
  await mkdir(dir, { recursive: true });
  const ids = Object.fromEntries(
    names.map((n, i) => [n, `5e1f0b2c-${String(i).padStart(4, '0')}-4a6b-8c7d-0000000000aa`]),
  );
  const port = await freePort();
  const data = {
    '/discovery': {
      title: 'medallion bench',
      default: `http://127.0.0.1:${port}/bench/`,
      api_roots: [`http://127.0.0.1:${port}/bench/`],
    },
    bench: {
      information: { title: 'bench', versions: [TAXII_VERSION], max_content_length: 209715200 },
      status: [],
      collections: names.map((n) => ({
        id: ids[n],
        title: n,
        can_read: true,
        can_write: true,
        media_types: ['application/stix+json;version=2.1'],
        objects: [],
        manifest: [],
      })),
    },
  };
  await writeFile(join(dir, 'data.json'), JSON.stringify(data));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({
      // memory backend: its `next` sessions live session_timeout seconds (default 30, too short for a slow walk)
      backend: {
        module: 'medallion.backends.memory_backend',
        module_class: 'MemoryBackend',
        filename: join(dir, 'data.json'),
        session_timeout: 3600,
      },
      users: { [USER]: PASSWORD },
      taxii: { max_page_size: 1000 },
    }),
  );
  const child = spawn(
    python,
    [
      '-m',
      'medallion.scripts.run',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'ERROR',
      join(dir, 'config.json'),
    ],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = track(child);
  const stop = stopper(child);
  try {
    await waitFor(port, '/taxii2/', child, output, 60);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    target: {
      name: 'medallion',
      port,
      pid: child.pid as number,
      discovery: '/taxii2/',
      root: '/bench/',
      collections: ids,
      user: USER,
      password: PASSWORD,
    },
    child,
    output,
    stop,
  };
}

const TAXII_VERSION = 'application/taxii+json;version=2.1';

/** OpenTAXII 0.9.3, TAXII 2 only, through scripts/peers/opentaxii_serve.py */
export async function startOpenTaxii(python: string, dir: string, names: string[]): Promise<Running> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    python,
    [join(projectRoot, 'scripts', 'peers', 'opentaxii_serve.py'), dir, String(port), USER, PASSWORD, ...names],
    {
      env: { PATH: process.env.PATH ?? '', PYTHONWARNINGS: 'ignore' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = track(child);
  const stop = stopper(child);
  let ready: { api_root: string; collections: Record<string, string> };
  try {
    ready = await new Promise((resolve, reject) => {
      let line = '';
      const onData = (d: Buffer): void => {
        line += d.toString();
        const nl = line.indexOf('\n');
        if (nl >= 0) {
          child.stdout?.off('data', onData);
          try {
            resolve(JSON.parse(line.slice(0, nl)) as typeof ready);
          } catch {
            reject(new Error(`OpenTAXII set-up printed ${line.slice(0, 300)}\n${output().slice(-3000)}`));
          }
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', () => reject(new Error(`OpenTAXII exited:\n${output().slice(-3000)}`)));
    });
    await waitFor(port, '/taxii2/', child, output, 60);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    target: {
      name: 'opentaxii',
      port,
      pid: child.pid as number,
      discovery: '/taxii2/',
      root: `/taxii2/${ready.api_root}/`,
      collections: ready.collections,
      user: USER,
      password: PASSWORD,
    },
    child,
    output,
    stop,
  };
}
