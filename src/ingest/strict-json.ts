// Strict, lossless parsing of one JSON object (one STIX object of an envelope), for hostile input.
//
// RFC 8259 leaves several things to the implementation, and JavaScript's JSON.parse picks the
// lenient answer each time: duplicate member names keep the last (§4), numbers beyond the double
// range or precision are rounded (§6: 1e309 becomes Infinity and is then served as null, large
// integers lose digits), lone surrogates are accepted in escapes (§8.2), bytes that are not UTF-8
// are replaced (§8.1). Stored objects are served back byte for byte, so any of these would make the
// server keep or serve something other than what the client sent. This module refuses them instead.
//
// Design (measured faster than a parser that builds values in JavaScript): one iterative byte scan
// checks the grammar and the strict rules with an explicit, bounded stack (no recursion, so deep
// nesting cannot overflow the call stack), then the native JSON.parse builds the value from text
// that is by then known to be clean, and a walk of the result counts members to prove that no name
// was repeated (a repeated name always leaves fewer own properties than members were written).
//
// Member names `__proto__`, `constructor` and `prototype`: JSON.parse defines every member as an
// own data property (ECMA-262 JSON.parse uses CreateDataProperty), so none of them can change a
// prototype here, and JSON.stringify emits them. `constructor` and `prototype` are kept as ordinary
// data: they are valid STIX custom property names (STIX 2.1 §11.1: [a-z0-9_], 3 to 250 characters)
// and harmless in a plain object. `__proto__` is refused at any depth: it is the one name with a
// special meaning in JavaScript (the Annex B accessor used by Object.assign, spreads into literals
// and naive merges), no legitimate STIX content needs it, and a clear refusal is safer than hoping
// every later consumer copies objects with CreateDataProperty semantics.
//
// Names such as `$where` or `a.b` are ordinary JSON and pass through here unchanged; STIX property
// naming rules belong to the STIX validator.
import { isUtf8 } from 'node:buffer';

export interface StrictJsonOptions {
  /** Containers nested deeper than this (the object itself is depth 1) are refused. */
  maxDepth: number;
}

export type StrictParseResult =
  | {
      ok: true;
      value: Record<string, unknown>;
      /** JSON.stringify(value): the canonical text to store and serve. */
      text: string;
      /**
       * true when the input was that canonical text already, but for white space between its
       * tokens (the scan proved it): `text` is the input without that white space, and
       * JSON.stringify was not run
       */
      verbatim: boolean;
    }
  | { ok: false; reason: string };

export const DEFAULT_MAX_DEPTH = 64;
/**
 * The largest maxDepth accepted. The scan and the member count use no recursion at any depth, but
 * V8's JSON.stringify does, and overflows the call stack somewhere past a few thousand levels.
 */
export const MAX_DEPTH_LIMIT = 1000;

