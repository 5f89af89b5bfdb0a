// Benchmark: intel search latency on the SQLite store. Fills a store in a temporary directory with N
// generated objects (names, aliases, ATT&CK-style ids, labels, descriptions drawn from a vocabulary
// of a few thousand words, relationships between them) plus the MITRE ATT&CK Enterprise bundle when
// ../shared/data holds it, all through the store API, then times searches of realistic words
// (actor names and aliases, ATT&CK ids, common description words, 1–3 letter prefixes) through the
// threaded store the server uses. Prints p50/p95/max per kind of query and overall.
//   npx tsx scripts/bench-search.ts [--objects 1000000] [--searches 200] [--limit 20]
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';
import { objectMarkingRefs } from '../src/stix/markings.js';
import { versionKey } from '../src/stix/timestamps.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { openThreadedSqliteStore } from '../src/store/sqlite/threads/threaded-store.js';
import type { IntelScope, NewVersion } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    searches: { type: 'string', default: '200' },
    limit: { type: 'string', default: '20' },
    data: { type: 'string', default: resolve(projectRoot, '..', 'shared', 'data', 'attack-enterprise.json') },
  },
});
const total = Number(values.objects);
const searches = Number(values.searches);
const limit = Number(values.limit);
const COLLECTION = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e12';
const BATCH = 2000;

// A deterministic generator (mulberry32), so runs are comparable.
let seed = 0x5eed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
/** Zipf-like: early words are far more frequent, as in prose. */
const zipf = <T>(list: readonly T[]): T => list[Math.floor(list.length * rand() ** 3)] as T;

const SYLLABLES = 'ka ro mi sa te lu no va pe zi do ra qui fen tor bal gar mes lin dra cor vex'.split(' ');
const VOCABULARY = Array.from({ length: 6000 }, (_, i) => {
  let w = '';
  for (let n = 0, x = i + 7; n < 2 + (i % 3); n++, x = Math.floor(x / SYLLABLES.length) + n * 13)
    w += SYLLABLES[x % SYLLABLES.length];
  return w;
});
const COMMON = 'the of and to in a is that for with as by on this used has group malware from data can be'.split(' ');
const TYPES = ['intrusion-set', 'malware', 'tool', 'attack-pattern', 'campaign', 'indicator', 'relationship'];

function uuid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `0b5e0000-0000-4000-8000-${h}`;
}

function generated(i: number): Record<string, unknown> {
  const type = TYPES[i % TYPES.length] as string;
  const id = `${type}--${uuid(i)}`;
  const base = {
    type,
    spec_version: '2.1',
    id,
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
  };
  if (type === 'relationship') {
    const src = i - 1 - 7 * Math.floor(rand() * 50);
    const tgt = i - 2 - 7 * Math.floor(rand() * 50);
    return {
      ...base,
      relationship_type: pick(['uses', 'targets', 'attributed-to', 'mitigates']),
      source_ref: `${TYPES[((src % 7) + 7) % 7]}--${uuid(Math.max(src, 0))}`,
      target_ref: `${TYPES[((tgt % 7) + 7) % 7]}--${uuid(Math.max(tgt, 0))}`,
    };
  }
  const words = (n: number): string =>
    Array.from({ length: n }, () => (rand() < 0.4 ? pick(COMMON) : zipf(VOCABULARY))).join(' ');
  const name = `${zipf(VOCABULARY)} ${pick(VOCABULARY)}`.replace(/^./, (c) => c.toUpperCase());
  return {
    ...base,
    name,
    ...(type === 'intrusion-set' ? { aliases: [pick(VOCABULARY), `${pick(VOCABULARY)} ${pick(VOCABULARY)}`] } : {}),
    ...(type === 'malware' || type === 'tool' ? { x_mitre_aliases: [pick(VOCABULARY)], is_family: true } : {}),
    labels: [pick(['backdoor', 'rat', 'loader', 'apt', 'espionage', 'financial'])],
    external_references: [{ source_name: 'bench', external_id: `B${String(i).padStart(7, '0')}` }],
    description: words(20 + Math.floor(rand() * 40)),
    ...(type === 'indicator'
      ? { pattern: "[ipv4-addr:value = '198.51.100.1']", pattern_type: 'stix', valid_from: '2024-01-01T00:00:00Z' }
      : {}),
  };
}

