// STIX 2.1 §3 (common properties), §4–§7 (object types), §11 (customization): per-object ingest validation.
// JSON Schemas in schemas/stix are compiled once; each object goes to its type's schema.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { projectRoot } from '../paths.js';
import { categoryOfCustomObject, checkStixRules } from './stix-rules.js';
import { SCO_TYPES, SDO_TYPES, SMO_TYPES, SRO_TYPES, type StixCategory } from './types.js';

export type StixVerdict =
  { ok: true; id: string; type: string; specVersion: string } | { ok: false; id?: string; reason: string };

export interface StixValidator {
  validate(obj: unknown): StixVerdict;
}

interface TypeEntry {
  validate: ValidateFunction;
  category: StixCategory | 'custom';
}

/** Schema folders and the STIX types each must hold, one `<type>.json` per type. */
const SCHEMA_FOLDERS: readonly (readonly [folder: string, category: StixCategory, types: ReadonlySet<string>])[] = [
  ['sdo', 'sdo', SDO_TYPES],
  ['sro', 'sro', SRO_TYPES],
  ['sco', 'sco', SCO_TYPES],
  ['smo', 'smo', SMO_TYPES],
];
const SHARED_SCHEMAS = ['common.json'];
const CUSTOM_SCHEMA = join('custom', 'custom-object.json');

/** Message annotation used in our schemas: keyword → reason shown to people. */
const MESSAGES_KEYWORD = 'x-messages';

export function createStixValidator(): StixValidator {
  const schemaDir = join(projectRoot, 'schemas', 'stix');
  const ajv = new Ajv2020({
    strict: true,
    // anyOf/oneOf/if branches such as {"required": ["url"]} name properties declared by the enclosing schema,
    // which strictRequired does not look at; it is off in ajv's own default strict mode too.
    strictRequired: false,
    // Each type schema lists its standard properties and lets any other name through only if it matches the
    // custom-property pattern (patternProperties + additionalProperties: false), so standard names never pay
    // for the regex. Standard names also match that pattern, which strict mode would otherwise refuse.
    allowMatchingProperties: true,
    allErrors: false,
    // verbose puts the failing schema node and data on each error (used for readable reasons); it costs
    // nothing on the success path.
    verbose: true,
    keywords: [MESSAGES_KEYWORD],
    // Every pattern in schemas/stix is ASCII-only; non-unicode regexes are markedly faster in V8.
    unicodeRegExp: false,
  });
  for (const file of SHARED_SCHEMAS) ajv.addSchema(readSchema(join(schemaDir, file)));

  const byType = new Map<string, TypeEntry>();
  for (const [folder, category, types] of SCHEMA_FOLDERS) {
    const files = readdirSync(join(schemaDir, folder)).filter((f) => f.endsWith('.json'));
    const found = new Set(files.map((f) => f.slice(0, -'.json'.length)));
    for (const type of types) {
      if (!found.has(type)) throw new Error(`STIX schema missing: schemas/stix/${folder}/${type}.json`);
    }
    for (const type of found) {
      if (!types.has(type)) throw new Error(`unexpected STIX schema schemas/stix/${folder}/${type}.json`);
      byType.set(type, { validate: ajv.compile(readSchema(join(schemaDir, folder, `${type}.json`))), category });
    }
  }
  const custom: TypeEntry = { validate: ajv.compile(readSchema(join(schemaDir, CUSTOM_SCHEMA))), category: 'custom' };

  /** The reason an object fails, or undefined when it is valid. */
  function reasonToReject(obj: Record<string, unknown>): string | undefined {
    const type = obj.type;
    if (type === undefined) return '/type: required property missing';
    if (typeof type !== 'string') return '/type: must be a string';
    if (type === 'bundle') return '/type: a bundle is not a STIX object; submit the objects it contains';
    const entry = byType.get(type) ?? custom;
    const isCustom = entry.category === 'custom';
    const category = entry.category === 'custom' ? categoryOfCustomObject(obj) : entry.category;

    // §3.2: spec_version is optional only on SCOs (where it defaults to 2.1). A non-SCO without it would be
    // a STIX 2.0 object, which this server does not store.
    if (obj.spec_version === undefined && category !== 'sco') {
      return '/spec_version: spec_version is required (only cyber-observable objects may omit it)';
    }
    if (!entry.validate(obj)) return describeError(entry.validate.errors);
    if (isCustom && category !== 'sco' && (obj.created === undefined || obj.modified === undefined)) {
      return `/${obj.created === undefined ? 'created' : 'modified'}: required property missing`;
    }
    return checkStixRules(obj, { type, custom: isCustom });
  }

  return {
    validate(input: unknown): StixVerdict {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return { ok: false, reason: 'not a JSON object' };
      }
      const obj = input as Record<string, unknown>;
      const reason = reasonToReject(obj);
      const id = obj.id;
      if (reason !== undefined) return typeof id === 'string' ? { ok: false, id, reason } : { ok: false, reason };
      const specVersion = obj.spec_version;
      return {
        ok: true,
        id: id as string,
        type: obj.type as string,
        specVersion: typeof specVersion === 'string' ? specVersion : '2.1',
      };
    },
  };
}

