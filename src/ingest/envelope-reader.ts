// Streaming reader of a TAXII 2.1 envelope (§3.7: {"more":..., "next":..., "objects":[...]}) or a
// STIX 2.1 bundle ({"type":"bundle","id":...,"objects":[...]}, read the same way: only `objects`
// matters to ingestion). It hands out each element of the top-level `objects` array as the raw
// bytes of that element, without ever building the whole document, so an envelope of any size is
// read within about maxObjectBytes plus one input chunk of memory.
//
// The tokenizer is a byte-level state machine with an explicit, bounded stack: no recursion, so no
// nesting can overflow the call stack, and every state survives a chunk boundary. It checks the
// whole body against the RFC 8259 grammar (a body that is not JSON is refused as such, 400) but
// keeps no values: only the top-level member names, to find `objects`. The strict rules for each
// object (duplicate names, number ranges, surrogates, UTF-8) are applied to each element by
// strict-json.ts, so that one bad object is a per-object failure rather than a refused envelope.
//
// Everything yielded before an error is thrown belongs to an envelope that turned out invalid: a
// caller must not commit objects until the reader has finished without an error.
import { InvalidRequestError, PayloadTooLargeError, UnprocessableError } from '../errors.js';

export interface EnvelopeLimits {
  /** More elements than this in `objects` refuse the envelope (413). */
  maxObjects: number;
  /** A larger element is reported as `tooLarge` (its bytes are skipped, not kept) and reading goes on. */
  maxObjectBytes: number;
  /** Deeper nesting anywhere in the body refuses the envelope (422); the top-level object is depth 1. */
  maxDepth?: number;
}

export const DEFAULT_ENVELOPE_DEPTH = 512;

export type EnvelopeItem = { index: number; raw: Buffer } | { index: number; tooLarge: true; bytes: number };

/** The body is not JSON (RFC 8259 grammar), is truncated, or has bytes after the value: 400. */
export class EnvelopeSyntaxError extends InvalidRequestError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`The request body is not valid JSON: ${message} at byte ${offset}.`, { details: { offset } });
  }
}

/** The body is JSON but not an envelope with a non-empty `objects` list of JSON objects: 422. */
export class EnvelopeShapeError extends UnprocessableError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`The request body is not a valid TAXII envelope: ${message} (at byte ${offset}).`, { details: { offset } });
  }
}

/** `objects` has more elements than this API root accepts in one request: 413. */
export class TooManyObjectsError extends PayloadTooLargeError {
  /** the rest of the body was not read: the connection must be closed after the answer */
  readonly closeConnection = true;
  constructor(
    readonly maxObjects: number,
    readonly offset: number,
  ) {
    super(`The envelope has more than ${maxObjects} objects, the most one request may add.`, {
      details: { max_objects: maxObjects, offset },
    });
  }
}

// tokenizer states (a const enum: the values are inlined into the hot loop)
const enum S {
  START = 0, // before the top-level value
  VALUE = 1, // a value
  FIRST_VALUE = 2, // a value or `]`
  FIRST_KEY = 3, // a member name or `}`
  KEY = 4, // a member name
  COLON = 5, // `:`
  AFTER = 6, // `,` or the current closer
  STR = 7, // inside a string
  ESC = 8, // after a backslash in a string
  HEX = 9, // inside \uXXXX
  N_MINUS = 10, // after `-`
  N_ZERO = 11, // after a leading 0
  N_INT = 12, // integer digits
  N_DOT = 13, // after `.`
  N_FRAC = 14, // fraction digits
  N_EXP = 15, // after e/E
  N_SIGN = 16, // after the exponent sign
  N_EXP_DIGITS = 17, // exponent digits
  LIT = 18, // inside true/false/null
  DONE = 19, // after the top-level value
}

const OBJ = 1;
const ARR = 2;

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
/** Top-level member names longer than this are not `objects` and are not kept. */
const MAX_TOP_KEY = 256;

