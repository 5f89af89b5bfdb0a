// STIX 2.1 §2.16, §3.2, §3.3, §4–§7, §9 MUST rules that JSON Schema cannot express.
// Runs after the per-type schema has passed, so property types and timestamp syntax are already known good.

import { describePatternFailure, parseStixPattern } from './pattern/index.js';
import { compareTimestamps } from './timestamps.js';
import { SCO_TYPES, SDO_TYPES, SMO_TYPES, SRO_TYPES, type StixCategory } from './types.js';

/**
 * Custom objects carry the common properties of their category (§11.2, §7.3.2). We infer the category from
 * what the object carries: an extension_type of new-sdo/new-sro/new-sco decides; otherwise created/modified
 * make it SDO-like, and their absence SCO-like.
 */
export function categoryOfCustomObject(obj: Readonly<Record<string, unknown>>): StixCategory {
  const extensions = obj.extensions;
  if (isPlainObject(extensions)) {
    for (const key in extensions) {
      const ext = extensions[key];
      if (!isPlainObject(ext)) continue;
      if (ext.extension_type === 'new-sdo') return 'sdo';
      if (ext.extension_type === 'new-sro') return 'sro';
      if (ext.extension_type === 'new-sco') return 'sco';
    }
  }
  return obj.created !== undefined || obj.modified !== undefined ? 'sdo' : 'sco';
}

export interface RuleContext {
  type: string;
  /** true for a type STIX 2.1 does not define (validated with the custom-object schema) */
  custom: boolean;
}

/** Returns a person-readable reason ("/path: rule") for the first violated rule, or undefined. */
export function checkStixRules(obj: Readonly<Record<string, unknown>>, ctx: RuleContext): string | undefined {
  const id = obj.id as string;
  if (!hasTypePrefix(id, ctx.type)) {
    return `/id: must start with the object's own type followed by -- (expected "${ctx.type}--<uuid>")`;
  }
  return (
    checkTimestamps(obj, ctx.type) ??
    checkOrdering(obj, ctx.type) ??
    checkMarkings(obj, id, ctx.type) ??
    checkTypeSpecific(obj, id, ctx)
  );
}

// ---- identifiers ----------------------------------------------------------------------------------------

function hasTypePrefix(id: string, type: string): boolean {
  return (
    id.length > type.length + 2 &&
    id.startsWith(type) &&
    id.charCodeAt(type.length) === 45 &&
    id.charCodeAt(type.length + 1) === 45
  );
}

/** The type part of an identifier (the text before "--"). */
function typeOfId(id: string): string {
  const i = id.indexOf('--');
  return i < 0 ? id : id.slice(0, i);
}

function isUuidV4(id: string): boolean {
  // <type>--xxxxxxxx-xxxx-Vxxx-…: the version digit is 14 characters after the "--".
  const i = id.indexOf('--');
  return i >= 0 && id.charCodeAt(i + 2 + 14) === 52; // '4'
}

// ---- timestamps (§2.16) ---------------------------------------------------------------------------------

/** Timestamp-valued properties other than created/modified, as paths from the object root. */
const TIMESTAMP_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  campaign: [['first_seen'], ['last_seen']],
  indicator: [['valid_from'], ['valid_until']],
  infrastructure: [['first_seen'], ['last_seen']],
  'intrusion-set': [['first_seen'], ['last_seen']],
  malware: [['first_seen'], ['last_seen']],
  'malware-analysis': [['submitted'], ['analysis_started'], ['analysis_ended']],
  'observed-data': [['first_observed'], ['last_observed']],
  report: [['published']],
  'threat-actor': [['first_seen'], ['last_seen']],
  relationship: [['start_time'], ['stop_time']],
  sighting: [['first_seen'], ['last_seen']],
  'language-content': [['object_modified']],
  directory: [['ctime'], ['mtime'], ['atime']],
  'email-message': [['date']],
  file: [['ctime'], ['mtime'], ['atime'], ['extensions', 'windows-pebinary-ext', 'time_date_stamp']],
  'network-traffic': [['start'], ['end']],
  process: [['created_time']],
  'user-account': [
    ['account_created'],
    ['account_expires'],
    ['credential_last_changed'],
    ['account_first_login'],
    ['account_last_login'],
  ],
  'windows-registry-key': [['modified_time']],
  'x509-certificate': [
    ['validity_not_before'],
    ['validity_not_after'],
    ['x509_v3_extensions', 'private_key_usage_period_not_before'],
    ['x509_v3_extensions', 'private_key_usage_period_not_after'],
  ],
};

