// The entries of envelopes received here, held in memory for the local ingestion worker
// (src/ingest/recent-items.ts), over a real SQLite queue in a file: what a read returns is always
// what the queue holds, memory is used only for the jobs and entries it may answer for, and the
// budget bounds it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecentJobItems } from '../../src/ingest/recent-items.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobItem, NewJob, Store } from '../../src/store/store.js';

const job = (id: string): NewJob => ({
  id,
  apiRoot: 'root',
  collectionId: 'c',
  principal: { username: 'u', role: 'member', groups: [] },
  requestTimestamp: 1,
});

const entries = (from: number, count: number, size = 100): JobItem[] =>
  Array.from({ length: count }, (_, k) =>
    (from + k) % 7 === 3
      ? { seq: from + k, refused: `entry ${from + k} is too large` }
      : { seq: from + k, raw: Buffer.from(`{"n":${from + k},"pad":"${'x'.repeat(size)}"}`) },
  );

const same = (a: readonly JobItem[], b: readonly JobItem[]): void => {
  expect(a.map((x) => ('raw' in x ? [x.seq, x.raw.toString()] : [x.seq, x.refused]))).to.deep.equal(
    b.map((x) => ('raw' in x ? [x.seq, x.raw.toString()] : [x.seq, x.refused])),
  );
};

describe('RecentJobItems: envelope entries held for the local worker', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-recent-'));
    store = openSqliteStore(join(dir, 'p.db'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** a job queued through `jobs` in batches of `batch`, released */
  const queue = async (jobs: RecentJobItems, id: string, count: number, batch = 300): Promise<JobItem[]> => {
    await jobs.createJob(job(id), 0);
    const all = entries(0, count);
    for (let at = 0; at < count; at += batch) await jobs.appendItems(id, all.slice(at, at + batch));
    await jobs.releaseJob(id, count);
    return all;
  };

  it('answers the reads of a released job from memory, in order, letting each entry go once read', async () => {
    const jobs = new RecentJobItems(store.jobs, 1 << 20);
    const all = await queue(jobs, 'j1', 1000);
    expect(jobs.heldBytes).to.be.greaterThan(100 * 1000);
    // the entries are in the queue as well
    same(await store.jobs.readItems('j1', 0, 5000), all);
    // Memory answers even once the queue's copy is gone (here removed behind its back), which
    // shows where the answer came from.
    await store.jobs.deleteJob('j1');
    same(await jobs.readItems('j1', 0, 400), all.slice(0, 400));
    const held = jobs.heldBytes;
    same(await jobs.readItems('j1', 400, 400), all.slice(400, 800));
    expect(jobs.heldBytes).to.be.lessThan(held);
    same(await jobs.readItems('j1', 800, 400), all.slice(800));
    expect(jobs.heldBytes).to.equal(0);
    expect(await jobs.readItems('j1', 1000, 400)).to.deep.equal([]);
  });

  it('reads from the queue what memory cannot answer for: a resumed job, a job not released, one queued elsewhere', async () => {
    const jobs = new RecentJobItems(store.jobs, 1 << 20);
    const all = await queue(jobs, 'j1', 600);
    same(await jobs.readItems('j1', 0, 300), all.slice(0, 300));
    // a job taken up again from its start: what was let go comes from the queue
    same(await jobs.readItems('j1', 0, 300), all.slice(0, 300));
    // being received, not released: the worker cannot see it, but a read is answered by the queue
    await jobs.createJob(job('j2'), 0);
    const two = entries(0, 50);
    await jobs.appendItems('j2', two);
    same(await jobs.readItems('j2', 0, 100), two);
    // queued by another process (straight into the store): nothing held, the queue answers
    await store.jobs.createJob(job('j3'), 0);
    const three = entries(0, 20);
    await store.jobs.appendItems('j3', three);
    await store.jobs.releaseJob('j3', 20);
    same(await jobs.readItems('j3', 0, 100), three);
  });

  it('holds nothing for entries that do not follow what is held, or a count that does not match', async () => {
    const jobs = new RecentJobItems(store.jobs, 1 << 20);
    await jobs.createJob(job('j1'), 0);
    await jobs.appendItems('j1', entries(0, 10));
    await jobs.appendItems('j1', entries(20, 10)); // a gap: the job is read from the queue
    expect(jobs.heldBytes).to.equal(0);
    await jobs.createJob(job('j2'), 0);
    await jobs.appendItems('j2', entries(0, 10));
    await jobs.releaseJob('j2', 11); // more than was held
    expect(jobs.heldBytes).to.equal(0);
    same(await jobs.readItems('j2', 0, 100), entries(0, 10));
  });

  it('stays within its budget: older jobs are let go first, a job too big for it is read from the queue', async () => {
    const budget = 40_000;
    const jobs = new RecentJobItems(store.jobs, budget);
    const a = await queue(jobs, 'a', 150, 50);
    const heldA = jobs.heldBytes;
    expect(heldA).to.be.greaterThan(0).and.at.most(budget);
    const b = await queue(jobs, 'b', 150, 50);
    expect(jobs.heldBytes).to.be.at.most(budget);
    // 'a' was let go to make room for 'b' (both do not fit)
    await store.jobs.deleteJob('a');
    expect(await jobs.readItems('a', 0, 500)).to.deep.equal([]);
    same(await jobs.readItems('b', 0, 500), b);
    expect(a).to.have.length(150);
    // one job larger than the whole budget: nothing of it stays, every read comes from the queue
    const big = await queue(jobs, 'big', 1000, 100);
    expect(jobs.heldBytes).to.equal(0);
    same(await jobs.readItems('big', 0, 2000), big);
  });

  it('lets go of a job that is deleted or purged', async () => {
    const jobs = new RecentJobItems(store.jobs, 1 << 20);
    await queue(jobs, 'j1', 100);
    await jobs.deleteJob('j1');
    expect(jobs.heldBytes).to.equal(0);
    expect(await jobs.readItems('j1', 0, 100)).to.deep.equal([]);
    await jobs.createJob(job('j2'), 0);
    await jobs.appendItems('j2', entries(0, 10));
    expect(jobs.heldBytes).to.be.greaterThan(0);
    expect(await jobs.purgeUnreleased(1)).to.deep.equal(['j2']);
    expect(jobs.heldBytes).to.equal(0);
  });

  it('holds nothing with a budget of 0', async () => {
    const jobs = new RecentJobItems(store.jobs, 0);
    const all = await queue(jobs, 'j1', 100);
    expect(jobs.heldBytes).to.equal(0);
    same(await jobs.readItems('j1', 0, 200), all);
  });
});
