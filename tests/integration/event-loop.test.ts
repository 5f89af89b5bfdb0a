// Database work never blocks the event loop (SQLite runs in worker threads): a cheap request is
// answered promptly while other clients keep the database busy with a filter that visits a whole
// collection, and a read that passes store.query_timeout_ms is cancelled with a 503.
import { request, Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createContainer, type Container } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import { versionKey } from '../../src/stix/timestamps.js';
import type { NewVersion } from '../../src/store/store.js';
import { TAXII, TEST_BACKEND, type TestUser } from '../helpers/test-app.js';

const OBJECTS = 100_000;
const C = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const TLP_RED = 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1';
const DE: TestUser = { name: 'de-analyst', password: 'de-analyst-password' };
const IT: TestUser = { name: 'it-analyst', password: 'it-analyst-password' };
const ENV = { PW_DE: DE.password, PW_IT: IT.password };
// Every object carries TLP:RED, released to de-bsi only: the Italian analyst may list the collection
// but receives nothing, and the database visits every object to find that out (releasability runs
// in the query). The German analyst's listing answers from the first rows.
const CONFIG = `
auth: { failure_limit: 100000 }
taxii: { title: event loop, default_api_root: eu, max_page_size: 1000 }
tenants:
  - { id: de-bsi, name: Germany }
  - { id: it-acn, name: Italy }
markings:
  - { id: ${TLP_RED}, tenants: [de-bsi] }
users:
  - { username: de-analyst, tenant: de-bsi, password_env: PW_DE }
  - { username: it-analyst, tenant: it-acn, password_env: PW_IT }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${C}
        title: Red
        releasability: true
        grants: [ { tenant: de-bsi, read: true, write: true }, { tenant: it-acn, read: true } ]
`;
const LISTING = `/eu/collections/${C}/objects/`;
/** Every row is read (type and is_last come from two different indexes) and every one is withheld. */
const SLOW = `${LISTING}?match[type]=indicator`;

