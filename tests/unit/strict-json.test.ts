// Strict, lossless parsing of one STIX object: the corpus of bad inputs, the prototype-pollution
// rules, deep nesting without stack overflow, and round-trip properties on generated objects.
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_DEPTH_LIMIT, parseStrictObject, type StrictParseResult } from '../../src/ingest/strict-json.js';
import { projectRoot } from '../../src/paths.js';

const corpusDir = join(projectRoot, 'tests/fixtures/bad-input');

interface ObjectCase {
  file: string;
  input: 'object';
  note: string;
  expect: { ok: true } | { ok: false; reason: string };
}

const objectCases = (
  JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as { cases: { input: string }[] }
).cases.filter((c): c is ObjectCase => c.input === 'object');

const parse = (text: string | Buffer, maxDepth = 64): StrictParseResult =>
  parseStrictObject(typeof text === 'string' ? Buffer.from(text) : text, { maxDepth });

function accepted(text: string | Buffer, maxDepth = 64): { value: Record<string, unknown>; text: string } {
  const r = parse(text, maxDepth);
  if (!r.ok) expect.fail(`refused: ${r.reason}`);
  return r;
}

function refusal(text: string | Buffer, maxDepth = 64): string {
  const r = parse(text, maxDepth);
  if (r.ok) expect.fail(`accepted: ${r.text}`);
  return r.reason;
}

/** The properties every accepted input must have: lossless against JSON.parse, canonical text. */
function expectRoundTrip(raw: Buffer, r: { value: Record<string, unknown>; text: string }): void {
  expect(r.value).to.deep.equal(JSON.parse(raw.toString('utf8')));
  expect(r.text).to.equal(JSON.stringify(r.value));
  expect(JSON.parse(r.text)).to.deep.equal(r.value);
  expect(JSON.stringify(JSON.parse(r.text))).to.equal(r.text);
}

