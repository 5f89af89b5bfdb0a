// TAXII 2.1 §3.4 filtering and paging through the real HTTP app, checked with fast-check against
// the in-test model of tests/helpers/taxii-model.ts: objects, manifest, get-object and versions
// answers, page by page with `next`, and walks by `next` or by X-TAXII-Date-Added-Last while
// objects and versions arrive between pages. Runs on the store picked by PALISADE_TEST_STORE.
import { expect } from 'chai';
import fc from 'fast-check';
import type supertest from 'supertest';
import { formatMicros } from '../../src/stix/timestamps.js';
import { envelope, uuidFor } from '../fixtures/builders.js';
import {
  CollectionModel,
  batchesArb,
  expectWalk,
  fcOptions,
  label,
  queryString,
  querySpecArb,
  recordOf,
  resolveQuery,
  stixOf,
  type Draft,
  type ModelVersion,
  type ResolvedQuery,
} from '../helpers/taxii-model.js';
import {
  ADMIN,
  ROOT,
  TAXII,
  TEST_BACKEND,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  steppingClock,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

const STIX_21 = 'application/stix+json;version=2.1';

/** Runs per property: FerretDB under load answers far slower than SQLite. */
const RUNS = TEST_BACKEND === 'mongodb' ? 20 : 50;
/** max_page_size: small, so that a larger limit or none at all also pages. */
const MAX_PAGE = 6;

/** One arrival in four is POSTed (slow: queued, then polled), the others go to the store. */
const sometimesTrue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);

interface Body {
  more?: boolean;
  next?: string;
  objects?: unknown[];
  versions?: string[];
}

