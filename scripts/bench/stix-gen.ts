// Deterministic STIX 2.1 test data for the benchmark: object number i of a seed is always the same
// object, whatever else was generated, so envelopes can be built lazily (a million objects are
// never in memory at once) and the peers get exactly the objects Palisade gets.
//
// Mix (by count, roughly like an intelligence feed mirrored with its context): indicators with
// STIX patterns on IPv4 addresses, domain names, file hashes and URLs; relationships between
// earlier objects; attack-patterns with kill chain phases and external references; malware, tools
// and intrusion-sets. About 5 % of the entries are new versions (a later `modified`, STIX 2.1 §3.6)
// of an earlier object of the same stream. Objects average about 1 KB of JSON.

export type StixObject = Record<string, unknown> & { type: string; id: string };

/** a small, fast 32-bit generator; seeded per object so object i does not depend on object i-1 */
function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rngFor(seed: number, i: number, salt = 0): () => number {
  // mix the seed and the index (and a salt for independent streams of the same object)
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(salt + 7, 0x27d4eb2f);
  h ^= h >>> 16;
  return mulberry32(h);
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: () => number, n: number): number => Math.floor(r() * n);
const hex = (r: () => number, n: number): string => {
  let s = '';
  for (let k = 0; k < n; k++) s += '0123456789abcdef'[int(r, 16)];
  return s;
};

