// Benchmark: what does recording every read in the audit trail cost in paging throughput? Serves a
// SQLite-backed Palisade on loopback, fills a collection with N indicators, then pages through it
// with limit=1000 over real HTTP, alternating rounds with the audit trail recording and with it
// switched off (a no-op record), and reports the median pages per second of each and the ratio.
//   npx tsx scripts/bench-audit.ts [--objects 50000] [--rounds 9]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load-config.js';
import { createContainer } from '../src/container.js';
import { silentLogger } from '../src/logger.js';
import { versionKey } from '../src/stix/timestamps.js';
import type { NewVersion } from '../src/store/store.js';

const { values } = parseArgs({
  options: { objects: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '9' } },
});
const total = Number(values.objects);
const rounds = Number(values.rounds);
const C = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000cc';

const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-audit-'));
await writeFile(
  join(dir, 'palisade.yaml'),
  `auth: { failure_limit: 100000 }
users: [ { username: reader, password_env: PW } ]
api_roots: [ { path: r, title: R, collections: [ { id: ${C}, title: Bench, grants: [ { user: reader, read: true } ] } ] } ]
`,
);
const config = loadConfig(
  { PW: 'bench-password' },
  { configFile: join(dir, 'palisade.yaml'), dataDir: join(dir, 'data') },
);
const c = await createContainer(config, silentLogger);
await bootstrap(c);
const modified = '2024-01-01T00:00:00.000Z';
for (let i = 0; i < total; i += 1000) {
  const batch: NewVersion[] = [];
  for (let j = i; j < Math.min(i + 1000, total); j++) {
    const id = `indicator--${j.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const obj = {
      type: 'indicator',
      spec_version: '2.1',
      id,
      created: modified,
      modified,
      pattern: "[ipv4-addr:value = '10.0.0.1']",
      pattern_type: 'stix',
      valid_from: modified,
      description: 'x'.repeat(400),
    };
    batch.push({
      id,
      type: 'indicator',
      specVersion: '2.1',
      version: modified,
      versionKey: versionKey(modified) as string,
      markings: [],
      json: JSON.stringify(obj),
    });
  }
  await c.store.objects.addObjects(C, batch, Date.now() * 1000);
}

const server = buildApp(c).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const auth = `Basic ${Buffer.from('reader:bench-password').toString('base64')}`;
const headers = { Accept: 'application/taxii+json;version=2.1', Authorization: auth };

async function walk(): Promise<number> {
  const t0 = process.hrtime.bigint();
  let next: string | undefined;
  let pages = 0;
  do {
    const url = `${base}/r/collections/${C}/objects/?limit=1000${next ? `&next=${encodeURIComponent(next)}` : ''}`;
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { next?: string };
    next = body.next;
    pages++;
  } while (next);
  return pages / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const record = c.services.audit.record.bind(c.services.audit);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const on: number[] = [];
const off: number[] = [];
await walk(); // warm-up
for (let i = 0; i < rounds; i++) {
  c.services.audit.record = record;
  on.push(await walk());
  await c.services.audit.flush();
  c.services.audit.record = () => undefined;
  off.push(await walk());
}
c.services.audit.record = record;
const written = (await c.store.audit.queryAudit({ action: 'taxii.read', limit: 1_000_000 })).records.length;
console.log(
  `${total} objects, ${Math.ceil(total / 1000)} pages per walk, ${rounds} rounds each way; ${written} read records written`,
);
console.log(`audit on:  median ${median(on).toFixed(1)} pages/s`);
console.log(`audit off: median ${median(off).toFixed(1)} pages/s`);
console.log(`cost of recording reads: ${((1 - median(on) / median(off)) * 100).toFixed(1)}% of paging throughput`);
server.close();
await c.close();
await rm(dir, { recursive: true, force: true });
