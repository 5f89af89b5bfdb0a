// The analyst API half of tests/integration/openapi.test.ts: for every /api/v1 operation openapi.yaml
// documents, one real request per documented status (but 429 and 431, which openapi.test.ts sends to
// every secured operation), on the TAXII test app. The objects the analyst API reads are seeded in
// the collection only the platform admin may read, so that the admin's answers hold them and another
// account's requests for them are the 404 of a hidden object; the TAXII cases keep their own
// collection untouched.
import { expect } from 'chai';
import type supertest from 'supertest';
import { ADMIN, ANALYST, C2, objectsPath, type TestApp, type TestUser } from '../helpers/test-app.js';

export const API_OP = {
  me: 'GET /api/v1/me',
  collections: 'GET /api/v1/collections',
  search: 'GET /api/v1/search',
  object: 'GET /api/v1/objects/{object_id}',
  neighbors: 'GET /api/v1/objects/{object_id}/neighbors',
  actors: 'GET /api/v1/actors',
  actor: 'GET /api/v1/actors/{actor_id}',
  layer: 'GET /api/v1/actors/{actor_id}/navigator-layer',
  compare: 'GET /api/v1/compare',
  changes: 'GET /api/v1/changes',
  export: 'GET /api/v1/export',
} as const;

export const isApiOp = (op: string): boolean => (op.split(' ')[1] ?? '').startsWith('/api/');

const T = '2024-03-01T00:00:00.000Z';
const id = (type: string, tail: string): string => `${type}--0a0a0a0a-4a4a-4b4b-8c8c-${tail}`;
export const WREN = id('intrusion-set', '000000000001');
export const FINCH = id('intrusion-set', '000000000002');
export const LOADER = id('malware', '000000000003');
export const PHISHING = id('attack-pattern', '000000000004');
const UNKNOWN = id('intrusion-set', '0000000000ff');
const NO_COLLECTION = '00000000-0000-4000-8000-000000000000';

const SEED = [
  {
    type: 'intrusion-set',
    spec_version: '2.1',
    id: WREN,
    created: T,
    modified: T,
    name: 'Ochre Wren',
    aliases: ['Ochre Wren', 'Rusty Sparrow'],
    description: 'An intrusion set seeded for the OpenAPI cases.',
    external_references: [{ source_name: 'mitre-attack', external_id: 'G9001' }],
  },
  { type: 'intrusion-set', spec_version: '2.1', id: FINCH, created: T, modified: T, name: 'Slate Finch' },
  { type: 'malware', spec_version: '2.1', id: LOADER, created: T, modified: T, name: 'WrenLoader', is_family: true },
  {
    type: 'attack-pattern',
    spec_version: '2.1',
    id: PHISHING,
    created: T,
    modified: T,
    name: 'Phishing',
    external_references: [{ source_name: 'mitre-attack', external_id: 'T1566' }],
    kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'initial-access' }],
  },
  ...(
    [
      [WREN, LOADER, '000000000005'],
      [WREN, PHISHING, '000000000006'],
      [FINCH, PHISHING, '000000000007'],
    ] as const
  ).map(([source, target, tail]) => ({
    type: 'relationship',
    spec_version: '2.1',
    id: id('relationship', tail),
    created: T,
    modified: T,
    relationship_type: 'uses',
    source_ref: source,
    target_ref: target,
  })),
];

/** Before anything was seeded: `since` of the changes cases. */
const BEFORE = '2000-01-01T00:00:00Z';

/** Adds the objects the analyst cases read to the platform admin's collection. */
export async function setUpApiRecords(app: TestApp): Promise<void> {
  const res = await app.post(objectsPath(C2), JSON.stringify({ objects: SEED }), ADMIN);
  if (res.status !== 202 || (res.body as { success_count?: unknown }).success_count !== SEED.length) {
    throw new Error(`setting up the analyst cases: ${res.status} ${res.text}`);
  }
}