// timestamps.ts owns general timestamp parsing. isCalendarValid only sees strings that already matched the
// schema's timestamp pattern, so it can skip parsing (cheap on the ingest hot path).

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Calendar check of a timestamp whose syntax the schema already accepted (e.g. rejects 2023-02-30). */
function isCalendarValid(ts: string): boolean {
  const dayTens = ts.charCodeAt(8) - 48;
  const day = dayTens * 10 + (ts.charCodeAt(9) - 48);
  if (day <= 28) return true;
  const month = Number(ts.slice(5, 7));
  if (month !== 2) return day <= (DAYS_IN_MONTH[month - 1] ?? 0);
  const year = Number(ts.slice(0, 4));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (leap ? 29 : 28);
}

function checkTimestamps(obj: Readonly<Record<string, unknown>>, type: string): string | undefined {
  if (typeof obj.created === 'string' && !isCalendarValid(obj.created)) return '/created: is not a valid calendar date';
  if (typeof obj.modified === 'string' && !isCalendarValid(obj.modified))
    return '/modified: is not a valid calendar date';
  const paths = TIMESTAMP_PATHS[type];
  if (paths === undefined) return undefined;
  for (const path of paths) {
    const value = valueAt(obj, path);
    if (typeof value === 'string' && !isCalendarValid(value)) return `/${path.join('/')}: is not a valid calendar date`;
  }
  return undefined;
}

