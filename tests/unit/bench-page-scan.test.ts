// The benchmark's walking client reads pages chunk by chunk (scripts/bench/client.ts PageScan): the
// objects it counts and the `next` it finds must not depend on where the chunks were cut.
import { expect } from 'chai';
import { PageScan } from '../../scripts/bench/client.js';

function page(objects: number, next: string | undefined): Buffer {
  const list = Array.from({ length: objects }, (_, i) => ({
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    // a nested spec_version-like value is not a key and is not counted
    name: `spec_version ${i}`,
  }));
  return Buffer.from(JSON.stringify({ more: next !== undefined, ...(next ? { next } : {}), objects: list }));
}

function scanIn(body: Buffer, cuts: number[]): PageScan {
  const s = new PageScan();
  let at = 0;
  for (const c of [...cuts, body.length]) {
    s.push(body.subarray(at, c));
    at = c;
  }
  return s;
}

describe('bench walking client: pages read chunk by chunk', () => {
  const body = page(40, 'cursor-abc');

  it('counts every object and finds next whatever the chunk boundaries', () => {
    for (let size = 1; size <= 64; size++) {
      const cuts: number[] = [];
      for (let c = size; c < body.length; c += size) cuts.push(c);
      const s = scanIn(body, cuts);
      expect(s.objects, `chunks of ${size}`).to.equal(40);
      expect(s.bytes).to.equal(body.length);
      expect(s.next(), `chunks of ${size}`).to.equal('cursor-abc');
    }
  });

  it('counts a key cut at each of its positions exactly once', () => {
    const key = body.indexOf('"spec_version"');
    for (let k = key; k <= key + 14; k++) expect(scanIn(body, [k]).objects).to.equal(40);
  });

  it('finds next at the end of a long page and reports none on the last page', () => {
    const long = Buffer.concat([page(2000, undefined).subarray(0, -1), Buffer.from(',"next":"tail-cursor"}')]);
    expect(scanIn(long, [65536, 131072]).next()).to.equal('tail-cursor');
    expect(scanIn(long, [65536, 131072]).objects).to.equal(2000);
    expect(scanIn(page(3, undefined), []).next()).to.equal(undefined);
  });
});