/** The path of each operation, on the seeded objects (no query). */
const PATHS: Record<string, string> = {
  [API_OP.me]: '/api/v1/me',
  [API_OP.collections]: '/api/v1/collections',
  [API_OP.search]: '/api/v1/search',
  [API_OP.object]: `/api/v1/objects/${WREN}`,
  [API_OP.neighbors]: `/api/v1/objects/${WREN}/neighbors`,
  [API_OP.actors]: '/api/v1/actors',
  [API_OP.actor]: `/api/v1/actors/${WREN}`,
  [API_OP.layer]: `/api/v1/actors/${WREN}/navigator-layer`,
  [API_OP.compare]: '/api/v1/compare',
  [API_OP.changes]: '/api/v1/changes',
  [API_OP.export]: '/api/v1/export',
};

/** The query of each operation's successful request: its required parameters, and nothing else. */
const REQUIRED_QUERY: Record<string, Record<string, string>> = {
  [API_OP.search]: { q: 'wren' },
  [API_OP.compare]: { actors: `${WREN},${FINCH}` },
  [API_OP.changes]: { since: BEFORE },
  [API_OP.export]: { ids: `${WREN},${LOADER}` },
};

export const apiPath = (op: string): string => {
  const p = PATHS[op];
  if (p === undefined) throw new Error(`no analyst API path for ${op}`);
  return p;
};

/** A URL of `op` that the platform admin gets a 200 for. */
export function apiUrl(op: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...REQUIRED_QUERY[op], ...query }).toString();
  return q === '' ? apiPath(op) : `${apiPath(op)}?${q}`;
}

/** The request of `op` (at `url`, by default its successful one), without credentials. */
export function apiRequest(app: TestApp, op: string, url?: string): supertest.Test {
  if (!op.startsWith('GET ')) throw new Error(`no request builder for ${op}`);
  return app.http.get(url ?? apiUrl(op));
}

/** The media type each documented (operation, status) answers. */
export const apiMediaType = (op: string, status: number): string =>
  status >= 400
    ? 'application/problem+json'
    : op === API_OP.export
      ? 'application/stix+json;version=2.1'
      : 'application/json';

export interface ApiCase {
  op: string;
  status: number;
  what: string;
  send: () => supertest.Test;
  check?: (res: supertest.Response, body: unknown) => void;
}

type Json = Record<string, unknown>;
const ids = (list: unknown): string[] => (Array.isArray(list) ? list.map((x) => String((x as Json).id)) : []);

