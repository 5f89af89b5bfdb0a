// TAXII 2.1 §5.5 add objects answered at once with a pending status (§4.3), processed in the
// background from a durable queue: progress, completion, restarts, withdrawn rights, bounded memory.
import { expect } from 'chai';
import { envelope, indicator, malware, type Stix } from '../fixtures/builders.js';
import {
  ANALYST,
  C1,
  ROOT,
  TAXII,
  objectsPath,
  restartableStore,
  startTestApp,
  TEST_CONFIG,
  type TestApp,
} from '../helpers/test-app.js';

const raw = (app: TestApp, body: unknown, as = ANALYST) =>
  app.http
    .post(objectsPath())
    .set('Accept', TAXII)
    .set('Content-Type', TAXII)
    .auth(as.name, as.password)
    .send(JSON.stringify(body));

async function statusOf(app: TestApp, id: string): Promise<Record<string, unknown>> {
  return (await app.get(`/${ROOT}/status/${id}/`).expect(200)).body as Record<string, unknown>;
}

async function untilComplete(app: TestApp, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await statusOf(app, id);
    if (s.status === 'complete') return s;
    if (Date.now() > deadline) throw new Error(`status ${id} not complete: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Add objects through the ingestion queue', function () {
  this.timeout(60_000);

  it('T-105 answers 202 with a pending status at once; the status reaches complete with exact counts', async () => {
    const app = await startTestApp();
    try {
      const objs = [indicator('q1'), malware('q2'), { type: 'indicator', id: 'broken' }];
      const res = await raw(app, envelope(...objs)).expect(202);
      expect(res.headers['content-type']).to.equal(TAXII);
      expect(res.body).to.include({
        status: 'pending',
        total_count: 3,
        success_count: 0,
        failure_count: 0,
        pending_count: 3,
      });
      const done = await untilComplete(app, res.body.id as string);
      expect(done).to.include({ total_count: 3, success_count: 2, failure_count: 1, pending_count: 0 });
      expect(done.request_timestamp).to.equal(res.body.request_timestamp);
      const listed = await app.get(`${objectsPath()}?limit=10`).expect(200);
      expect((listed.body.objects as { id: string }[]).map((o) => o.id).sort()).to.deep.equal(
        [objs[0], objs[1]].map((o) => o?.id).sort(),
      );
    } finally {
      await app.close();
    }
  });

  it('keeps a queued request across a restart and processes it on the next start', async () => {
    const store = restartableStore();
    const first = await startTestApp({ ingestWorker: false, ...store, dir: await tmp() });
    const dir = first.dir;
    let id: string;
    try {
      const res = await raw(first, envelope(indicator('r1'), indicator('r2'))).expect(202);
      id = res.body.id as string;
      // nobody processes it in this process
      await new Promise((r) => setTimeout(r, 200));
      expect(await statusOf(first, id)).to.include({ status: 'pending', pending_count: 2 });
      expect(await first.container.store.jobs.countQueued()).to.equal(1);
    } finally {
      await first.close();
    }
    const second = await startTestApp({ ...store, dir });
    try {
      expect(await untilComplete(second, id)).to.include({ success_count: 2, failure_count: 0, pending_count: 0 });
      const ids = ((await second.get(objectsPath()).expect(200)).body.objects as { id: string }[]).map((o) => o.id);
      expect(ids.sort()).to.deep.equal([indicator('r1').id, indicator('r2').id].sort());
      expect(await second.container.store.jobs.countQueued()).to.equal(0);
    } finally {
      await second.close();
      await store.drop();
      await rmDir(dir);
    }
  });

  it('fails every queued object when the sender lost the write right before processing', async () => {
    const store = restartableStore();
    const first = await startTestApp({ ingestWorker: false, ...store, dir: await tmp() });
    const dir = first.dir;
    let id: string;
    try {
      id = (await raw(first, envelope(indicator('w1'))).expect(202)).body.id as string;
    } finally {
      await first.close();
    }
    // the same configuration would give the grant back on start: keep it away by starting on the store only
    const second = await startTestApp({ ...store, dir, config: WITHOUT_ANALYST_GRANT });
    try {
      const s = await untilCompleteAs(second, id);
      expect(s).to.include({ total_count: 1, success_count: 0, failure_count: 1 });
      expect((s.failures as { message: string }[])[0]?.message).to.match(/may no longer write/);
    } finally {
      await second.close();
      await store.drop();
      await rmDir(dir);
    }
  });

  it('drops a list of details once it would pass the limit, and keeps every count exact', async () => {
    const app = await startTestApp();
    try {
      app.container.services.ingest.limits.statusDetailLimit = 5;
      const objs = Array.from({ length: 8 }, (_, i) => indicator(`many-${i}`));
      const bad = [
        { type: 'indicator', id: 'x1' },
        { type: 'indicator', id: 'x2' },
      ];
      const res = await raw(app, envelope(...objs, ...bad)).expect(202);
      const s = await untilComplete(app, res.body.id as string);
      expect(s).to.include({ total_count: 10, success_count: 8, failure_count: 2, pending_count: 0 });
      expect(s).not.to.have.property('successes');
      expect((s.failures as unknown[]).length).to.equal(2);
    } finally {
      await app.close();
    }
  });

  it('validates the next chunk while the store writes the previous one, and keeps the outcome of every entry exact', async () => {
    const app = await startTestApp({ config: `ingest: { chunk_size: 10 }\n${TEST_CONFIG}`, ingestWorker: false });
    try {
      // What the worker does, in order: chunk n validated, then its write started and finished.
      const events: string[] = [];
      const ingest = app.container.services.ingest;
      const prepare = ingest.prepareChunk.bind(ingest);
      const store = ingest.storeChunk.bind(ingest);
      let n = 0;
      ingest.prepareChunk = (target, entries) => {
        const chunk = n++;
        events.push(`validate ${chunk}`);
        const prepared = prepare(target, entries);
        (prepared as { chunk?: number }).chunk = chunk;
        return prepared;
      };
      ingest.storeChunk = async (target, prepared) => {
        const chunk = (prepared as { chunk?: number }).chunk;
        events.push(`write ${chunk}`);
        // A slow write: a worker that waited for it would validate nothing meanwhile.
        await new Promise((r) => setTimeout(r, 100));
        const out = await store(target, prepared);
        events.push(`written ${chunk}`);
        return out;
      };
      const objs: unknown[] = Array.from({ length: 35 }, (_, i) => indicator(`pipelined-${i}`));
      objs[12] = { type: 'indicator', id: 'bad-in-chunk-1' };
      objs[33] = { type: 'indicator', id: 'bad-in-chunk-3' };
      const res = await raw(app, envelope(...(objs as Stix[]))).expect(202);
      app.container.start();
      const s = await untilComplete(app, res.body.id as string);
      expect(s).to.include({ total_count: 35, success_count: 33, failure_count: 2, pending_count: 0 });
      expect((s.failures as { id: string }[]).map((f) => f.id)).to.deep.equal(['bad-in-chunk-1', 'bad-in-chunk-3']);
      expect((s.successes as unknown[]).length).to.equal(33);
      // Chunk n+1 is validated before the write of chunk n has finished, for every chunk but the last.
      for (let c = 0; c < 3; c++)
        expect(events.indexOf(`validate ${c + 1}`), events.join(', ')).to.be.below(events.indexOf(`written ${c}`));
      expect(events.filter((e) => e.startsWith('write '))).to.deep.equal(['write 0', 'write 1', 'write 2', 'write 3']);
      const listed = await app.get(`${objectsPath()}?limit=100`).expect(200);
      expect((listed.body.objects as unknown[]).length).to.equal(33);
    } finally {
      await app.close();
    }
  });

  for (const [handoff, fromQueue] of [
    [undefined, false],
    [0, true],
  ] as const) {
    it(`hands the received entries to the worker ${fromQueue ? 'through the queue with ingest.handoff_bytes: 0' : 'in memory by default'}`, async () => {
      const config = handoff === undefined ? TEST_CONFIG : `ingest: { handoff_bytes: ${handoff} }\n${TEST_CONFIG}`;
      const app = await startTestApp({ config, ingestWorker: false });
      try {
        const objs = Array.from({ length: 12 }, (_, i) => indicator(`handoff-${handoff ?? 'default'}-${i}`));
        const res = await raw(app, envelope(...objs)).expect(202);
        // Queued, not yet processed: held in memory unless the hand-off is off.
        const held = app.container.handoff.heldBytes;
        if (fromQueue) expect(held).to.equal(0);
        else expect(held).to.be.above(12 * 200);
        app.container.start();
        const s = await untilComplete(app, res.body.id as string);
        expect(s).to.include({ total_count: 12, success_count: 12, failure_count: 0 });
        // Once the worker took them, they are let go.
        expect(app.container.handoff.heldBytes).to.equal(0);
      } finally {
        await app.close();
      }
    });
  }

  it('leaves nothing queued when the envelope is refused', async () => {
    const app = await startTestApp();
    try {
      await raw(app, { objects: [] }).expect(422);
      await app.http
        .post(objectsPath())
        .set('Accept', TAXII)
        .set('Content-Type', TAXII)
        .auth(ANALYST.name, ANALYST.password)
        .send('{"objects": [')
        .expect(400);
      expect(await app.container.store.jobs.countQueued()).to.equal(0);
      expect(await app.container.store.jobs.purgeUnreleased(Date.now() + 1)).to.deep.equal([]);
    } finally {
      await app.close();
    }
  });
});

const WITHOUT_ANALYST_GRANT = `
auth: { failure_limit: 1000 }
taxii: { title: t, default_api_root: eu, max_page_size: 1000 }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${C1}
        title: State-linked intrusion sets
        alias: state-linked
        grants:
          - { user: reader-fr, read: true }
users:
  - { username: root-admin, password_env: T_ADMIN, admin: true }
  - { username: analyst-de, password_env: T_ANALYST }
  - { username: reader-fr, password_env: T_READER }
`;

/** The sender may no longer see the collection, so its status is read from the store. */
async function untilCompleteAs(app: TestApp, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await app.container.store.statuses.getStatus(ROOT, id);
    if (s?.status === 'complete')
      return {
        total_count: s.totalCount,
        success_count: s.successCount,
        failure_count: s.failureCount,
        failures: s.failures,
      };
    if (Date.now() > deadline) throw new Error(`status ${id} not complete`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function tmp(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  return mkdtemp(join(tmpdir(), 'palisade-queue-'));
}

async function rmDir(dir: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
}