describe('parseStrictObject (strict JSON for one STIX object)', () => {
  describe('the bad-input corpus (tests/fixtures/bad-input, input=object)', () => {
    it('has object cases', () => {
      expect(objectCases.length).to.be.greaterThan(50);
    });
    for (const c of objectCases) {
      it(`${c.file}: ${c.note}`, () => {
        const raw = readFileSync(join(corpusDir, c.file));
        const r = parseStrictObject(raw, { maxDepth: 64 });
        if (c.expect.ok) {
          if (!r.ok) expect.fail(`refused: ${r.reason}`);
          expectRoundTrip(raw, r);
        } else {
          if (r.ok) expect.fail(`accepted: ${r.text}`);
          expect(r.reason).to.include(c.expect.reason);
        }
      });
    }
  });

  describe('reasons name the rule, the JSON path and the byte', () => {
    it('gives the path through objects and arrays', () => {
      expect(refusal('{"a":{"b":[1,2,{"c":1e309}]}}')).to.equal(
        'number 1e309 overflows an IEEE 754 double at $.a.b[2].c (byte 20)',
      );
    });
    it('quotes member names that are not identifiers', () => {
      expect(refusal('{"a b":{"c.d":tru}}')).to.include('at $["a b"]["c.d"]');
    });
    it('names the repeated member and where the repeat is', () => {
      expect(refusal('{"x":[{"k":1},{"j":1,"k":2,"j":3}]}')).to.equal(
        'duplicate member name "j" at $.x[1].j (byte 27)',
      );
    });
    it('finds invalid UTF-8 inside nested strings', () => {
      const raw = Buffer.concat([Buffer.from('{"a":[{"b":"ok"},{"c":"x'), Buffer.from([0xc3]), Buffer.from('"}]}')]);
      expect(refusal(raw)).to.equal('invalid UTF-8 byte 0xc3 at $.a[1].c (byte 24)');
    });
  });

  describe('numbers (RFC 8259 §6)', () => {
    it('accepts every double that survives serialisation, and normalises how it is written', () => {
      const r = accepted('{"a":1.0,"b":1e2,"c":-1.5E-3,"d":0,"e":0.0,"f":123456789012345,"g":1.7976931348623157e308}');
      expect(r.text).to.equal(
        '{"a":1,"b":100,"c":-0.0015,"d":0,"e":0,"f":123456789012345,"g":1.7976931348623157e+308}',
      );
      expectRoundTrip(Buffer.from(r.text), r);
    });
    it('accepts ±(2^53−1) and refuses one beyond, however it is written', () => {
      accepted('{"a":9007199254740991,"b":-9007199254740991}');
      expect(refusal('{"a":9007199254740992}')).to.include('beyond ±(2^53−1)');
      expect(refusal('{"a":-9007199254740992}')).to.include('beyond ±(2^53−1)');
      expect(refusal('{"a":18446744073709551616}')).to.include('beyond ±(2^53−1)');
    });
    it('refuses values that JSON.stringify would write as integers beyond that range, however written', () => {
      expect(refusal('{"a":9007199254740993.0}')).to.include('beyond ±(2^53−1) once serialised');
      expect(refusal('{"a":1e20}')).to.include('beyond ±(2^53−1) once serialised');
      expect(refusal('{"a":-9.1e15}')).to.include('beyond ±(2^53−1) once serialised');
      // From 1e21 on, JSON.stringify uses an exponent: the value is kept as a double.
      expect(accepted('{"a":1e21,"b":9007199254740991.0}').text).to.equal('{"a":1e+21,"b":9007199254740991}');
    });
    it('refuses overflow, underflow to zero and negative zero', () => {
      expect(refusal('{"a":1e309}')).to.include('overflows');
      expect(refusal('{"a":-1e400}')).to.include('overflows');
      expect(refusal('{"a":1E+999999999999}')).to.include('overflows');
      expect(refusal('{"a":1e-400}')).to.include('underflows to zero');
      expect(refusal(`{"a":0.${'0'.repeat(400)}1}`)).to.include('underflows to zero');
      expect(refusal('{"a":-0}')).to.include('negative zero');
      expect(refusal('{"a":-0.000}')).to.include('negative zero');
      expect(accepted('{"a":0e999999,"b":5e-324}').value).to.deep.equal({ a: 0, b: 5e-324 });
    });
    it('refuses malformed literals', () => {
      for (const bad of [
        '-',
        '--1',
        '1.',
        '.1',
        '1e',
        '1e+',
        '01',
        '-01',
        '+1',
        '0x1',
        '1_000',
        'NaN',
        'Infinity',
        '-Infinity',
      ]) {
        expect(parse(`{"a":${bad}}`).ok, bad).to.equal(false);
      }
    });
  });

  describe('strings (RFC 8259 §7, §8.1, §8.2)', () => {
    it('accepts paired surrogates and every escape', () => {
      const r = accepted('{"a":"\\ud83d\\ude00\\uD83D\\uDE00","b":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f"}');
      expect(r.value).to.deep.equal({ a: '😀😀', b: '"\\/\b\f\n\r\t\u0000\u001f' });
    });
    it('refuses lone surrogates in values and in member names', () => {
      expect(refusal('{"a":"\\ud800"}')).to.include('high surrogate without its pair');
      expect(refusal('{"a":"\\ud800\\u0041"}')).to.include('high surrogate without its pair');
      expect(refusal('{"a":"\\ud800\\n"}')).to.include('high surrogate without its pair');
      expect(refusal('{"a":"\\udfff"}')).to.include('low surrogate without its pair');
      expect(refusal('{"\\udc00":1}')).to.include('low surrogate without its pair');
    });
    it('refuses every control character below U+0020 written raw, and accepts DEL and U+2028', () => {
      for (let c = 0; c < 0x20; c++) {
        const raw = Buffer.from(`{"a":"x${String.fromCharCode(c)}"}`, 'latin1');
        expect(refusal(raw)).to.include(`control character 0x${c.toString(16).padStart(2, '0')}`);
      }
      expect(accepted('{"a":"\u007f\u2028\u2029"}').value.a).to.equal('\u007f\u2028\u2029');
    });
    it('refuses bytes that are not UTF-8 and accepts all of Unicode written in UTF-8', () => {
      for (const bytes of [
        [0x80],
        [0xc0, 0x80],
        [0xc1, 0xbf],
        [0xe0, 0x80, 0x80],
        [0xed, 0xbf, 0xbf],
        [0xf5, 0x80, 0x80, 0x80],
        [0xf0, 0x80, 0x80, 0x80],
      ]) {
        const raw = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')]);
        expect(refusal(raw)).to.include('invalid UTF-8');
      }
      expect(accepted('{"a":"\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}"}').value.a).to.equal(
        '\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}',
      );
    });
  });

  describe('member names and prototype pollution', () => {
    it('refuses __proto__ at any depth and in any spelling, and leaves Object.prototype alone', () => {
      for (const text of [
        '{"__proto__":{"polluted":1}}',
        '{"a":{"__proto__":{"polluted":1}}}',
        '{"a":[[{"__proto__":null}]]}',
        '{"\\u005f_proto__":{"polluted":1}}',
        '{"__pr\\u006fto__":{"polluted":1}}',
      ]) {
        expect(refusal(text), text).to.include('"__proto__" is not accepted');
      }
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
    it('keeps constructor and prototype as own data properties, emitted by JSON.stringify', () => {
      const r = accepted('{"constructor":{"prototype":{"polluted":true}},"x":[{"prototype":1,"constructor":"c"}]}');
      expect(Object.getPrototypeOf(r.value)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(r.value, 'constructor')).to.deep.include({
        writable: true,
        enumerable: true,
      });
      expect(r.value.constructor).to.deep.equal({ prototype: { polluted: true } });
      expect(r.text).to.equal(
        '{"constructor":{"prototype":{"polluted":true}},"x":[{"prototype":1,"constructor":"c"}]}',
      );
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.prototype.constructor).to.equal(Object);
      // A later spread or JSON round trip keeps them as data, too.
      expect({ ...r.value }.constructor).to.deep.equal({ prototype: { polluted: true } });
    });
    it('passes MongoDB operator names and dotted names through unchanged (the STIX validator refuses them)', () => {
      const text = '{"$where":"sleep(1000)","x_a":{"$gt":"","a.b":{"$ne":null}},"x_b":[{"$set":{"c.d":1}}]}';
      const r = accepted(text);
      expect(r.text).to.equal(text);
      expect(Object.keys(r.value)).to.deep.equal(['$where', 'x_a', 'x_b']);
    });
    it('accepts the same name in different objects and refuses repeats however deep', () => {
      accepted('{"k":1,"a":{"k":1,"b":{"k":1}},"c":[{"k":1},{"k":1}]}');
      const deep = `{"a":${'{"b":'.repeat(40)}{"k":1,"k":1}${'}'.repeat(40)}}`;
      expect(refusal(deep)).to.include('duplicate member name "k"');
      // Integer-like names are ordered differently by JSON.parse; duplicates are still found.
      expect(refusal('{"2":1,"1":2,"2":3}')).to.include('duplicate member name "2"');
      expect(accepted('{"2":1,"1":2}').text).to.equal('{"1":2,"2":1}');
    });
  });

  describe('nesting: iterative, bounded, never a stack overflow', () => {
    it('refuses 5,000 levels with the depth rule, at every maxDepth up to the limit', () => {
      const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      expect(refusal(deep)).to.include('nesting deeper than 64 levels');
      expect(refusal(deep, MAX_DEPTH_LIMIT)).to.include(`nesting deeper than ${MAX_DEPTH_LIMIT} levels`);
      const objects = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
      expect(refusal(objects)).to.include('nesting deeper than 64 levels at $.a.a.a');
    });
    it('refuses a million unclosed brackets quickly', () => {
      const started = Date.now();
      expect(refusal(`{"a":${'['.repeat(1_000_000)}`)).to.include('nesting deeper');
      expect(Date.now() - started).to.be.lessThan(1000);
    });
    it('accepts nesting up to MAX_DEPTH_LIMIT when asked to, and rejects a larger option', () => {
      const d = MAX_DEPTH_LIMIT - 1;
      const r = accepted(`{"a":${'['.repeat(d)}${']'.repeat(d)}}`, MAX_DEPTH_LIMIT);
      expect(r.text.length).to.equal(5 + 2 * d + 1);
      expect(() => parse('{}', MAX_DEPTH_LIMIT + 1)).to.throw(RangeError);
      expect(() => parse('{}', 0)).to.throw(RangeError);
    });
  });

  describe('round trips on generated objects', () => {
    it('accepts what JSON.stringify writes, with the same value and the same canonical text', () => {
      const rnd = seeded(42);
      for (let n = 0; n < 1500; n++) {
        const value = randomObject(rnd, 0);
        const pretty = n % 2 === 0;
        const raw = Buffer.from(pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value));
        const r = accepted(raw);
        expectRoundTrip(raw, r);
        expect(r.text).to.equal(JSON.stringify(value));
      }
    });
    it('never accepts what JSON.parse refuses, and agrees with it on what both accept (mutations)', () => {
      const rnd = seeded(7);
      const alphabet = '{}[]:,"\\ -0123456789.eE+tfnulrsaxu\u00e9\t\n';
      let acceptedCount = 0;
      for (let n = 0; n < 3000; n++) {
        const text = JSON.stringify(randomObject(rnd, 0));
        const at = Math.floor(rnd() * text.length);
        const mutated =
          text.slice(0, at) +
          (alphabet[Math.floor(rnd() * alphabet.length)] ?? '') +
          text.slice(at + (n % 3 === 0 ? 1 : 0));
        // (a mutation may split a surrogate pair; compare with what the UTF-8 bytes say)
        const raw = Buffer.from(mutated);
        const r = parse(raw);
        let lenient: unknown;
        let lenientOk = true;
        try {
          lenient = JSON.parse(raw.toString('utf8'));
        } catch {
          lenientOk = false;
        }
        if (r.ok) {
          acceptedCount++;
          expect(lenientOk, mutated).to.equal(true);
          expect(r.value, mutated).to.deep.equal(lenient);
          expect(r.text, mutated).to.equal(JSON.stringify(r.value));
        } else if (lenientOk && typeof lenient === 'object' && lenient !== null && !Array.isArray(lenient)) {
          // Refused but JSON.parse took it: only for the strict rules, never for the grammar.
          expect(r.reason, mutated).to.match(/duplicate|surrogate|negative zero|beyond|overflow|underflow|__proto__/);
        }
      }
      expect(acceptedCount).to.be.greaterThan(100);
    });
  });
});

