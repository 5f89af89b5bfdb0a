// Benchmark: analyst search latency over HTTP, through the whole app (authentication, access gate,
// intel index, snippets), on the threaded SQLite store that `serve` uses. Loads ATT&CK Enterprise
// from ../shared/data (when present) plus N generated objects, then times GET /api/v1/search for a
// mix of names, aliases, ATT&CK ids, description words and short prefixes, sequentially on one
// keep-alive connection. Prints p50/p95/max per run and their medians.
//   npx tsx scripts/bench-analyst.ts [--extra 0] [--tries 300] [--runs 3]
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { createContainer } from '../src/container.js';
import { silentLogger } from '../src/logger.js';
import { projectRoot } from '../src/paths.js';
import { toVersionRecord } from '../src/stix/versions.js';
import type { NewVersion } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    extra: { type: 'string', default: '0' },
    tries: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
  },
});
const EXTRA = Number(values.extra);
const TRIES = Number(values.tries);
const RUNS = Number(values.runs);
const C = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const USER = { name: 'analyst', password: 'analyst-password-1' };
const QUERIES = [
  'APT28',
  'apt28',
  'Fancy Bear',
  'G0007',
  'Lazarus',
  'Sandworm',
  'T1566',
  'T1059.001',
  'phishing',
  'credential dumping',
  'powershell',
  'mimikatz',
  'Cobalt Strike',
  'ransomware',
  'fa',
  'ap',
  'lat',
  'spear',
  'windows registry',
  'Kimsuky',
  'OilRig',
  'Turla',
  'exfiltration',
  'cloud',
  'supply chain',
];

type Obj = Record<string, unknown> & { id: string; type: string };

function toNew(o: Obj): NewVersion {
  return toVersionRecord(o, { id: o.id, type: o.type, specVersion: (o.spec_version as string | undefined) ?? '2.1' });
}

const WORDS =
  'actor campaign loader beacon stealer wiper backdoor implant dropper phishing lure server domain tunnel registry token cloud ministry energy telecom finance'.split(
    ' ',
  );
function generated(i: number): Obj {
  const w = (k: number): string => WORDS[(i * 7 + k * 13) % WORDS.length] as string;
  const hex = i.toString(16).padStart(12, '0');
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-${hex}`,
    created: '2025-01-01T00:00:00.000Z',
    modified: '2025-01-01T00:00:00.000Z',
    name: `${w(1)} ${w(2)} ${i}`,
    description: `Generated ${w(3)} ${w(4)} ${w(5)} indicator number ${i} for the ${w(6)} sector.`,
    indicator_types: ['malicious-activity'],
    pattern: `[domain-name:value = 'h${hex}.example']`,
    pattern_type: 'stix',
    valid_from: '2025-01-01T00:00:00Z',
    labels: [w(7)],
  };
}

function get(agent: Agent, port: number, path: string): Promise<number> {
  const auth = `Basic ${Buffer.from(`${USER.name}:${USER.password}`).toString('base64')}`;
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { Authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? ok(Number(process.hrtime.bigint() - t0) / 1e6)
          : fail(new Error(`${path}: ${res.statusCode}`)),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const median = (xs: number[]): number => pct(xs, 50);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-analyst-'));
  await writeFile(
    join(dir, 'palisade.yaml'),
    `auth: { failure_limit: 100000 }
taxii: { title: bench, default_api_root: eu }
users:
  - { username: ${USER.name}, password_env: T_USER }
api_roots:
  - path: eu
    title: bench
    collections:
      - { id: ${C}, title: bench, grants: [{ user: ${USER.name}, read: true }] }
`,
  );
  const config = loadConfig(
    { T_USER: USER.password },
    { configFile: join(dir, 'palisade.yaml'), dataDir: join(dir, 'data') },
  );
  const c = await createContainer(config, silentLogger);
  await bootstrap(c);
  let total = 0;
  const attack = resolve(projectRoot, '..', 'shared', 'data', 'attack-enterprise.json');
  const t0 = Date.now();
  if (existsSync(attack)) {
    const objs = (JSON.parse(readFileSync(attack, 'utf8')) as { objects: Obj[] }).objects;
    for (let i = 0; i < objs.length; i += 2000) {
      await c.store.objects.addObjects(C, objs.slice(i, i + 2000).map(toNew), Date.now() * 1000);
    }
    total += objs.length;
  } else console.log('(../shared/data/attack-enterprise.json is absent: generated objects only)');
  for (let i = 0; i < EXTRA; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, EXTRA - i) }, (_, k) => toNew(generated(i + k)));
    await c.store.objects.addObjects(C, batch, Date.now() * 1000);
  }
  total += EXTRA;
  console.log(`loaded ${total} objects in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const server = buildApp(c).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 30; i++)
    await get(agent, port, `/api/v1/search?q=${encodeURIComponent(QUERIES[i % QUERIES.length] as string)}`);
  const p50s: number[] = [];
  const p95s: number[] = [];
  const maxes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const times: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      const q = QUERIES[i % QUERIES.length] as string;
      times.push(await get(agent, port, `/api/v1/search?q=${encodeURIComponent(q)}&limit=20`));
    }
    p50s.push(pct(times, 50));
    p95s.push(pct(times, 95));
    maxes.push(Math.max(...times));
    console.log(
      `run ${run + 1}: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
    );
  }
  console.log(
    JSON.stringify({
      objects: total,
      search_p50_ms: +median(p50s).toFixed(1),
      search_p95_ms: +median(p95s).toFixed(1),
      search_max_ms: +median(maxes).toFixed(1),
    }),
  );
  agent.destroy();
  server.close();
  await c.close();
  await rm(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