function readSchema(file: string): AnySchemaObject {
  return JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject;
}

// ---- readable reasons -----------------------------------------------------------------------------------

/** Keywords whose own error only says "a sub-schema failed"; the error reported just before them is the cause. */
const WRAPPER_KEYWORDS: ReadonlySet<string> = new Set(['if', 'propertyNames', '$ref', 'allOf']);

const ARTICLE: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

/** Turns the first ajv error into "/path: rule", preferring the messages written in the schemas. */
function describeError(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid STIX object';
  let error = errors[errors.length - 1] as ErrorObject;
  for (let i = errors.length - 1; i >= 0; i--) {
    const candidate = errors[i] as ErrorObject;
    if (!WRAPPER_KEYWORDS.has(candidate.keyword)) {
      error = candidate;
      break;
    }
  }
  let path = error.instancePath;
  if (error.propertyName !== undefined) path += '/' + escapePointer(error.propertyName);
  const custom = schemaMessage(error);
  const params = error.params as Record<string, unknown>;
  let rule: string;
  switch (error.keyword) {
    case 'required':
      path += '/' + escapePointer(String(params.missingProperty));
      rule = custom ?? 'required property missing';
      break;
    case 'dependentRequired':
      path += '/' + escapePointer(String(params.missingProperty));
      rule = custom ?? `required when ${String(params.property)} is present`;
      break;
    case 'additionalProperties':
      path += '/' + escapePointer(String(params.additionalProperty));
      rule = custom ?? 'property not allowed here';
      break;
    case 'const': {
      const diff = custom === undefined ? undefined : firstDifference(error.data, params.allowedValue);
      if (diff !== undefined) path += diff.path;
      rule =
        custom === undefined
          ? `must be ${JSON.stringify(params.allowedValue)}`
          : diff === undefined || diff.path === ''
            ? custom
            : `${custom} (${diff.detail})`;
      break;
    }
    case 'enum':
      rule = custom ?? `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'type':
      rule = `must be ${ARTICLE[String(params.type)] ?? String(params.type)}`;
      break;
    case 'minItems':
      rule =
        custom ?? (params.limit === 1 ? 'list must not be empty' : `must have at least ${String(params.limit)} items`);
      break;
    case 'minProperties':
      rule =
        custom ?? (params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} properties`);
      break;
    case 'minimum':
    case 'maximum':
      rule = custom ?? `must be ${String(params.comparison)} ${String(params.limit)}`;
      break;
    case 'pattern':
      rule = custom ?? `must match the pattern ${String(params.pattern)}`;
      break;
    case 'not':
      rule = custom ?? 'not allowed here';
      break;
    default:
      rule = custom ?? error.message ?? `fails the ${error.keyword} rule`;
  }
  return path === '' ? rule : `${path}: ${rule}`;
}

function schemaMessage(error: ErrorObject): string | undefined {
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  const messages = parent?.[MESSAGES_KEYWORD] as Record<string, string> | undefined;
  return messages?.[error.keyword];
}

/** For a failed const on an object (the fixed TLP markings), locates the first property that differs. */
function firstDifference(actual: unknown, expected: unknown): { path: string; detail: string } | undefined {
  if (!isRecord(actual) || !isRecord(expected)) {
    return JSON.stringify(actual) === JSON.stringify(expected)
      ? undefined
      : { path: '', detail: `expected ${JSON.stringify(expected)}` };
  }
  for (const key of Object.keys(expected)) {
    if (!Object.hasOwn(actual, key))
      return { path: '/' + escapePointer(key), detail: 'the fixed object has this property' };
    const inner = firstDifference(actual[key], expected[key]);
    if (inner !== undefined) return { path: '/' + escapePointer(key) + inner.path, detail: inner.detail };
  }
  for (const key of Object.keys(actual)) {
    if (!Object.hasOwn(expected, key))
      return { path: '/' + escapePointer(key), detail: 'the fixed object has no such property' };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