function valueAt(obj: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** [earlier, later, strictly later?] pairs per type (§4.2, §4.7–4.9, §4.11, §4.14, §4.17, §5.1, §5.2, §6.12). */
const ORDERING: Readonly<Record<string, readonly (readonly [string, string, boolean])[]>> = {
  campaign: [['first_seen', 'last_seen', false]],
  infrastructure: [['first_seen', 'last_seen', false]],
  'intrusion-set': [['first_seen', 'last_seen', false]],
  malware: [['first_seen', 'last_seen', false]],
  'threat-actor': [['first_seen', 'last_seen', false]],
  sighting: [['first_seen', 'last_seen', false]],
  indicator: [['valid_from', 'valid_until', true]],
  'observed-data': [['first_observed', 'last_observed', false]],
  relationship: [['start_time', 'stop_time', true]],
  'network-traffic': [['start', 'end', false]],
};

function checkOrdering(obj: Readonly<Record<string, unknown>>, type: string): string | undefined {
  const { created, modified } = obj;
  if (typeof created === 'string' && typeof modified === 'string' && compareTimestamps(modified, created) < 0) {
    return '/modified: must not be earlier than created';
  }
  const pairs = ORDERING[type];
  if (pairs === undefined) return undefined;
  for (const [earlier, later, strict] of pairs) {
    const a = obj[earlier];
    const b = obj[later];
    if (typeof a !== 'string' || typeof b !== 'string') continue;
    const cmp = compareTimestamps(b, a);
    if (strict ? cmp <= 0 : cmp < 0) {
      return `/${later}: must be ${strict ? 'later than' : 'equal to or later than'} ${earlier}`;
    }
  }
  return undefined;
}

// ---- markings (§7.2) ------------------------------------------------------------------------------------

function checkMarkings(obj: Readonly<Record<string, unknown>>, id: string, type: string): string | undefined {
  const isMarking = type === 'marking-definition';
  const refs = obj.object_marking_refs;
  if (isMarking && Array.isArray(refs)) {
    const i = refs.indexOf(id);
    if (i >= 0) return `/object_marking_refs/${i}: a marking definition must not mark itself`;
  }
  const granular = obj.granular_markings;
  if (!Array.isArray(granular)) return undefined;
  for (let i = 0; i < granular.length; i++) {
    const marking = granular[i] as Record<string, unknown>;
    if (isMarking && marking.marking_ref === id) {
      return `/granular_markings/${i}/marking_ref: a marking definition must not mark itself`;
    }
    const selectors = marking.selectors as readonly string[];
    for (let j = 0; j < selectors.length; j++) {
      const selector = selectors[j] as string;
      if (!selectorResolves(obj, selector)) {
        return `/granular_markings/${i}/selectors/${j}: selector "${selector}" does not point to content of this object`;
      }
    }
  }
  return undefined;
}

const INDEX_STEP = /^\[(0|[1-9][0-9]*)\]$/;

/** §7.2.3.1: dot-separated property names / dictionary keys and [n] list indexes, all present. */
function selectorResolves(obj: unknown, selector: string): boolean {
  if (selector.length === 0) return false;
  let cur: unknown = obj;
  for (const step of selector.split('.')) {
    const index = INDEX_STEP.exec(step);
    if (index !== null) {
      const n = Number(index[1]);
      if (!Array.isArray(cur) || n >= cur.length) return false;
      cur = cur[n];
    } else {
      if (!isPlainObject(cur) || step.length === 0 || !Object.prototype.hasOwnProperty.call(cur, step)) return false;
      cur = cur[step];
    }
  }
  return true;
}

// ---- type-specific rules --------------------------------------------------------------------------------

/** Types that an SRO endpoint may not name (§5.1: source_ref/target_ref point to SDOs or SCOs). */
const NOT_RELATIONSHIP_ENDPOINT: ReadonlySet<string> = new Set([...SRO_TYPES, ...SMO_TYPES, 'bundle']);

/** SCOs whose ID-contributing properties are all optional: without any of them the id must be UUIDv4 (§2.9, §6). */
const SCO_ID_CONTRIBUTORS: Readonly<Record<string, readonly string[]>> = {
  'email-message': ['from_ref', 'subject', 'body'],
  'user-account': ['account_type', 'user_id', 'account_login'],
  'windows-registry-key': ['key', 'values'],
  'x509-certificate': ['hashes', 'serial_number'],
  process: [],
};

/** Properties every custom object may carry; a custom object needs at least one property beyond them. */
const CUSTOM_BASE_PROPERTIES: ReadonlySet<string> = new Set(['type', 'id', 'spec_version']);

function checkTypeSpecific(obj: Readonly<Record<string, unknown>>, id: string, ctx: RuleContext): string | undefined {
  if (ctx.custom) {
    for (const key in obj) if (!CUSTOM_BASE_PROPERTIES.has(key)) return undefined;
    return 'a custom object must have at least one property besides type, id and spec_version';
  }
  switch (ctx.type) {
    case 'relationship':
      for (const prop of ['source_ref', 'target_ref'] as const) {
        const target = typeOfId(obj[prop] as string);
        if (NOT_RELATIONSHIP_ENDPOINT.has(target)) {
          return `/${prop}: a relationship must connect SDOs or SCOs, not a ${target}`;
        }
      }
      return undefined;
    case 'sighting': {
      const target = typeOfId(obj.sighting_of_ref as string);
      if (NOT_RELATIONSHIP_ENDPOINT.has(target) || SCO_TYPES.has(target)) {
        return `/sighting_of_ref: must be the id of an SDO, not a ${target}`;
      }
      return undefined;
    }
    case 'observed-data':
      return checkObservedDataRefs(obj.object_refs);
    case 'indicator':
      return checkIndicatorPattern(obj);
    default: {
      const contributors = SCO_ID_CONTRIBUTORS[ctx.type];
      if (contributors !== undefined && !contributors.some((p) => obj[p] !== undefined) && !isUuidV4(id)) {
        return contributors.length === 0
          ? `/id: a ${ctx.type} id must use a version 4 UUID`
          : `/id: must use a version 4 UUID when none of ${contributors.join(', ')} is present`;
      }
      return undefined;
    }
  }
}

/** §4.7 and §9: a pattern whose pattern_type is "stix" must follow the STIX patterning grammar. */
function checkIndicatorPattern(obj: Readonly<Record<string, unknown>>): string | undefined {
  if (obj.pattern_type !== 'stix' || typeof obj.pattern !== 'string') return undefined;
  const result = parseStixPattern(obj.pattern);
  return result.ok ? undefined : `/pattern: ${describePatternFailure(result)}`;
}

/** §4.14: object_refs lists SCOs (at least one) and optionally SROs. Custom types are given the benefit of the doubt. */
function checkObservedDataRefs(refs: unknown): string | undefined {
  if (!Array.isArray(refs)) return undefined;
  let observable = false;
  for (let i = 0; i < refs.length; i++) {
    const target = typeOfId(refs[i] as string);
    if (SDO_TYPES.has(target) || SMO_TYPES.has(target) || target === 'bundle') {
      return `/object_refs/${i}: observed-data may only reference SCOs and SROs, not a ${target}`;
    }
    if (!SRO_TYPES.has(target)) observable = true;
  }
  return observable ? undefined : '/object_refs: must reference at least one cyber-observable object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
