import { expect } from 'chai';
import type { ContractContext } from '../contract.js';
import { C, T0 } from '../contract.js';
import type { JobItem, NewJob } from '../../../src/store/store.js';

const NOW = 1_800_000_000_000;
const job = (id: string, extra: Partial<NewJob> = {}): NewJob => ({
  id,
  apiRoot: 'r1',
  collectionId: C,
  principal: { username: 'u1', role: 'member', tenant: 'de-bsi', groups: ['eu'] },
  requestTimestamp: T0,
  ...extra,
});
const items = (from: number, n: number): JobItem[] =>
  Array.from({ length: n }, (_, i) => ({ seq: from + i, raw: Buffer.from(`{"n":${from + i}}`) }));

export function jobsContract(ctx: ContractContext): void {
  describe('jobs (ingestion queue)', () => {
    it('keeps a job out of reach until it is released, then leases it to one worker at a time', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('j1'), NOW);
      await jobs.appendItems('j1', items(0, 3));
      expect(await jobs.claimJob('w1', NOW, 1000)).to.equal(undefined);
      expect(await jobs.countQueued()).to.equal(0);
      await jobs.releaseJob('j1', 3);
      expect(await jobs.countQueued()).to.equal(1);
      const claimed = await jobs.claimJob('w1', NOW, 1000);
      expect(claimed).to.deep.equal({ ...job('j1'), itemCount: 3 });
      // leased: nobody else gets it until the lease runs out
      expect(await jobs.claimJob('w2', NOW + 999, 1000)).to.equal(undefined);
      expect(await jobs.renewLease('j1', 'w1', NOW + 500, 1000)).to.equal(true);
      expect(await jobs.claimJob('w2', NOW + 1400, 1000)).to.equal(undefined);
      // expired: another worker takes it over, and the first one learns it on its next renewal
      expect((await jobs.claimJob('w2', NOW + 1501, 1000))?.id).to.equal('j1');
      expect(await jobs.renewLease('j1', 'w1', NOW + 1502, 1000)).to.equal(false);
      expect(await jobs.renewLease('j1', 'w2', NOW + 1502, 1000)).to.equal(true);
    });

    it('gives a lease back at once when renewed with a negative duration', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('j1'), NOW);
      await jobs.releaseJob('j1', 0);
      expect((await jobs.claimJob('w1', NOW, 60_000))?.id).to.equal('j1');
      expect(await jobs.claimJob('w2', NOW + 1, 60_000)).to.equal(undefined);
      expect(await jobs.renewLease('j1', 'w1', NOW + 2, -1)).to.equal(true);
      expect((await jobs.claimJob('w2', NOW + 3, 60_000))?.id).to.equal('j1');
    });

    it('hands jobs out oldest first and reads entries in order, from a position, a page at a time', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('later', { principal: { username: 'u2', role: 'member', groups: [] } }), NOW + 10);
      await jobs.createJob(job('first'), NOW);
      await jobs.appendItems('first', [...items(0, 2), { seq: 2, refused: 'too large: 9 bytes' }]);
      await jobs.appendItems('first', items(3, 2));
      await jobs.releaseJob('later', 0);
      await jobs.releaseJob('first', 5);
      const a = await jobs.claimJob('w1', NOW + 20, 1000);
      const b = await jobs.claimJob('w1', NOW + 20, 1000);
      expect([a?.id, b?.id]).to.deep.equal(['first', 'later']);
      expect(b?.principal).to.deep.equal({ username: 'u2', role: 'member', groups: [] });
      const read = await jobs.readItems('first', 1, 3);
      expect(read.map((it) => ('raw' in it ? it.raw.toString() : it.refused))).to.deep.equal([
        '{"n":1}',
        'too large: 9 bytes',
        '{"n":3}',
      ]);
      expect(read.map((it) => it.seq)).to.deep.equal([1, 2, 3]);
      expect((await jobs.readItems('first', 4, 10)).map((it) => it.seq)).to.deep.equal([4]);
      expect(await jobs.readItems('later', 0, 10)).to.deep.equal([]);
    });

    it('keeps entries byte for byte, including entries of one job numbered past 9', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('j'), NOW);
      const raw = Buffer.from('{"name":"\\u00e9t\\u00e9 \u{1F600}","x":[1,2.50,{"y":null}]}');
      await jobs.appendItems('j', [...items(0, 11), { seq: 11, raw }]);
      const all = await jobs.readItems('j', 0, 100);
      expect(all.map((it) => it.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const last = all[11];
      expect(last && 'raw' in last && last.raw.equals(raw)).to.equal(true);
    });

    it('reads entries appended in batches of any size in pages of any size, each once and in order', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('batches'), NOW);
      await jobs.createJob(job('batches-2'), NOW);
      let seq = 0;
      let other = 0;
      for (const n of [1, 7, 3, 20, 1, 9]) {
        const batch = items(seq, n);
        if (n === 3) batch[1] = { seq: seq + 1, refused: `refused ${seq + 1}` };
        await jobs.appendItems('batches', batch);
        // another job's entries in between: never read as this one's
        await jobs.appendItems('batches-2', [{ seq: other++, raw: Buffer.from('{"other":true}') }]);
        seq += n;
      }
      const label = (it: JobItem): string => ('raw' in it ? it.raw.toString() : it.refused);
      const expected = Array.from({ length: seq }, (_, i) => (i === 9 ? 'refused 9' : `{"n":${i}}`));
      for (const page of [1, 4, 7, 41, 100]) {
        for (const from of [0, 1, 8, 9, 10, 30, 40, 41]) {
          const got: JobItem[] = [];
          for (let at = from; ;) {
            const read = await jobs.readItems('batches', at, page);
            expect(read.length, `page ${page} from ${at}`).to.be.at.most(page);
            if (read.length === 0) break;
            got.push(...read);
            at = (read[read.length - 1] as JobItem).seq + 1;
          }
          expect(
            got.map((it) => it.seq),
            `page ${page} from ${from}`,
          ).to.deep.equal(expected.slice(from).map((_, i) => from + i));
          expect(got.map(label)).to.deep.equal(expected.slice(from));
        }
      }
      expect(await jobs.readItems('batches', 0, 0)).to.deep.equal([]);
      expect((await jobs.readItems('batches-2', 0, 100)).map((it) => it.seq)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    });

    it('deletes a job with its entries, and purges only unreleased jobs older than the cut-off', async () => {
      const jobs = ctx.store.jobs;
      await jobs.createJob(job('old-cut'), NOW - 5000);
      await jobs.createJob(job('new-cut'), NOW);
      await jobs.createJob(job('released'), NOW - 5000);
      await jobs.appendItems('old-cut', items(0, 2));
      await jobs.releaseJob('released', 0);
      expect(await jobs.purgeUnreleased(NOW - 1000)).to.deep.equal(['old-cut']);
      expect(await jobs.readItems('old-cut', 0, 10)).to.deep.equal([]);
      await jobs.releaseJob('new-cut', 0);
      expect(await jobs.countQueued()).to.equal(2);
      await jobs.deleteJob('released');
      expect(await jobs.countQueued()).to.equal(1);
      expect((await jobs.claimJob('w', NOW, 10))?.id).to.equal('new-cut');
    });
  });
}
