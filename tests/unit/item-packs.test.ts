// Packs of queued entries (src/store/sqlite/item-packs.ts): what goes in comes out byte for byte,
// from any position; damaged packs and gaps are refused, not misread.
import { expect } from 'chai';
import fc from 'fast-check';
import { packItems, unpackItems } from '../../src/store/sqlite/item-packs.js';
import type { JobItem } from '../../src/store/store.js';

const read = (pack: Buffer, first: number, from: number, limit: number): JobItem[] => {
  const out: JobItem[] = [];
  unpackItems(pack, first, from, limit, out);
  return out;
};

describe('queued entry packs (src/store/sqlite/item-packs.ts)', () => {
  it('gives back every entry, raw bytes and refusals, from any position and up to any limit', () => {
    const entry = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ raw: Buffer.from(b) })),
      fc.string({ maxLength: 80, unit: 'grapheme' }).map((refused) => ({ refused })),
    );
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 40 }),
        fc.nat(1_000_000),
        fc.nat(45),
        fc.nat(45),
        (entries, first, skip, limit) => {
          const items = entries.map((e, i) => ({ seq: first + i, ...e }) as JobItem);
          const got = read(packItems(items), first, first + skip, limit);
          expect(got).to.deep.equal(items.slice(skip, skip + limit));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses entries that are not consecutive', () => {
    const raw = Buffer.from('{}');
    expect(() =>
      packItems([
        { seq: 4, raw },
        { seq: 6, raw },
      ]),
    ).to.throw(/consecutive: 6 follows 4/);
    expect(packItems([]).length).to.equal(0);
  });

  it('refuses a pack cut short or with an unknown kind of entry, instead of returning part of an entry', () => {
    const pack = packItems([
      { seq: 0, raw: Buffer.from('{"a":1}') },
      { seq: 1, refused: 'too large' },
    ]);
    for (const cut of [1, 4, 8, pack.length - 1]) {
      expect(() => read(pack.subarray(0, cut), 0, 0, 10), `cut at ${cut}`).to.throw(/queued pack/);
    }
    const odd = Buffer.from(pack);
    odd[0] = 7;
    expect(() => read(odd, 0, 0, 10)).to.throw(/damaged at entry 0/);
  });
});