function record(o: Record<string, unknown>): NewVersion {
  const version = (o.modified ?? o.created) as string | undefined;
  const key = version === undefined ? undefined : versionKey(version);
  return {
    id: o.id as string,
    type: o.type as string,
    specVersion: '2.1',
    ...(version !== undefined && key !== undefined ? { version, versionKey: key } : {}),
    markings: objectMarkingRefs(o),
    json: JSON.stringify(o),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-bench-search-'));
  const file = join(dir, 'palisade.db');
  try {
    const attack = existsSync(values.data)
      ? ((JSON.parse(readFileSync(values.data, 'utf8')) as { objects: Record<string, unknown>[] }).objects ?? [])
      : [];
    if (attack.length === 0) console.log(`(no ATT&CK bundle at ${values.data}: generated objects only)`);
    const fill = openSqliteStore(file);
    await fill.migrate();
    await fill.catalog.putApiRoot({ path: 'bench', title: 'bench', maxContentLength: 1e8, source: 'config' });
    await fill.catalog.putCollection({ id: COLLECTION, apiRoot: 'bench', title: 'bench', source: 'config' });
    const t0 = performance.now();
    let stored = 0;
    const generatedCount = Math.max(0, total - attack.length);
    for (let i = 0; i < attack.length; i += BATCH) {
      const part = attack.slice(i, i + BATCH).filter((o) => typeof o.id === 'string' && typeof o.type === 'string');
      await fill.objects.addObjects(COLLECTION, part.map(record), Date.now() * 1000);
      stored += part.length;
    }
    for (let i = 0; i < generatedCount; i += BATCH) {
      const part: NewVersion[] = [];
      for (let j = i; j < Math.min(i + BATCH, generatedCount); j++) part.push(record(generated(j)));
      await fill.objects.addObjects(COLLECTION, part, Date.now() * 1000);
      stored += part.length;
      if ((i / BATCH) % 50 === 0 && i > 0) {
        process.stdout.write(`  ${stored} objects, ${Math.round(stored / ((performance.now() - t0) / 1000))} obj/s\r`);
      }
    }
    const fillSeconds = (performance.now() - t0) / 1000;
    await fill.close();
    console.log(
      `filled ${stored} objects in ${fillSeconds.toFixed(1)} s (${Math.round(stored / fillSeconds)} obj/s, intel index included)`,
    );

    const store = await openThreadedSqliteStore(file);
    const scope: IntelScope = { collections: [{ id: COLLECTION, deniedMarkings: [] }] };
    const kinds: Record<string, string[]> = {
      'actor names/aliases': [
        'APT28',
        'Fancy Bear',
        'Lazarus Group',
        'Sofacy',
        'Turla',
        'Sandworm Team',
        'Cozy Bear',
        'FIN7',
        'Kimsuky',
        'OilRig',
        'Mimikatz',
        'Cobalt Strike',
      ],
      'ATT&CK ids': ['G0007', 'T1059', 'T1566.001', 'S0002', 'T1003', 'TA0001', 'G0032', 'T1055'],
      'description words': [
        'credential',
        'phishing',
        'powershell',
        'the',
        'used',
        'data',
        'group',
        'registry',
        'persistence',
        'windows',
      ],
      'prefixes 1-3': ['a', 'c', 's', 'ap', 'fa', 'co', 'mi', 'apt', 'laz', 'pow', 'cre', 'ka'],
      'generated words': Array.from({ length: 12 }, () => `${zipf(VOCABULARY)}`),
      'two words': ['fancy bear', 'spear phishing', 'credential dumping', 'lateral movement', 'the group', 'ka ro'],
    };
    const kindNames = Object.keys(kinds);
    const timings = new Map<string, number[]>(kindNames.map((k) => [k, []]));
    // warm the page cache and the threads
    for (const q of ['warm', 'apt', 'the']) await store.intel.searchObjects(scope, { text: q }, limit);
    const all: number[] = [];
    let hitsTotal = 0;
    for (let n = 0; n < searches; n++) {
      const kind = kindNames[n % kindNames.length] as string;
      const text = pick(kinds[kind] as string[]);
      const s = performance.now();
      const page = await store.intel.searchObjects(scope, { text }, limit);
      const ms = performance.now() - s;
      hitsTotal += page.hits.length;
      timings.get(kind)?.push(ms);
      all.push(ms);
    }
    await store.close();
    const report = (label: string, list: number[]): void => {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(
        `${label.padEnd(22)} n=${String(sorted.length).padStart(4)}  p50 ${fmt(percentile(sorted, 50))}  p95 ${fmt(percentile(sorted, 95))}  max ${fmt(sorted[sorted.length - 1] ?? NaN)}`,
      );
    };
    console.log(
      `${searches} searches (limit ${limit}, threaded store), ${(hitsTotal / searches).toFixed(1)} hits on average:`,
    );
    for (const k of kindNames) report(k, timings.get(k) ?? []);
    report('all', all);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