/** Every documented (analyst operation, status) but 429 and 431, once or more. */
export function apiCases(app: () => TestApp): ApiCase[] {
  const ops = Object.values(API_OP);
  const get =
    (url: string, who: TestUser = ADMIN) =>
    () =>
      app().http.get(url).auth(who.name, who.password);
  const ok = (op: string, what: string, query: Record<string, string>, check: ApiCase['check']): ApiCase => ({
    op,
    status: 200,
    what,
    send: get(apiUrl(op, query)),
    check,
  });
  const code = (op: string, status: number, what: string, url: string, who: TestUser = ADMIN): ApiCase => ({
    op,
    status,
    what,
    send: get(url, who),
  });
  const hidden = (op: string, url: string): ApiCase =>
    code(op, 404, 'an object of a collection the caller may not read', url, ANALYST);
  return [
    // ---- 200 -------------------------------------------------------------------------------------------
    ok(API_OP.me, 'the platform admin', {}, (_res, b) =>
      expect(b).to.deep.equal({ username: ADMIN.name, role: 'platform-admin' }),
    ),
    ok(API_OP.collections, 'every collection, with counts', {}, (_res, b) => {
      const c2 = ((b as Json).collections as Json[]).find((c) => c.id === C2);
      expect(c2).to.include({ can_read: true, objects: SEED.length });
    }),
    code(API_OP.collections, 200, 'a reader of one collection', apiPath(API_OP.collections), ANALYST),
    ok(API_OP.search, 'an alias', { q: 'sparrow' }, (_res, b) => {
      const [first] = (b as { hits: Json[] }).hits;
      expect(first).to.include({ id: WREN, field: 'aliases' });
      expect(first?.snippet).to.include('«Sparrow»');
    }),
    ok(API_OP.search, 'a first page (next)', { q: 'wren', limit: '1' }, (_res, b) => {
      expect((b as Json).hits).to.have.length(1);
      expect((b as Json).next).to.be.a('string');
    }),
    ok(API_OP.search, 'nothing found, filtered by type and collection', { type: 'tool', collection: C2 }, (_res, b) =>
      expect(b).to.deep.equal({ hits: [] }),
    ),
    ok(API_OP.object, 'an intrusion set', {}, (_res, b) => {
      expect((b as { object: Json }).object.name).to.equal('Ochre Wren');
      expect((b as Json).versions).to.have.length(1);
    }),
    ok(API_OP.neighbors, 'two links away', { depth: '2' }, (_res, b) => {
      expect(ids((b as Json).nodes)).to.have.members([WREN, LOADER, PHISHING, FINCH]);
      expect((b as Json).truncated).to.equal(false);
    }),
    ok(API_OP.neighbors, 'cut at one edge', { limit: '1', relationship_type: 'uses' }, (_res, b) => {
      expect((b as Json).edges).to.have.length(1);
      expect((b as Json).truncated).to.equal(true);
    }),
    ok(API_OP.actors, 'the seeded and the TAXII intrusion sets', { limit: '10' }, (_res, b) =>
      expect(ids((b as Json).actors)).to.include.members([WREN, FINCH]),
    ),
    ok(API_OP.actor, 'a profile', {}, (_res, b) => {
      const p = b as { actor: Json; malware: Json[]; techniques: Json[] };
      expect(p.actor.external_ids).to.deep.equal(['G9001']);
      expect(ids(p.malware)).to.deep.equal([LOADER]);
      expect(p.techniques).to.deep.equal([
        { id: PHISHING, type: 'attack-pattern', name: 'Phishing', technique_id: 'T1566', tactics: ['initial-access'] },
      ]);
    }),
    ok(API_OP.layer, 'a layer with one technique', {}, (res, b) => {
      expect(res.headers['content-disposition']).to.equal(`attachment; filename="${WREN}-layer.json"`);
      expect((b as { techniques: Json[] }).techniques.map((t) => [t.techniqueID, t.tactic])).to.deep.equal([
        ['T1566', 'initial-access'],
      ]);
    }),
    ok(API_OP.compare, 'two actors sharing a technique', {}, (_res, b) => {
      const c = b as { techniques: { common: Json[] }; malware: { only: Record<string, Json[]> } };
      expect(ids(c.techniques.common)).to.deep.equal([PHISHING]);
      expect(ids(c.malware.only[WREN])).to.deep.equal([LOADER]);
      expect(c.malware.only[FINCH]).to.deep.equal([]);
    }),
    ok(API_OP.changes, 'a first page (next)', { limit: '2', collection: C2 }, (_res, b) => {
      expect((b as Json).changes).to.have.length(2);
      expect((b as Json).next).to.be.a('string');
    }),
    ok(API_OP.export, 'two objects by id', {}, (res, b) => {
      expect(res.headers['content-disposition']).to.equal('attachment; filename="palisade-export.json"');
      expect(ids((b as Json).objects)).to.have.members([WREN, LOADER]);
    }),
    {
      op: API_OP.export,
      status: 200,
      what: 'by type and collection',
      send: get(`/api/v1/export?type=attack-pattern,malware&collection=${C2}`),
      check: (_res, b) => expect(ids((b as Json).objects)).to.have.members([PHISHING, LOADER]),
    },
    code(API_OP.export, 200, 'an empty bundle: the caller reads none of the ids', apiUrl(API_OP.export), ANALYST),

    // ---- 400 -------------------------------------------------------------------------------------------
    code(API_OP.collections, 400, 'an unknown query parameter', '/api/v1/collections?limit=5'),
    code(API_OP.search, 400, 'q missing', '/api/v1/search?type=malware'),
    code(API_OP.search, 400, 'a cursor of another query', '/api/v1/search?q=wren&cursor=forged~token'),
    code(API_OP.object, 400, 'not a STIX id', '/api/v1/objects/not-an-id'),
    code(API_OP.neighbors, 400, 'depth 3', apiUrl(API_OP.neighbors, { depth: '3' })),
    code(API_OP.actors, 400, 'limit 501', '/api/v1/actors?limit=501'),
    code(API_OP.actor, 400, 'not a STIX id', '/api/v1/actors/ochre-wren'),
    code(API_OP.layer, 400, 'not a STIX id', '/api/v1/actors/ochre-wren/navigator-layer'),
    code(API_OP.compare, 400, 'one actor', `/api/v1/compare?actors=${WREN}`),
    code(API_OP.changes, 400, 'since missing', '/api/v1/changes'),
    code(API_OP.export, 400, 'nothing selected', '/api/v1/export?q=%20'),

    // ---- 404: unknown, or hidden from the caller -------------------------------------------------------
    code(API_OP.search, 404, 'an unknown collection', apiUrl(API_OP.search, { collection: NO_COLLECTION })),
    hidden(API_OP.search, apiUrl(API_OP.search, { collection: C2 })),
    hidden(API_OP.object, apiPath(API_OP.object)),
    code(API_OP.object, 404, 'an unknown object', `/api/v1/objects/${UNKNOWN}`),
    hidden(API_OP.neighbors, apiPath(API_OP.neighbors)),
    code(API_OP.actor, 404, 'not an actor', `/api/v1/actors/${LOADER}`),
    hidden(API_OP.actor, apiPath(API_OP.actor)),
    hidden(API_OP.layer, apiPath(API_OP.layer)),
    hidden(API_OP.compare, apiUrl(API_OP.compare)),
    hidden(API_OP.changes, apiUrl(API_OP.changes, { collection: C2 })),
    hidden(API_OP.export, `/api/v1/export?collection=${C2}`),
    code(API_OP.export, 404, 'an unknown collection', `/api/v1/export?collection=${NO_COLLECTION}`),

    // ---- 401 and 405 on every operation --------------------------------------------------------------
    ...ops.map((op): ApiCase => ({ op, status: 401, what: 'no credentials', send: () => apiRequest(app(), op) })),
    ...ops.map((op): ApiCase => ({
      op,
      status: 405,
      what: 'POST',
      send: () =>
        app().http.post(apiUrl(op)).auth(ADMIN.name, ADMIN.password).set('Content-Type', 'application/json').send('{}'),
      check: (res) => expect(res.headers.allow).to.equal('GET'),
    })),
  ];
}

