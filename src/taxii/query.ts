// TAXII 2.1 §3.4 filtering and pagination parameters, §3.4.1 match[version] / match[spec_version].
// Parsed from the raw query string (the qs parser would merge repeated keys). Malformed or
// repeated parameters are a 400 (§3.4); unknown match[...] fields are ignored, as the standard
// lets a server extend the filter set.
import { InvalidRequestError } from '../errors.js';
import { toMicros, versionKey } from '../stix/timestamps.js';
import type { VersionSelection } from '../store/store.js';

export type Endpoint = 'objects' | 'manifest' | 'object' | 'versions' | 'delete';

export interface TaxiiQuery {
  addedAfter?: number;
  limit: number;
  next?: string;
  ids?: string[];
  types?: string[];
  versions: VersionSelection;
  specVersions?: string[];
  /** the filters in canonical form, for binding cursors */
  canonical: unknown[];
}

/** Which filters each endpoint honours (§3.4.1 table per endpoint). Parameters an endpoint does not define are ignored. */
const LISTING = ['added_after', 'limit', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]'];
const SUPPORTED: Record<Endpoint, ReadonlySet<string>> = {
  objects: new Set(LISTING),
  manifest: new Set(LISTING),
  object: new Set(['added_after', 'limit', 'next', 'match[version]', 'match[spec_version]']),
  versions: new Set(['added_after', 'limit', 'next', 'match[spec_version]']),
  delete: new Set(['match[version]', 'match[spec_version]']),
};

const MAX_MATCH_VALUES = 1000;
const STIX_ID =
  /^[a-z][a-z0-9-]*[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TYPE_NAME = /^[a-z0-9][a-z0-9-]{0,248}[a-z0-9]$/;
const SPEC_VERSION = /^\d+\.\d+$/;

export function parseTaxiiQuery(rawQuery: string, endpoint: Endpoint, maxPageSize: number): TaxiiQuery {
  const params = new URLSearchParams(rawQuery);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key) && (key.startsWith('match[') || SUPPORTED.objects.has(key))) {
      throw new InvalidRequestError(`The parameter ${key} must not appear more than once.`, {
        details: { parameter: key },
      });
    }
    seen.add(key);
  }
  const supported = SUPPORTED[endpoint];
  const get = (key: string): string | undefined => (supported.has(key) ? (params.get(key) ?? undefined) : undefined);

  const q: TaxiiQuery = { limit: maxPageSize, versions: { first: false, last: true, exact: [] }, canonical: [] };

  const addedAfter = get('added_after');
  if (addedAfter !== undefined) {
    const micros = toMicros(addedAfter);
    if (micros === undefined) {
      throw new InvalidRequestError(
        'added_after must be one RFC 3339 UTC timestamp, e.g. 2024-01-01T00:00:00.000000Z.',
        {
          details: { added_after: addedAfter },
        },
      );
    }
    q.addedAfter = micros;
  }

  const limit = get('limit');
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(limit)) {
      throw new InvalidRequestError('limit must be a positive integer.', { details: { limit } });
    }
    // §3.4: the server may return fewer than asked; `more` and `next` tell the client to go on.
    q.limit = Math.min(Number(limit), maxPageSize);
  }

  const next = get('next');
  if (next !== undefined) {
    if (next === '') throw new InvalidRequestError('next must not be empty.');
    q.next = next;
  }

  const ids = list(get('match[id]'), 'match[id]', (v) => STIX_ID.test(v), 'a STIX identifier');
  if (ids) q.ids = ids;
  const types = list(get('match[type]'), 'match[type]', (v) => TYPE_NAME.test(v), 'a STIX type name');
  if (types) q.types = types;
  const specVersions = list(
    get('match[spec_version]'),
    'match[spec_version]',
    (v) => SPEC_VERSION.test(v),
    'a spec version such as 2.1',
  );
  if (specVersions) q.specVersions = specVersions;

  const versions = list(get('match[version]'), 'match[version]', () => true, '');
  if (versions) q.versions = parseVersions(versions);

  q.canonical = [
    q.addedAfter ?? null,
    q.ids ? [...q.ids].sort() : null,
    q.types ? [...q.types].sort() : null,
    q.versions,
    q.specVersions ? [...q.specVersions].sort() : null,
  ];
  // limit is not part of the binding: taxii2-client shrinks its limit to the page size it got.
  return q;
}

function list(raw: string | undefined, key: string, valid: (v: string) => boolean, what: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) {
    throw new InvalidRequestError(`${key} must be a comma-separated list without empty values.`, {
      details: { [key]: raw },
    });
  }
  if (values.length > MAX_MATCH_VALUES) {
    throw new InvalidRequestError(`${key} accepts at most ${MAX_MATCH_VALUES} values.`);
  }
  for (const v of values) {
    if (!valid(v)) throw new InvalidRequestError(`${key}: "${v}" is not ${what}.`, { details: { [key]: raw } });
  }
  if (new Set(values).size !== values.length) {
    throw new InvalidRequestError(`${key} must not repeat a value.`, { details: { [key]: raw } });
  }
  return values;
}

// §3.4.1: first | last | all | exact STIX timestamps, unioned; `all` stands alone.
function parseVersions(values: string[]): VersionSelection {
  if (values.includes('all')) {
    if (values.length > 1) throw new InvalidRequestError('match[version]=all cannot be combined with other values.');
    return { all: true };
  }
  const exact: string[] = [];
  let first = false;
  let last = false;
  for (const v of values) {
    if (v === 'first') first = true;
    else if (v === 'last') last = true;
    else {
      const key = versionKey(v);
      if (key === undefined) {
        throw new InvalidRequestError(`match[version]: "${v}" is neither first, last, all nor a STIX timestamp.`);
      }
      if (exact.includes(key)) throw new InvalidRequestError(`match[version] names the version ${v} twice.`);
      exact.push(key);
    }
  }
  return { first, last, exact: exact.sort() };
}
