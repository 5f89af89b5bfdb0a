// The entries of one appendItems call of the ingestion queue, as one blob (one row of
// ingest_packs). A row per entry cost the writer two B-tree inserts on append and two deletions
// when the job was done, about 10 µs per entry; one row per call costs about 4 µs per entry (the
// bytes themselves, written once).
//
// Layout, little-endian: per entry, in seq order, a kind byte (0 raw entry, 1 refused entry), a
// uint32 length and that many bytes (the raw JSON, or the reason as UTF-8). The entries of a pack
// have consecutive seq numbers from the row's first_seq (the queue's contract: no gaps).
import type { JobItem } from '../jobs.js';

const RAW = 0;
const REFUSED = 1;
const HEAD = 5;

/** The items as one pack, written into one buffer; throws when their seq numbers are not consecutive. */
export function packItems(items: readonly JobItem[]): Buffer {
  const first = items[0]?.seq ?? 0;
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as JobItem;
    if (it.seq !== first + i) throw new Error(`queued entries must be consecutive: ${it.seq} follows ${first + i - 1}`);
    total += HEAD + ('raw' in it ? it.raw.length : Buffer.byteLength(it.refused, 'utf8'));
  }
  const pack = Buffer.allocUnsafe(total);
  let at = 0;
  for (const it of items) {
    const raw = 'raw' in it;
    const length = raw ? it.raw.length : Buffer.byteLength(it.refused, 'utf8');
    pack[at] = raw ? RAW : REFUSED;
    pack.writeUInt32LE(length, at + 1);
    at += HEAD;
    at += raw ? it.raw.copy(pack, at) : pack.write(it.refused, at, 'utf8');
  }
  return pack;
}

/**
 * The entries of a pack whose first entry is `firstSeq`, from `fromSeq` on, at most `limit`,
 * appended to `out`. Raw entries are views into `pack` (no copy). Throws on a truncated pack.
 */
export function unpackItems(pack: Buffer, firstSeq: number, fromSeq: number, limit: number, out: JobItem[]): void {
  let at = 0;
  for (let seq = firstSeq; at < pack.length && out.length < limit; seq++) {
    if (at + HEAD > pack.length) throw new Error(`a queued pack is cut short at entry ${seq}`);
    const kind = pack[at];
    const length = pack.readUInt32LE(at + 1);
    const start = at + HEAD;
    at = start + length;
    if (at > pack.length || (kind !== RAW && kind !== REFUSED))
      throw new Error(`a queued pack is damaged at entry ${seq}`);
    if (seq < fromSeq) continue;
    out.push(
      kind === RAW ? { seq, raw: pack.subarray(start, at) } : { seq, refused: pack.toString('utf8', start, at) },
    );
  }
}
