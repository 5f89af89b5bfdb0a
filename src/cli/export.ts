// `palisade export --api-root R --collection C`: writes the collection's objects as one STIX 2.1
// bundle (STIX 2.1 §8: type "bundle", an id bundle--<UUIDv4>, `objects`), read page by page from
// the store in date_added order and written as stored (the bytes a TAXII GET serves), so memory
// holds one page whatever the collection size. Reading is admitted by the access gate as the CLI
// principal, so releasability and the read right apply as to a TAXII GET (§5.4). Latest versions by
// default (§3.4.1); --all-versions gives every version.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Container } from '../container.js';
import { toMicros } from '../stix/timestamps.js';
import type { ObjectQuery } from '../store/store.js';
import { flag, str, strs, UsageError, type Values } from './args.js';
import {
  CommandError,
  dataPrincipal,
  parseCommand,
  positiveInt,
  reportFailure,
  required,
  STORE_OPTIONS_USAGE,
  withContainer,
} from './data-common.js';

export const EXPORT_USAGE = `Usage: palisade export --api-root ROOT --collection ID [options]

Writes the objects of a collection as one STIX 2.1 bundle, as stored, to standard output or a
file, read as the platform admin cli:<os user> (what releasability hides stays hidden).

Options:
  --api-root ROOT      the API root (its path segment)
  --collection ID      the collection id
  --type TYPE          only objects of this STIX type (repeatable)
  --id ID              only this object (repeatable)
  --added-after TS     only versions added after this RFC 3339 time
  --all-versions       every version of each object (default: the latest)
  --output FILE        write to FILE instead of standard output
  --page-size N        objects read from the store at a time (default 1000)
${STORE_OPTIONS_USAGE}
`;

const OPTIONS = {
  'api-root': { type: 'string' },
  collection: { type: 'string' },
  type: { type: 'string', multiple: true },
  id: { type: 'string', multiple: true },
  'added-after': { type: 'string' },
  'all-versions': { type: 'boolean' },
  output: { type: 'string' },
  'page-size': { type: 'string' },
} as const;

export async function runExport(argv: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, OPTIONS);
    if (values.help === true) {
      process.stdout.write(EXPORT_USAGE);
      return 0;
    }
    required(values, 'api-root', 'collection');
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0] as string}"`);
    const query = queryOf(values);
    const pageSize = positiveInt(values, 'page-size', 1000, 100_000);
    return await withContainer(values, async (c) => {
      const count = await exportBundle(c, values, query, pageSize);
      if (str(values, 'output') !== undefined) process.stderr.write(`exported ${count} objects\n`);
      return 0;
    });
  } catch (err) {
    return reportFailure(err, 'palisade export', `Run palisade export --help for usage.\n`);
  }
}

function queryOf(values: Values): ObjectQuery {
  const types = strs(values, 'type');
  const ids = strs(values, 'id');
  const after = str(values, 'added-after');
  let addedAfter: number | undefined;
  if (after !== undefined) {
    addedAfter = toMicros(after);
    if (addedAfter === undefined)
      throw new UsageError('--added-after takes an RFC 3339 UTC time, e.g. 2024-01-01T00:00:00Z');
  }
  return {
    ...(types.length > 0 ? { types } : {}),
    ...(ids.length > 0 ? { ids } : {}),
    versions: flag(values, 'all-versions') ? { all: true } : { first: false, last: true, exact: [] },
    ...(addedAfter !== undefined ? { addedAfter } : {}),
  };
}

async function exportBundle(c: Container, values: Values, query: ObjectQuery, pageSize: number): Promise<number> {
  const at = await c.services.objects.admit(
    dataPrincipal(),
    { apiRoot: str(values, 'api-root') as string, collection: str(values, 'collection') as string },
    'read',
  );
  const q: ObjectQuery = { ...query, ...(at.deniedMarkings.length > 0 ? { deniedMarkings: at.deniedMarkings } : {}) };
  const file = str(values, 'output');
  const out: Writable = file !== undefined ? createWriteStream(file) : process.stdout;
  const failure: { err?: Error } = {};
  out.on('error', (err: Error) => (failure.err = err));
  const check = (): void => {
    if (failure.err) throw new CommandError(`cannot write ${file ?? 'standard output'}: ${failure.err.message}`);
  };
  const write = async (text: string | Buffer): Promise<void> => {
    check();
    if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'error').catch(() => undefined)]);
    check();
  };
  await write(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`);
  let count = 0;
  let after: number | undefined;
  for (;;) {
    const page = await c.store.objects.queryObjects(at.collection.id, q, {
      limit: pageSize,
      ...(after !== undefined ? { after } : {}),
    });
    for (const item of page.items) {
      await write(count === 0 ? '\n' : ',\n');
      await write(item.json);
      count++;
    }
    const last = page.items[page.items.length - 1];
    if (!page.more || !last) break;
    after = last.dateAdded;
  }
  await write(count === 0 ? ']}\n' : '\n]}\n');
  if (file !== undefined) {
    out.end();
    await Promise.race([once(out, 'finish'), once(out, 'error').catch(() => undefined)]);
    check();
  }
  return count;
}