describe('parseStrictObject: the input kept as the text when it is canonical already', () => {
  const verbatim = (text: string): boolean => {
    const r = parse(text);
    if (!r.ok) expect.fail(`refused: ${r.reason}`);
    expect(r.text, text).to.equal(JSON.stringify(r.value));
    return r.verbatim;
  };

  it('keeps compact output of JSON.stringify as it is (a STIX object, escapes, all of Unicode)', () => {
    const indicator = {
      type: 'indicator',
      spec_version: '2.1',
      id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
      created: '2024-06-01T00:00:00.000Z',
      modified: '2024-06-01T00:00:00.000Z',
      name: 'C:\\temp\\x.exe "quoted"\n\t\u0001 é ☃ 😀 \u2028 a/b',
      pattern: "[file:name = 'x.exe']",
      pattern_type: 'stix',
      valid_from: '2024-06-01T00:00:00Z',
      confidence: 85,
      x_score: -12,
      labels: [],
      external_references: [{ source_name: 'x', external_id: 'T1059' }],
      object_marking_refs: ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'],
      x_flags: { on: true, off: false, none: null, nested: { deep: [1, [2, {}]] } },
    };
    expect(verbatim(JSON.stringify(indicator))).to.equal(true);
    // every control character JSON.stringify escapes as \u00xx
    expect(verbatim(JSON.stringify({ s: '\u0000\u001f\u000b\u007f' }))).to.equal(true);
  });

  it('leaves out white space between tokens (Python json.dumps, pretty printing), never inside strings', () => {
    const cases = [
      '{ "a": 1}',
      '{"a" :1}',
      '{"a":1}\n',
      ' {"a":1}',
      '{"a":[1, 2]}',
      '\t{\r\n  "a" : [ 1 , { "b c" : " d e " } ] ,\n  "f": "\\n " }  ',
      JSON.stringify({ type: 'indicator', name: 'a b', labels: ['x y'], n: { m: [1, 2, 3] } }, null, 4),
      '{"type": "indicator", "spec_version": "2.1", "labels": ["a", "b"], "confidence": 5}',
    ];
    for (const c of cases) expect(verbatim(c), c).to.equal(true);
    // more runs of white space than the scan notes: serialised instead, to the same text
    const many = `{"a":[${Array.from({ length: 9000 }, () => '1').join(', ')}]}`;
    expect(verbatim(many)).to.equal(false);
    const fewer = `{"a":[${Array.from({ length: 8000 }, () => '1').join(', ')}]}`;
    expect(verbatim(fewer)).to.equal(true);
  });

  it('serialises anything else, with the same text JSON.stringify writes', () => {
    const cases = [
      '{"a":"x\\/y"}', // \/ is written as /
      '{"a":"\\u0041"}', // a letter written as an escape
      '{"a":"\\u001F"}', // upper-case hexadecimal
      '{"a":"\\u000a"}', // a control character with a short escape
      '{"a":"\\ud83d\\ude00"}', // an escaped surrogate pair
      '{"a":1.5}',
      '{"a":1.50}',
      '{"a":1e2}',
      '{"a":10.0}',
      '{"a":1234567890123456}', // 16 characters: not proved canonical (it is, but not checked)
      '{"b":1,"1":2}', // array-index names come first in JavaScript
      '{"10":true}',
    ];
    for (const c of cases) expect(verbatim(c), c).to.equal(false);
  });

  it('agrees with JSON.stringify on generated values, compact or re-spaced', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (value, spaced) => {
        if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return;
        const text = spaced ? JSON.stringify(value, null, 1) : JSON.stringify(value);
        const r = parse(text);
        if (!r.ok) return; // refused for a strict rule (lone surrogates, -0, …): tested above
        expect(r.text).to.equal(JSON.stringify(r.value));
        if (!spaced) expect(r.verbatim && text === r.text).to.equal(r.verbatim);
      }),
      { numRuns: 2000, seed: 20241202 },
    );
  });
});

// ---- generated values ----------------------------------------------------------------------------

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '☃', '😀', '\u2028', '\u007f', '$', '.'];

function randomString(rnd: () => number): string {
  let s = '';
  const len = Math.floor(rnd() * 12);
  for (let i = 0; i < len; i++) s += PIECES[Math.floor(rnd() * PIECES.length)];
  return s;
}

function randomValue(rnd: () => number, depth: number): unknown {
  const pick = Math.floor(rnd() * (depth > 5 ? 6 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return Math.floor((rnd() - 0.5) * 2 ** 40);
    case 3:
      // fractions and exponents, within the range that serialises without integer digits lost
      return rnd() < 0.1
        ? (rnd() + 0.1) * 10 ** (21 + Math.floor(rnd() * 280))
        : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 35 - 20) || 1;
    case 4:
    case 5:
      return randomString(rnd);
    case 6:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    default:
      return randomObject(rnd, depth + 1);
  }
}

function randomObject(rnd: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const k = randomString(rnd);
    if (k === '__proto__') continue;
    o[k] = randomValue(rnd, depth);
  }
  return o;
}
