// Pages of stored objects handed from a reader thread to the main thread through memory both
// share, instead of a new transferred buffer per page.
//
// Why: a transferred ArrayBuffer becomes a new backing store of the main thread's heap, about 1 MB
// for a page of 1,000 objects. V8 frees one only when a garbage collection finds its wrapper dead,
// and while a client walks a collection the main thread allocates little else: measured on a walk
// of 100k objects with two clients, V8 ran a full mark-compact every 60–90 ms, and its collector
// threads spent more CPU than the main thread's own work (about 2.9 µs against 2.4 µs per object
// served). With pages in a pool set up once per reader, the main thread's heap sees only small
// view objects: the server's CPU per object served fell by about a third.
//
// The pool is a SharedArrayBuffer cut into equal slots, with one Int32 state per slot (0 free,
// 1 taken). The reader takes a free slot with a compare-and-swap, copies the page in and posts
// only the slot's number; a page that does not fit, or finds every slot taken, travels as before.
// The main thread gives the slot back when the page has been sent (TextPage.release, called once
// the response is finished or closed, when the socket no longer reads those bytes) or, as a
// backstop for a page nobody released (one read ahead and then discarded), when every view of
// the page has been garbage-collected. A slot is never written while a view of it can be used.
import type { TextPage } from '../../objects.js';

/** What a reader thread is given (workerData): the slots and their states, shared with the main thread. */
export interface PagePoolShare {
  memory: SharedArrayBuffer;
  states: SharedArrayBuffer;
  slotBytes: number;
}

/** A reply's bytes placed in a slot of the pool: their ranges are relative to the slot. */
export interface PooledBytes {
  slot: number;
  slots: number[];
}

/** The store calls whose result is a TextPage, the only results placed in the pool. */
export const POOLED_METHODS: ReadonlySet<string> = new Set(['queryObjectTexts']);

/**
 * 6 slots of 2 MiB per reader: a page of 1,000 objects of about 1 KB fits, and two clients walking
 * with pages read ahead (about four pages each on their way) find free slots. Only slots in use
 * become resident memory (the lowest free slot is taken first).
 */
export const PAGE_POOL_SLOTS = 6;
export const PAGE_POOL_SLOT_BYTES = 2 * 1024 * 1024;

const FREE = 0;
const TAKEN = 1;

export function createPagePool(slots = PAGE_POOL_SLOTS, slotBytes = PAGE_POOL_SLOT_BYTES): PagePoolShare {
  return {
    memory: new SharedArrayBuffer(slots * slotBytes),
    states: new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT),
    slotBytes,
  };
}

/**
 * Reader side: copies `bytes` into a free slot and answers where, or undefined when they do not
 * fit or no slot is free. The lowest free slot is taken, so that a pool under light use touches
 * (and makes resident) only its first slots.
 */
export function placeInPool(
  share: PagePoolShare,
  bytes: { buffer: ArrayBuffer; slots: number[] },
): PooledBytes | undefined {
  const length = bytes.buffer.byteLength;
  if (length > share.slotBytes) return undefined;
  const states = new Int32Array(share.states);
  for (let slot = 0; slot < states.length; slot++) {
    if (Atomics.compareExchange(states, slot, FREE, TAKEN) !== FREE) continue;
    new Uint8Array(share.memory, slot * share.slotBytes, length).set(new Uint8Array(bytes.buffer));
    return { slot, slots: bytes.slots };
  }
  return undefined;
}

/** Main-thread side of one reader's pool. */
export class PagePool {
  private readonly states: Int32Array;
  /** Frees a slot whose page was never released once all of its views are garbage. */
  private readonly registry = new FinalizationRegistry<Lease>((lease) => lease.viewGone());

  constructor(readonly share: PagePoolShare) {
    this.states = new Int32Array(share.states);
  }

  /** The reply's ranges as ranges of the whole pool memory, for decode(). */
  unpack(pooled: PooledBytes): { buffer: ArrayBuffer; slots: number[] } {
    const base = pooled.slot * this.share.slotBytes;
    const slots = pooled.slots.map((v, i) => (i % 2 === 0 ? v + base : v));
    // decode() only makes Buffer views of it, which a SharedArrayBuffer supports as well.
    return { buffer: this.share.memory as unknown as ArrayBuffer, slots };
  }

  /**
   * Ties the slot to the page decoded from it: `page.release()` frees it, and so does the
   * collection of every Buffer of `page.texts`. Returns the page.
   */
  lease(slot: number, page: TextPage): TextPage {
    const lease = new Lease(() => Atomics.store(this.states, slot, FREE), page.texts.length);
    for (const view of page.texts) this.registry.register(view, lease, lease);
    page.release = () => {
      if (lease.release()) this.registry.unregister(lease);
    };
    if (page.texts.length === 0) page.release();
    return page;
  }

  /** Frees a slot whose page will never be decoded (its call was given up before the answer came). */
  discard(pooled: PooledBytes): void {
    Atomics.store(this.states, pooled.slot, FREE);
  }

  /** Slots taken now (tests). */
  taken(): number {
    let n = 0;
    for (let i = 0; i < this.states.length; i++) if (Atomics.load(this.states, i) === TAKEN) n++;
    return n;
  }
}

class Lease {
  private done = false;

  constructor(
    private readonly free: () => void,
    private views: number,
  ) {}

  /** Frees the slot once; false when it was already freed. */
  release(): boolean {
    if (this.done) return false;
    this.done = true;
    this.free();
    return true;
  }

  viewGone(): void {
    if (--this.views <= 0) this.release();
  }
}
