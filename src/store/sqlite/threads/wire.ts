// What crosses between the main thread and the database threads. Messages are structured clones:
// errors lose their class and byte arrays are copied one by one, so both get special handling.
import * as domainErrors from '../../../errors.js';
import type { PagePoolShare, PooledBytes } from './page-pool.js';

/** A call of `store[area][method](...args)`, or one of the store-wide operations. */
export type Request =
  | { id: number; area: string; method: string; /** the encoded argument list */ args: Encoded }
  | { id: number; op: 'migrate' | 'ping' | 'close' };

export type Reply =
  | {
      id: number;
      ok: true;
      /** the result, encoded (see encode) */
      value: unknown;
      bytes?: PackedBytes;
      /** the result's bytes, in a slot of the reader's page pool instead of `bytes` (page-pool.ts) */
      pooled?: PooledBytes;
      /** what a migration logged, replayed on the caller's log */
      logs?: [details: object, message: string][];
    }
  | { id: number; ok: false; error: WireError };

/** What a thread reports on its own, outside any call (its background work), for the store's log. */
export interface Notice {
  type: 'notice';
  level: 'warn' | 'error';
  message: string;
  details: Record<string, unknown>;
}

/** First message of a thread: the areas of the store it opened and their methods. */
export type Hello = { type: 'ready'; areas: Record<string, string[]> } | { type: 'failed'; error: WireError };

export interface WorkerConfig {
  file: string;
  role: 'writer' | 'reader';
  /** the writer's quiet time before it applies the analyst index's queue (ThreadedSqliteOptions) */
  indexDelayMs?: number;
  /** how long a read applies the analyst index's queue before it gives up (ThreadedSqliteOptions) */
  indexWaitMs?: number;
  /** a reader's page pool, shared with the main thread (page-pool.ts) */
  pagePool?: PagePoolShare;
}

// ---- errors ---------------------------------------------------------------------------------------

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** own enumerable fields (kind, details, code, found, known, …), when they survive a clone */
  fields: Record<string, unknown>;
  cause?: WireError;
}

export function toWireError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'cause') continue;
    if (cloneable(v)) fields[k] = v;
  }
  return {
    name: err.name,
    message: err.message,
    ...(err.stack !== undefined ? { stack: err.stack } : {}),
    fields,
    ...(err.cause !== undefined && depth < 3 ? { cause: toWireError(err.cause, depth + 1) } : {}),
  };
}