/**
 * The synchronous core: feed it chunks with push(), then call end(). Each push returns the elements
 * of `objects` that were completed by that chunk. Errors are thrown as the typed errors above.
 */
export class EnvelopeTokenizer {
  private readonly maxObjects: number;
  private readonly maxObjectBytes: number;
  private readonly maxDepth: number;
  private readonly stack: Uint8Array;

  private state = S.START;
  private depth = 0;
  private base = 0; // absolute offset of the current chunk
  private current: Buffer = Buffer.alloc(0); // the chunk being read
  private strNext = S.AFTER; // state after the current string
  private hexLeft = 0;
  private lit: Buffer = TRUE;
  private litPos = 0;

  // top-level member names
  private keyCapture = false;
  private keyStart = 0;
  private keyParts: Buffer[] = [];
  private keyLength = 0;
  private topKey: string | undefined;
  private sawObjects = false;
  private inObjects = false;

  // the element being read
  private inElement = false;
  private elemStart = 0; // index in the current chunk
  private elemParts: Buffer[] = [];
  private elemBytes = 0; // bytes of the element in earlier chunks
  private elemTooLarge = false;
  private count = 0;

  constructor(limits: EnvelopeLimits) {
    this.maxObjects = limits.maxObjects;
    this.maxObjectBytes = limits.maxObjectBytes;
    this.maxDepth = Math.max(3, limits.maxDepth ?? DEFAULT_ENVELOPE_DEPTH);
    this.stack = new Uint8Array(this.maxDepth + 1);
  }

  /** Elements of `objects` seen so far. */
  get objectCount(): number {
    return this.count;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base;
  }

