// Benchmark: is a page as cheap at the end of a large collection as at the start? Fills a SQLite
// store with N synthetic indicators (default 1,000,000) through the Store interface, then times
// pages of 1000 (default query: latest versions) at the start, the middle and the end.
//   npx tsx scripts/bench-flat-pages.ts [--objects 1000000] [--samples 50] [--marked-every N]
// With --marked-every N, every Nth object carries a marking the reader may not receive and the
// pages are read with releasability on (the filter runs in the query).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { versionKey } from '../src/stix/timestamps.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { NewVersion } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '50' },
    // releasability: mark every Nth object with a marking the reader may not receive (0: none)
    'marked-every': { type: 'string', default: '0' },
  },
});
const markedEvery = Number(values['marked-every']);
const DENIED = 'marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-0000000000dd';
const deniedMarkings = markedEvery > 0 ? [DENIED] : undefined;
const query = { versions: { first: false, last: true, exact: [] }, ...(deniedMarkings ? { deniedMarkings } : {}) };
const total = Number(values.objects);
const samples = Number(values.samples);
const C = '3a0b1c2d-4e5f-4a6b-8c7d-0000000000bb';

const dir = await mkdtemp(join(tmpdir(), 'palisade-flat-'));
const store = openSqliteStore(join(dir, 'flat.db'));
await store.migrate();
await store.catalog.putApiRoot({ path: 'r', title: 'r', maxContentLength: 1, source: 'config' });
await store.catalog.putCollection({ id: C, apiRoot: 'r', title: 'flat', source: 'config' });

const modified = '2024-01-01T00:00:00.000Z';
const vkey = versionKey(modified) as string;
const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
let t = process.hrtime.bigint();
for (let i = 0; i < total; i += 1000) {
  const batch: NewVersion[] = [];
  for (let j = i; j < Math.min(i + 1000, total); j++) {
    const id = `indicator--${hex(j, 8)}-0000-4000-8000-${hex(j * 7919, 12).slice(-12)}`;
    const obj = {
      type: 'indicator',
      spec_version: '2.1',
      id,
      created: modified,
      modified,
      name: `synthetic indicator ${j}`,
      pattern: `[ipv4-addr:value = '10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}']`,
      pattern_type: 'stix',
      valid_from: modified,
      description: 'x'.repeat(600),
      ...(markedEvery > 0 && j % markedEvery === 0 ? { object_marking_refs: [DENIED] } : {}),
    };
    const markings = markedEvery > 0 && j % markedEvery === 0 ? [DENIED] : [];
    batch.push({
      id,
      type: 'indicator',
      specVersion: '2.1',
      version: modified,
      versionKey: vkey,
      markings,
      json: JSON.stringify(obj),
    });
  }
  await store.objects.addObjects(C, batch, Date.now() * 1000);
}
console.log(`filled ${total} objects in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);

// Keyset positions: the date_added of the item before the page, collected in one pass.
const positions: number[] = [];
let after: number | undefined;
for (;;) {
  const page = await store.objects.queryObjects(C, query, { limit: 1000, ...(after !== undefined ? { after } : {}) });
  if (page.items.length === 0) break;
  positions.push(after ?? -1);
  after = page.items[page.items.length - 1]?.dateAdded;
  if (!page.more) break;
}
const at = async (label: string, pos: number): Promise<void> => {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    t = process.hrtime.bigint();
    await store.objects.queryObjects(C, query, { limit: 1000, ...(pos >= 0 ? { after: pos } : {}) });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label}: median ${ms[Math.floor(ms.length / 2)]?.toFixed(2)} ms [${ms[0]?.toFixed(2)}–${ms[ms.length - 1]?.toFixed(2)}] per page of 1000`,
  );
};
await at('first page', positions[0] as number);
await at('middle page', positions[Math.floor(positions.length / 2)] as number);
await at('last full page', positions[positions.length - 2] ?? (positions[0] as number));
await store.close();
await rm(dir, { recursive: true, force: true });
