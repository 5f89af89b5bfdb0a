// Read-ahead of the page a `next` names (src/taxii/read-ahead.ts): a walk by `next` is served from
// pages read while the previous page travelled, and nothing served from there differs from what a
// read at request time returns: writes through this server, writes by another process on the same
// store, other rights and expired pages all fall back to a fresh read.
import { expect } from 'chai';
import { toVersionRecord } from '../../src/stix/versions.js';
import { threadsOf } from '../../src/store/sqlite/threads/threaded-store.js';
import { envelope, indicator, type Stix } from '../fixtures/builders.js';
import { C1, objectPath, objectsPath, READER, startTestApp, TEST_BACKEND, type TestApp } from '../helpers/test-app.js';

interface PageBody {
  more?: boolean;
  next?: string;
  objects?: { id: string; modified: string }[];
}

const M = (i: number): string => `2024-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;

describe('Read-ahead of the next page while a client walks by next', function () {
  this.timeout(60_000);
  let app: TestApp;
  const posted: Stix[] = [];

  beforeEach(async () => {
    app = await startTestApp();
    posted.length = 0;
    for (let i = 0; i < 12; i++) posted.push(indicator(`ra-${i}`, M(i)));
    for (const o of posted) await app.post(objectsPath(), envelope(o)).expect(202);
  });
  afterEach(async () => app.close());

  const page = async (next?: string, as = READER): Promise<PageBody> =>
    (await app.get(`${objectsPath()}?limit=3${next ? `&next=${encodeURIComponent(next)}` : ''}`, as).expect(200))
      .body as PageBody;
  const ids = (p: PageBody): string[] => (p.objects ?? []).map((o) => o.id);

  it('serves the pages after the first from what was read ahead (SQLite), the same objects in the same order', async () => {
    const seen: string[] = [];
    let p = await page();
    seen.push(...ids(p));
    while (p.more) {
      p = await page(p.next);
      seen.push(...ids(p));
    }
    expect(seen).to.deep.equal(posted.map((o) => o.id));
    // On MongoDB nothing is read ahead: another server on the same database may delete objects,
    // which no write mark shows.
    expect(app.container.readAhead.counts.hits).to.equal(TEST_BACKEND === 'sqlite' ? 3 : 0);
  });

  it("gives back the memory of every page served from the readers' pool once its response is sent (SQLite)", async function () {
    if (TEST_BACKEND !== 'sqlite') this.skip(); // the pool belongs to the SQLite reader threads
    const held = threadsOf(app.container.backend).pagesHeld;
    let p = await page();
    while (p.more) p = await page(p.next);
    // 'close' follows the end of each response by a turn of the event loop
    for (let i = 0; i < 50 && held() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held()).to.equal(0);
  });

  it('gives back at once the memory of pages read ahead and then discarded by a write (SQLite)', async function () {
    if (TEST_BACKEND !== 'sqlite') this.skip();
    const held = threadsOf(app.container.backend).pagesHeld;
    await page(); // the second and third pages are read ahead
    for (let i = 0; i < 50 && held() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held(), 'pages read ahead hold their slots').to.equal(2);
    await app.post(objectsPath(), envelope(indicator('ra-new', M(30)))).expect(202);
    for (let i = 0; i < 50 && held() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held()).to.equal(0);
  });

  it('a version posted through the server between two pages is served, not the page read before it', async () => {
    const first = await page();
    const newer = { ...(posted[4] as Stix), modified: '2024-06-01T00:00:00.000Z' };
    await app.post(objectsPath(), envelope(newer)).expect(202);
    // page 2 no longer holds ra-4 at its old place: its latest version is now the newest object
    const second = await page(first.next);
    expect(ids(second)).to.deep.equal([posted[3], posted[5], posted[6]].map((o) => (o as Stix).id));
  });

  it('an object deleted through the server between two pages is not served', async () => {
    const first = await page();
    await app.del(objectPath((posted[3] as Stix).id)).expect(200);
    expect(ids(await page(first.next))).to.deep.equal([posted[4], posted[5], posted[6]].map((o) => (o as Stix).id));
  });

  it('a version written by another process on the same store between two pages is served', async () => {
    const first = await page();
    const newer = { ...(posted[4] as Stix), modified: '2024-06-01T00:00:00.000Z' };
    // straight into the store, as a CLI import beside the server writes: this server sees no write
    await app.container.store.objects.addObjects(
      C1,
      [toVersionRecord(newer, { id: newer.id, type: newer.type, specVersion: '2.1' })],
      Date.now() * 1000,
    );
    const second = await page(first.next);
    expect(ids(second)).to.deep.equal([posted[3], posted[5], posted[6]].map((o) => (o as Stix).id));
  });
  it('reads two pages ahead: after the first page both the second and the third are read, then one more per page', async function () {
    if (TEST_BACKEND !== 'sqlite') this.skip(); // nothing is read ahead on MongoDB (see above)
    const reads = async (): Promise<number> => {
      const text = (await app.container.metrics.scrape()).body;
      const m = /palisade_store_query_duration_seconds_count\{method="objects\.queryObjectTexts"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const settled = async (want: number): Promise<number> => {
      for (let i = 0; i < 100 && (await reads()) < want; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      return reads();
    };
    const before = await reads();
    let p = await page();
    expect((await settled(before + 3)) - before, 'the first page, the second and the third').to.equal(3);
    p = await page(p.next);
    expect((await settled(before + 4)) - before, 'then the fourth (the last)').to.equal(4);
    const seen = [...ids(p)];
    while (p.more) {
      p = await page(p.next);
      seen.push(...ids(p));
    }
    expect((await reads()) - before, 'nothing read twice').to.equal(4);
    expect(seen).to.deep.equal(posted.slice(3).map((o) => o.id));
    expect(app.container.readAhead.counts).to.deep.equal({ hits: 3, misses: 0 });
  });
});
