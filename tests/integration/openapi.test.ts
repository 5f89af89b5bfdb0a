// openapi.yaml against the running app: the documented routes are the routes express serves, and every
// documented (operation, status) pair is exercised by a real request whose body, content type and
// headers are checked against the document (TAXII 2.1 §3.1 media type, §3.2 headers, §3.6 errors).
// The admin API (/admin/...) is covered the same way by the cases of admin-openapi-cases.ts, run on
// a second app with tenants, and its request body schemas are those of schemas/admin/*.json. The
// analyst API (/api/v1/...) is covered by the cases of api-openapi-cases.ts, on the TAXII app. The
// 429 of every secured operation comes from a third app that throttles an address after one
// failed sign-in: cheap, since a throttled request is refused before any password is checked.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import type { Express } from 'express';
import type supertest from 'supertest';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { BODY_NAMES, adminSchemaFile } from '../../src/admin/validation.js';
import { projectRoot } from '../../src/paths.js';
import { envelope, indicator, intrusionSet, malware } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  TEST_CONFIG,
  WRITER,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';
import { ADMIN_CONFIG, ADMIN_ENV, OPS } from './admin-fixtures.js';
import {
  ADMIN_INVALID_QUERY,
  ADMIN_OP,
  adminBenignUrl,
  adminCases,
  adminRequest,
  isAdminOp,
  setUpAdminRecords,
  type AdminCase,
} from './admin-openapi-cases.js';
import {
  API_OP,
  apiCases,
  apiMediaType,
  apiPath,
  apiQueryMismatches,
  apiRequest,
  isApiOp,
  setUpApiRecords,
} from './api-openapi-cases.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const BASE = 'https://palisade.invalid/openapi.yaml';
const SMALL_OBJECTS = '/small/collections/0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b/objects/';
/** A path segment whose percent-encoding cannot be decoded. */
const BROKEN = '%E0%A4%A';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
/** 400 distinct STIX ids, comma-separated: a valid `match[id]` whose request line passes 16 KiB. */
const LONG_ID_LIST = Array.from(
  { length: 400 },
  (_, i) => `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
).join(',');

const doc = parse(readFileSync(join(projectRoot, 'openapi.yaml'), 'utf8')) as Json;

function pointer(ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(part in node)) throw new Error(`unresolvable reference ${ref}`);
    node = node[part];
  }
  return node;
}

/** Follows a Reference Object (possibly chained) to what it names. */
function deref(node: unknown): Json {
  let n = node;
  for (let i = 0; isObject(n) && typeof n.$ref === 'string' && i < 10; i++) n = pointer(n.$ref);
  if (!isObject(n)) throw new Error('expected an object in openapi.yaml');
  return n;
}

const paths = (): Json => deref(doc.paths);

/** 'GET /{api_root}/' → its Operation Object. */
function operation(op: string): Json {
  const [method, template] = op.split(' ') as [string, string];
  const item = paths()[template];
  if (!isObject(item)) throw new Error(`openapi.yaml has no path ${template}`);
  const o = item[method.toLowerCase()];
  if (!isObject(o)) throw new Error(`openapi.yaml has no operation ${op}`);
  return o;
}

function documentedOperations(): string[] {
  const out: string[] = [];
  for (const [template, item] of Object.entries(paths())) {
    for (const m of HTTP_METHODS) if (isObject(deref(item)[m])) out.push(`${m.toUpperCase()} ${template}`);
  }
  return out.sort();
}

/** Path-level and operation-level parameters, the latter overriding (OpenAPI §4.8.10). */
function parametersOf(op: string): Json[] {
  const [, template] = op.split(' ') as [string, string];
  const byKey = new Map<string, Json>();
  for (const list of [deref(paths()[template]).parameters, operation(op).parameters]) {
    for (const p of Array.isArray(list) ? list : []) {
      const param = deref(p);
      byKey.set(`${String(param.in)}:${String(param.name)}`, param);
    }
  }
  return [...byKey.values()];
}

function responses(op: string): Json {
  return deref(operation(op).responses);
}

function documentedResponse(op: string, status: number): Json | undefined {
  const r = responses(op)[String(status)];
  return r === undefined ? undefined : deref(r);
}

/** The Prometheus scrape (src/ops/metrics-routes.ts): secured, but not TAXII. */
const METRICS_OP = 'GET /metrics';
const METRICS_MEDIA_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Operations whose errors are RFC 9457 problem documents rather than TAXII error resources. */
const problemOp = (op: string): boolean => isAdminOp(op) || isApiOp(op) || op === METRICS_OP;

const securedOp = (op: string): boolean => {
  const own = operation(op).security;
  const sec = own === undefined ? doc.security : own;
  return Array.isArray(sec) && sec.length > 0;
};

// ---- ajv over the document's components -----------------------------------------------------------

// strict: unknown keywords (typos) in openapi.yaml fail; strictRequired is off because if/then names
// properties declared by the surrounding schema, which that check cannot see; union types are
// allowed for the nullable fields of admin merge patches (`type: [string, 'null']`).
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
ajv.addKeyword('components'); // the wrapper below holds the components; ajv must not treat it as a typo
ajv.addSchema({ $id: BASE, components: doc.components });
const validators = new Map<string, ValidateFunction>();

/** A validator for a schema from openapi.yaml: a `#/components/...` reference or an inline schema. */
function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    if (isObject(schema) && typeof schema.$ref === 'string') v = ajv.compile({ $ref: `${BASE}${schema.$ref}` });
    else if (isObject(schema)) v = ajv.compile(schema);
    else throw new Error(`not a schema: ${key}`);
    validators.set(key, v);
  }
  return v;
}

