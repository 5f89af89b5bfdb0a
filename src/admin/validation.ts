// Admin request bodies, validated with ajv against schemas/admin/*.json (the same schemas
// openapi.yaml documents), typed as below. Every problem is reported at once, as a 400 whose
// details list them; checks that need the store (does that tenant exist?) add to the same list.
// Conflicts with what is stored (a taken alias) are a 409 whose details list them the same way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConflictError, InvalidRequestError } from '../errors.js';
import { projectRoot } from '../paths.js';
import type { Role } from '../store/store.js';

export interface TenantCreate {
  id: string;
  name: string;
  identities?: string[];
}
export interface TenantUpdate {
  name?: string;
  identities?: string[];
}
export interface GroupCreate {
  id: string;
  name?: string;
  tenants: string[];
}
export interface GroupUpdate {
  name?: string | null;
  tenants?: string[];
}
export interface UserCreate {
  username: string;
  kind?: 'user' | 'service';
  password?: string;
  role?: Role;
  tenant?: string;
  certificates?: string[];
}
export interface UserUpdate {
  password?: string;
  role?: Role;
  tenant?: string | null;
  certificates?: string[];
}
export interface TokenCreate {
  label?: string;
  expires_at?: string;
}
export interface ApiRootCreate {
  path: string;
  title: string;
  description?: string;
  max_content_length?: number;
}
export interface ApiRootUpdate {
  title?: string;
  description?: string | null;
  max_content_length?: number;
}
/** A TLP level as a policy names it; TLP 1.0 `white` is TLP 2.0 `clear`. */
export type TlpInput = 'clear' | 'white' | 'green' | 'amber' | 'amber+strict' | 'red';
export interface PolicyInput {
  allowed_types?: string[];
  max_tlp?: TlpInput;
  provenance?: boolean;
}
/** A merge patch of a policy: null lifts a part. */
export type PolicyPatch = { [K in keyof PolicyInput]?: PolicyInput[K] | null };
export interface CollectionCreate {
  id?: string;
  title: string;
  description?: string;
  alias?: string;
  owner?: string;
  releasability?: boolean;
  policy?: PolicyInput;
}
export interface CollectionUpdate {
  title?: string;
  description?: string | null;
  alias?: string | null;
  owner?: string | null;
  releasability?: boolean;
  policy?: PolicyPatch | null;
}
export interface GrantInput {
  user?: string;
  tenant?: string;
  group?: string;
  read?: boolean;
  write?: boolean;
}
export interface GrantsPut {
  grants: GrantInput[];
}
export interface MarkingBindingPut {
  tenants?: string[];
  groups?: string[];
}

/** Each schema file and the type a valid body has. */
export interface Bodies {
  'tenant-create': TenantCreate;
  'tenant-update': TenantUpdate;
  'group-create': GroupCreate;
  'group-update': GroupUpdate;
  'user-create': UserCreate;
  'user-update': UserUpdate;
  'token-create': TokenCreate;
  'api-root-create': ApiRootCreate;
  'api-root-update': ApiRootUpdate;
  'collection-create': CollectionCreate;
  'collection-update': CollectionUpdate;
  grants: GrantsPut;
  'marking-binding': MarkingBindingPut;
}
export type BodyName = keyof Bodies;

export const BODY_NAMES: readonly BodyName[] = [
  'tenant-create',
  'tenant-update',
  'group-create',
  'group-update',
  'user-create',
  'user-update',
  'token-create',
  'api-root-create',
  'api-root-update',
  'collection-create',
  'collection-update',
  'grants',
  'marking-binding',
];

export const adminSchemaFile = (name: BodyName): string => join(projectRoot, 'schemas', 'admin', `${name}.json`);

// verbose: the schema of a failed keyword is at hand for messages (the `description` of a oneOf);
// strictRequired is off because the branches of a oneOf require properties declared around them.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
  coerceTypes: false,
});

