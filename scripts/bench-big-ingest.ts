// Discovery latency and server memory while one client posts a large envelope (the targets: a
// discovery request answers in under 50 ms at p99 during a 100 MB ingestion, and the server's peak
// RSS stays within 300 MB).
//   npx tsx scripts/bench-big-ingest.ts [--mb 100] [--palisade build|dist|tsx|<main.js>]
//                                       [--arena N|unset] [--node-args="--max-old-space-size=2000 ..."]
// Starts `palisade serve` (SQLite) as a child process on loopback with a fresh data directory,
// polls GET /taxii2/ sequentially on a keep-alive connection from the start of the upload until the
// status is complete, samples the server's RSS, and prints the figures and one JSON line.
//
// The server runs as `npm start` and scripts/bench.ts run it: compiled JavaScript (`--palisade
// build`, the default; `tsx` adds its compiler to the process; a path runs that compiled
// dist/src/cli/main.js, to compare builds) with MALLOC_ARENA_MAX=2 (`--arena`
// sets another value, `unset` leaves glibc's default of one arena per thread). `--node-args` puts
// options of node (V8 heap flags) before the server's script. The peak reported is the kernel's
// VmHWM, which also sees spikes shorter than the sampling interval.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../tests/helpers/free-port.js';
import { cleanupPalisade, palisadeCommand, preparePalisade } from './bench/servers.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    palisade: { type: 'string', default: 'build' },
    arena: { type: 'string', default: '2' },
    'node-args': { type: 'string', default: '' },
  },
});
if (!/^(\d+|unset)$/.test(values.arena)) throw new Error(`--arena is a number or unset (got ${values.arena})`);
const targetBytes = Number(values.mb) * 1024 * 1024;
const TAXII = 'application/taxii+json;version=2.1';
const PASSWORD = 'bench-password-1';
const AUTH = `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}`;
const COLLECTION = '0e0e0e0e-1111-4222-8333-444455556666';
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function call(port: number, method: string, path: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
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
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function envelope(): { body: Buffer; count: number } {
  const parts: string[] = [];
  let size = 14;
  let n = 0;
  while (size < targetBytes) {
    const id = `indicator--${n.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`;
    const o = JSON.stringify({
      type: 'indicator',
      spec_version: '2.1',
      id,
      created: '2024-01-01T00:00:00.000Z',
      modified: '2024-01-01T00:00:00.000Z',
      name: `bench indicator ${n}`,
      description: 'x'.repeat(300),
      pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
      pattern_type: 'stix',
      valid_from: '2024-01-01T00:00:00Z',
    });
    parts.push(o);
    size += o.length + 1;
    n++;
  }
  return { body: Buffer.from(`{"objects":[${parts.join(',')}]}`), count: n };
}

/** VmRSS and VmHWM of a process in MB (0 once it has ended) */
const memoryMb = (pid: number): { rss: number; hwm: number } => {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, hwm: 0 };
  }
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
};

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function main(): Promise<void> {
  // A path to a compiled main.js (another build, to compare) is run as it is.
  const built = values.palisade.endsWith('.js') ? values.palisade : undefined;
  if (built === undefined) for (const warning of await preparePalisade(values.palisade)) console.warn(warning);
  const command = built !== undefined ? { args: [built], label: built } : palisadeCommand();
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-big-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'palisade.yaml'),
    `taxii: { title: bench, default_api_root: b }
ingest: { max_objects_per_envelope: 10000000 }
api_roots:
  - path: b
    title: bench
    max_content_length: ${targetBytes + 1024 * 1024}
    collections:
      - id: ${COLLECTION}
        title: bench
        grants: [{ user: bench, read: true, write: true }]
users:
  - { username: bench, password_env: BENCH_PW }
`,
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    BENCH_PW: PASSWORD,
    PALISADE_LOG_LEVEL: 'warn',
    ...(values.arena === 'unset' ? {} : { MALLOC_ARENA_MAX: values.arena }),
  };
  const configFile = join(dir, 'palisade.yaml');
  const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');
  const args = [...nodeArgs, ...command.args, 'serve', '--config', configFile, '--port', String(port)];
  const server = spawn(process.execPath, [...args, '--data-dir', join(dir, 'data')], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const output = (): string => out;
  try {
    for (let i = 0; ; i++) {
      const ok = await call(port, 'GET', '/taxii2/').then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error(`the server did not start:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const idle = memoryMb(server.pid as number);
    const { body, count } = envelope();
    const rss: number[] = [];
    const latencies: number[] = [];
    let done = false;
    const sampler = setInterval(() => rss.push(memoryMb(server.pid as number).rss), 250);
    const poller = (async () => {
      while (!done) {
        const t = performance.now();
        const r = await call(port, 'GET', '/taxii2/').catch(() => undefined);
        if (r?.status === 200) latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const t0 = performance.now();
    const posted = await call(port, 'POST', `/b/collections/${COLLECTION}/objects/`, body).catch((err: unknown) => {
      throw new Error(`POST failed (${String(err)}); server output:\n${output().slice(-3000)}`);
    });
    const accepted = performance.now() - t0;
    if (posted.status !== 202) throw new Error(`POST answered ${posted.status}: ${posted.text.slice(0, 300)}`);
    const id = (JSON.parse(posted.text) as { id: string }).id;
    let status: { status: string; success_count: number; failure_count: number };
    for (;;) {
      status = JSON.parse((await call(port, 'GET', `/b/status/${id}/`)).text) as typeof status;
      if (status.status === 'complete') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const total = performance.now() - t0;
    const end = memoryMb(server.pid as number);
    done = true;
    await poller;
    clearInterval(sampler);
    const figures = {
      envelope_mb: Math.round(body.length / 1048576),
      objects: count,
      accepted_ms: Math.round(accepted),
      complete_ms: Math.round(total),
      ingest_obj_s: Math.round(count / (total / 1000)),
      succeeded: status.success_count,
      failed: status.failure_count,
      discovery_requests: latencies.length,
      discovery_p50_ms: Number(pct(latencies, 50).toFixed(1)),
      discovery_p99_ms: Number(pct(latencies, 99).toFixed(1)),
      discovery_max_ms: Number(Math.max(...latencies).toFixed(1)),
      server: command.label,
      malloc_arena_max: values.arena,
      node_args: nodeArgs.join(' '),
      rss_before_mb: Math.round(idle.rss),
      peak_rss_sampled_mb: Math.round(Math.max(...rss)),
      peak_rss_mb: Math.round(end.hwm),
      rss_after_mb: Math.round(end.rss),
      load_avg_1m: Number(loadavg()[0]?.toFixed(1)),
    };
    console.log(
      `${figures.envelope_mb} MB envelope, ${count} objects: 202 after ${figures.accepted_ms} ms, complete after ` +
        `${figures.complete_ms} ms (${figures.ingest_obj_s} obj/s); discovery p50 ${figures.discovery_p50_ms} ms, ` +
        `p99 ${figures.discovery_p99_ms} ms, max ${figures.discovery_max_ms} ms over ${latencies.length} requests; ` +
        `RSS before ${figures.rss_before_mb} MB, peak (VmHWM) ${figures.peak_rss_mb} MB, after ${figures.rss_after_mb} MB`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
    await cleanupPalisade();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