/** an RFC 4122 version 4 UUID drawn from r */
function uuid4(r: () => number): string {
  const h = hex(r, 32);
  const variant = '89ab'[int(r, 4)] as string;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const WORDS =
  'actor campaign infrastructure payload loader dropper beacon command control server domain credential harvesting spearphishing attachment macro document lateral movement persistence registry scheduled task service privilege escalation exfiltration archive staging encrypted channel proxy tunnel reconnaissance scanning vulnerability exploit public facing application remote access trojan backdoor implant obfuscated script powershell execution defense evasion masquerading signed binary injection memory process discovery network share collection keylogging screen capture telemetry observed targeting government energy finance telecommunications sector region operators reporting analysts assess confidence moderate high low indicators associated cluster activity'.split(
    ' ',
  );

function prose(r: () => number, chars: number): string {
  const out: string[] = [];
  let len = 0;
  while (len < chars) {
    const n = 6 + int(r, 10);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(pick(r, WORDS));
    const s = words.join(' ');
    out.push(`${s[0]?.toUpperCase()}${s.slice(1)}.`);
    len += s.length + 2;
  }
  return out.join(' ');
}

const TACTICS = [
  'reconnaissance',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
];
const TLDS = ['com', 'net', 'org', 'info', 'biz', 'io'];
const IDENTITY = 'identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5';

type Kind = 'indicator' | 'relationship' | 'attack-pattern' | 'malware' | 'tool' | 'intrusion-set';

/** the generator of one seed */
export class StixGenerator {
  constructor(readonly seed = 20240601) {}

  /** the kind of the original object number i (revisions keep the kind of what they revise) */
  private kindOf(i: number): Kind {
    if (i < 20) return (['intrusion-set', 'malware', 'tool', 'attack-pattern'] as const)[i % 4] as Kind;
    const x = rngFor(this.seed, i, 1)();
    if (x < 0.45) return 'indicator';
    if (x < 0.7) return 'relationship';
    if (x < 0.8) return 'attack-pattern';
    if (x < 0.88) return 'malware';
    if (x < 0.93) return 'tool';
    return 'intrusion-set';
  }

  /** the earlier entry that entry i is a new version of, if it is one (≈5 % of entries past 100) */
  private revises(i: number): number | undefined {
    if (i < 100) return undefined;
    const r = rngFor(this.seed, i, 2);
    if (r() >= 0.05) return undefined;
    return i - 1 - int(r, Math.min(i - 1, 20_000));
  }

  isOriginal(i: number): boolean {
    return this.revises(i) === undefined;
  }

  /** the first entry of the object that entry i belongs to */
  root(i: number): number {
    let j = i;
    for (let k = this.revises(j); k !== undefined; k = this.revises(j)) j = k;
    return j;
  }

  idOf(i: number): string {
    const j = this.root(i);
    return `${this.kindOf(j)}--${uuid4(rngFor(this.seed, j, 3))}`;
  }

  /** an earlier original object (not a relationship) for relationship ends */
  private endpoint(r: () => number, before: number): number {
    for (let tries = 0; tries < 50; tries++) {
      const j = this.root(int(r, before));
      if (this.kindOf(j) !== 'relationship') return j;
    }
    return 0;
  }

  /** entry number i of the stream */
  object(i: number): StixObject {
    const root = this.root(i);
    const o = this.original(root);
    if (root !== i) {
      // a new version: same id and created, a later modified, some content changed
      const created = Date.parse(o.created as string);
      o.modified = new Date(created + (i - root) * 1000).toISOString();
      o.description = `Revised. ${String(o.description ?? '')}`.slice(0, 2000);
      o.labels = ['revised'];
    }
    return o;
  }

  private original(i: number): StixObject {
    const r = rngFor(this.seed, i, 4);
    const kind = this.kindOf(i);
    const id = this.idOf(i);
    const created = new Date(Date.UTC(2020, 0, 1) + i * 37_000 + int(r, 1000)).toISOString();
    const base = {
      type: kind,
      spec_version: '2.1',
      id,
      created,
      modified: created,
      created_by_ref: IDENTITY,
    };
    const phases = (): { kill_chain_name: string; phase_name: string }[] =>
      Array.from({ length: 1 + int(r, 2) }, () => ({ kill_chain_name: 'mitre-attack', phase_name: pick(r, TACTICS) }));
    switch (kind) {
      case 'indicator': {
        const form = int(r, 4);
        let pattern: string;
        let name: string;
        if (form === 0) {
          const ip = `${1 + int(r, 223)}.${int(r, 256)}.${int(r, 256)}.${1 + int(r, 254)}`;
          pattern = `[ipv4-addr:value = '${ip}']`;
          name = `C2 address ${ip}`;
        } else if (form === 1) {
          const d = `${pick(r, WORDS)}-${pick(r, WORDS)}${int(r, 1000)}.${pick(r, TLDS)}`;
          pattern = `[domain-name:value = '${d}']`;
          name = `Malicious domain ${d}`;
        } else if (form === 2) {
          const sha = hex(r, 64);
          pattern =
            r() < 0.5
              ? `[file:hashes.'SHA-256' = '${sha}']`
              : `[file:hashes.'SHA-256' = '${sha}' OR file:hashes.MD5 = '${hex(r, 32)}']`;
          name = `Payload ${sha.slice(0, 12)}`;
        } else {
          const u = `https://${pick(r, WORDS)}${int(r, 100)}.${pick(r, TLDS)}/${pick(r, WORDS)}/${hex(r, 8)}.php`;
          pattern = `[url:value = '${u}']`;
          name = `Delivery URL ${u}`;
        }
        return {
          ...base,
          name,
          description: prose(r, 250 + int(r, 400)),
          indicator_types: [pick(r, ['malicious-activity', 'anomalous-activity', 'compromised', 'attribution'])],
          pattern,
          pattern_type: 'stix',
          valid_from: created,
          ...(r() < 0.5 ? { kill_chain_phases: phases() } : {}),
          confidence: int(r, 101),
        };
      }
      case 'relationship': {
        const s = this.endpoint(r, i);
        const t = this.endpoint(r, i);
        const sk = this.kindOf(s);
        const type = sk === 'indicator' ? 'indicates' : sk === 'attack-pattern' ? 'related-to' : 'uses';
        return {
          ...base,
          relationship_type: type,
          description: prose(r, 100 + int(r, 300)),
          source_ref: this.idOf(s),
          target_ref: this.idOf(t),
        };
      }
      case 'attack-pattern': {
        const ext = `T${1000 + int(r, 600)}.${String(int(r, 20)).padStart(3, '0')}`;
        return {
          ...base,
          name: `${pick(r, WORDS)} ${pick(r, WORDS)} ${pick(r, WORDS)}`,
          description: prose(r, 700 + int(r, 700)),
          kill_chain_phases: phases(),
          external_references: [
            {
              source_name: 'mitre-attack',
              external_id: ext,
              url: `https://attack.mitre.org/techniques/${ext.replace('.', '/')}`,
            },
            { source_name: 'vendor-report', description: prose(r, 60), url: `https://reports.example/${hex(r, 10)}` },
          ],
          x_mitre_platforms: ['Windows', 'Linux', 'macOS'].slice(0, 1 + int(r, 3)),
        };
      }
      case 'malware':
        return {
          ...base,
          name: `${pick(r, WORDS)}${int(r, 100)}`,
          description: prose(r, 500 + int(r, 600)),
          is_family: true,
          malware_types: [pick(r, ['backdoor', 'dropper', 'ransomware', 'remote-access-trojan', 'keylogger'])],
          aliases: [`${pick(r, WORDS)}${int(r, 100)}`],
          external_references: [{ source_name: 'vendor-report', url: `https://reports.example/${hex(r, 10)}` }],
        };
      case 'tool':
        return {
          ...base,
          name: `${pick(r, WORDS)}-${int(r, 100)}`,
          description: prose(r, 400 + int(r, 400)),
          tool_types: [pick(r, ['remote-access', 'credential-exploitation', 'network-capture', 'exploitation'])],
        };
      case 'intrusion-set':
        return {
          ...base,
          name: `${pick(r, ['APT', 'TA', 'UNC', 'FIN'])}${int(r, 1000)}`,
          description: prose(r, 600 + int(r, 600)),
          aliases: [`${pick(r, WORDS)} ${pick(r, WORDS)}`, `Group ${int(r, 100)}`],
          goals: [prose(r, 40)],
          resource_level: pick(r, ['government', 'organization', 'team']),
          primary_motivation: pick(r, ['espionage', 'financial-gain', 'ideology']),
          first_seen: created,
        };
    }
  }
}

/** the source of a benchmark's objects: the generator, or a fixed list read from a file */
export interface ObjectSource {
  readonly size: number | undefined;
  object(i: number): StixObject;
  /** distinct ids among entries [0, n): what a walk of the latest versions returns */
  distinct(n: number): number;
  describe(): string;
}

export function generatedSource(seed: number): ObjectSource {
  const g = new StixGenerator(seed);
  return {
    size: undefined,
    object: (i) => g.object(i),
    distinct: (n) => {
      // a new version always revises an earlier entry, so the originals among [0, n) are its ids
      let k = 0;
      for (let i = 0; i < n; i++) if (g.isOriginal(i)) k++;
      return k;
    },
    describe: () => `generated STIX 2.1 (seed ${seed})`,
  };
}

export function listSource(objects: StixObject[], label: string): ObjectSource {
  return {
    size: objects.length,
    object: (i) => {
      const o = objects[i];
      if (!o) throw new Error(`${label} holds ${objects.length} objects; object ${i} was asked for`);
      return o;
    },
    distinct: (n) => new Set(objects.slice(0, n).map((o) => o.id)).size,
    describe: () => `${label} (${objects.length} objects)`,
  };
}

/** envelopes of `per` objects for entries [from, to) of a source, JSON-encoded, built on demand */
export function* envelopes(
  src: ObjectSource,
  from: number,
  to: number,
  per: number,
  keep: (o: StixObject) => boolean = () => true,
): Generator<{ body: Buffer; count: number }> {
  for (let i = from; i < to; i += per) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(i + per, to); j++) {
      const o = src.object(j);
      if (keep(o)) parts.push(JSON.stringify(o));
    }
    if (parts.length > 0) yield { body: Buffer.from(`{"objects":[${parts.join(',')}]}`), count: parts.length };
  }
}
