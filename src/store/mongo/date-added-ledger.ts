// The date_added ledger: claims blocks of date_added values per collection so that values stay
// unique and strictly increasing when several instances write to one collection, and tells
// readers how far they may look. Relies only on the uniqueness of _id (FerretDB 1.x does not
// make findAndModify atomic).
import type { Collection } from 'mongodb';
import type { BlockDoc } from './documents.js';
import { isDuplicateKey } from './documents.js';

/** A writer that dies mid-batch stops holding readers back after this long. */
export const BLOCK_LEASE_MS = 10 * 60_000;

export class DateAddedLedger {
  constructor(private readonly blocks: Collection<BlockDoc>) {}

  /**
   * Claims `count` date_added values after every block claimed so far: read the newest block, insert
   * the next one; a duplicate _id means another writer claimed that seq first, so read again.
   */
  async claim(collectionId: string, count: number, nowMicros: number): Promise<BlockDoc> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const newest = await this.newest(collectionId);
      const seq = (newest?.seq ?? 0) + 1;
      const start = Math.max(nowMicros, (newest?.end ?? 0) + 1);
      const block: BlockDoc = {
        _id: `${collectionId}|${String(seq).padStart(15, '0')}`,
        c: collectionId,
        seq,
        start,
        end: start + count - 1,
        done: false,
        expires: new Date(Date.now() + BLOCK_LEASE_MS),
      };
      try {
        await this.blocks.insertOne(block);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        continue;
      }
      // A seq freed by the clean-up in release() can be claimed again by a writer whose read of
      // the newest block is stale; a block above ours then exists (the newest is never deleted),
      // so give the seq back and start over.
      if ((await this.blocks.findOne({ c: collectionId, seq: { $gt: seq } }, { projection: { _id: 1 } })) === null) {
        return block;
      }
      await this.blocks.deleteOne({ _id: block._id });
    }
    throw new Error(`could not claim a date_added block for collection ${collectionId}`);
  }

  /** A long batch keeps holding readers back: extend its lease. */
  async renew(block: BlockDoc): Promise<void> {
    await this.blocks.updateOne({ _id: block._id }, { $set: { expires: new Date(Date.now() + BLOCK_LEASE_MS) } });
  }

  async release(block: BlockDoc): Promise<void> {
    await this.blocks.updateOne({ _id: block._id }, { $set: { done: true } });
    // Older finished (or abandoned) blocks are no longer needed; the newest one always stays.
    await this.blocks.deleteMany({
      c: block.c,
      seq: { $lt: block.seq },
      $or: [{ done: true }, { expires: { $lt: new Date() } }],
    });
  }

  /**
   * The highest date_added a reader may see now: at most the end of the newest block (read first,
   * so a block claimed later starts above it), and below the oldest block still being written, so a
   * page never shows an object while an older one may still appear beneath it.
   *
   * A block whose lease expired belongs to a writer that died (or stalled past its lease) possibly
   * between inserting its versions and setting the flags of the other versions of those ids. It
   * stops holding readers back, but only after `repair` has recomputed those flags: otherwise its
   * versions would become visible next to an old version still flagged first or last.
   */
  async horizon(collectionId: string, repair?: (block: BlockDoc) => Promise<void>): Promise<number> {
    const newest = await this.newest(collectionId);
    let limit = newest?.end ?? 0;
    for (let n = 0; n < 100; n++) {
      const open = await this.blocks.find({ c: collectionId, done: false }).sort({ seq: 1 }).limit(1).next();
      if (!open) break;
      if (open.expires > new Date()) {
        limit = Math.min(limit, open.start - 1);
        break;
      }
      if (repair) await repair(open);
      await this.blocks.updateOne({ _id: open._id }, { $set: { done: true } });
    }
    return limit;
  }

  /** Whether a block reaching above `limit` has been claimed: only then can a version lie above it. */
  async claimedAbove(collectionId: string, limit: number): Promise<boolean> {
    return ((await this.newest(collectionId))?.end ?? 0) > limit;
  }

  private newest(collectionId: string): Promise<BlockDoc | null> {
    return this.blocks.find({ c: collectionId }).sort({ seq: -1 }).limit(1).next();
  }
}
