// What the SQLite threads post (src/store/sqlite/threads/wire.ts): encode replaces byte arrays and
// rows, and shares every other part with the value it is given instead of copying it (the clone
// made by postMessage copies it anyway). The value given is never changed, and the decoded clone
// is the value, keys and elements in their order.
import { expect } from 'chai';
import { decode, encode, type Encoded } from '../../src/store/sqlite/threads/wire.js';

/** A Buffer over an ArrayBuffer of its own, as the SQLite driver returns a blob. */
function own(text: string): Buffer {
  const bytes = Buffer.from(text);
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return Buffer.from(buffer);
}

const roundTrip = (e: Encoded): unknown =>
  decode(structuredClone(e, e.bytes ? { transfer: [e.bytes.buffer] } : undefined));

describe('wire encode: shared parts', () => {
  it('posts a value without byte arrays or rows as it is', () => {
    const value = { id: 'x', tags: ['a', 'b'], nested: { n: 1, list: [{ k: 1 }, { j: 2 }] } };
    const e = encode(value);
    expect(e.value).to.equal(value);
    expect(e.bytes).to.equal(undefined);
    expect(roundTrip(e)).to.deep.equal(value);
  });

  it('builds new objects and arrays only on the way to a byte array, in the same order', () => {
    const untouched = { words: ['w1', 'w2'], deep: { z: [1, 2, 3] } };
    const value = {
      first: untouched,
      middle: [1, { before: 'b', bytes: Buffer.from('{"a":1}'), after: ['x'] }, 3],
      last: { same: true },
    };
    const before = structuredClone(value);
    const e = encode(value);
    const out = e.value as typeof value;
    expect(out).to.not.equal(value);
    expect(out.first).to.equal(untouched);
    expect(out.last).to.equal(value.last);
    expect(out.middle).to.not.equal(value.middle);
    expect(out.middle[1]).to.not.equal(value.middle[1]);
    expect((out.middle[1] as { after: string[] }).after).to.equal((value.middle[1] as { after: string[] }).after);
    expect(Object.keys(out)).to.deep.equal(['first', 'middle', 'last']);
    expect(Object.keys(out.middle[1] as object)).to.deep.equal(['before', 'bytes', 'after']);
    // the value given is left as it was, its Buffer included
    expect(value).to.deep.equal(before);
    expect(Buffer.isBuffer((value.middle[1] as { bytes: Buffer }).bytes)).to.equal(true);

    const back = roundTrip(e) as typeof value;
    expect(Object.keys(back.middle[1] as object)).to.deep.equal(['before', 'bytes', 'after']);
    const bytes = (back.middle[1] as { bytes: Buffer }).bytes;
    expect(Buffer.isBuffer(bytes) && bytes.toString()).to.equal('{"a":1}');
    expect({
      ...back,
      middle: [back.middle[0], { ...(back.middle[1] as object), bytes: 'B' }, back.middle[2]],
    }).to.deep.equal({
      ...value,
      middle: [1, { before: 'b', bytes: 'B', after: ['x'] }, 3],
    });
  });

  it('keeps a byte array found after other elements of an array at its index', () => {
    const value = ['a', 'b', Buffer.from('c'), 'd'];
    const back = roundTrip(encode(value)) as unknown[];
    expect(back.length).to.equal(4);
    expect([back[0], back[1], (back[2] as Buffer).toString(), back[3]]).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('hands over a lone byte array that fills its own buffer when the value is owned, and copies otherwise', () => {
    const page = (): { count: number; texts: Buffer[] } => ({
      count: 2,
      texts: [own('{"a":1},{"b":2}')],
    });
    const owned = page();
    const whole = owned.texts[0] as Buffer;
    expect(whole.byteOffset === 0 && whole.byteLength === whole.buffer.byteLength).to.equal(true);
    const e = encode(owned, { owned: true });
    expect(e.bytes?.buffer).to.equal(whole.buffer);
    const back = roundTrip(e) as ReturnType<typeof page>;
    expect(back.texts[0]?.toString()).to.equal('{"a":1},{"b":2}');
    expect(whole.byteLength, 'the given array is detached by the transfer').to.equal(0);

    // not owned: a copy travels and the caller's array is left as it was
    const kept = page();
    const e2 = encode(kept);
    expect(e2.bytes?.buffer).to.not.equal(kept.texts[0]?.buffer);
    expect((roundTrip(e2) as ReturnType<typeof page>).texts[0]?.toString()).to.equal('{"a":1},{"b":2}');
    expect(kept.texts[0]?.toString()).to.equal('{"a":1},{"b":2}');

    // owned but a view into a larger buffer (a pool slice), or one of several arrays: copied
    const slice = Buffer.from('xy{"c":3}').subarray(2);
    const e3 = encode({ texts: [slice] }, { owned: true });
    expect(e3.bytes?.buffer).to.not.equal(slice.buffer);
    expect(((roundTrip(e3) as { texts: Buffer[] }).texts[0] as Buffer).toString()).to.equal('{"c":3}');
    expect(slice.toString()).to.equal('{"c":3}');
    const two = [own('a'), own('b')];
    const e4 = encode(two, { owned: true });
    expect(roundTrip(e4)).to.satisfy((b: Buffer[]) => b.map(String).join() === 'a,b');
    expect(two.map(String).join()).to.equal('a,b');
  });
});