function expectValid(schema: unknown, value: unknown, what: string): void {
  const v = validatorFor(schema);
  const ok = v(value);
  expect(ok, `${what} does not match openapi.yaml: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`).to.equal(
    true,
  );
}

// ---- express routes ---------------------------------------------------------------------------------

interface RouterLayer {
  name?: string;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle?: { stack?: RouterLayer[] };
  regexp?: { fast_slash?: boolean };
}

/** Every (METHOD, path) express answers, ignoring the `all(...)` catch-alls that only produce 405s. */
function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: RouterLayer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path;
        if (typeof path !== 'string') throw new Error(`route with a non-string path: ${String(path)}`);
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== '_all') out.push(`${m.toUpperCase()} ${prefix}${path}`);
        }
      } else if (layer.name === 'router' && Array.isArray(layer.handle?.stack)) {
        // A router mounted below "/" keeps its mount path only inside a RegExp; refuse to guess it.
        if (!layer.regexp?.fast_slash) throw new Error('a router is mounted below "/": extend expressRoutes()');
        walk(layer.handle.stack, prefix);
      }
    }
  };
  const router = (app as unknown as { _router?: { stack?: RouterLayer[] } })._router;
  if (!Array.isArray(router?.stack)) throw new Error('express app has no router stack');
  walk(router.stack, '');
  return out.sort();
}

/** 'GET /:root/status/:status/' → shape 'GET /{}/status/{}/' and names ['root', 'status']. */
function shapeOf(route: string, param: RegExp): { shape: string; names: string[] } {
  const names: string[] = [];
  const shape = route.replace(param, (_m, name: string) => {
    names.push(name);
    return '{}';
  });
  return { shape, names };
}
const expressShape = (r: string) => shapeOf(r, /:([A-Za-z0-9_]+)/g);
const openapiShape = (r: string) => shapeOf(r, /\{([^}/]+)\}/g);

// ---- the cases ----------------------------------------------------------------------------------------

interface Case {
  op: string;
  status: number;
  what: string;
  send: () => supertest.Test;
  check?: (res: supertest.Response, body: unknown) => void;
}

const OP = {
  discovery: 'GET /taxii2/',
  apiRoot: 'GET /{api_root}/',
  status: 'GET /{api_root}/status/{status_id}/',
  collections: 'GET /{api_root}/collections/',
  collection: 'GET /{api_root}/collections/{collection_id}/',
  manifest: 'GET /{api_root}/collections/{collection_id}/manifest/',
  objects: 'GET /{api_root}/collections/{collection_id}/objects/',
  add: 'POST /{api_root}/collections/{collection_id}/objects/',
  object: 'GET /{api_root}/collections/{collection_id}/objects/{object_id}/',
  del: 'DELETE /{api_root}/collections/{collection_id}/objects/{object_id}/',
  versions: 'GET /{api_root}/collections/{collection_id}/objects/{object_id}/versions/',
  healthz: 'GET /healthz',
  readyz: 'GET /readyz',
  metrics: METRICS_OP,
} as const;