/** Parses `raw` (one JSON object, UTF-8) strictly; never throws for bad input, never recurses. */
export function parseStrictObject(
  raw: Buffer,
  opts: StrictJsonOptions = { maxDepth: DEFAULT_MAX_DEPTH },
): StrictParseResult {
  const maxDepth = opts.maxDepth;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${MAX_DEPTH_LIMIT}, not ${maxDepth}`);
  }
  const scanner = new Scanner(raw, maxDepth, false);
  const problem = scanner.run(raw.length);
  if (problem !== undefined) return { ok: false, reason: problem };
  // RFC 8259 §8.1: JSON text exchanged between systems MUST be UTF-8. Checked natively over the
  // whole object (it also refuses overlong forms and encoded surrogates, which are not UTF-8).
  if (!isUtf8(raw)) {
    const at = firstInvalidUtf8(raw);
    return {
      ok: false,
      reason: `invalid UTF-8 byte 0x${hex2(raw[at] ?? 0)} at ${pathAt(raw, maxDepth, at)} (byte ${at})`,
    };
  }
  let value: Record<string, unknown>;
  // Most senders write the canonical text already, either compact (JSON.stringify, most JSON
  // libraries) or with white space between tokens only (Python's json.dumps: ", " and ": "); the
  // scan has proved whether this one did, and then the input without that white space is the
  // text, parsed as it is (JSON.stringify was a third of the cost of a parse).
  const input = (scanner.canonical ? scanner.compacted() : raw).toString('utf8');
  try {
    value = JSON.parse(input) as Record<string, unknown>;
  } catch (err) {
    // The scan accepts only RFC 8259 grammar, so this is not expected; refuse rather than guess.
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  if (countMembers(value) !== scanner.members) {
    const finder = new Scanner(raw, maxDepth, true);
    return { ok: false, reason: finder.run(raw.length) ?? 'a member name is repeated in an object' };
  }
  if (scanner.canonical) return { ok: true, value, text: input, verbatim: true };
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    // Not expected within MAX_DEPTH_LIMIT; a refusal is still better than an exception.
    return { ok: false, reason: 'the object cannot be serialised: it is nested too deeply' };
  }
  return { ok: true, value, text, verbatim: false };
}

// ---- the scanner -----------------------------------------------------------------------------------

// container kinds and what the scanner expects next (const enums: inlined into the loops)
const enum K {
  OBJ = 1,
  ARR = 2,
}
const enum S {
  VALUE = 0, // a value
  FIRST_VALUE = 1, // a value or `]` (just after `[`)
  FIRST_KEY = 2, // a member name or `}` (just after `{`)
  KEY = 3, // a member name (after `,` in an object)
  AFTER = 4, // `,` or the closer of the current container, or the end at depth 0
}

const PROTO = Buffer.from('__proto__', 'latin1');
/**
 * Runs of white space a scan notes to leave out of the canonical text: enough for an object
 * pretty-printed over some thousands of lines; an input with more is serialised instead.
 */
const MAX_GAPS = 8192;

class ScanFailure {
  constructor(
    readonly message: string,
    readonly at: number,
  ) {}
}

/** The per-depth arrays of a scan: what container is open at each depth and where it is. */
interface Stacks {
  kinds: Uint8Array;
  keyStart: Int32Array;
  keyEnd: Int32Array;
  index: Int32Array;
  /** Scanner.gaps */
  gaps: Int32Array;
}

let stacks: Stacks | undefined;

/**
 * Stacks for `size` depths, shared by every scan of this thread: four typed arrays per object
 * parsed were about a third of what parsing allocated (an envelope of 100 MB parses some 170 000
 * objects). Sharing is safe because a scan runs to its end synchronously and nothing reads a
 * scanner's stacks after the next one starts (every slot below the depth reached is written by
 * open() before it is read).
 */
function sharedStacks(size: number): Stacks {
  if (stacks === undefined || stacks.kinds.length < size) {
    stacks = {
      kinds: new Uint8Array(size),
      keyStart: new Int32Array(size),
      keyEnd: new Int32Array(size),
      index: new Int32Array(size),
      gaps: stacks?.gaps ?? new Int32Array(2 * MAX_GAPS),
    };
  }
  return stacks;
}

class Scanner {
  /** members written in all objects, to compare with the parsed result */
  members = 0;
  /**
   * Whether the text is exactly what JSON.stringify writes for the value it parses to (ECMA-262
   * JSON.stringify: no white space, its own escapes, numbers as Number::toString writes them,
   * members in the order of the object's own keys). Cleared by anything the scan cannot prove
   * canonical: more than MAX_GAPS runs of white space between tokens (fewer are left out by
   * compacted()); the escape \/ and \u escapes other than a control character's (lower-case
   * hexadecimal, as JSON.stringify writes it); numbers other than integers of at most 15
   * characters; member names made only of digits (JavaScript lists array-index names first, so
   * the order of members may change).
   */
  canonical = true;
  /** white space runs between tokens, as (from, to) pairs, while canonical holds */
  private readonly gaps: Int32Array;
  private gapCount = 0;
  private gapBytes = 0;
  depth = 0;
  private readonly kinds: Uint8Array;
  private readonly keyStart: Int32Array;
  private readonly keyEnd: Int32Array;
  private readonly index: Int32Array;
  private readonly names: (Set<string> | undefined)[] | undefined;
  private escaped = false;
  private n = 0;

  constructor(
    private readonly b: Buffer,
    private readonly maxDepth: number,
    findDuplicates: boolean,
  ) {
    const st = sharedStacks(maxDepth + 2);
    this.kinds = st.kinds;
    this.keyStart = st.keyStart;
    this.keyEnd = st.keyEnd;
    this.index = st.index;
    this.gaps = st.gaps;
    this.names = findDuplicates ? [] : undefined;
  }

  /** Scans b[0, stop): undefined when it is one strict JSON object, else the reason with its path. */
  run(stop: number): string | undefined {
    try {
      this.scan(stop);
      return undefined;
    } catch (err) {
      if (!(err instanceof ScanFailure)) throw err;
      return `${err.message} at ${this.path()} (byte ${err.at})`;
    }
  }

  /** The JSON path of the position the scan reached, e.g. `$.external_references[2].url`. */
  path(): string {
    let p = '$';
    for (let d = 1; d <= this.depth; d++) p += this.step(d);
    return p;
  }

  private step(d: number): string {
    if (this.kinds[d] === K.ARR) return `[${this.index[d]}]`;
    const start = this.keyStart[d] ?? -1;
    if (start < 0) return '';
    const name = decodeName(this.b, start, this.keyEnd[d] ?? start);
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
  }

  private fail(message: string, at: number): never {
    throw new ScanFailure(message, at);
  }

  private scan(stop: number): void {
    const b = this.b;
    const n = (this.n = stop);
    let i = 0;
    let state = S.VALUE;
    while (i < n && isWs(b[i] as number)) i++;
    if (i > 0) this.gap(0, i);
    if (i >= n) this.fail('empty input: expected a JSON object', i);
    if (b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) {
      // RFC 8259 §8.1: implementations MUST NOT add a byte order mark; refusing it keeps the
      // stored bytes equal to what JSON.parse would have seen.
      this.fail('a UTF-8 byte order mark is not allowed before the JSON text', i);
    }
    if (b[i] !== 0x7b) this.fail(`expected a JSON object, found ${describe(b, i)}`, i);
    for (;;) {
      let c = b[i] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        const from = i;
        while (i < n && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = b[++i] as number;
        this.gap(from, i);
      }
      if (i >= n) break;
      switch (state) {
        case S.VALUE:
        case S.FIRST_VALUE:
          if (c === 0x7b) {
            this.open(K.OBJ, i);
            state = S.FIRST_KEY;
            i++;
          } else if (c === 0x5b) {
            this.open(K.ARR, i);
            state = S.FIRST_VALUE;
            i++;
          } else if (c === 0x22) {
            i = this.string(i);
            state = S.AFTER;
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            i = this.number(i);
            state = S.AFTER;
          } else if (c === 0x5d && state === S.FIRST_VALUE) {
            this.depth--;
            i++;
            state = S.AFTER;
          } else {
            i = this.literal(i);
            state = S.AFTER;
          }
          break;
        case S.FIRST_KEY:
        case S.KEY:
          if (c === 0x22) {
            i = this.key(i);
            const from = i;
            while (i < n && isWs(b[i] as number)) i++;
            if (i > from) this.gap(from, i);
            if (i >= n) this.fail('unexpected end of input: expected ":"', i);
            if (b[i] !== 0x3a) this.fail(`expected ":" after a member name, found ${describe(b, i)}`, i);
            i++;
            state = S.VALUE;
          } else if (c === 0x7d && state === S.FIRST_KEY) {
            this.depth--;
            i++;
            state = S.AFTER;
          } else {
            this.fail(
              state === S.KEY
                ? `expected a member name after ",", found ${describe(b, i)}`
                : `expected a member name or "}", found ${describe(b, i)}`,
              i,
            );
          }
          break;
        case S.AFTER: {
          const depth = this.depth;
          if (depth === 0) this.fail(`unexpected ${describe(b, i)} after the end of the object`, i);
          const kind = this.kinds[depth];
          if (c === 0x2c) {
            if (kind === K.OBJ) state = S.KEY;
            else {
              this.index[depth] = (this.index[depth] as number) + 1;
              state = S.VALUE;
            }
            i++;
          } else if (c === 0x7d && kind === K.OBJ) {
            this.depth--;
            i++;
          } else if (c === 0x5d && kind === K.ARR) {
            this.depth--;
            i++;
          } else {
            this.fail(`expected "," or "${kind === K.OBJ ? '}' : ']'}", found ${describe(b, i)}`, i);
          }
        }
      }
    }
    if (this.depth !== 0 || state !== S.AFTER) this.fail('unexpected end of input: the object is not complete', n);
  }

  /** White space between tokens at [from, to): left out of the canonical text (see compacted). */
  private gap(from: number, to: number): void {
    if (!this.canonical) return;
    const g = this.gapCount;
    if (g >= MAX_GAPS) {
      this.canonical = false;
      return;
    }
    this.gaps[2 * g] = from;
    this.gaps[2 * g + 1] = to;
    this.gapCount = g + 1;
    this.gapBytes += to - from;
  }

  /**
   * The input without its white space between tokens: the canonical text when `canonical` holds.
   * The input itself when it has none.
   */
  compacted(): Buffer {
    const b = this.b;
    const g = this.gapCount;
    if (g === 0) return b;
    const out = Buffer.allocUnsafe(this.n - this.gapBytes);
    let at = 0;
    let from = 0;
    for (let k = 0; k < g; k++) {
      const start = this.gaps[2 * k] as number;
      at += b.copy(out, at, from, start);
      from = this.gaps[2 * k + 1] as number;
    }
    b.copy(out, at, from, this.n);
    return out;
  }

  private open(kind: number, at: number): void {
    const d = ++this.depth;
    if (d > this.maxDepth) {
      this.depth--;
      this.fail(`nesting deeper than ${this.maxDepth} levels`, at);
    }
    this.kinds[d] = kind;
    this.keyStart[d] = -1;
    this.index[d] = 0;
    if (this.names) this.names[d] = undefined;
  }

  private key(i: number): number {
    const d = this.depth;
    this.keyStart[d] = i;
    const end = this.string(i);
    this.keyEnd[d] = end;
    this.members++;
    const b = this.b;
    if (this.canonical && !this.escaped && end - i > 2) {
      let digits = true;
      for (let k = i + 1; k < end - 1 && digits; k++) digits = isDigit(b[k] as number);
      if (digits) this.canonical = false;
    }
    const isProto = this.escaped
      ? decodeName(b, i, end) === '__proto__'
      : end - i === 11 && b.compare(PROTO, 0, 9, i + 1, end - 1) === 0;
    if (isProto) this.fail('the member name "__proto__" is not accepted', i);
    if (this.names) {
      const name = decodeName(b, i, end);
      let seen = this.names[d];
      if (seen === undefined) this.names[d] = seen = new Set();
      if (seen.has(name)) this.fail(`duplicate member name ${JSON.stringify(name)}`, i);
      seen.add(name);
    }
    return end;
  }

  /** b[i] is `"`; returns the index after the closing quote. RFC 8259 §7. */
  private string(i: number): number {
    const b = this.b;
    const n = this.n;
    let j = i + 1;
    this.escaped = false;
    for (;;) {
      let c = 0;
      while (j < n) {
        c = b[j] as number;
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        j++;
      }
      if (j >= n) this.fail('unexpected end of input inside a string', j);
      if (c === 0x22) return j + 1;
      if (c < 0x20) this.fail(`unescaped control character 0x${hex2(c)} in a string`, j);
      this.escaped = true;
      const e = b[j + 1];
      if (e === undefined || j + 1 >= n) this.fail('unexpected end of input inside a string', j + 1);
      if (e === 0x75) {
        const unit = this.hex4(j + 2);
        // JSON.stringify escapes with \u only the control characters that have no short escape,
        // in lower case; it writes every other character as itself
        if (
          unit >= 0x20 ||
          unit === 0x08 ||
          unit === 0x09 ||
          unit === 0x0a ||
          unit === 0x0c ||
          unit === 0x0d ||
          isUpperHex(b[j + 5] as number)
        )
          this.canonical = false;
        j += 6;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // §8.2: a high surrogate must be followed by an escaped low one, or the string is not
          // Unicode and could not be stored or served faithfully.
          const low = b[j] === 0x5c && b[j + 1] === 0x75 && j + 1 < n ? this.hex4(j + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) {
            this.fail(
              `lone surrogate \\u${unit.toString(16).padStart(4, '0')} (a high surrogate without its pair)`,
              j - 6,
            );
          }
          j += 6;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.fail(
            `lone surrogate \\u${unit.toString(16).padStart(4, '0')} (a low surrogate without its pair)`,
            j - 6,
          );
        }
      } else if (e === 0x2f) {
        this.canonical = false; // written as / by JSON.stringify
        j += 2;
      } else if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        j += 2;
      } else {
        this.fail(`invalid escape ${describe(b, j + 1)} in a string`, j);
      }
    }
  }

  private hex4(at: number): number {
    const b = this.b;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      if (at + k >= this.n) this.fail('unexpected end of input inside a \\u escape', at + k);
      const c = b[at + k] as number;
      const d =
        c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail(`invalid \\u escape: ${describe(b, at + k)} is not a hexadecimal digit`, at + k);
      v = (v << 4) | d;
    }
    return v;
  }

  /** RFC 8259 §6 number grammar, then the range rules; returns the index after the literal. */
  private number(i: number): number {
    const b = this.b;
    const n = this.n;
    let j = i;
    const negative = b[j] === 0x2d;
    if (negative) j++;
    if (j >= n) this.fail('unexpected end of input inside a number', j);
    let nonZero = false;
    let c = b[j] as number;
    if (c === 0x30) {
      j++;
      if (j < n && isDigit(b[j] as number)) this.fail('a number must not have a leading zero', i);
    } else if (c >= 0x31 && c <= 0x39) {
      nonZero = true;
      while (j < n && isDigit(b[j] as number)) j++;
    } else {
      this.fail(`expected a digit in a number, found ${describe(b, j)}`, j);
    }
    let integer = true;
    if (j < n && b[j] === 0x2e) {
      integer = false;
      j++;
      if (j >= n || !isDigit(b[j] as number)) this.fail('a number needs a digit after "."', j);
      while (j < n && isDigit((c = b[j] as number))) {
        if (c !== 0x30) nonZero = true;
        j++;
      }
    }
    let exponent = false;
    if (j < n && (b[j] === 0x65 || b[j] === 0x45)) {
      integer = false;
      exponent = true;
      j++;
      if (j < n && (b[j] === 0x2b || b[j] === 0x2d)) j++;
      if (j >= n || !isDigit(b[j] as number)) this.fail('a number needs a digit in its exponent', j);
      while (j < n && isDigit(b[j] as number)) j++;
    }
    if (j >= n) this.fail('unexpected end of input after a number', j);
    const text = () => b.toString('latin1', i, j);
    if (negative && !nonZero) {
      // -0 parses to negative zero, which JSON.stringify writes as 0: it would not be served back.
      this.fail(`negative zero ${text()} is not accepted: it does not survive serialisation`, i);
    }
    // at most 15 characters: an integer that Number::toString writes back the same (no exponent,
    // no lost digits; -0 is refused above)
    if (!integer || j - i > 15) this.canonical = false;
    if (integer) {
      // §6: integers beyond ±(2^53−1) cannot be held exactly by an IEEE 754 double.
      if (j - i > 15 && !Number.isSafeInteger(Number(text()))) {
        this.fail(`integer ${shorten(text())} is beyond ±(2^53−1) and would lose digits`, i);
      }
    } else if (exponent || j - i > 15) {
      const v = Number(text());
      if (!Number.isFinite(v)) this.fail(`number ${shorten(text())} overflows an IEEE 754 double`, i);
      if (v === 0 && nonZero) this.fail(`number ${shorten(text())} underflows to zero`, i);
      // JSON.stringify writes magnitudes below 1e21 without an exponent: 1e20 would be stored and
      // served as an integer literal beyond ±(2^53−1), which this parser (and STIX 2.1 §2.8)
      // refuses. Refusing it here keeps every stored text acceptable when it is sent again.
      if (Math.abs(v) > Number.MAX_SAFE_INTEGER && Math.abs(v) < 1e21) {
        this.fail(`number ${shorten(text())} is an integer beyond ±(2^53−1) once serialised`, i);
      }
    }
    return j;
  }

  private literal(i: number): number {
    const b = this.b;
    const c = b[i];
    const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (word !== undefined) {
      for (let k = 0; k < word.length; k++) {
        if (i + k >= this.n) this.fail('unexpected end of input inside a literal', i + k);
        if (b[i + k] !== word.charCodeAt(k)) this.fail(`invalid literal, expected ${word}`, i);
      }
      return i + word.length;
    }
    if (c === 0x4e || c === 0x49) {
      // RFC 8259 §6: NaN and Infinity are not permitted.
      this.fail(`${describe(b, i)} starts NaN or Infinity, which are not JSON values`, i);
    }
    return this.fail(`expected a value, found ${describe(b, i)}`, i);
  }
}

