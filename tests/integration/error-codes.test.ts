// TAXII 2.1 §3.6 error resource on every error path: the exact error_code, the status, and the
// reason in the description; §6 / Appendix B: a write-only caller learns nothing about object ids.
import { expect } from 'chai';
import type supertest from 'supertest';
import { envelope, indicator } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  C_WO,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  WRITER,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';

const UNKNOWN_ID = 'indicator--00000000-0000-4000-8000-000000000000';
const UNKNOWN_COLLECTION = '00000000-0000-4000-8000-000000000000';
const UNKNOWN_STATUS = '00000000-0000-4000-8000-000000000001';
const SMALL = '/small/collections/0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b/objects/';

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Authentication required',
  403: 'Not permitted',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Unsupported Accept media type',
  413: 'Request body too large',
  415: 'Unsupported Content-Type',
  422: 'Unprocessable content',
};

interface ErrorBody {
  title: string;
  description: string;
  error_id: string;
  error_code: string;
  http_status: string;
  details?: Record<string, unknown>;
}

/** Asserts a TAXII error resource with this status, error_code and description (exact, or matching). */
function expectError(
  res: supertest.Response,
  status: number,
  code: string,
  description: string | RegExp,
  what = '',
): ErrorBody {
  const label = `${what} → ${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, label).to.equal(status);
  expect(res.headers['content-type'], label).to.equal(TAXII);
  const body = res.body as ErrorBody;
  expect(body.error_code, label).to.equal(code);
  expect(body.http_status, label).to.equal(String(status));
  expect(body.title, label).to.equal(TITLES[status]);
  expect(body.error_id, label).to.equal(res.headers['x-request-id']);
  if (typeof description === 'string') expect(body.description, label).to.equal(description);
  else expect(body.description, label).to.match(description);
  return body;
}

describe('Error resources: exact error_code and reason on every error path (§3.6)', () => {
  let app: TestApp;
  const known = indicator('errors-known');

  before(async () => {
    app = await startTestApp();
    await app.post(objectsPath(), envelope(known)).expect(202);
  });
  after(async () => app.close());

  describe('400 invalid-request', () => {
    it('T-74 a limit that is not a positive integer', async () => {
      for (const limit of ['0', '-20', 'abc', '1.5', '01', '']) {
        const body = expectError(
          await app.get(`${objectsPath()}?limit=${limit}`),
          400,
          'invalid-request',
          'limit must be a positive integer.',
          `limit=${limit}`,
        );
        expect(body.details).to.deep.equal({ limit });
      }
    });

    it('T-72 T-12 an added_after that is not one RFC 3339 UTC timestamp', async () => {
      for (const value of [
        'yesterday',
        '2024-01-01T00:00:00+01:00',
        '2024-01-01',
        '2024-02-30T00:00:00Z',
        '1700000000',
      ]) {
        const body = expectError(
          await app.get(`${manifestPath()}?added_after=${encodeURIComponent(value)}`),
          400,
          'invalid-request',
          'added_after must be one RFC 3339 UTC timestamp, e.g. 2024-01-01T00:00:00.000000Z.',
          value,
        );
        expect(body.details).to.deep.equal({ added_after: value });
      }
    });

    it('T-69 T-72 a repeated parameter, also when one copy is percent-encoded', async () => {
      for (const [q, parameter] of [
        ['added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z', 'added_after'],
        ['limit=1&limit=2', 'limit'],
        ['match[type]=indicator&match[type]=malware', 'match[type]'],
        ['match%5Btype%5D=indicator&match[type]=malware', 'match[type]'],
        ['match[version]=all&match[version]=last', 'match[version]'],
        [`next=a&next=b`, 'next'],
      ] as const) {
        const body = expectError(
          await app.get(`${objectsPath()}?${q}`),
          400,
          'invalid-request',
          `The parameter ${parameter} must not appear more than once.`,
          q,
        );
        expect(body.details).to.deep.equal({ parameter });
      }
    });

    it('T-85 T-86 a bad match[version]', async () => {
      const cases: [string, string][] = [
        ['not-a-time', 'match[version]: "not-a-time" is neither first, last, all nor a STIX timestamp.'],
        [
          '2024-01-01T00:00:00+01:00',
          'match[version]: "2024-01-01T00:00:00+01:00" is neither first, last, all nor a STIX timestamp.',
        ],
        ['all,last', 'match[version]=all cannot be combined with other values.'],
        ['last,last', 'match[version] must not repeat a value.'],
        ['first,', 'match[version] must be a comma-separated list without empty values.'],
        [
          '2024-01-01T00:00:00Z,2024-01-01T00:00:00.000Z',
          'match[version] names the version 2024-01-01T00:00:00.000Z twice.',
        ],
      ];
      for (const [value, description] of cases) {
        for (const path of [objectsPath(), manifestPath(), objectPath(known.id)]) {
          expectError(
            await app.get(`${path}?match[version]=${encodeURIComponent(value)}`),
            400,
            'invalid-request',
            description,
            `${path} ${value}`,
          );
        }
      }
      expectError(
        await app.del(`${objectPath(known.id)}?match[version]=soon`),
        400,
        'invalid-request',
        /"soon" is neither first, last, all/,
      );
    });

    it('T-82 T-83 T-90 bad match[id], match[type] and match[spec_version] values', async () => {
      for (const [q, description] of [
        ['match[id]=not-an-id', 'match[id]: "not-an-id" is not a STIX identifier.'],
        ['match[type]=Indicator', 'match[type]: "Indicator" is not a STIX type name.'],
        ['match[type]=', 'match[type] must be a comma-separated list without empty values.'],
        ['match[spec_version]=two', 'match[spec_version]: "two" is not a spec version such as 2.1.'],
      ] as const) {
        expectError(await app.get(`${objectsPath()}?${q}`), 400, 'invalid-request', description, q);
      }
    });

    it('T-80 T-127 a bad, empty or foreign next cursor', async () => {
      expectError(
        await app.get(`${objectsPath()}?next=garbage`),
        400,
        'invalid-request',
        'The next parameter is not a cursor issued by this server.',
      );
      expectError(await app.get(`${objectsPath()}?next=`), 400, 'invalid-request', 'next must not be empty.');
      await app.post(objectsPath(), envelope(indicator('errors-second'))).expect(202);
      const first = await app.get(`${objectsPath()}?limit=1`).expect(200);
      expectError(
        await app.get(`${manifestPath()}?limit=1&next=${encodeURIComponent(first.body.next as string)}`),
        400,
        'invalid-request',
        'The next parameter belongs to a different query: repeat the original filters unchanged with it.',
      );
    });

    it('T-104 a POST body that is not JSON', async () => {
      for (const [body, description] of [
        [
          '{"objects": [',
          'The request body is not valid JSON: unexpected end of input: the envelope is not complete at byte 13.',
        ],
        ['not json', 'The request body is not valid JSON: expected a JSON object, found "n" at byte 0.'],
        ['{"objects": [}]}', 'The request body is not valid JSON: expected a value, found "}" at byte 13.'],
      ] as const) {
        expectError(await app.post(objectsPath(), body), 400, 'invalid-request', description, body);
      }
    });
  });

  describe('401 unauthenticated', () => {
    it('T-26 T-122 no credentials, a wrong password, an unknown user, or a malformed Authorization header', async () => {
      const requests: [string, supertest.Test][] = [
        ['none', app.http.get(objectsPath()).set('Accept', TAXII)],
        ['wrong password', app.http.get(objectsPath()).set('Accept', TAXII).auth(ANALYST.name, 'wrong')],
        ['unknown user', app.http.get('/taxii2/').set('Accept', TAXII).auth('ghost', 'whatever')],
        ['not basic', app.http.get(`/${ROOT}/`).set('Accept', TAXII).set('Authorization', 'Bearer abc')],
        ['POST', app.http.post(objectsPath()).set('Accept', TAXII).set('Content-Type', TAXII).send('{}')],
        ['DELETE', app.http.delete(objectPath(known.id)).set('Accept', TAXII)],
        ['status', app.http.get(`/${ROOT}/status/${UNKNOWN_STATUS}/`).set('Accept', TAXII)],
        ['unknown URL', app.http.get('/no/such/path/').set('Accept', TAXII)],
      ];
      for (const [what, req] of requests) {
        const res = await req;
        expectError(
          res,
          401,
          'unauthenticated',
          'Valid credentials are required (HTTP Basic, a token, or a client certificate).',
          what,
        );
        expect(res.headers['www-authenticate'], what).to.match(/^Basic realm="palisade"/);
      }
    });
  });

  describe('403 forbidden', () => {
    it('T-53 T-57 T-63 T-67 T-122 reads on a collection the caller may only write', async () => {
      for (const p of [objectsPath(), manifestPath(), objectPath(known.id), versionsPath(known.id)]) {
        expectError(
          await app.get(p, WRITER),
          403,
          'forbidden',
          'You may add objects to this collection but not read it.',
          p,
        );
      }
    });

    it('T-103 a POST to a collection the caller may only read', async () => {
      expectError(
        await app.post(objectsPath(), envelope(indicator('nope')), READER),
        403,
        'forbidden',
        'You may read this collection but not add objects to it.',
      );
    });

    it('T-114 a DELETE without both read and write', async () => {
      for (const user of [READER, WRITER]) {
        expectError(
          await app.del(objectPath(known.id), user),
          403,
          'forbidden',
          'Deleting objects requires both read and write access to the collection.',
          user.name,
        );
      }
    });
  });

  describe('404 not-found', () => {
    it('T-42 an unknown API root, on every endpoint below it', async () => {
      for (const p of [
        '/nowhere/',
        '/nowhere/collections/',
        `/nowhere/collections/${C1}/objects/`,
        `/nowhere/status/${UNKNOWN_STATUS}/`,
      ]) {
        expectError(await app.get(p), 404, 'not-found', 'There is no API root at /nowhere/.', p);
      }
      expectError(
        await app.post(`/nowhere/collections/${C1}/objects/`, envelope(indicator('n'))),
        404,
        'not-found',
        'There is no API root at /nowhere/.',
      );
    });

    it('T-123 A-12 an unknown collection and an invisible one are the same 404', async () => {
      const NO_COLLECTION = 'There is no such collection in this API root.';
      const cases: [string, TestUser, 'get' | 'post' | 'del'][] = [
        [`/${ROOT}/collections/${UNKNOWN_COLLECTION}/`, ANALYST, 'get'],
        [objectsPath(UNKNOWN_COLLECTION), ANALYST, 'get'],
        [objectsPath(UNKNOWN_COLLECTION), ANALYST, 'post'],
        [`/${ROOT}/collections/${C2}/`, READER, 'get'],
        [manifestPath(C2), READER, 'get'],
        [objectsPath(C2), READER, 'post'],
        [objectPath(known.id, C2), READER, 'get'],
        [versionsPath(known.id, C2), READER, 'get'],
        [objectPath(known.id, C2), READER, 'del'],
        [objectsPath(C2), ANALYST, 'get'],
        [objectPath(known.id, C2), ANALYST, 'del'],
        [objectsPath(C_WO), ANALYST, 'get'],
        [objectsPath(C_WO), WRITER, 'post'],
      ];
      for (const [p, user, method] of cases) {
        const res =
          method === 'get'
            ? await app.get(p, user)
            : method === 'post'
              ? await app.post(p, envelope(indicator('n')), user)
              : await app.del(p, user);
        expectError(res, 404, 'not-found', NO_COLLECTION, `${method} ${p} as ${user.name}`);
      }
      // A caller who sees nothing in the API root gets the 404 of an unknown API root everywhere below it.
      for (const p of [
        `/${ROOT}/collections/${C1}/`,
        manifestPath(C1),
        objectPath(known.id, C1),
        versionsPath(known.id, C1),
      ]) {
        expectError(await app.get(p, NOBODY), 404, 'not-found', `There is no API root at /${ROOT}/.`, p);
      }
      expectError(
        await app.post(objectsPath(C1), envelope(indicator('n')), NOBODY),
        404,
        'not-found',
        `There is no API root at /${ROOT}/.`,
      );
      expectError(
        await app.del(objectPath(known.id, C1), NOBODY),
        404,
        'not-found',
        `There is no API root at /${ROOT}/.`,
      );
    });

    it('T-62 T-65 an unknown object on the object and versions endpoints; DELETE of a missing version', async () => {
      for (const p of [objectPath(UNKNOWN_ID), versionsPath(UNKNOWN_ID)]) {
        expectError(await app.get(p), 404, 'not-found', 'There is no object with this id in the collection.', p);
      }
      for (const p of [objectPath(UNKNOWN_ID), `${objectPath(known.id)}?match[version]=2000-01-01T00:00:00.000Z`]) {
        expectError(
          await app.del(p),
          404,
          'not-found',
          'There is no object with this id and version in the collection.',
          p,
        );
      }
    });

    it("T-44 T-47 an unknown status, another user's status, a status under another API root", async () => {
      const post = await app.post(objectsPath(), envelope(indicator('errors-status'))).expect(202);
      const NO_STATUS = 'There is no such status resource.';
      expectError(await app.get(`/${ROOT}/status/${UNKNOWN_STATUS}/`), 404, 'not-found', NO_STATUS);
      expectError(await app.get(`/${ROOT}/status/${post.body.id}/`, READER), 404, 'not-found', NO_STATUS);
      expectError(await app.get(`/small/status/${post.body.id}/`), 404, 'not-found', NO_STATUS);
      await app.get(`/${ROOT}/status/${post.body.id}/`, ADMIN).expect(200);
    });

    it('a URL that is no TAXII resource', async () => {
      for (const p of [
        '/no/such/path/',
        `/${ROOT}/collections/${C1}/objects/${known.id}/versions/extra/`,
        '/taxii2/extra/',
      ]) {
        expectError(await app.get(p), 404, 'not-found', 'There is no TAXII resource at this URL.', p);
      }
    });
  });

  describe('405, 406, 413, 415, 422', () => {
    it('405 method-not-allowed with an Allow header naming the methods of the endpoint', async () => {
      const auth = (t: supertest.Test): supertest.Test => t.set('Accept', TAXII).auth(ANALYST.name, ANALYST.password);
      const cases: [string, supertest.Test, string][] = [
        ['POST /taxii2/', auth(app.http.post('/taxii2/')), 'GET'],
        ['DELETE api root', auth(app.http.delete(`/${ROOT}/`)), 'GET'],
        ['PUT collections', auth(app.http.put(`/${ROOT}/collections/`)), 'GET'],
        ['POST collection', auth(app.http.post(`/${ROOT}/collections/${C1}/`)), 'GET'],
        ['POST manifest', auth(app.http.post(manifestPath())), 'GET'],
        ['PUT objects', auth(app.http.put(objectsPath())), 'GET, POST'],
        ['DELETE objects', auth(app.http.delete(objectsPath())), 'GET, POST'],
        ['POST object', auth(app.http.post(objectPath(known.id))), 'GET, DELETE'],
        ['PATCH object', auth(app.http.patch(objectPath(known.id))), 'GET, DELETE'],
        ['DELETE versions', auth(app.http.delete(versionsPath(known.id))), 'GET'],
        ['POST status', auth(app.http.post(`/${ROOT}/status/${UNKNOWN_STATUS}/`)), 'GET'],
      ];
      for (const [what, req, allow] of cases) {
        const res = await req;
        expectError(res, 405, 'method-not-allowed', `This endpoint supports ${allow} only.`, what);
        expect(res.headers.allow, what).to.equal(allow);
      }
    });

    it('T-16 406 not-acceptable, naming the media type the server produces', async () => {
      for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'text/html']) {
        const res = await app.http.get(objectsPath()).set('Accept', accept).auth(ANALYST.name, ANALYST.password);
        expectError(
          res,
          406,
          'not-acceptable',
          `This server produces application/taxii+json;version=2.1 only; the Accept header "${accept}" does not allow it.`,
          accept,
        );
      }
    });

    it('T-102 413 payload-too-large for a body over max_content_length of the API root', async () => {
      const big = JSON.stringify(envelope(...Array.from({ length: 10 }, (_, i) => indicator(`big-${i}`))));
      expect(big.length).to.be.above(2000);
      expectError(
        await app.post(SMALL, big),
        413,
        'payload-too-large',
        'The request body exceeds the 2000 bytes this API root accepts (max_content_length).',
      );
    });

    it('T-18 T-100 415 unsupported-media-type for a POST that is not TAXII 2.1', async () => {
      for (const ct of [
        'application/json',
        'application/stix+json;version=2.1',
        'application/taxii+json;version=2.0',
      ]) {
        const res = await app.http
          .post(objectsPath())
          .set('Accept', TAXII)
          .set('Content-Type', ct)
          .auth(ANALYST.name, ANALYST.password)
          .send(JSON.stringify(envelope(indicator('never'))));
        expectError(
          res,
          415,
          'unsupported-media-type',
          `The request body must be sent as application/taxii+json;version=2.1; got "${ct}".`,
          ct,
        );
      }
    });

    it('T-101 T-104 422 unprocessable for a body that is not an envelope or has no objects', async () => {
      const invalid = (what: string, at: number): string =>
        `The request body is not a valid TAXII envelope: ${what} (at byte ${at}).`;
      const NOT_ENVELOPE = 'the top level must be a JSON object with an "objects" member';
      const bare = JSON.stringify(indicator('bare'));
      for (const [body, description] of [
        ['[]', invalid(NOT_ENVELOPE, 0)],
        ['"objects"', invalid(NOT_ENVELOPE, 0)],
        ['null', invalid(NOT_ENVELOPE, 0)],
        ['42', invalid(NOT_ENVELOPE, 0)],
        ['{}', invalid('the envelope has no "objects" member', 1)],
        ['{"objects": []}', invalid('"objects" is empty; it must hold at least one STIX object', 13)],
        ['{"objects": {}}', invalid('"objects" must be an array of STIX objects', 12)],
        ['{"objects": null}', invalid('"objects" must be an array of STIX objects', 12)],
        [bare, invalid('the envelope has no "objects" member', bare.length - 1)],
        [
          '{"objects": [{"type": "x"}, 0]}',
          invalid('objects[1] is not a JSON object (found "0"); each element must be a STIX object', 28),
        ],
      ] as const) {
        expectError(await app.post(objectsPath(), body), 422, 'unprocessable', description, body);
      }
    });
  });
});

describe('Write-only callers cannot tell which object ids exist (T-123, Appendix B)', () => {
  let app: TestApp;
  const inC1 = indicator('wo-known-c1');
  const inDropBox = indicator('wo-known-dropbox');
  const FORBIDDEN_READ = 'You may add objects to this collection but not read it.';

  before(async () => {
    app = await startTestApp();
    await app.post(objectsPath(C1), envelope(inC1), ANALYST).expect(202);
    await app.post(objectsPath(C_WO), envelope(inDropBox), READER).expect(202);
    // The ids are really there for someone who may read.
    await app.get(objectPath(inC1.id, C1), ANALYST).expect(200);
    await app.get(objectPath(inDropBox.id, C_WO), ADMIN).expect(200);
  });
  after(async () => app.close());

  for (const [label, user, collection, knownId] of [
    ['WRITER on C1', WRITER, C1, inC1.id],
    ['READER on the drop box', READER, C_WO, inDropBox.id],
  ] as const) {
    it(`T-63 T-67 T-122 ${label}: the same 403 for a known and an unknown id on the object and versions endpoints`, async () => {
      for (const [endpoint, path] of [
        ['object', objectPath],
        ['versions', versionsPath],
      ] as const) {
        for (const query of ['', '?match[version]=all', '?limit=1']) {
          const forKnown = await app.get(`${path(knownId, collection)}${query}`, user);
          const forUnknown = await app.get(`${path(UNKNOWN_ID, collection)}${query}`, user);
          const a = expectError(forKnown, 403, 'forbidden', FORBIDDEN_READ, `${endpoint} known ${query}`);
          const b = expectError(forUnknown, 403, 'forbidden', FORBIDDEN_READ, `${endpoint} unknown ${query}`);
          expect({ ...a, error_id: '' }, endpoint).to.deep.equal({ ...b, error_id: '' });
        }
      }
    });

    it(`T-53 T-57 ${label}: 403 forbidden on the objects and manifest lists, filtered by a known or an unknown id`, async () => {
      for (const path of [objectsPath(collection), manifestPath(collection)]) {
        for (const query of ['', `?match[id]=${knownId}`, `?match[id]=${UNKNOWN_ID}`, '?match[version]=all&limit=1']) {
          expectError(await app.get(`${path}${query}`, user), 403, 'forbidden', FORBIDDEN_READ, `${path}${query}`);
        }
      }
    });
  }
});