/**
 * A valid and an invalid value of every query parameter the analyst API knows. For each operation:
 * each documented parameter with its valid value is served (not 400) and with its invalid value is a
 * 400; any other parameter is a 400 as unknown, but on GET /api/v1/me, which ignores its query.
 */
const QUERY_VALUES: Record<string, { valid?: string; invalid: string }> = {
  q: { valid: 'finch', invalid: 'x'.repeat(201) },
  type: { valid: 'intrusion-set,malware', invalid: 'Not_A_Type' },
  collection: { valid: C2, invalid: 'state-linked' },
  limit: { valid: '2', invalid: '0' },
  // a valid cursor exists only for one query: the paging cases above use them
  cursor: { invalid: '' },
  depth: { valid: '2', invalid: '0' },
  relationship_type: { valid: 'uses', invalid: 'Uses' },
  actors: { valid: `${FINCH},${WREN}`, invalid: `${WREN},${WREN}` },
  since: { valid: '2001-02-03T04:05:06.7Z', invalid: '2001-02-30T00:00:00Z' },
  ids: { valid: PHISHING, invalid: 'phishing' },
};

export async function apiQueryMismatches(app: TestApp, documented: (op: string) => Set<string>): Promise<string[]> {
  const mismatches: string[] = [];
  for (const op of Object.values(API_OP)) {
    const names = documented(op);
    for (const name of names)
      if (!(name in QUERY_VALUES)) mismatches.push(`${op} documents ${name}, which no case covers`);
    for (const [name, { valid, invalid }] of Object.entries(QUERY_VALUES)) {
      const send = async (value: string) => {
        const res = await app.http.get(apiUrl(op, { [name]: value })).auth(ADMIN.name, ADMIN.password);
        return res.status;
      };
      const ignored = false;
      if (valid !== undefined) {
        const status = await send(valid);
        if ((status === 400) !== (!names.has(name) && !ignored)) mismatches.push(`${op} ${name}=${valid}: ${status}`);
      }
      const status = await send(invalid);
      if ((status === 400) !== !ignored) mismatches.push(`${op} ${name}=${JSON.stringify(invalid)}: ${status}`);
    }
  }
  return mismatches;
}