function cloneable(v: unknown): boolean {
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;
/** Every error class of src/errors.ts, by name: rebuilt errors keep `instanceof` and their fields. */
const CLASSES: ReadonlyMap<string, ErrorClass> = new Map(
  Object.values(domainErrors as Record<string, unknown>)
    .filter((v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof Error)
    .map((c) => [c.name, c]),
);

/**
 * The error as the main thread throws it: an instance of the same class of src/errors.ts (built
 * without running its constructor, whose parameters differ per class) or a plain Error carrying
 * the name and fields (such as a SQLite `code`) of the original.
 */
export function fromWireError(w: WireError): Error {
  const cls = CLASSES.get(w.name);
  const err = (cls ? Object.create(cls.prototype as object) : new Error(w.message)) as Error;
  Object.defineProperty(err, 'message', { value: w.message, writable: true, configurable: true });
  Object.assign(err, w.fields);
  if (err.name !== w.name) Object.defineProperty(err, 'name', { value: w.name, writable: true, configurable: true });
  if (w.stack !== undefined)
    Object.defineProperty(err, 'stack', { value: w.stack, writable: true, configurable: true });
  if (w.cause)
    Object.defineProperty(err, 'cause', { value: fromWireError(w.cause), writable: true, configurable: true });
  return err;
}

// ---- values ---------------------------------------------------------------------------------------

/**
 * Values are encoded before they are posted, for the cost of a page of 1000 objects:
 * - byte arrays: cloned one by one, each becomes its own ArrayBuffer on the receiving side. They
 *   are packed into one ArrayBuffer, one comma between two, transferred (no copy on receipt), and
 *   come back as Buffer views into it; each is replaced by BYTES_MARK and its (offset, length)
 *   listed in `slots`.
 * - arrays of objects with the same keys (rows): the clone writes every key of every object. They
 *   travel as [TABLE_MARK, keys, columns] and are rebuilt as objects with the keys in order.
 * Encoding never changes the value given (a store may hand out objects it keeps): what it replaces
 * is written into new arrays and objects, and the parts without a replacement are shared with it,
 * which is safe because the result is always posted (cloned) before it is decoded.
 */
export interface PackedBytes {
  buffer: ArrayBuffer;
  slots: number[];
}

export interface Encoded {
  value: unknown;
  bytes?: PackedBytes;
}

const BYTES_MARK = '\u0000palisade:bytes\u0000';
/** the byte between two packed arrays: a comma */
export const SEPARATOR = 0x2c;
const TABLE_MARK = '\u0000palisade:table\u0000';
/** shorter arrays are not worth the columns */
const MIN_TABLE_ROWS = 8;
/** deeper than any store result; a bound so that a cyclic value cannot loop */
const MAX_DEPTH = 8;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The common keys of an array of plain objects that all have the same keys in the same order. */
function rowKeys(rows: unknown[]): string[] | undefined {
  if (rows.length < MIN_TABLE_ROWS || !isPlainObject(rows[0])) return undefined;
  const keys = Object.keys(rows[0]);
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    if (!isPlainObject(r)) return undefined;
    const k = Object.keys(r);
    if (k.length !== keys.length) return undefined;
    for (let j = 0; j < k.length; j++) if (k[j] !== keys[j]) return undefined;
  }
  return keys;
}

export interface EncodeOptions {
  /**
   * The byte arrays of the value are the caller's to give away: results built for this one call
   * and used by nothing else once posted. A value holding a single byte array that fills an
   * ArrayBuffer of its own (a page of texts joined by SQLite, one blob) then hands that buffer over
   * as it is, to be transferred, instead of a copy. The thread that made it keeps no dead copy:
   * byte arrays are memory outside V8's heap, which a thread that allocates little on its heap
   * frees only at its rare collections (a reader walking a collection held some 80 MB of pages
   * already sent). Once posted, the given array is detached (empty).
   */
  owned?: boolean;
}

export function encode(value: unknown, opts: EncodeOptions = {}): Encoded {
  const found: Uint8Array[] = [];
  let total = 0;
  const copy = (v: unknown, depth: number): unknown => {
    if (v instanceof Uint8Array) {
      found.push(v);
      total += v.byteLength;
      return BYTES_MARK;
    }
    if (depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) {
      const keys = rowKeys(v);
      if (keys) {
        const rows = v as Record<string, unknown>[];
        return [TABLE_MARK, keys, keys.map((k) => rows.map((r) => copy(r[k], depth + 2)))];
      }
      // A part in which nothing is replaced is posted as it is (the clone copies it anyway): only
      // the arrays and objects on the way to a replaced value are new.
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const c = copy(x, depth + 1);
        if (out === undefined && c !== x) out = v.slice(0, i);
        out?.push(c);
      }
      return out ?? v;
    }
    if (!isPlainObject(v)) return v;
    let out: Record<string, unknown> | undefined;
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const c = copy(v[k], depth + 1);
      if (out === undefined && c !== v[k]) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j] as string] = v[keys[j] as string];
      }
      if (out !== undefined) out[k] = c;
    }
    return out ?? v;
  };
  const encoded = copy(value, 0);
  if (found.length === 0) return { value: encoded };
  const only = found.length === 1 ? found[0] : undefined;
  if (
    opts.owned === true &&
    only !== undefined &&
    only.buffer instanceof ArrayBuffer &&
    only.byteOffset === 0 &&
    only.byteLength === only.buffer.byteLength
  ) {
    return { value: encoded, bytes: { buffer: only.buffer, slots: [0, only.byteLength] } };
  }
  // One comma between consecutive arrays: a page's stored objects arrive as one run of text that
  // an envelope takes whole (taxii/resources.ts envelopeBody), without a copy per object.
  const buffer = new ArrayBuffer(total + found.length - 1);
  const all = new Uint8Array(buffer);
  const slots: number[] = [];
  let offset = 0;
  for (const bytes of found) {
    if (offset > 0) all[offset++] = SEPARATOR;
    all.set(bytes, offset);
    slots.push(offset, bytes.byteLength);
    offset += bytes.byteLength;
  }
  return { value: encoded, bytes: { buffer, slots } };
}

/** The value `encode` was given, from its clone: rows rebuilt, byte arrays as Buffers. */
export function decode(e: Encoded): unknown {
  const { bytes } = e;
  let n = 0;
  const back = (v: unknown, depth: number): unknown => {
    if (v === BYTES_MARK && bytes) {
      const offset = bytes.slots[n++] as number;
      const length = bytes.slots[n++] as number;
      return Buffer.from(bytes.buffer, offset, length);
    }
    // Without packing (a byte array too deep to be marked), a clone still arrives as a Uint8Array.
    if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) {
      if (v.length === 3 && v[0] === TABLE_MARK) {
        const keys = v[1] as string[];
        const columns = (v[2] as unknown[][]).map((c) => c.map((x) => back(x, depth + 2)));
        const count = columns[0]?.length ?? 0;
        const rows: Record<string, unknown>[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const row: Record<string, unknown> = {};
          for (let k = 0; k < keys.length; k++) row[keys[k] as string] = (columns[k] as unknown[])[i];
          rows[i] = row;
        }
        return rows;
      }
      for (let i = 0; i < v.length; i++) v[i] = back(v[i], depth + 1);
      return v;
    }
    if (isPlainObject(v)) for (const k of Object.keys(v)) v[k] = back(v[k], depth + 1);
    return v;
  };
  return back(e.value, 0);
}