interface Running {
  container: Container;
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** The app on a real port, on `dir`, with store.query_timeout_ms when given. */
async function start(dir: string, queryTimeoutMs?: number): Promise<Running> {
  const file = join(dir, 'palisade.yaml');
  await writeFile(file, CONFIG);
  const config = loadConfig(ENV, { configFile: file, dataDir: join(dir, 'data') });
  const store = queryTimeoutMs === undefined ? config.store : { ...config.store, queryTimeoutMs };
  // The store logs each cancelled query (on its own logger while the container does not pass one).
  const level = process.env.PALISADE_LOG_LEVEL;
  process.env.PALISADE_LOG_LEVEL = 'silent';
  let container: Container;
  try {
    container = await createContainer({ ...config, store }, silentLogger);
  } finally {
    if (level === undefined) delete process.env.PALISADE_LOG_LEVEL;
    else process.env.PALISADE_LOG_LEVEL = level;
  }
  await bootstrap(container);
  const server = createServer(buildApp(container));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    container,
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function get(
  port: number,
  path: string,
  as: TestUser = IT,
): Promise<{ status: number; ms: number; body: string; type?: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: {
          Accept: TAXII,
          Authorization: `Basic ${Buffer.from(`${as.name}:${as.password}`).toString('base64')}`,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - t0,
            body,
            ...(res.headers['content-type'] !== undefined ? { type: res.headers['content-type'] } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

async function fill(container: Container, total: number): Promise<void> {
  const modified = '2024-01-01T00:00:00.000Z';
  const vkey = versionKey(modified) as string;
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  for (let i = 0; i < total; i += 1000) {
    const batch: NewVersion[] = [];
    for (let j = i; j < Math.min(i + 1000, total); j++) {
      const id = `indicator--${hex(j, 8)}-0000-4000-8000-${hex(j * 7919, 12).slice(-12)}`;
      const obj = {
        type: 'indicator',
        spec_version: '2.1',
        id,
        created: modified,
        modified,
        pattern: `[ipv4-addr:value = '10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}']`,
        pattern_type: 'stix',
        valid_from: modified,
        description: 'x'.repeat(400),
        object_marking_refs: [TLP_RED],
      };
      batch.push({
        id,
        type: 'indicator',
        specVersion: '2.1',
        version: modified,
        versionKey: vkey,
        markings: [TLP_RED],
        json: JSON.stringify(obj),
      });
    }
    await container.store.objects.addObjects(C, batch, Date.now() * 1000);
  }
}

(TEST_BACKEND === 'sqlite' ? describe : describe.skip)('The event loop while the database works (SQLite)', function () {
  this.timeout(300_000);
  let dir: string;
  let app: Running;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-loop-'));
    app = await start(dir);
    await fill(app.container, OBJECTS);
  });
  after(async () => {
    await app.close();
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it(`answers discovery within 50 ms at p99 (or half a slow listing) while four clients loop on listings that visit ${OBJECTS} objects`, async () => {
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push(await get(app.port, SLOW));
    for (const r of warm) expect(r.status).to.equal(200);
    const slowMs = Math.min(...warm.map((r) => r.ms));

    let stop = false;
    let slowDone = 0;
    const client = async (): Promise<void> => {
      while (!stop) {
        const r = await get(app.port, SLOW);
        expect(r.status).to.equal(200);
        expect(JSON.parse(r.body)).to.deep.equal({});
        slowDone++;
      }
    };
    const failures: unknown[] = [];
    const clients = [client(), client(), client(), client()].map((c) => c.catch((err: unknown) => failures.push(err)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ms: number[] = [];
    // p99 of 100 is the second slowest: one scheduler hiccup of this shared machine is tolerated.
    for (let i = 0; i < 100; i++) {
      const r = await get(app.port, '/taxii2/');
      expect(r.status).to.equal(200);
      ms.push(r.ms);
    }
    stop = true;
    await Promise.all(clients);
    if (failures.length > 0) throw failures[0];
    const p50 = percentile(ms, 50);
    const p99 = percentile(ms, 99);
    console.log(
      `      slow listing alone ${slowMs.toFixed(0)} ms; discovery under load p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${slowDone} slow requests meanwhile`,
    );
    // The flood really ran, and each of its requests takes longer than the bound: had the listing run
    // on the event loop, a discovery request arriving behind one would have waited at least that
    // long. The bound is 50 ms, or half a listing when this (shared, loaded) machine runs slower.
    expect(slowDone).to.be.at.least(4);
    expect(slowMs).to.be.above(50);
    expect(p99).to.be.below(Math.max(50, slowMs / 2));
  });

  it('cancels a read that passes store.query_timeout_ms with a 503 TAXII error, and serves the next request', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push((await get(app.port, SLOW)).ms);
    const slowMs = Math.min(...times);
    // A deadline well below the slow listing (how slow depends on the machine) and far above a keyed
    // lookup (well under a millisecond).
    expect(slowMs, 'the listing must be slow for this test to mean anything').to.be.at.least(60);
    const deadline = Math.floor(slowMs / 2);
    await app.close();
    app = await start(dir, deadline);

    const res = await get(app.port, SLOW);
    expect(res.status).to.equal(503);
    expect(res.type).to.equal(TAXII);
    const error = JSON.parse(res.body) as Record<string, unknown>;
    expect(error).to.include({ title: 'Temporarily unavailable', http_status: '503' });
    expect(error.description).to.equal(
      `the query took longer than ${deadline} ms and was cancelled; narrow the filter or try again`,
    );

    // The cancelled statement runs to its end in the stopped thread (SQLite cannot be interrupted
    // from JavaScript); let it finish so that it does not compete with what follows.
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    const next = await get(app.port, `${LISTING}?limit=5`, DE);
    expect(next.status).to.equal(200);
    expect((JSON.parse(next.body) as { objects: unknown[] }).objects).to.have.length(5);
    expect((await get(app.port, '/taxii2/')).status).to.equal(200);
    expect((await get(app.port, '/taxii2/', DE)).status).to.equal(200);
    // Again: the replaced reader thread cancels the same way.
    expect((await get(app.port, SLOW)).status).to.equal(503);
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    expect((await get(app.port, `${LISTING}?limit=1`, DE)).status).to.equal(200);
  });
});