  push(chunk: Buffer): EnvelopeItem[] {
    this.current = chunk;
    const out: EnvelopeItem[] = [];
    const n = chunk.length;
    const stack = this.stack;
    let state = this.state;
    let depth = this.depth;
    let i = 0;
    let c = 0;
    while (i < n) {
      c = chunk[i] as number;
      switch (state) {
        case S.STR: {
          // The hot loop: most bytes of STIX objects are string content.
          while (c !== 0x22 && c !== 0x5c && c >= 0x20) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          if (c === 0x22) {
            i++;
            state = this.strNext;
            if (state === S.COLON && depth === 1) this.endTopKey(chunk, i);
          } else if (c === 0x5c) {
            i++;
            state = S.ESC;
          } else {
            this.syntax(`unescaped control character 0x${hex2(c)} in a string`, i);
          }
          break;
        }
        case S.ESC:
          if (c === 0x75) {
            state = S.HEX;
            this.hexLeft = 4;
          } else if (
            c === 0x22 ||
            c === 0x5c ||
            c === 0x2f ||
            c === 0x62 ||
            c === 0x66 ||
            c === 0x6e ||
            c === 0x72 ||
            c === 0x74
          ) {
            state = S.STR;
          } else {
            this.syntax(`invalid escape ${describe(c)} in a string`, i);
          }
          i++;
          break;
        case S.HEX:
          if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) {
            this.syntax(`invalid \\u escape: ${describe(c)} is not a hexadecimal digit`, i);
          }
          if (--this.hexLeft === 0) state = S.STR;
          i++;
          break;
        case S.AFTER:
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          if (c === 0x2c) {
            state = stack[depth] === OBJ ? S.KEY : S.VALUE;
            i++;
          } else if ((c === 0x7d && stack[depth] === OBJ) || (c === 0x5d && stack[depth] === ARR)) {
            depth--;
            i++;
            if (depth <= 2) {
              this.depth = depth;
              state = this.closed(chunk, i, out);
            }
          } else {
            this.syntax(`expected "," or "${stack[depth] === OBJ ? '}' : ']'}", found ${describe(c)}`, i);
          }
          break;
        case S.FIRST_KEY:
        case S.KEY:
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          if (c === 0x22) {
            if (depth === 1) this.startTopKey(i);
            this.strNext = S.COLON;
            state = S.STR;
            i++;
          } else if (c === 0x7d && state === S.FIRST_KEY) {
            depth--;
            i++;
            if (depth <= 2) {
              this.depth = depth;
              state = this.closed(chunk, i, out);
            } else state = S.AFTER;
          } else {
            this.syntax(
              state === S.KEY
                ? `expected a member name after ",", found ${describe(c)}`
                : `expected a member name or "}", found ${describe(c)}`,
              i,
            );
          }
          break;
        case S.COLON:
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          if (c !== 0x3a) this.syntax(`expected ":" after a member name, found ${describe(c)}`, i);
          state = S.VALUE;
          i++;
          break;
        case S.VALUE:
        case S.FIRST_VALUE:
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          if (depth <= 2) {
            if (c === 0x5d && state === S.FIRST_VALUE) {
              depth--;
              i++;
              this.depth = depth;
              state = this.closed(chunk, i, out);
              break;
            }
            this.depth = depth;
            this.valueStart(c, i);
          }
          if (c === 0x7b || c === 0x5b) {
            if (depth === this.maxDepth) this.shape(`nesting deeper than ${this.maxDepth} levels`, i);
            stack[++depth] = c === 0x7b ? OBJ : ARR;
            state = c === 0x7b ? S.FIRST_KEY : S.FIRST_VALUE;
            if (depth === 2 && this.topKey === 'objects' && !this.sawObjects) {
              this.sawObjects = true;
              this.inObjects = true;
            }
          } else if (c === 0x22) {
            this.strNext = S.AFTER;
            state = S.STR;
          } else if (c === 0x2d) state = S.N_MINUS;
          else if (c === 0x30) state = S.N_ZERO;
          else if (c >= 0x31 && c <= 0x39) state = S.N_INT;
          else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            this.lit = c === 0x74 ? TRUE : c === 0x66 ? FALSE : NULL;
            this.litPos = 1;
            state = S.LIT;
          } else if (c === 0x5d && state === S.FIRST_VALUE) {
            depth--;
            state = S.AFTER;
          } else if (c === 0x4e || c === 0x49) {
            this.syntax(`${describe(c)} starts NaN or Infinity, which are not JSON values`, i);
          } else {
            this.syntax(`expected a value, found ${describe(c)}`, i);
          }
          i++;
          break;
        case S.N_MINUS:
          if (c === 0x30) state = S.N_ZERO;
          else if (c >= 0x31 && c <= 0x39) state = S.N_INT;
          else this.syntax(`expected a digit after "-", found ${describe(c)}`, i);
          i++;
          break;
        case S.N_ZERO:
          if (c === 0x2e) {
            state = S.N_DOT;
            i++;
          } else if (c === 0x65 || c === 0x45) {
            state = S.N_EXP;
            i++;
          } else if (c >= 0x30 && c <= 0x39) {
            this.syntax('a number must not have a leading zero', i);
          } else state = S.AFTER;
          break;
        case S.N_INT:
          if (c >= 0x30 && c <= 0x39) i++;
          else if (c === 0x2e) {
            state = S.N_DOT;
            i++;
          } else if (c === 0x65 || c === 0x45) {
            state = S.N_EXP;
            i++;
          } else state = S.AFTER;
          break;
        case S.N_DOT:
          if (!(c >= 0x30 && c <= 0x39)) this.syntax(`expected a digit after ".", found ${describe(c)}`, i);
          state = S.N_FRAC;
          i++;
          break;
        case S.N_FRAC:
          if (c >= 0x30 && c <= 0x39) i++;
          else if (c === 0x65 || c === 0x45) {
            state = S.N_EXP;
            i++;
          } else state = S.AFTER;
          break;
        case S.N_EXP:
          if (c === 0x2b || c === 0x2d) state = S.N_SIGN;
          else if (c >= 0x30 && c <= 0x39) state = S.N_EXP_DIGITS;
          else this.syntax(`expected a digit in an exponent, found ${describe(c)}`, i);
          i++;
          break;
        case S.N_SIGN:
          if (!(c >= 0x30 && c <= 0x39)) this.syntax(`expected a digit in an exponent, found ${describe(c)}`, i);
          state = S.N_EXP_DIGITS;
          i++;
          break;
        case S.N_EXP_DIGITS:
          if (c >= 0x30 && c <= 0x39) i++;
          else state = S.AFTER;
          break;
        case S.LIT: {
          const lit = this.lit;
          if (c !== lit[this.litPos]) this.syntax(`invalid literal, expected ${lit.toString('latin1')}`, i);
          if (++this.litPos === lit.length) state = S.AFTER;
          i++;
          break;
        }
        case S.START:
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
            if (++i === n) break;
            c = chunk[i] as number;
          }
          if (i === n) break;
          this.depth = depth;
          this.valueStart(c, i);
          stack[++depth] = OBJ;
          state = S.FIRST_KEY;
          i++;
          break;
        case S.DONE:
          // Only whitespace may follow the top-level value (RFC 8259 §2).
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
          else this.syntax(`unexpected ${describe(c)} after the end of the envelope`, i);
      }
    }
    this.state = state;
    this.depth = depth;
    this.carry(chunk);
    this.base += n;
    return out;
  }

  /** Throws unless the input ended right after a complete envelope. */
  end(): void {
    if (this.state === S.START) this.syntax('the body is empty', 0);
    if (this.state !== S.DONE) this.syntax('unexpected end of input: the envelope is not complete', 0);
  }

  // ---- the envelope structure (slow paths: a few times per element at most) --------------------

  /** A value begins at depth <= 2 (this.depth is current). */
  /** Whether the bytes at i of the current chunk begin true, false or null (or are not that, as far as they go). */
  private literalPrefixAt(i: number): boolean {
    const chunk = this.current;
    const at = i;
    const c = chunk[at];
    const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (word === undefined) return true; // not a literal: an array, a string or a number
    for (let k = 1; k < word.length && at + k < chunk.length; k++)
      if (chunk[at + k] !== word.charCodeAt(k)) return false;
    return true;
  }

  private valueStart(c: number, i: number): void {
    const depth = this.depth;
    if (depth === 0) {
      if (c === 0xef) this.syntax('a UTF-8 byte order mark is not allowed before the JSON text', i);
      if (c !== 0x7b) {
        // A literal (true, false, null) is told from garbage such as `not json` by its letters.
        if (isValueStart(c) && this.literalPrefixAt(i))
          this.shape('the top level must be a JSON object with an "objects" member', i);
        this.syntax(`expected a JSON object, found ${describe(c)}`, i);
      }
      return;
    }
    if (!isValueStart(c)) return; // not a value at all: the grammar check reports it
    if (depth === 1 && this.topKey === 'objects') {
      if (this.sawObjects) this.shape('the member "objects" appears more than once', i);
      if (c !== 0x5b) this.shape('"objects" must be an array of STIX objects', i);
      return;
    }
    if (depth === 2 && this.inObjects) {
      if (c !== 0x7b) {
        this.shape(
          `objects[${this.count}] is not a JSON object (found ${describe(c)}); each element must be a STIX object`,
          i,
        );
      }
      if (this.count >= this.maxObjects) throw new TooManyObjectsError(this.maxObjects, this.base + i);
      this.inElement = true;
      this.elemStart = i;
      this.elemParts = [];
      this.elemBytes = 0;
      this.elemTooLarge = false;
    }
  }

  /** A container closed and this.depth (<= 2) is the new depth; `end` is the index after the closer. */
  private closed(chunk: Buffer, end: number, out: EnvelopeItem[]): S {
    const depth = this.depth;
    if (depth === 2 && this.inElement) {
      const bytes = this.elemBytes + end - this.elemStart;
      const index = this.count++;
      if (this.elemTooLarge || bytes > this.maxObjectBytes) out.push({ index, tooLarge: true, bytes });
      else if (this.elemParts.length === 0) out.push({ index, raw: chunk.subarray(this.elemStart, end) });
      else {
        this.elemParts.push(chunk.subarray(this.elemStart, end));
        out.push({ index, raw: Buffer.concat(this.elemParts, bytes) });
      }
      this.inElement = false;
      this.elemParts = [];
    } else if (depth === 1 && this.inObjects) {
      this.inObjects = false;
      if (this.count === 0)
        this.shape('"objects" is empty; it must hold at least one STIX object', this.base + end - 1, true);
    } else if (depth === 0) {
      if (!this.sawObjects) this.shape('the envelope has no "objects" member', this.base + end - 1, true);
      return S.DONE;
    }
    return S.AFTER;
  }

  private startTopKey(i: number): void {
    this.keyCapture = true;
    this.keyStart = i;
    this.keyParts = [];
    this.keyLength = 0;
    this.topKey = undefined;
  }

  /** The name of a top-level member ended just before `end` (its closing quote is end - 1). */
  private endTopKey(chunk: Buffer, end: number): void {
    if (!this.keyCapture) return;
    this.keyCapture = false;
    this.keyLength += end - this.keyStart;
    if (this.keyLength > MAX_TOP_KEY) return;
    this.keyParts.push(chunk.subarray(this.keyStart, end));
    const text = Buffer.concat(this.keyParts).toString('utf8');
    this.keyParts = [];
    try {
      this.topKey = JSON.parse(text) as string;
    } catch {
      this.topKey = undefined;
    }
  }

  /** At the end of a chunk: keep what the next chunk continues (a member name, an element). */
  private carry(chunk: Buffer): void {
    const n = chunk.length;
    if (this.keyCapture) {
      this.keyLength += n - this.keyStart;
      if (this.keyLength <= MAX_TOP_KEY) this.keyParts.push(chunk.subarray(this.keyStart));
      else this.keyParts = [];
      this.keyStart = 0;
    }
    if (this.inElement) {
      this.elemBytes += n - this.elemStart;
      if (!this.elemTooLarge) {
        // Past the limit the element is only counted, so memory stays at maxObjectBytes + a chunk.
        if (this.elemBytes > this.maxObjectBytes) {
          this.elemTooLarge = true;
          this.elemParts = [];
        } else this.elemParts.push(chunk.subarray(this.elemStart));
      }
      this.elemStart = 0;
    }
  }

  private syntax(message: string, i: number): never {
    throw new EnvelopeSyntaxError(message, this.base + i);
  }

  private shape(message: string, i: number, absolute = false): never {
    throw new EnvelopeShapeError(message, absolute ? i : this.base + i);
  }
}