/** The JSON path of byte `offset` of `raw`, for reasons found after the scan (UTF-8). */
function pathAt(raw: Buffer, maxDepth: number, offset: number): string {
  const s = new Scanner(raw, maxDepth, false);
  s.run(offset);
  return s.path();
}

function decodeName(b: Buffer, start: number, end: number): string {
  try {
    return JSON.parse(b.toString('utf8', start, end)) as string;
  } catch {
    return b.toString('utf8', start + 1, end - 1);
  }
}

/** Own properties of every object reachable from `root`, counted without recursion. */
function countMembers(root: unknown): number {
  let count = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const v = pending.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) pending.push(item);
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      count += keys.length;
      for (const k of keys) {
        const item = (v as Record<string, unknown>)[k];
        if (typeof item === 'object' && item !== null) pending.push(item);
      }
    }
  }
  return count;
}

/** Index of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629 §4). */
function firstInvalidUtf8(b: Buffer): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = c === 0xe0 ? 0xa0 : 0x80; // no overlong forms
      if (c === 0xed) max = 0x9f; // no encoded surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = c === 0xf0 ? 0x90 : 0x80;
      if (c === 0xf4) max = 0x8f; // nothing above U+10FFFF
    } else {
      return i;
    }
    const second = b[i + 1];
    if (second === undefined || second < min || second > max) return i;
    for (let k = 2; k <= need; k++) {
      const t = b[i + k];
      if (t === undefined || t < 0x80 || t > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isUpperHex(c: number): boolean {
  return c >= 0x41 && c <= 0x46;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** A byte as a reader can see it in a message. */
function describe(b: Uint8Array, i: number): string {
  const c = b[i];
  if (c === undefined) return 'the end of input';
  if (c >= 0x21 && c <= 0x7e) return `"${String.fromCharCode(c)}"`;
  return `byte 0x${hex2(c)}`;
}
