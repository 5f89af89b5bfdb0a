// Which thread runs a store call, decided by the method name alone so that new areas and new
// methods need no registration here. Readers hold query_only connections, so a write sent to one by
// mistake fails before it changes anything (and is sent again to the writer); a read sent to the
// writer is merely slower. Unknown names therefore go to the writer: the rule fails closed.

/**
 * lookup: a keyed read, run by any reader.
 * scan: a read that may walk many rows (filters, paging); scans never occupy every reader, so a
 *   lookup (authentication, the access gate, discovery) does not wait behind a slow filter.
 * write: the single writer thread (writes, migrations), in the order the calls were made.
 */
export type Lane = 'lookup' | 'scan' | 'write';

/** Verbs that read: the name starts with one of them, followed by an upper-case letter or nothing. */
const READ_VERBS = /^(get|list|query|find|search|count|read|exists|has)(?![a-z0-9_])/;
/** Of those, the verbs whose cost grows with the data (a filter over a collection, the audit trail). */
const SCAN_VERBS = /^(query|find|search)(?![a-z0-9_])/;
/** Reads named by a noun rather than a verb. */
const READ_NAMES: ReadonlySet<string> = new Set([
  'objectExists',
  'grantsOf',
  'grantsOn',
  'groupsOf',
  'userByCertificate',
]);

export function laneOf(method: string): Lane {
  if (SCAN_VERBS.test(method)) return 'scan';
  if (READ_VERBS.test(method) || READ_NAMES.has(method)) return 'lookup';
  return 'write';
}
