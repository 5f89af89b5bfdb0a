// Where `palisade sync` stands, kept in the local store's meta area so that a rerun, or a run cut
// short, resumes where the last one stopped. One record per (remote API root URL, remote
// collection, local API root, local collection).
//
// The meta area offers read and set-if-absent (src/store/meta.ts), which makes every record write-
// once: the position is a chain of numbered records `sync:<hash>:<n>`, the newest being the one with
// the highest n (found in O(log n) reads). Set-if-absent also makes two syncs of the same pair
// unable to both advance it: the second to write a number finds it taken and stops.
import { createHash } from 'node:crypto';
import type { MetaStore } from '../store/store.js';
import { CommandError } from './data-common.js';

export interface SyncIdentity {
  /** the remote API root URL, normalized (ends with /) */
  remoteUrl: string;
  remoteCollection: string;
  localApiRoot: string;
  localCollection: string;
}

export interface SyncPosition extends SyncIdentity {
  /** the remote's title of its collection, when it gave one (for people reading the record) */
  remoteTitle?: string;
  /** the X-TAXII-Date-Added-Last (TAXII 2.1 §3.4.3) up to which everything is ingested */
  addedLast: string;
  /** objects fetched by every run so far */
  fetched: number;
  /** when this record was written */
  at: string;
}

export class SyncState {
  private readonly base: string;
  /** the number the next record takes */
  private seq = -1;

  constructor(
    private readonly meta: MetaStore,
    private readonly who: SyncIdentity,
  ) {
    const digest = createHash('sha256')
      .update(JSON.stringify([who.remoteUrl, who.remoteCollection, who.localApiRoot, who.localCollection]))
      .digest('hex')
      .slice(0, 32);
    this.base = `sync:${digest}`;
  }

  private key(n: number): string {
    return `${this.base}:${n}`;
  }

  private async exists(n: number): Promise<boolean> {
    return (await this.meta.getMeta(this.key(n))) !== undefined;
  }

  /** The newest position, or undefined before the first page is ingested. */
  async load(): Promise<SyncPosition | undefined> {
    if (!(await this.exists(0))) {
      this.seq = 0;
      return undefined;
    }
    // Records are numbered without gaps: double until one is absent, then bisect.
    let lo = 0; // exists
    let hi = 1;
    while (await this.exists(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    this.seq = hi;
    const raw = (await this.meta.getMeta(this.key(lo))) as string;
    let pos: SyncPosition;
    try {
      pos = JSON.parse(raw) as SyncPosition;
    } catch {
      throw new CommandError(`the stored sync position ${this.key(lo)} is not readable`);
    }
    if (
      pos.remoteUrl !== this.who.remoteUrl ||
      pos.remoteCollection !== this.who.remoteCollection ||
      pos.localApiRoot !== this.who.localApiRoot ||
      pos.localCollection !== this.who.localCollection
    )
      throw new CommandError(`the stored sync position ${this.key(lo)} belongs to another pair of collections`);
    return pos;
  }

  async save(pos: Omit<SyncPosition, keyof SyncIdentity | 'at'>): Promise<void> {
    if (this.seq < 0) await this.load();
    const value = JSON.stringify({ ...this.who, ...pos, at: new Date().toISOString() });
    const stored = await this.meta.initMeta(this.key(this.seq), value);
    if (stored !== value)
      throw new CommandError(
        'another sync of the same collections moved the position meanwhile; this one stops (run one sync per pair)',
      );
    this.seq++;
  }
}