describe('Filtering and paging properties over HTTP (fast-check, against an in-memory model)', function () {
  this.timeout(240_000);
  const clock = steppingClock();
  let app: TestApp;
  let runs = 0;

  before(async () => {
    app = await startTestApp({ clock, maxPageSize: MAX_PAGE });
  });
  after(async () => app?.close());

  /** A fresh collection (the platform admin reads and writes every collection) and its model. */
  class Run {
    readonly model = new CollectionModel();
    readonly collectionId = uuidFor(`http-paging-properties-${runs++}`);

    async open(): Promise<this> {
      await app.container.store.catalog.putCollection({
        id: this.collectionId,
        apiRoot: ROOT,
        title: 'property run',
        source: 'admin',
      });
      return this;
    }

    /** POSTs one envelope (the helper waits for the queued request to complete) or writes to the store directly. */
    async add(drafts: readonly Draft[], viaHttp: boolean): Promise<void> {
      if (drafts.length === 0) return;
      const objects = drafts.map(stixOf);
      const records = objects.map(recordOf);
      const expected = this.model.add(records);
      if (viaHttp) {
        const res = await app.post(objectsPath(this.collectionId), envelope(...objects), ADMIN).expect(202);
        const status = res.body as { status: string; success_count: number; failures?: { id: string }[] };
        expect(status.status).to.equal('complete');
        expect(status.success_count, 'successes: added or already there').to.equal(
          expected.filter((o) => o !== 'conflict').length,
        );
        expect(
          (status.failures ?? []).map((f) => f.id),
          'failures: a different body for a stored version',
        ).to.deep.equal(records.filter((_, i) => expected[i] === 'conflict').map((r) => r.id));
      } else {
        const outcomes = await app.container.store.objects.addObjects(this.collectionId, records, clock.nowMicros());
        expect(outcomes.map((o) => o.outcome)).to.deep.equal(expected);
      }
      const known = this.model.versions.filter((m) => !Number.isNaN(m.dateAdded)).map((m) => m.dateAdded);
      const since = known.length > 0 ? Math.max(...known) : undefined;
      const fresh = await app.container.store.objects.queryObjects(
        this.collectionId,
        { versions: { all: true }, ...(since !== undefined ? { addedAfter: since } : {}) },
        { limit: 1000 },
      );
      expect(this.model.settle(fresh.items), 'the versions just added, in date_added order').to.equal(undefined);
    }

    /** Removes what the run stored, so that later runs do not search through it. */
    async close(): Promise<void> {
      for (const objectId of this.model.ids()) {
        await app.container.store.objects.deleteObjects(this.collectionId, { objectId, versions: { all: true } });
      }
    }

    url(q: ResolvedQuery): string {
      const c = this.collectionId;
      switch (q.endpoint) {
        case 'objects':
          return objectsPath(c);
        case 'manifest':
          return manifestPath(c);
        case 'object':
          return objectPath(q.objectId as string, c);
        case 'versions':
          return versionsPath(q.objectId as string, c);
      }
    }

    /** get-object and versions of an id with no stored version are a 404, whatever the filters. */
    unknownObject(q: ResolvedQuery): boolean {
      return q.objectId !== undefined && !this.model.versions.some((m) => m.id === q.objectId);
    }

    get(path: string): supertest.Test {
      return app.get(path, ADMIN);
    }
  }

  async function withRun(body: (run: Run) => Promise<void>): Promise<void> {
    const run = await new Run().open();
    try {
      await body(run);
    } finally {
      await run.close();
    }
  }

  /** The resource TAXII 2.1 prescribes for one page (§3.7 envelope, §5.3.1 manifest, §5.8.1 versions), without `next`. */
  function expectedBody(q: ResolvedQuery, items: ModelVersion[], more: boolean): object {
    if (items.length === 0) return more ? { more } : {};
    if (q.endpoint === 'versions') return { more, versions: items.map((m) => m.version) };
    if (q.endpoint === 'manifest') {
      const records = items.map((m) => ({
        id: m.id,
        date_added: formatMicros(m.dateAdded),
        version: m.version,
        media_type: STIX_21,
      }));
      return { more, objects: records };
    }
    return { more, objects: items.map((m) => JSON.parse(m.json) as unknown) };
  }

  /** `id@version` of what a page served; versions pages name only versions, of the one object. */
  function served(q: ResolvedQuery, body: Body): string[] {
    if (q.endpoint === 'versions') return (body.versions ?? []).map((v) => `${q.objectId}@${v}`);
    return (body.objects ?? []).map((o) => {
      const r = o as { id: string; version?: string; modified?: string; created?: string };
      // An envelope object without modified/created (an SCO) has its date_added as version.
      return `${r.id}@${r.version ?? r.modified ?? r.created ?? '(none)'}`;
    });
  }

  /** Checks one page against the model's page at the same position; returns the body. */
  function expectPage(
    res: supertest.Response,
    want: { items: ModelVersion[]; more: boolean },
    q: ResolvedQuery,
    what: string,
  ): Body {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(200);
    expect(res.headers['content-type'], what).to.equal(TAXII);
    const { next, ...rest } = res.body as Body;
    // Which versions first, as a readable diff; then the exact resources.
    expect(served(q, rest).join('\n'), what).to.equal(served(q, expectedBody(q, want.items, want.more)).join('\n'));
    expect(rest, what).to.deep.equal(expectedBody(q, want.items, want.more));
    if (want.more) expect(next, `${what}: more comes with next`).to.be.a('string').and.not.equal('');
    else expect(next, `${what}: no next without more`).to.equal(undefined);
    const first = want.items[0];
    const last = want.items.at(-1);
    expect(res.headers['x-taxii-date-added-first'], `${what}: X-TAXII-Date-Added-First`).to.equal(
      first ? formatMicros(first.dateAdded) : undefined,
    );
    expect(res.headers['x-taxii-date-added-last'], `${what}: X-TAXII-Date-Added-Last`).to.equal(
      last ? formatMicros(last.dateAdded) : undefined,
    );
    return res.body as Body;
  }

  it('T-PBT-3 objects, manifest, get-object and versions answer what the model selects, page by page with next', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb(60), fc.array(querySpecArb, { minLength: 1, maxLength: 4 }), (batches, specs) =>
        withRun(async (run) => {
          // The first batch goes through POST and the ingest queue, the rest (faster) to the store.
          for (const [i, b] of batches.entries()) await run.add(b, i === 0);
          for (const spec of specs) {
            const q = resolveQuery(spec, run.model);
            const base = run.url(q);
            if (run.unknownObject(q)) {
              await run.get(`${base}${queryString(q)}`).expect(404);
              continue;
            }
            // The server pages by max_page_size when the limit is larger or missing (§3.4).
            const limit = Math.min(q.limit ?? MAX_PAGE, MAX_PAGE);
            const want = run.model.select(q.store);
            const most = Math.max(1, Math.ceil(want.length / limit));
            let after: number | undefined;
            let next: string | undefined;
            for (let pages = 1; ; pages++) {
              const what = `${q.describe}, page ${pages}`;
              const res = await run.get(`${base}${queryString(q, next !== undefined ? { next } : {})}`);
              const expected = run.model.page(q.store, limit, after);
              const body = expectPage(res, expected, q, what);
              if (!body.more) break;
              expect(pages, `${q.describe}: pages`).to.be.below(most);
              next = body.next;
              after = expected.items.at(-1)?.dateAdded;
            }
          }
        }),
      ),
      fcOptions(RUNS),
    );
  });

  it('T-PBT-4 a client walking by next or by X-TAXII-Date-Added-Last sees each stable item once, in order, while objects and versions arrive', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesArb(40, 3),
        querySpecArb,
        // limit is not bound to `next`: a client may change it from page to page.
        fc.array(fc.integer({ min: 1, max: MAX_PAGE + 2 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ drafts: batchesArb(3, 1), viaHttp: sometimesTrue }), { maxLength: 8 }),
        fc.constantFrom('next' as const, 'poll' as const),
        (batches, spec, limits, arrivals, mode) =>
          withRun(async (run) => {
            for (const [i, b] of batches.entries()) await run.add(b, i === 0);
            const limitOf = (page: number): number => limits[(page - 1) % limits.length] as number;
            const q = resolveQuery({ ...spec, limit: limitOf(1) }, run.model);
            const what = `${q.describe} (${mode})`;
            const base = run.url(q);
            if (run.unknownObject(q)) {
              await run.get(`${base}${queryString(q)}`).expect(404);
              return;
            }
            const atStart = run.model.select(q.store).map(label);
            const storedAtStart = new Set(run.model.versions.map(label));

            const seen: ModelVersion[] = [];
            let after: number | undefined;
            let extra: { next?: string; addedAfter?: string; limit?: number } = {};
            let smallest = MAX_PAGE;
            let pages = 0;
            for (;;) {
              pages++;
              const res = await run.get(`${base}${queryString(q, { ...extra, limit: limitOf(pages) })}`);
              const limit = Math.min(limitOf(pages), MAX_PAGE);
              smallest = Math.min(smallest, limit);
              const expected = run.model.page(q.store, limit, after);
              const body = expectPage(res, expected, q, `${what}, page ${pages}`);
              seen.push(...expected.items);
              if (!body.more) break;
              expect(expected.items, `${what}: a page with more is full`).to.have.length(limit);
              after = expected.items.at(-1)?.dateAdded;
              // Polling: added_after takes the page's X-TAXII-Date-Added-Last, the other filters stay.
              extra =
                mode === 'next'
                  ? { next: body.next as string }
                  : { addedAfter: res.headers['x-taxii-date-added-last'] as string };
              const arriving = arrivals[pages - 1];
              for (const b of arriving?.drafts ?? []) await run.add(b, arriving?.viaHttp ?? false);
            }

            expectWalk(run.model, q.store, { atStart, storedAtStart, seen, pages, limit: smallest }, what);
          }),
      ),
      fcOptions(RUNS),
    );
  });
});