describe('OpenAPI description (openapi.yaml)', () => {
  let app: TestApp;
  /** an app whose store is closed: readiness must fail */
  let down: TestApp;
  /** an app with tenants, tenant admins and members, for the admin API */
  let adminApp: TestApp;
  /** an app that refuses sign-ins from this address after one failure (429) */
  let throttled: TestApp;
  let statusId = '';
  const indV1 = indicator('oa-ind', '2024-01-01T00:00:00.000Z');
  const indV2 = indicator('oa-ind', '2024-05-01T00:00:00.000Z');
  const apt = intrusionSet('oa-apt');
  const doomed = indicator('oa-doomed');
  const absent = indicator('oa-never-added');

  before(async function () {
    // four apps, one of them seeded through the ingestion queue: slow on a loaded machine
    this.timeout(120_000);
    app = await startTestApp();
    const res = await app.post(objectsPath(), envelope(indV1, apt, indV2, doomed)).expect(202);
    expect(res.body.success_count).to.equal(4);
    statusId = res.body.id as string;
    down = await startTestApp();
    await down.container.store.close();
    adminApp = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    await setUpAdminRecords(adminApp);
    await setUpApiRecords(app);
    // A day-long window: the 429 cases may run long after this failure on a slow store.
    const auth = 'auth: { failure_limit: 1, failure_window_seconds: 86400 }';
    throttled = await startTestApp({ config: TEST_CONFIG.replace('auth: { failure_limit: 1000 }', auth) });
    await throttled.http.get('/taxii2/').auth(ANALYST.name, 'wrong-password').expect(401);
  });
  after(async () => {
    await app?.close();
    await adminApp?.close();
    await throttled?.close();
    await down?.close().catch(() => undefined); // its store is already closed
  });

  const as = (t: supertest.Test, user: TestUser = ANALYST): supertest.Test =>
    t.set('Accept', TAXII).auth(user.name, user.password);
  const validBody = JSON.stringify(envelope(indV1));

  /** A concrete URL for each operation that resolves to existing resources. */
  const url: Record<string, () => string> = {
    [OP.discovery]: () => '/taxii2/',
    [OP.apiRoot]: () => `/${ROOT}/`,
    [OP.status]: () => `/${ROOT}/status/${statusId}/`,
    [OP.collections]: () => `/${ROOT}/collections/`,
    [OP.collection]: () => `/${ROOT}/collections/${C1}/`,
    [OP.manifest]: () => manifestPath(),
    [OP.objects]: () => objectsPath(),
    [OP.add]: () => objectsPath(),
    [OP.object]: () => objectPath(indV1.id),
    [OP.del]: () => objectPath(indV1.id),
    [OP.versions]: () => versionsPath(indV1.id),
    [OP.healthz]: () => '/healthz',
    [OP.readyz]: () => '/readyz',
    [OP.metrics]: () => '/metrics',
  };

  /** The request an operation makes (on `on`, by default the TAXII app), without credentials or Accept. */
  const raw = (op: string, path?: string, on: () => TestApp = () => app): supertest.Test => {
    if (isAdminOp(op)) return adminRequest(on(), op, path);
    if (isApiOp(op)) return apiRequest(on(), op, path);
    path ??= (url[op] as () => string)();
    const [method] = op.split(' ') as [string];
    switch (method) {
      case 'GET':
        return on().http.get(path);
      case 'DELETE':
        return on().http.delete(path);
      case 'POST':
        return on().http.post(path).set('Content-Type', TAXII).send(validBody);
      default:
        throw new Error(`no request builder for ${op}`);
    }
  };

  const taxiiOps = Object.values(OP).filter((op) => op !== OP.healthz && op !== OP.readyz && op !== OP.metrics);
  const itemsOf = (body: unknown): unknown[] => {
    if (!isObject(body)) return [];
    const list = body.objects ?? body.versions;
    return Array.isArray(list) ? list : [];
  };

  const cases: (Case & Pick<AdminCase, 'body'>)[] = [
    // ---- 2xx -------------------------------------------------------------------------------------------
    { op: OP.discovery, status: 200, what: 'discovery', send: () => as(raw(OP.discovery)) },
    { op: OP.apiRoot, status: 200, what: 'API root', send: () => as(raw(OP.apiRoot)) },
    {
      op: OP.status,
      status: 200,
      what: 'status of the seeding POST',
      send: () => as(raw(OP.status)),
      check: (_res, body) => expect(body).to.include({ id: statusId, status: 'complete', success_count: 4 }),
    },
    { op: OP.collections, status: 200, what: 'collections list', send: () => as(raw(OP.collections), ADMIN) },
    {
      op: OP.collections,
      status: 200,
      what: 'empty collections list {}',
      send: () => as(raw(OP.collections, '/empty/collections/'), ADMIN),
      check: (_res, body) => expect(body).to.deep.equal({}),
    },
    { op: OP.collection, status: 200, what: 'collection by id', send: () => as(raw(OP.collection), WRITER) },
    {
      op: OP.collection,
      status: 200,
      what: 'collection by alias',
      send: () => as(app.http.get(`/${ROOT}/collections/state-linked/`)),
    },
    {
      op: OP.manifest,
      status: 200,
      what: 'manifest, all versions',
      send: () => as(app.http.get(`${manifestPath()}?match[version]=all`)),
      check: (res, body) => {
        const records = itemsOf(body) as { date_added: string }[];
        expect(records).to.have.length(4);
        expect(res.headers['x-taxii-date-added-first']).to.equal(records[0]?.date_added);
        expect(res.headers['x-taxii-date-added-last']).to.equal(records[records.length - 1]?.date_added);
      },
    },
    {
      op: OP.manifest,
      status: 200,
      what: 'manifest first page (more, next)',
      send: () => as(app.http.get(`${manifestPath()}?limit=1`)),
      check: (_res, body) => expect(body).to.include({ more: true }),
    },
    {
      op: OP.manifest,
      status: 200,
      what: 'empty manifest {}',
      send: () => as(app.http.get(`${manifestPath()}?match[type]=malware`)),
      check: (_res, body) => expect(body).to.deep.equal({}),
    },
    { op: OP.objects, status: 200, what: 'objects', send: () => as(raw(OP.objects)) },
    {
      op: OP.objects,
      status: 200,
      what: 'objects first page (more, next)',
      send: () => as(app.http.get(`${objectsPath()}?limit=1`)),
      check: (_res, body) => expect(body).to.include({ more: true }),
    },
    {
      op: OP.objects,
      status: 200,
      what: 'objects filtered to nothing {}',
      send: () => as(app.http.get(`${objectsPath()}?match[id]=${absent.id}`)),
      check: (_res, body) => expect(body).to.deep.equal({}),
    },
    {
      op: OP.add,
      status: 202,
      what: 'add with one valid and one invalid object',
      send: () =>
        as(app.http.post(objectsPath()))
          .set('Content-Type', TAXII)
          .send(JSON.stringify(envelope(malware('oa-mal'), { type: 'indicator', id: 'indicator--nope' }))),
      // answered as soon as the envelope is queued: everything is pending
      check: (_res, body) =>
        expect(body).to.include({
          status: 'pending',
          total_count: 2,
          success_count: 0,
          failure_count: 0,
          pending_count: 2,
        }),
    },
    {
      op: OP.object,
      status: 200,
      what: 'object, every version',
      send: () => as(app.http.get(`${objectPath(indV1.id)}?match[version]=all`)),
      check: (_res, body) => expect(itemsOf(body)).to.have.length(2),
    },
    {
      op: OP.object,
      status: 200,
      what: 'object with no version matching {}',
      send: () => as(app.http.get(`${objectPath(indV1.id)}?match[version]=2023-01-01T00:00:00Z`)),
      check: (_res, body) => expect(body).to.deep.equal({}),
    },
    {
      op: OP.versions,
      status: 200,
      what: 'versions',
      send: () => as(raw(OP.versions)),
      check: (_res, body) => expect(body).to.deep.equal({ more: false, versions: [indV1.modified, indV2.modified] }),
    },
    {
      op: OP.versions,
      status: 200,
      what: 'versions first page (more, next)',
      send: () => as(app.http.get(`${versionsPath(indV1.id)}?limit=1`)),
      check: (_res, body) => expect(body).to.include({ more: true }),
    },
    {
      op: OP.del,
      status: 200,
      what: 'delete an object',
      send: () => as(app.http.delete(objectPath(doomed.id))),
      check: (res) => expect(res.text ?? '').to.equal(''),
    },
    { op: OP.healthz, status: 200, what: 'liveness without credentials', send: () => raw(OP.healthz) },
    { op: OP.readyz, status: 200, what: 'readiness without credentials', send: () => raw(OP.readyz) },
    { op: OP.readyz, status: 503, what: 'readiness with the store unreachable', send: () => down.http.get('/readyz') },
    {
      op: OP.metrics,
      status: 200,
      what: 'scrape by a platform administrator',
      send: () => as(raw(OP.metrics), ADMIN),
      check: (res) => expect(res.text).to.match(/^palisade_http_requests_total\{/m),
    },
    { op: OP.metrics, status: 401, what: 'scrape without credentials', send: () => raw(OP.metrics) },
    { op: OP.metrics, status: 403, what: 'scrape by a member', send: () => as(raw(OP.metrics), ANALYST) },

    // ---- 400 -------------------------------------------------------------------------------------------
    {
      op: OP.apiRoot,
      status: 400,
      what: 'undecodable API root segment',
      send: () => as(raw(OP.apiRoot, `/${BROKEN}/`)),
    },
    {
      op: OP.status,
      status: 400,
      what: 'undecodable status id',
      send: () => as(raw(OP.status, `/${ROOT}/status/${BROKEN}/`)),
    },
    {
      op: OP.collections,
      status: 400,
      what: 'undecodable API root segment',
      send: () => as(raw(OP.collections, `/${BROKEN}/collections/`)),
    },
    {
      op: OP.collection,
      status: 400,
      what: 'undecodable collection id',
      send: () => as(raw(OP.collection, `/${ROOT}/collections/${BROKEN}/`)),
    },
    { op: OP.manifest, status: 400, what: 'limit=0', send: () => as(app.http.get(`${manifestPath()}?limit=0`)) },
    {
      op: OP.objects,
      status: 400,
      what: 'malformed added_after',
      send: () => as(app.http.get(`${objectsPath()}?added_after=yesterday`)),
      check: (_res, body) => expect(body).to.have.nested.property('details.added_after', 'yesterday'),
    },
    {
      op: OP.add,
      status: 400,
      what: 'body that is not JSON',
      send: () => as(app.http.post(objectsPath())).set('Content-Type', TAXII).send('{"objects": ['),
    },
    {
      op: OP.object,
      status: 400,
      what: 'bad match[version]',
      send: () => as(app.http.get(`${objectPath(indV1.id)}?match[version]=sometime`)),
    },
    {
      op: OP.del,
      status: 400,
      what: 'match[version]=all combined with first',
      send: () => as(app.http.delete(`${objectPath(indV1.id)}?match[version]=all,first`)),
    },
    {
      op: OP.versions,
      status: 400,
      what: 'forged next',
      send: () => as(app.http.get(`${versionsPath(indV1.id)}?next=forged.token`)),
    },

    // ---- 403 (a visible collection without the needed right) --------------------------------------------
    { op: OP.manifest, status: 403, what: 'write-only user', send: () => as(raw(OP.manifest), WRITER) },
    { op: OP.objects, status: 403, what: 'write-only user', send: () => as(raw(OP.objects), WRITER) },
    { op: OP.add, status: 403, what: 'read-only user', send: () => as(raw(OP.add), READER) },
    { op: OP.object, status: 403, what: 'write-only user', send: () => as(raw(OP.object), WRITER) },
    { op: OP.del, status: 403, what: 'read-only user', send: () => as(raw(OP.del), READER) },
    { op: OP.versions, status: 403, what: 'write-only user', send: () => as(raw(OP.versions), WRITER) },

    // ---- 404 -------------------------------------------------------------------------------------------
    { op: OP.apiRoot, status: 404, what: 'unknown API root', send: () => as(raw(OP.apiRoot, '/nowhere/')) },
    {
      op: OP.status,
      status: 404,
      what: 'status of another user',
      send: () => as(raw(OP.status), READER),
    },
    {
      op: OP.collections,
      status: 404,
      what: 'unknown API root',
      send: () => as(raw(OP.collections, '/nowhere/collections/')),
    },
    {
      op: OP.collection,
      status: 404,
      what: 'collection without a grant',
      send: () => as(raw(OP.collection), NOBODY),
    },
    {
      op: OP.manifest,
      status: 404,
      what: 'unknown collection',
      send: () => as(raw(OP.manifest, manifestPath(UNKNOWN_UUID))),
    },
    { op: OP.objects, status: 404, what: 'collection without a grant', send: () => as(raw(OP.objects), NOBODY) },
    { op: OP.add, status: 404, what: 'collection without a grant', send: () => as(raw(OP.add), NOBODY) },
    { op: OP.object, status: 404, what: 'unknown object', send: () => as(raw(OP.object, objectPath(absent.id))) },
    { op: OP.del, status: 404, what: 'unknown object', send: () => as(raw(OP.del, objectPath(absent.id))) },
    {
      op: OP.versions,
      status: 404,
      what: 'unknown object',
      send: () => as(raw(OP.versions, versionsPath(absent.id))),
    },

    // ---- 413, 415, 422 (POST only) ------------------------------------------------------------------------
    {
      op: OP.add,
      status: 413,
      what: 'body over max_content_length of /small/',
      send: () =>
        as(app.http.post(SMALL_OBJECTS))
          .set('Content-Type', TAXII)
          .send(JSON.stringify(envelope(...Array.from({ length: 12 }, (_, i) => indicator(`oa-big-${i}`))))),
    },
    {
      op: OP.add,
      status: 415,
      what: 'Content-Type application/json',
      send: () => as(app.http.post(objectsPath())).set('Content-Type', 'application/json').send(validBody),
    },
    {
      op: OP.add,
      status: 422,
      what: 'envelope without objects',
      send: () => as(app.http.post(objectsPath())).set('Content-Type', TAXII).send('{"objects": []}'),
    },

    // ---- 401, 405, 406 on every TAXII operation -------------------------------------------------------------
    ...taxiiOps.map((op): Case => ({
      op,
      status: 401,
      what: 'no credentials',
      send: () => raw(op).set('Accept', TAXII),
    })),
    ...taxiiOps.map((op): Case => ({
      op,
      status: 405,
      what: 'PUT on the path',
      send: () =>
        as(app.http.put((url[op] as () => string)()))
          .set('Content-Type', TAXII)
          .send(validBody),
      check: (res) => {
        const [method] = op.split(' ') as [string];
        expect(String(res.headers.allow).split(', ')).to.include(method);
      },
    })),
    ...taxiiOps.map((op): Case => ({
      op,
      status: 406,
      what: 'Accept: text/html',
      send: () => raw(op).auth(ANALYST.name, ANALYST.password).set('Accept', 'text/html'),
    })),

    // ---- the admin API ----------------------------------------------------------------------------------
    ...adminCases(() => adminApp),

    // ---- the analyst API ------------------------------------------------------------------------------
    ...apiCases(() => app),

    // ---- 429 on every secured operation, TAXII, admin and analyst: the address failed to sign in too often
    ...[...taxiiOps, OP.metrics, ...Object.values(ADMIN_OP), ...Object.values(API_OP)].map((op): Case => ({
      op,
      status: 429,
      what: 'right credentials from an address that failed too often',
      send: () =>
        as(
          raw(op, undefined, () => throttled),
          isAdminOp(op) ? OPS : op === OP.metrics ? ADMIN : ANALYST,
        ),
      check: (res) => expect(Number(res.headers['retry-after'])).to.be.above(0),
    })),

    // ---- 431 on every operation: the request head passes server.limits.max_header_size --------------
    // The query is 400 well-formed STIX ids (about 19 KB, within the documented 1000); Node's HTTP
    // parser answers before the app sees the request, whatever the path, method or credentials.
    ...documentedOperations().map((op): Case => ({
      op,
      status: 431,
      what: 'a query string beyond the header size limit',
      send: () => {
        const path = isAdminOp(op) ? adminBenignUrl(op) : isApiOp(op) ? apiPath(op) : (url[op] as () => string)();
        const on = isAdminOp(op) ? () => adminApp : () => app;
        return as(raw(op, `${path}?match[id]=${LONG_ID_LIST}`, on), isAdminOp(op) ? OPS : ANALYST);
      },
      check: (res) => expect(res.headers.connection).to.equal('close'),
    })),
  ];

  const templateRegExp = (template: string): RegExp =>
    new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`);

  /** The checks every response gets, from what openapi.yaml says about (operation, status). */
  function checkAgainstDocument(c: Case, test: supertest.Test, res: supertest.Response): unknown {
    const [method, template] = c.op.split(' ') as [string, string];
    const sent = new URL(test.url);
    expect(sent.pathname, 'the request URL does not fit the documented path template').to.match(
      templateRegExp(template),
    );
    if (c.status !== 405) expect(test.method, 'request method').to.equal(method);
    expect(res.status, `${c.op} (${c.what}): ${res.text}`).to.equal(c.status);

    const documentedRes = documentedResponse(c.op, res.status);
    expect(documentedRes, `openapi.yaml does not document ${res.status} for ${c.op}`).to.not.equal(undefined);
    const response = documentedRes as Json;

    // Body: exactly the documented media type, and a body valid against its schema.
    let body: unknown;
    const content = response.content === undefined ? undefined : deref(response.content);
    if (content) {
      const types = Object.keys(content);
      expect(types, 'one media type per response').to.have.length(1);
      expect(res.headers['content-type']).to.equal(types[0]);
      // The metrics are text (Prometheus exposition format); everything else is JSON.
      body = types[0] === METRICS_MEDIA_TYPE ? res.text : (JSON.parse(res.text) as unknown);
      expectValid(deref(content[types[0] as string]).schema, body, `${c.op} ${res.status} body`);
    } else {
      expect(res.text ?? '', `${c.op} ${res.status} is documented without a body`).to.equal('');
    }

    // Headers: required ones are present, every present one is valid, and API headers are documented.
    const headers = response.headers === undefined ? {} : deref(response.headers);
    const documented = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    for (const [name, h] of Object.entries(headers)) {
      const header = deref(h);
      const value = res.headers[name.toLowerCase()] as string | undefined;
      if (header.required === true) expect(value, `${c.op} ${res.status}: header ${name}`).to.be.a('string');
      if (value !== undefined) expectValid(header.schema, value, `${c.op} ${res.status} header ${name}`);
    }
    for (const name of Object.keys(res.headers)) {
      if (name.startsWith('x-taxii-') || ['x-request-id', 'www-authenticate', 'allow', 'retry-after'].includes(name)) {
        expect(documented.has(name), `${c.op} ${res.status} sends the undocumented header ${name}`).to.equal(true);
      }
    }

    // Date-Added headers accompany exactly the non-empty pages (§3.2).
    if (documented.has('x-taxii-date-added-first')) {
      const nonEmpty = itemsOf(body).length > 0;
      expect('x-taxii-date-added-first' in res.headers, 'X-TAXII-Date-Added-First presence').to.equal(nonEmpty);
      expect('x-taxii-date-added-last' in res.headers, 'X-TAXII-Date-Added-Last presence').to.equal(nonEmpty);
      if (nonEmpty) {
        expect(
          String(res.headers['x-taxii-date-added-first']) <= String(res.headers['x-taxii-date-added-last']),
        ).to.equal(true);
      }
    }

    // §3.6 error resource: the status as a string, and the request id as the error id. Outside
    // TAXII (the operations probes) errors are RFC 9457 problem documents carrying the same facts.
    // A 431 comes from Node's HTTP parser and is documented without a body: nothing to compare.
    if (content === undefined) {
      // checked above: the response has no body
    } else if (res.status >= 400 && securedOp(c.op) && !problemOp(c.op)) {
      expect(body).to.include({ http_status: String(res.status), error_id: res.headers['x-request-id'] });
    } else if (res.status >= 400) {
      expect(body).to.include({ status: res.status, request_id: res.headers['x-request-id'] });
    }
    return body;
  }

  it('openapi.yaml documents exactly the routes the app serves', () => {
    const served = expressRoutes(buildApp(app.container));
    const documentedOps = documentedOperations();
    expect(served.map((r) => expressShape(r).shape).sort(), 'routes (parameters by position)').to.deep.equal(
      documentedOps.map((r) => openapiShape(r).shape).sort(),
    );

    // Parameter names correspond by position, one OpenAPI name per express name and vice versa.
    const toOpenapi = new Map<string, string>();
    const toExpress = new Map<string, string>();
    for (const route of served) {
      const e = expressShape(route);
      const o = documentedOps.map(openapiShape).find((d) => d.shape === e.shape) as { names: string[] };
      e.names.forEach((name, i) => {
        const oname = o.names[i] as string;
        expect(toOpenapi.get(name) ?? oname, `express :${name}`).to.equal(oname);
        expect(toExpress.get(oname) ?? name, `OpenAPI {${oname}}`).to.equal(name);
        toOpenapi.set(name, oname);
        toExpress.set(oname, name);
      });
    }
  });

  it('openapi.yaml declares every path parameter, the security schemes and the TAXII media type consistently', () => {
    const schemes = deref(deref(doc.components).securitySchemes);
    expect(deref(schemes.basicAuth)).to.include({ type: 'http', scheme: 'basic' });
    expect(deref(schemes.bearerAuth)).to.include({ type: 'http', scheme: 'bearer' });
    // Either scheme alone authenticates (alternatives, not both at once), on TAXII and admin alike.
    expect(doc.security).to.deep.equal([{ basicAuth: [] }, { bearerAuth: [] }]);
    for (const op of documentedOperations()) {
      const [, template] = op.split(' ') as [string, string];
      const params = parametersOf(op);
      const inPath = params.filter((p) => p.in === 'path');
      expect(inPath.map((p) => p.name).sort(), `${op} path parameters`).to.deep.equal(
        openapiShape(template).names.sort(),
      );
      for (const p of inPath) expect(p.required, `${op} {${String(p.name)}} required`).to.equal(true);
      for (const p of params) validatorFor(p.schema); // compiles, or throws on a schema typo
      // An operation lists 401 and 429 (sign-ins throttled) exactly when it needs credentials.
      expect('401' in responses(op), `${op}: 401 documented iff secured`).to.equal(securedOp(op));
      expect('429' in responses(op), `${op}: 429 documented iff secured`).to.equal(securedOp(op));
      // The header size limit applies before routing, to every request.
      expect(documentedResponse(op, 431), `${op}: 431 documented`).to.deep.equal(
        deref({ $ref: '#/components/responses/RequestHeaderFieldsTooLarge' }),
      );
      expect(Object.keys(responses(op)).length, `${op} responses`).to.be.above(0);
      for (const status of Object.keys(responses(op))) {
        const content = documentedResponse(op, Number(status))?.content;
        // TAXII operations answer the TAXII media type; the admin API and the open operations probes
        // answer JSON; the analyst API answers JSON, but its export a STIX bundle.
        const json = [Number(status) >= 400 ? 'application/problem+json' : 'application/json'];
        // The metrics answer the Prometheus text format, and problem documents for errors.
        const expected = isApiOp(op)
          ? [apiMediaType(op, Number(status))]
          : op === OP.metrics
            ? [Number(status) >= 400 ? 'application/problem+json' : METRICS_MEDIA_TYPE]
            : securedOp(op) && !isAdminOp(op)
              ? [TAXII]
              : json;
        if (content !== undefined) expect(Object.keys(deref(content))).to.deep.equal(expected);
      }
    }
    expect(documentedOperations().filter((op) => !securedOp(op))).to.deep.equal([OP.healthz, OP.readyz]);
  });

  it('every documented (operation, status) pair is exercised below, and no other', () => {
    const documentedPairs = documentedOperations().flatMap((op) => Object.keys(responses(op)).map((s) => `${op} ${s}`));
    const exercised = [...new Set(cases.map((c) => `${c.op} ${c.status}`))];
    expect(exercised.sort()).to.deep.equal(documentedPairs.sort());
    const errorStatuses = new Set(cases.filter((c) => c.status >= 400).map((c) => c.status));
    expect([...errorStatuses].sort()).to.deep.equal([400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 431, 503]);
  });

  for (const c of cases) {
    it(`${c.op} answers ${c.status} (${c.what}) with the documented body and headers`, async () => {
      const test = c.send();
      const res = await test;
      const body = checkAgainstDocument(c, test, res);
      c.check?.(res, body);
    });
  }

  it('a paging walk with next through objects only yields pages that match the Envelope schema', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query = next === undefined ? 'limit=1' : `limit=1&next=${encodeURIComponent(next)}`;
      const c: Case = {
        op: OP.objects,
        status: 200,
        what: `page ${page}`,
        send: () => as(app.http.get(`${objectsPath()}?${query}`)),
      };
      const test = c.send();
      const body = checkAgainstDocument(c, test, await test) as {
        more?: boolean;
        next?: string;
        objects?: { id: string }[];
      };
      seen.push(...(body.objects ?? []).map((o) => o.id));
      if (!body.more) break;
      next = body.next;
    }
    expect(seen).to.have.length.above(2);
    expect(new Set(seen).size).to.equal(seen.length);
  });

  it('documents the admin request bodies exactly as schemas/admin/*.json, which validate them', () => {
    const schemas = deref(deref(doc.components).schemas);
    const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    for (const name of BODY_NAMES) {
      const file = JSON.parse(readFileSync(adminSchemaFile(name), 'utf8')) as Json;
      delete file.$schema;
      delete file.$id;
      const documented = schemas[`Admin${pascal(name)}`];
      expect(
        isDeepStrictEqual(documented, file),
        `components.schemas.Admin${pascal(name)} differs from ${name}.json`,
      ).to.equal(true);
    }
    // Every admin operation with a body names one of them.
    for (const op of documentedOperations().filter(isAdminOp)) {
      const body = operation(op).requestBody;
      if (body === undefined) continue;
      const ref = String((deref(deref(deref(body).content)['application/json']).schema as Json).$ref);
      expect(
        BODY_NAMES.map((n) => `#/components/schemas/Admin${pascal(n)}`),
        op,
      ).to.include(ref);
    }
  });

  it('the admin request bodies that succeeded match the documented request body', () => {
    for (const c of cases.filter((x) => isAdminOp(x.op) && x.status < 300 && x.body !== undefined)) {
      const body = deref(operation(c.op).requestBody);
      expectValid(deref(deref(body.content)['application/json']).schema, c.body, `${c.op} request body`);
    }
  });

  it('the query parameters documented per operation are exactly the ones the server honours', async () => {
    // An invalid value is a 400 where the endpoint reads the parameter, and ignored where it does not.
    const invalid: Record<string, string> = {
      added_after: 'not-a-time',
      limit: '0',
      next: '',
      'match[id]': 'not-an-id',
      'match[type]': 'Not_A_Type',
      'match[version]': 'sometime',
      'match[spec_version]': 'two',
      ...ADMIN_INVALID_QUERY,
    };
    const mismatches: string[] = [];
    // The analyst API refuses unknown parameters: it is checked on its own below.
    for (const op of documentedOperations().filter((o) => !isApiOp(o))) {
      const documented = new Set(
        parametersOf(op)
          .filter((p) => p.in === 'query')
          .map((p) => String(p.name)),
      );
      for (const name of documented)
        expect(Object.keys(invalid), `${op} documents an unknown query parameter`).to.include(name);
      // DELETE goes to an unknown object so that an ignored parameter cannot delete anything (404, not 400);
      // admin operations send a request that changes nothing (admin-openapi-cases.ts), as a platform admin.
      const path =
        op === OP.del ? objectPath(absent.id) : isAdminOp(op) ? adminBenignUrl(op) : (url[op] as () => string)();
      for (const [name, value] of Object.entries(invalid)) {
        const query = `${path}?${name}=${encodeURIComponent(value)}`;
        const res = isAdminOp(op)
          ? await adminRequest(adminApp, op, query).auth(OPS.name, OPS.password)
          : securedOp(op)
            ? await as(raw(op, query))
            : await raw(op, query);
        if ((res.status === 400) !== documented.has(name)) mismatches.push(`${op} ${name}: ${res.status}`);
      }
    }
    expect(mismatches).to.deep.equal([]);
  });

  it('the analyst API serves exactly its documented query parameters and refuses others', async function () {
    this.timeout(60_000);
    const documented = (op: string) =>
      new Set(
        parametersOf(op)
          .filter((p) => p.in === 'query')
          .map((p) => String(p.name)),
      );
    expect(await apiQueryMismatches(app, documented)).to.deep.equal([]);
  });

  it('the documented security schemes authenticate TAXII and admin requests: Basic, Bearer and Token', async () => {
    const issued = await adminRequest(adminApp, ADMIN_OP.issueToken, '/admin/users/ops/tokens')
      .auth(OPS.name, OPS.password)
      .expect(201);
    const token = issued.body.token as string;
    expect(token).to.match(/^pal_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    for (const scheme of ['Bearer', 'Token']) {
      const header = `${scheme} ${token}`;
      await adminApp.http.get('/taxii2/').set('Accept', TAXII).set('Authorization', header).expect(200);
      await adminApp.http.get('/admin/tenants').set('Authorization', header).expect(200);
      await adminApp.http.get('/admin/tenants').set('Authorization', `${scheme} ${token}x`).expect(401);
    }
    await adminApp.http.get('/admin/tenants').auth(OPS.name, OPS.password).expect(200);
  });

  it('the operations marked as secured are exactly those that refuse a wrong password', async () => {
    for (const op of documentedOperations()) {
      const res = await raw(op).set('Accept', TAXII).auth(ANALYST.name, 'wrong-password');
      expect(res.status === 401, `${op}: ${res.status}`).to.equal(securedOp(op));
      if (res.status === 401) expect(res.headers['www-authenticate'], op).to.match(/^Basic realm="/);
    }
  });
});
