// Discovery latency and server memory while one client posts a large envelope (issue 8: a discovery
// request answers in under 50 ms at p99 during a 100 MB ingestion; issue 11: peak RSS).
//   npx tsx scripts/bench-big-ingest.ts [--mb 100]
// Starts `palisade serve` (SQLite) as a child process on loopback with a fresh data directory,
// polls GET /taxii2/ sequentially on a keep-alive connection from the start of the upload until the
// status is complete, samples the server's RSS, and prints the figures and one JSON line.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../tests/helpers/free-port.js';
import { spawnServe } from '../tests/helpers/serve-process.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' } } });
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

const rssMb = (pid: number): number => {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0; // the process has ended
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(text);
  return m ? Number(m[1]) / 1024 : 0;
};

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function main(): Promise<void> {
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
  const server = spawnServe({
    config: join(dir, 'palisade.yaml'),
    dataDir: join(dir, 'data'),
    port,
    env: { BENCH_PW: PASSWORD },
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await call(port, 'GET', '/taxii2/').then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error(`the server did not start:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { body, count } = envelope();
    const rss: number[] = [];
    const latencies: number[] = [];
    let done = false;
    const sampler = setInterval(() => rss.push(rssMb(server.pid as number)), 250);
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
      throw new Error(`POST failed (${String(err)}); server output:\n${server.output().slice(-3000)}`);
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
      peak_rss_mb: Math.round(Math.max(...rss)),
      load_avg_1m: Number(loadavg()[0]?.toFixed(1)),
    };
    console.log(
      `${figures.envelope_mb} MB envelope, ${count} objects: 202 after ${figures.accepted_ms} ms, complete after ` +
        `${figures.complete_ms} ms (${figures.ingest_obj_s} obj/s); discovery p50 ${figures.discovery_p50_ms} ms, ` +
        `p99 ${figures.discovery_p99_ms} ms, max ${figures.discovery_max_ms} ms over ${latencies.length} requests; ` +
        `peak RSS ${figures.peak_rss_mb} MB`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
