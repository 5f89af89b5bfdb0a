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
   */
  async horizon(collectionId: string): Promise<number> {
    const newest = await this.newest(collectionId);
    let limit = newest?.end ?? 0;
    const open = await this.blocks
      .find({ c: collectionId, done: false, expires: { $gt: new Date() } })
      .sort({ seq: 1 })
      .limit(1)
      .next();
    if (open) limit = Math.min(limit, open.start - 1);
    return limit;
  }

  private newest(collectionId: string): Promise<BlockDoc | null> {
    return this.blocks.find({ c: collectionId }).sort({ seq: -1 }).limit(1).next();
  }
}
