// TAXII 2.1 §4.3 status resources: kept for status_retention_hours after the request (T-44, A-17),
// then purged and answered with 404. The clock is the test's, so the boundary is exact.
import { expect } from 'chai';
import { envelope, indicator } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  READER,
  ROOT,
  TEST_CONFIG,
  objectsPath,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';

const HOUR = 3_600_000_000; // µs
const MS = 1_000; // µs
const START = Date.UTC(2025, 0, 1) * 1000;

/** A clock the test sets; every call returns the same instant until it is moved. */
function settableClock(startMicros: number): { now: number; nowMicros(): number } {
  const clock = { now: startMicros, nowMicros: () => clock.now };
  return clock;
}

/** The periodic purge the server runs, triggered now. */
function purge(app: TestApp): Promise<number> {
  return app.container.services.statuses.purge();
}

describe('Status retention (T-44, A-17)', () => {
  let app: TestApp;
  let clock: ReturnType<typeof settableClock>;
  afterEach(async () => app?.close());

  const post = async (name: string): Promise<string> => {
    const res = await app.post(objectsPath(), envelope(indicator(name))).expect(202);
    return res.body.id as string;
  };
  const readable = async (id: string, as: TestUser = ANALYST): Promise<number> =>
    (await app.get(`/${ROOT}/status/${id}/`, as)).status;
  const expectGone = async (id: string): Promise<void> => {
    for (const as of [ANALYST, ADMIN]) {
      const res = await app.get(`/${ROOT}/status/${id}/`, as).expect(404);
      expect(res.body.error_code).to.equal('not-found');
      expect(res.body.description).to.equal('There is no such status resource.');
    }
  };

  it('T-44 keeps a status for status_retention_hours after its request, then purges it and answers 404', async () => {
    clock = settableClock(START);
    app = await startTestApp({
      clock,
      config: TEST_CONFIG.replace('  max_page_size: 1000\n', '  max_page_size: 1000\n  status_retention_hours: 30\n'),
    });
    expect(app.container.config.taxii.statusRetentionHours).to.equal(30);
    const older = await post('retention-older');
    const first = await app.get(`/${ROOT}/status/${older}/`).expect(200);
    expect(first.body.request_timestamp).to.equal('2025-01-01T00:00:00.000000Z');
    clock.now = START + 2 * HOUR;
    const younger = await post('retention-younger');

    // 30 h less 1 ms after the older request: both are younger than the retention period.
    clock.now = START + 30 * HOUR - MS;
    expect(await purge(app)).to.equal(0);
    expect(await readable(older)).to.equal(200);
    expect(await readable(younger)).to.equal(200);

    // 30 h and 1 ms after it: the older one is purged, the one 28 h old is kept.
    clock.now = START + 30 * HOUR + MS;
    expect(await purge(app)).to.equal(1);
    await expectGone(older);
    expect(await readable(younger)).to.equal(200);
    expect(await readable(younger, ADMIN)).to.equal(200);

    clock.now = START + 32 * HOUR - MS;
    expect(await purge(app)).to.equal(0);
    expect(await readable(younger)).to.equal(200);
    clock.now = START + 32 * HOUR + MS;
    expect(await purge(app)).to.equal(1);
    await expectGone(younger);
  });

  it('T-44 A-17 the default retention is 168 hours, and a purge leaves objects alone', async () => {
    clock = settableClock(START);
    app = await startTestApp({ clock });
    const id = await post('retention-default');
    clock.now = START + 168 * HOUR - MS;
    expect(await purge(app)).to.equal(0);
    expect(await readable(id)).to.equal(200);
    clock.now = START + 168 * HOUR + MS;
    expect(await purge(app)).to.equal(1);
    await expectGone(id);
    await app.get(`${objectsPath()}${indicator('retention-default').id}/`).expect(200);
  });
  it('a complete status is read from the store once; a pending one every time; retention still applies', async () => {
    clock = settableClock(START);
    app = await startTestApp({ clock });
    const reads = async (): Promise<number> => {
      const text = (await app.container.metrics.scrape()).body;
      const m = /palisade_store_query_duration_seconds_count\{method="statuses\.getStatus"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const store = app.container.store.statuses;
    const id = '5e1f0c2a-8b3d-4e6f-9a1b-2c3d4e5f6a7b';
    const base = {
      id,
      apiRoot: ROOT,
      collectionId: C1,
      owner: ANALYST.name,
      requestTimestamp: START,
      totalCount: 1,
      successes: [],
      failures: [],
    };
    await store.putStatus({ ...base, status: 'pending', pendings: [{ id: indicator('s').id, version: 'v' }] });
    let before = await reads();
    expect((await app.get(`/${ROOT}/status/${id}/`).expect(200)).body.status).to.equal('pending');
    expect((await app.get(`/${ROOT}/status/${id}/`).expect(200)).body.status).to.equal('pending');
    expect((await reads()) - before, 'a pending status is read each time').to.equal(2);

    // the ingestion finishes: the next read shows it, and later ones come from memory
    await store.putStatus({
      ...base,
      status: 'complete',
      pendings: [],
      successes: [{ id: indicator('s').id, version: 'v' }],
    });
    before = await reads();
    const done = await app.get(`/${ROOT}/status/${id}/`).expect(200);
    expect(done.body).to.deep.include({ status: 'complete', success_count: 1, pending_count: 0 });
    for (let i = 0; i < 3; i++)
      expect((await app.get(`/${ROOT}/status/${id}/`).expect(200)).body).to.deep.equal(done.body);
    expect((await reads()) - before, 'a complete status is read once').to.equal(1);
    // who may read it is still decided on every request
    await app.get(`/${ROOT}/status/${id}/`, READER).expect(404);

    // past its retention period, another instance purges it: this one no longer serves it
    clock.now = START + 168 * HOUR + MS;
    expect(await store.purgeStatuses(clock.now - 168 * HOUR)).to.equal(1);
    await expectGone(id);
  });
});