/** Input chunks are cut to this size, so one push never holds the event loop for long. */
const SLICE = 1 << 20;

/** The elements of `objects`, a batch per input chunk (fewer awaits than one item at a time). */
export async function* readEnvelopeBatches(
  chunks: AsyncIterable<Uint8Array>,
  limits: EnvelopeLimits,
): AsyncGenerator<EnvelopeItem[], void, undefined> {
  const tokenizer = new EnvelopeTokenizer(limits);
  for await (const chunk of chunks) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < buf.length; at += SLICE) {
      const items = tokenizer.push(buf.length <= SLICE ? buf : buf.subarray(at, at + SLICE));
      if (items.length > 0) yield items;
    }
  }
  tokenizer.end();
}

/** The elements of `objects`, one at a time, in order. */
export async function* readEnvelope(
  chunks: AsyncIterable<Uint8Array>,
  limits: EnvelopeLimits,
): AsyncGenerator<EnvelopeItem, void, undefined> {
  for await (const batch of readEnvelopeBatches(chunks, limits)) yield* batch;
}

/** RFC 8259 §3: the first byte of a value. */
function isValueStart(c: number): boolean {
  return (
    c === 0x7b ||
    c === 0x5b ||
    c === 0x22 ||
    c === 0x2d ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x74 ||
    c === 0x66 ||
    c === 0x6e
  );
}

function describe(c: number): string {
  if (c >= 0x21 && c <= 0x7e) return `"${String.fromCharCode(c)}"`;
  return `byte 0x${hex2(c)}`;
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}
