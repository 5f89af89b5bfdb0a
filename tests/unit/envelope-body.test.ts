// §3.7 envelope bodies built from stored texts: the same bytes whether the texts arrive as separate
// buffers (in-process store) or as one comma-separated run packed by a database thread.
import { expect } from 'chai';
import { BodyParts } from '../../src/http/responders.js';
import { decode, encode } from '../../src/store/sqlite/threads/wire.js';
import { envelopeBody } from '../../src/taxii/resources.js';
import type { StoredVersion } from '../../src/store/store.js';

const bytesOf = (b: Buffer | BodyParts): Buffer => (b instanceof BodyParts ? Buffer.concat([...b.parts]) : b);

describe('envelope bodies from stored texts', () => {
  const items: StoredVersion[] = Array.from({ length: 5 }, (_, i) => ({
    id: `indicator--${i}`,
    version: '2024-01-01T00:00:00.000Z',
    dateAdded: 1_700_000_000_000_000 + i,
    specVersion: '2.1',
    mediaType: 'application/stix+json;version=2.1',
    json: Buffer.from(JSON.stringify({ type: 'indicator', n: i, note: 'é,]}' })),
  }));

  it('sends a packed page as one run of the thread buffer, byte for byte the envelope of the separate texts', () => {
    const page = { more: true, items };
    const separate = envelopeBody(page, 'c1');
    expect(separate).to.be.instanceOf(Buffer);
    const e = encode(page);
    const back = decode(structuredClone(e, { transfer: [e.bytes?.buffer as ArrayBuffer] })) as typeof page;
    const packed = envelopeBody(back, 'c1');
    expect(packed).to.be.instanceOf(BodyParts);
    expect((packed as BodyParts).parts).to.have.length(3);
    expect(bytesOf(packed).equals(bytesOf(separate))).to.equal(true);
    const parsed = JSON.parse(bytesOf(packed).toString()) as { more: boolean; next: string; objects: { n: number }[] };
    expect(parsed.more).to.equal(true);
    expect(parsed.next).to.equal('c1');
    expect(parsed.objects.map((o) => o.n)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('falls back to text by text when the texts are not one comma-separated run', () => {
    const e = encode({ more: false, items });
    const back = decode(structuredClone(e, { transfer: [e.bytes?.buffer as ArrayBuffer] })) as {
      more: boolean;
      items: StoredVersion[];
    };
    // a page whose order differs from the packing order (not contiguous any more)
    const swapped = { more: false, items: [back.items[1], back.items[0], ...back.items.slice(2)] as StoredVersion[] };
    const body = envelopeBody(swapped, undefined);
    expect(body).to.be.instanceOf(Buffer);
    expect(
      (JSON.parse(bytesOf(body).toString()) as { objects: { n: number }[] }).objects.map((o) => o.n),
    ).to.deep.equal([1, 0, 2, 3, 4]);
  });
});
