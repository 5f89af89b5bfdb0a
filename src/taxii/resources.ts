// TAXII 2.1 wire shapes: §3.7 envelope, §4.1.1 discovery, §4.2.1 api-root, §4.3.1 status,
// §5.1.1 collections, §5.2.1 collection, §5.3.1 manifest, §5.8.1 versions. Empty lists are
// omitted (§2 "list": empty lists are never sent): an empty result is `{}`.
import { formatMicros } from '../stix/timestamps.js';
import type {
  ApiRootRecord,
  CollectionRecord,
  Page,
  StatusDetail,
  StatusRecord,
  StoredVersion,
  TextPage,
} from '../store/store.js';
import type { Rights } from '../access/gate.js';
import { BodyParts } from '../http/responders.js';
import { textPageOf } from '../store/objects.js';
import { TAXII_21 } from './media-types.js';

export function apiRootResource(r: ApiRootRecord): object {
  return {
    title: r.title,
    ...(r.description !== undefined ? { description: r.description } : {}),
    versions: [TAXII_21],
    max_content_length: r.maxContentLength,
  };
}

export function collectionResource(c: CollectionRecord, rights: Rights): object {
  return {
    id: c.id,
    title: c.title,
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.alias !== undefined ? { alias: c.alias } : {}),
    can_read: rights.read,
    can_write: rights.write,
    media_types: c.mediaTypes,
  };
}

function pageHead(page: Page<unknown>, next: string | undefined): string {
  if (!page.more) return '"more":false';
  return next === undefined ? '"more":true' : `"more":true,"next":${JSON.stringify(next)}`;
}

const CLOSE = Buffer.from(']}');

/** The envelope is assembled from the stored JSON bytes without re-parsing them: a page costs byte copies only. */
export function envelopeBody(page: Page<StoredVersion>, next: string | undefined): Buffer | BodyParts {
  const run = commaRun(page.items);
  if (run) return textEnvelope({ count: page.items.length, more: page.more, texts: [run] }, next);
  // Text by text (textPageOf puts the commas between), gathered into one buffer.
  const body = textEnvelope(textPageOf(page), next);
  return body instanceof BodyParts ? Buffer.concat([...body.parts]) : body;
}

/**
 * The stored texts of the items as one view, when they lie one after the other in one buffer with
 * a single comma between two: so the threaded SQLite store packs a page (threads/wire.ts).
 * Otherwise undefined, and the envelope is assembled text by text.
 */
function commaRun(items: readonly StoredVersion[]): Buffer | undefined {
  const first = items[0]?.json;
  if (!Buffer.isBuffer(first)) return undefined;
  const all = new Uint8Array(first.buffer);
  let end = first.byteOffset + first.length;
  for (let i = 1; i < items.length; i++) {
    const b = (items[i] as StoredVersion).json;
    if (!Buffer.isBuffer(b) || b.buffer !== first.buffer || b.byteOffset !== end + 1 || all[end] !== 0x2c)
      return undefined;
    end = b.byteOffset + b.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** A paged resource: `more`, `next` only with `more`, and the list under `key` only when non-empty. */
function pagedResource(page: Page<StoredVersion>, next: string | undefined, key: string, list: unknown[]): object {
  const head = { more: page.more, ...(page.more && next !== undefined ? { next } : {}) };
  if (list.length === 0) return page.more ? head : {};
  return { ...head, [key]: list };
}

export function manifestResource(page: Page<StoredVersion>, next: string | undefined): object {
  const records = page.items.map((v) => ({
    id: v.id,
    date_added: formatMicros(v.dateAdded),
    version: v.version,
    media_type: v.mediaType,
  }));
  return pagedResource(page, next, 'objects', records);
}

export function versionsResource(page: Page<StoredVersion>, next: string | undefined): object {
  return pagedResource(
    page,
    next,
    'versions',
    page.items.map((v) => v.version),
  );
}

/** §3.4: first and last date_added of this page; omitted on an empty page, which has neither. */
export function dateAddedHeaders(page: Page<StoredVersion>): Record<string, string> {
  return dateAddedRange(page.items[0]?.dateAdded, page.items[page.items.length - 1]?.dateAdded);
}

/** §3.4 X-TAXII-Date-Added-First / -Last of a page, when it holds anything. */
export function dateAddedRange(first: number | undefined, last: number | undefined): Record<string, string> {
  if (first === undefined || last === undefined) return {};
  return {
    'X-TAXII-Date-Added-First': formatMicros(first),
    'X-TAXII-Date-Added-Last': formatMicros(last),
  };
}

/** The §3.7 envelope of a TextPage: the stored texts as they are, between a head and a tail. */
export function textEnvelope(page: TextPage, next: string | undefined): Buffer | BodyParts {
  const head = { more: page.more, items: [] };
  if (page.count === 0) return Buffer.from(page.more ? `{${pageHead(head, next)}}` : '{}');
  return new BodyParts([Buffer.from(`{${pageHead(head, next)},"objects":[`), ...page.texts, CLOSE]);
}

function details(list: StatusDetail[]): object[] {
  return list.map((d) => ({
    id: d.id,
    version: d.version,
    ...(d.message !== undefined ? { message: d.message } : {}),
  }));
}

export function statusResource(s: StatusRecord): object {
  return {
    id: s.id,
    status: s.status,
    request_timestamp: formatMicros(s.requestTimestamp),
    total_count: s.totalCount,
    success_count: s.successCount ?? s.successes.length,
    ...(s.successes.length > 0 ? { successes: details(s.successes) } : {}),
    failure_count: s.failureCount ?? s.failures.length,
    ...(s.failures.length > 0 ? { failures: details(s.failures) } : {}),
    pending_count: s.pendingCount ?? s.pendings.length,
    ...(s.pendings.length > 0 ? { pendings: details(s.pendings) } : {}),
  };
}