/**
 * Rules the schema files state for clients (and openapi.yaml documents) that the services check in
 * code instead, next to the checks that need the store, so that one 400 lists every problem of a
 * request in the words the API has always used: `grants.1: gives neither read nor write` beside
 * `grants.0.group: there is no group "x"`. Were ajv to check them, a body breaking one of them
 * would be refused before the store checks ran, with fewer problems listed and in other words.
 * The validators below are compiled without these parts; each rule is the same as its check:
 * - user-create `if`/`then`/`else` (a user needs a password, a service account has none):
 *   accounts-admin.ts, create;
 * - grants `anyOf` (read or write is true): grants-admin.ts, replace;
 * - marking-binding `anyOf` (at least one tenant or group): markings-admin.ts, replace.
 */
export const CHECKED_IN_SERVICE: { readonly [N in BodyName]?: readonly string[] } = {
  'user-create': ['/if', '/then', '/else'],
  grants: ['/properties/grants/items/anyOf'],
  'marking-binding': ['/anyOf'],
};

/** The schema of `name` without the parts its service checks itself; a pointer that names nothing throws. */
export function serverSchema(name: BodyName, schema: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(schema);
  for (const pointer of CHECKED_IN_SERVICE[name] ?? []) {
    const parts = pointer.slice(1).split('/');
    const key = parts.pop() as string;
    let node: unknown = copy;
    for (const p of parts)
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[p] : undefined;
    if (typeof node !== 'object' || node === null || !(key in node))
      throw new Error(`schemas/admin/${name}.json has nothing at ${pointer}`);
    delete (node as Record<string, unknown>)[key];
  }
  return copy;
}

const validators = new Map<BodyName, ValidateFunction>(
  BODY_NAMES.map((name) => [
    name,
    ajv.compile(serverSchema(name, JSON.parse(readFileSync(adminSchemaFile(name), 'utf8')) as Record<string, unknown>)),
  ]),
);

/** The body typed as `name`, or a 400 listing every way it is not. An absent body counts as `{}`. */
export function validateBody<N extends BodyName>(name: N, body: unknown): Bodies[N] {
  const checked = checkBody(name, body);
  if (!checked.ok) throw invalid(checked.problems);
  return checked.value;
}

/** The body typed as `name`, or every way it is not: for callers that have problems of their own to add. */
export function checkBody<N extends BodyName>(
  name: N,
  body: unknown,
): { ok: true; value: Bodies[N] } | { ok: false; problems: string[] } {
  const value = body === undefined ? {} : body;
  const validate = validators.get(name) as ValidateFunction;
  if (!validate(value)) return { ok: false, problems: describeErrors(validate.errors ?? []) };
  return { ok: true, value: value as Bodies[N] };
}

/** A 400 listing the problems, each `where: what`. */
export function invalid(problems: readonly string[]): InvalidRequestError {
  return new InvalidRequestError(`The request body is invalid: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });
}

/** A 409 listing every way the request conflicts with stored records, each `where: what`. */
export function conflicting(problems: readonly string[]): ConflictError {
  return new ConflictError(`The request conflicts with existing records: ${problems.join('; ')}`, {
    details: { problems: [...problems] },
  });
}

/** Collection ids are UUIDs (any version, any case): an alias of that form could pass for one. */
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The problem with a collection alias as given in a body (any value: the schema checks the rest):
 * TAXII clients name a collection by id or alias in one URL segment, so an alias never looks like an id.
 */
export function aliasFormProblems(alias: unknown): string[] {
  return typeof alias === 'string' && UUID_FORM.test(alias)
    ? [`alias: "${alias}" has the form of a collection id (a UUID); an alias must not`]
    : [];
}

function describeErrors(errors: readonly ErrorObject[]): string[] {
  // The branches of a oneOf fail by design; the oneOf itself says what was meant.
  const oneOfAt = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.schemaPath));
  const inBranch = (e: ErrorObject) => [...oneOfAt].some((p) => e.schemaPath.startsWith(`${p}/`));
  const out = errors.filter((e) => !inBranch(e)).map(describe);
  return [...new Set(out)];
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(body)' : e.instancePath.slice(1).replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing required key "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minProperties':
      return `${where}: name at least one key to change`;
    case 'not':
      return `${where}: is reserved`;
    case 'oneOf': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return `${where}: ${description ?? 'must match exactly one allowed form'}`;
    }
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}
