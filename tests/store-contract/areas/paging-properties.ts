// Property-based checks of filtering and paging at the store level (ObjectStore.queryObjects with
// page.after), against the in-test model of tests/helpers/taxii-model.ts. Every run stores random
// objects and versions in a fresh collection and compares the store's answers with the model's.
import { expect } from 'chai';
import fc from 'fast-check';
import type { ObjectQuery, Page, StoredVersion } from '../../../src/store/store.js';
import { uuidFor } from '../../fixtures/builders.js';
import {
  CollectionModel,
  batchesArb,
  expectWalk,
  fcOptions,
  label,
  querySpecArb,
  recordOf,
  resolveQuery,
  stixOf,
  type Draft,
  type ModelVersion,
  type ResolvedQuery,
} from '../../helpers/taxii-model.js';
import { T0, type ContractContext } from '../contract.js';

let runs = 0;

/** A store collection and its model, filled in step with each other. */
class Run {
  readonly model = new CollectionModel();
  readonly collectionId = uuidFor(`paging-properties-${runs++}`);
  private batches = 0;

  constructor(private readonly ctx: ContractContext) {}

  async open(): Promise<this> {
    await this.ctx.store.catalog.putCollection({
      id: this.collectionId,
      apiRoot: 'r1',
      title: 'property run',
      source: 'config',
    });
    return this;
  }

  /** Removes what the run stored, so that later runs do not search through it. */
  async close(): Promise<void> {
    for (const objectId of this.model.ids()) {
      await this.ctx.store.objects.deleteObjects(this.collectionId, { objectId, versions: { all: true } });
    }
  }

  query(q: ObjectQuery, limit: number, after?: number): Promise<Page<StoredVersion>> {
    return this.ctx.store.objects.queryObjects(this.collectionId, q, {
      limit,
      ...(after !== undefined ? { after } : {}),
    });
  }

  /** Adds one batch; the outcomes and the new versions' order must be the model's. */
  async add(drafts: readonly Draft[]): Promise<void> {
    if (drafts.length === 0) return;
    const records = drafts.map((d) => recordOf(stixOf(d)));
    const expected = this.model.add(records);
    // Batches are far apart in time, so a clock standing still is not what is tested here.
    const outcomes = await this.ctx.store.objects.addObjects(this.collectionId, records, T0 + ++this.batches * 1e6);
    expect(
      outcomes.map((o) => `${o.id} ${o.outcome}`),
      'add outcomes',
    ).to.deep.equal(records.map((r, i) => `${r.id} ${expected[i]}`));
    const known = this.model.versions.filter((m) => !Number.isNaN(m.dateAdded)).map((m) => m.dateAdded);
    const since = known.length > 0 ? Math.max(...known) : undefined;
    const fresh = await this.query(
      { versions: { all: true }, ...(since !== undefined ? { addedAfter: since } : {}) },
      1000,
    );
    const problem = this.model.settle(fresh.items);
    expect(problem, 'the versions just added, in date_added order').to.equal(undefined);
  }
}

const summary = (items: readonly { id: string; version: string; dateAdded: number }[]): string[] =>
  items.map((v) => `${label(v)} +${v.dateAdded - T0}`);

function expectSame(got: Page<StoredVersion>, want: { items: ModelVersion[]; more: boolean }, what: string): void {
  expect(summary(got.items).join('\n'), what).to.equal(summary(want.items).join('\n'));
  expect(got.more, `${what}: more`).to.equal(want.more);
  got.items.forEach((v, i) => {
    const m = want.items[i] as ModelVersion;
    const json = typeof v.json === 'string' ? v.json : v.json.toString('utf8');
    expect(json, `${what}: body of ${label(m)}`).to.equal(m.json);
    expect(v.specVersion, `${what}: spec_version of ${label(m)}`).to.equal(m.specVersion);
    expect(v.mediaType, `${what}: media type of ${label(m)}`).to.equal('application/stix+json;version=2.1');
  });
}

/** Walks every page of q by page.after; each page must be the model's page at that position. */
async function walk(run: Run, q: ResolvedQuery, limit: number): Promise<StoredVersion[]> {
  const want = run.model.select(q.store);
  const seen: StoredVersion[] = [];
  let after: number | undefined;
  const most = Math.max(1, Math.ceil(want.length / limit));
  for (let pages = 1; ; pages++) {
    const page = await run.query(q.store, limit, after);
    expectSame(page, run.model.page(q.store, limit, after), `${q.describe}, page ${pages} of ${limit}`);
    seen.push(...page.items);
    if (!page.more) break;
    expect(pages, `${q.describe}: pages of ${limit}`).to.be.below(most);
    after = page.items.at(-1)?.dateAdded;
  }
  return seen;
}

async function withRun(ctx: ContractContext, body: (run: Run) => Promise<void>): Promise<void> {
  const run = await new Run(ctx).open();
  try {
    await body(run);
  } finally {
    await run.close();
  }
}

export function pagingPropertiesContract(ctx: ContractContext): void {
  describe('paging and filtering properties (fast-check, against an in-memory model)', function () {
    this.timeout(120_000);

    it('T-PBT-1 every filter combination answers what the model selects, in date_added order, whole and page by page', async () => {
      await fc.assert(
        fc.asyncProperty(batchesArb(60), fc.array(querySpecArb, { minLength: 1, maxLength: 4 }), (batches, specs) =>
          withRun(ctx, async (run) => {
            for (const b of batches) await run.add(b);
            for (const spec of specs) {
              const q = resolveQuery(spec, run.model);
              const whole = await run.query(q.store, 1000);
              expectSame(whole, run.model.page(q.store, 1000), q.describe);
              if (q.limit !== undefined) await walk(run, q, q.limit);
            }
          }),
        ),
        fcOptions(40),
      );
    });

    it('T-PBT-2 a walk by page.after or by added_after sees each stable item once, in order, while objects and versions arrive', async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb(40, 3),
          querySpecArb,
          fc.integer({ min: 1, max: 4 }),
          fc.array(batchesArb(3, 1), { maxLength: 8 }),
          fc.constantFrom('next' as const, 'poll' as const),
          (batches, spec, limit, arrivals, mode) =>
            withRun(ctx, async (run) => {
              for (const b of batches) await run.add(b);
              const q = resolveQuery(spec, run.model);
              const what = `${q.describe} (${mode}, limit ${limit})`;
              const atStart = run.model.select(q.store).map(label);
              const storedAtStart = new Set(run.model.versions.map(label));

              const seen: StoredVersion[] = [];
              let after: number | undefined;
              let pages = 0;
              for (;;) {
                pages++;
                // Polling: the last date_added seen becomes added_after, instead of a keyset position.
                const page =
                  mode === 'next'
                    ? await run.query(q.store, limit, after)
                    : await run.query(
                        {
                          ...q.store,
                          ...(after !== undefined ? { addedAfter: Math.max(after, q.store.addedAfter ?? -1) } : {}),
                        },
                        limit,
                      );
                expectSame(page, run.model.page(q.store, limit, after), `${what}, page ${pages}`);
                seen.push(...page.items);
                if (!page.more) break;
                expect(page.items, `${what}: a page with more has items`).to.have.length(limit);
                after = page.items.at(-1)?.dateAdded;
                for (const b of arrivals[pages - 1] ?? []) await run.add(b);
              }

              expectWalk(run.model, q.store, { atStart, storedAtStart, seen, pages, limit }, what);
            }),
        ),
        fcOptions(40),
      );
    });
  });
}
