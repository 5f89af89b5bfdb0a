// What the analyst index (store/intel.ts) keeps of one STIX object: its searchable text per field,
// the words a search matches against, and the links it makes. Pure functions of the object, shared
// by every store backend so that both index the same way.

/** The fields a search looks into. */
export type SearchField = 'name' | 'aliases' | 'external_id' | 'labels' | 'description';

/** A link made by an object (see IntelEdge in store/intel.ts, which adds the collection). */
export interface LinkFields {
  source: string;
  target: string;
  kind: 'relationship' | 'sighting' | 'ref';
  label: string;
  via?: string;
}

export interface IntelFields {
  type: string;
  name?: string;
  version?: string;
  revoked: boolean;
  markings: string[];
  /** searchable text per field (aliases, external ids and labels joined by a space) */
  text: Record<SearchField, string>;
  /** links made by this object, without collectionId (the caller's collection) */
  edges: LinkFields[];
}

/** The words of each search field, in SEARCH_FIELDS order, as the full-text tables take them. */
export function fieldWords(f: Pick<IntelFields, 'text'>): string[] {
  return SEARCH_FIELDS.map((field) => searchTokens(f.text[field]).join(' '));
}

/** Search weights per field: a name or an ATT&CK id counts far more than a word in a description. */
export const FIELD_WEIGHTS: Readonly<Record<SearchField, number>> = {
  name: 10,
  external_id: 10,
  aliases: 8,
  labels: 3,
  description: 1,
};

export const SEARCH_FIELDS: readonly SearchField[] = ['name', 'aliases', 'external_id', 'labels', 'description'];

type Obj = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A STIX identifier: `type--uuid` (STIX 2.1 §2.7). */
export function isStixId(v: unknown): v is string {
  return typeof v === 'string' && /^[a-z0-9][a-z0-9-]*--[0-9a-fA-F-]{36}$/.test(v);
}

/** Properties whose refs are bookkeeping, not intelligence: left out of the graph. */
const SKIPPED_REFS: ReadonlySet<string> = new Set(['object_marking_refs', 'created_by_ref']);

export function intelFields(obj: Obj): IntelFields {
  const type = str(obj.type) ?? '';
  const id = str(obj.id) ?? '';
  const aliases = [...strings(obj.aliases), ...strings(obj.x_mitre_aliases)];
  const externalIds: string[] = [];
  if (Array.isArray(obj.external_references)) {
    for (const ref of obj.external_references as unknown[]) {
      if (ref && typeof ref === 'object') {
        const extId = str((ref as Obj).external_id);
        if (extId !== undefined) externalIds.push(extId);
      }
    }
  }
  const edges: LinkFields[] = [];
  if (type === 'relationship') {
    const source = obj.source_ref;
    const target = obj.target_ref;
    if (isStixId(source) && isStixId(target)) {
      edges.push({ source, target, kind: 'relationship', label: str(obj.relationship_type) ?? '', via: id });
    }
  } else if (type === 'sighting') {
    for (const [prop, value] of Object.entries(obj)) {
      if (prop === 'sighting_of_ref' || prop === 'observed_data_refs' || prop === 'where_sighted_refs') {
        for (const target of Array.isArray(value) ? value : [value]) {
          if (isStixId(target)) edges.push({ source: id, target, kind: 'sighting', label: prop, via: id });
        }
      }
    }
  } else {
    for (const [prop, value] of Object.entries(obj)) {
      if (SKIPPED_REFS.has(prop)) continue;
      if (prop.endsWith('_ref') && isStixId(value)) edges.push({ source: id, target: value, kind: 'ref', label: prop });
      else if (prop.endsWith('_refs') && Array.isArray(value)) {
        for (const target of value) {
          if (isStixId(target)) edges.push({ source: id, target, kind: 'ref', label: prop });
        }
      }
    }
  }
  return {
    type,
    name: str(obj.name),
    version: str(obj.modified) ?? str(obj.created),
    revoked: obj.revoked === true,
    markings: strings(obj.object_marking_refs),
    text: {
      name: str(obj.name) ?? '',
      aliases: aliases.join(' '),
      external_id: externalIds.join(' '),
      labels: strings(obj.labels).join(' '),
      description: str(obj.description) ?? '',
    },
    edges,
  };
}

const ASCII = /^[^\u0080-\uffff]*$/;
const ASCII_SEPARATORS = /[^a-z0-9]+/;

/**
 * The words of a text, for matching: lower-cased, accents removed, split on anything that is not a
 * letter or digit. "APT28", "apt-28" and "Fancy Bear" give [apt28], [apt, 28] and [fancy, bear].
 */
export function searchTokens(text: string): string[] {
  // ASCII text (nearly every STIX description) gives the same words without the Unicode passes:
  // NFKD and mark removal change nothing there, and its letters and digits are [A-Za-z0-9].
  // The indexing path calls this for every field of every stored object.
  if (ASCII.test(text))
    return text
      .toLowerCase()
      .split(ASCII_SEPARATORS)
      .filter((t) => t.length > 0);
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}
