// The admin half of tests/integration/openapi.test.ts: for every admin operation openapi.yaml
// documents, one real request per documented status, on an app with the admin configuration
// (admin-fixtures.ts) and the records of admin-openapi-targets.ts.
import type supertest from 'supertest';
import type { TestApp, TestUser } from '../helpers/test-app.js';
import { DE, DE_ADMIN, DE_IDENTITY, EU_WIDE, FILE_MARKING, FR_DROP, OPS } from './admin-fixtures.js';
import { ADMIN_OP, NO_COL, NO_MARKING, OA_COL, OA_MARKING, request, target } from './admin-openapi-targets.js';

export {
  ADMIN_INVALID_QUERY,
  ADMIN_OP,
  adminBenignUrl,
  adminRequest,
  isAdminOp,
  setUpAdminRecords,
} from './admin-openapi-targets.js';

export interface AdminCase {
  op: string;
  status: number;
  what: string;
  send: () => supertest.Test;
  check?: (res: supertest.Response, body: unknown) => void;
  /** the JSON body sent, checked against the documented request body when the request succeeds */
  body?: unknown;
}

/** Every documented (admin operation, status), once. `app` is read when a case is sent. */
export function adminCases(app: () => TestApp): AdminCase[] {
  const ops = Object.values(ADMIN_OP);
  const as = (t: supertest.Test, who: TestUser = OPS) => t.auth(who.name, who.password);
  // URLs are read when a case is sent: the token id exists only once the records are set up.
  type Url = string | (() => string);
  const at = (url: Url): string => (typeof url === 'string' ? url : url());
  const send =
    (op: string, url: Url, body: unknown, who: TestUser = OPS) =>
    () =>
      as(request(app(), op, at(url), body), who);
  const bad = (op: string, url: string, body: unknown, what: string): AdminCase => ({
    op,
    status: 400,
    what,
    send: send(op, url, body),
    check: (_res, b) => {
      if (!Array.isArray((b as { details?: { problems?: unknown } }).details?.problems) && !url.includes('?'))
        throw new Error('a 400 on a body lists its problems');
    },
  });
  const code = (op: string, status: number, url: Url, what: string, body?: unknown, who: TestUser = OPS) => ({
    op,
    status,
    what,
    send: send(op, url, body, who),
  });
  const withBody = ops.filter((op) => /^(POST|PUT|PATCH) /.test(op));
  const methods = (op: string) => {
    const path = op.split(' ')[1] as string;
    return ops.filter((o) => o.split(' ')[1] === path).map((o) => o.split(' ')[0] as string);
  };
  return [
    // ---- 2xx -------------------------------------------------------------------------------------------
    ...ops.map((op): AdminCase => {
      const t = target(op);
      const status = op.startsWith('POST') ? 201 : op.startsWith('DELETE') ? 204 : 200;
      return {
        op,
        status,
        what: 'as a platform admin',
        body: t.body,
        send: () => as(request(app(), op, t.url, t.body)),
      };
    }),
    {
      op: ADMIN_OP.audit,
      status: 200,
      what: 'first page of admin creations (next)',
      send: () => as(request(app(), ADMIN_OP.audit, '/admin/audit?action=admin.create&limit=1', undefined)),
      check: (_res, b) => {
        if (typeof (b as { next?: unknown }).next !== 'string') throw new Error('a first page of several has next');
      },
    },
    code(ADMIN_OP.tenants, 200, '/admin/tenants', 'the directory, as a tenant admin', undefined, DE_ADMIN),
    code(ADMIN_OP.markings, 200, '/admin/markings', 'the bindings, as a tenant admin', undefined, DE_ADMIN),
    code(ADMIN_OP.marking, 200, `/admin/markings/${FILE_MARKING}`, 'a binding of the file', undefined, DE_ADMIN),

    // ---- 400 -------------------------------------------------------------------------------------------
    bad(ADMIN_OP.createTenant, '/admin/tenants', { id: 'Not Valid' }, 'bad id, no name'),
    bad(ADMIN_OP.updateTenant, '/admin/tenants/oa-tenant', {}, 'nothing to change'),
    bad(ADMIN_OP.createGroup, '/admin/groups', { id: 'oa-g', tenants: ['nowhere'] }, 'unknown member'),
    bad(ADMIN_OP.updateGroup, '/admin/groups/oa-group', { tenants: 'de-bsi' }, 'tenants not a list'),
    bad(ADMIN_OP.createUser, '/admin/users', { username: 'oa-x' }, 'user without a password'),
    bad(ADMIN_OP.updateUser, '/admin/users/oa-user', { password: 'short' }, 'short password'),
    bad(ADMIN_OP.issueToken, '/admin/users/oa-user/tokens', { expires_at: '2001-01-01T00:00:00Z' }, 'expiry past'),
    bad(ADMIN_OP.createApiRoot, '/admin/api-roots', { path: 'admin', title: 'x' }, 'reserved path'),
    bad(ADMIN_OP.updateApiRoot, '/admin/api-roots/oa-root', { max_content_length: 0 }, 'zero max_content_length'),
    bad(ADMIN_OP.createCollection, '/admin/api-roots/oa-root/collections', { title: '' }, 'empty title'),
    bad(ADMIN_OP.updateCollection, `/admin/api-roots/oa-root/collections/${OA_COL}`, { alias: '-x' }, 'bad alias'),
    bad(ADMIN_OP.replaceGrants, `/admin/collections/${OA_COL}/grants`, { grants: [{ read: true }] }, 'no subject'),
    bad(ADMIN_OP.bindMarking, `/admin/markings/${OA_MARKING}`, { tenants: ['nowhere'], groups: [] }, 'unknown tenant'),
    bad(
      ADMIN_OP.createCollection,
      '/admin/api-roots/oa-root/collections',
      { title: 'x', policy: { max_tlp: 'pink' } },
      'bad TLP',
    ),
    bad(ADMIN_OP.audit, '/admin/audit?from=yesterday', undefined, 'malformed from'),

    // ---- 401, 403, 405 on every operation; 415 on every operation with a body ----------------------------
    ...ops.map((op): AdminCase => ({
      op,
      status: 401,
      what: 'no credentials',
      send: () => request(app(), op, target(op).url, target(op).body),
    })),
    ...ops.map((op): AdminCase => code(op, 403, () => target(op).url, 'a member', target(op).body, DE)),
    ...ops.map((op): AdminCase => ({
      op,
      status: 405,
      what: 'a method the path does not support',
      send: () => {
        const url = target(op).url;
        const t = methods(op).includes('POST') ? app().http.patch(url) : app().http.post(url);
        return as(t.set('Content-Type', 'application/json').send('{}'));
      },
    })),
    ...withBody.map((op): AdminCase => ({
      op,
      status: 415,
      what: 'a text/plain body',
      send: () => {
        const url = target(op).url;
        const [method] = op.split(' ') as [string];
        const t =
          method === 'POST' ? app().http.post(url) : method === 'PUT' ? app().http.put(url) : app().http.patch(url);
        return as(t.set('Content-Type', 'text/plain').send('name=x'));
      },
    })),

    // ---- 404 -------------------------------------------------------------------------------------------
    code(ADMIN_OP.tenant, 404, '/admin/tenants/oa-nobody', 'unknown tenant'),
    code(ADMIN_OP.updateTenant, 404, '/admin/tenants/oa-nobody', 'unknown tenant', { name: 'x' }),
    code(ADMIN_OP.deleteTenant, 404, '/admin/tenants/oa-nobody', 'unknown tenant'),
    code(ADMIN_OP.group, 404, '/admin/groups/oa-nobody', 'unknown group'),
    code(ADMIN_OP.updateGroup, 404, '/admin/groups/oa-nobody', 'unknown group', { name: 'x' }),
    code(ADMIN_OP.deleteGroup, 404, '/admin/groups/oa-nobody', 'unknown group'),
    code(
      ADMIN_OP.user,
      404,
      '/admin/users/fr-analyst',
      'an account of another tenant, as a tenant admin',
      undefined,
      DE_ADMIN,
    ),
    code(ADMIN_OP.updateUser, 404, '/admin/users/oa-nobody', 'unknown account', { role: 'member' }),
    code(ADMIN_OP.deleteUser, 404, '/admin/users/oa-nobody', 'unknown account'),
    code(ADMIN_OP.tokens, 404, '/admin/users/oa-nobody/tokens', 'unknown account'),
    code(ADMIN_OP.issueToken, 404, '/admin/users/oa-nobody/tokens', 'unknown account', {}),
    code(ADMIN_OP.revokeToken, 404, '/admin/users/oa-user/tokens/ffffffffffffffff', 'unknown token'),
    code(ADMIN_OP.apiRoot, 404, '/admin/api-roots/oa-nowhere', 'unknown API root'),
    code(ADMIN_OP.updateApiRoot, 404, '/admin/api-roots/oa-nowhere', 'unknown API root', { title: 'x' }),
    code(ADMIN_OP.deleteApiRoot, 404, '/admin/api-roots/oa-nowhere', 'unknown API root'),
    code(ADMIN_OP.collections, 404, '/admin/api-roots/oa-nowhere/collections', 'unknown API root'),
    code(ADMIN_OP.createCollection, 404, '/admin/api-roots/oa-nowhere/collections', 'unknown API root', { title: 'x' }),
    code(ADMIN_OP.collection, 404, `/admin/api-roots/oa-root/collections/${NO_COL}`, 'unknown collection'),
    code(ADMIN_OP.updateCollection, 404, `/admin/api-roots/oa-root/collections/${NO_COL}`, 'unknown collection', {
      title: 'x',
    }),
    code(ADMIN_OP.deleteCollection, 404, `/admin/api-roots/oa-root/collections/${NO_COL}`, 'unknown collection'),
    code(ADMIN_OP.grants, 404, `/admin/collections/${NO_COL}/grants`, 'unknown collection'),
    code(
      ADMIN_OP.replaceGrants,
      404,
      `/admin/collections/${FR_DROP}/grants`,
      'a collection of another tenant',
      { grants: [] },
      DE_ADMIN,
    ),

    code(ADMIN_OP.marking, 404, `/admin/markings/${NO_MARKING}`, 'a marking without a binding'),
    code(ADMIN_OP.unbindMarking, 404, `/admin/markings/${NO_MARKING}`, 'a marking without a binding'),

    // ---- 409 -------------------------------------------------------------------------------------------
    code(ADMIN_OP.createTenant, 409, '/admin/tenants', 'id taken', { id: 'de-bsi', name: 'x' }),
    code(ADMIN_OP.createTenant, 409, '/admin/tenants', 'identity of another tenant', {
      id: 'oa-thief',
      name: 'x',
      identities: [DE_IDENTITY],
    }),
    code(ADMIN_OP.bindMarking, 409, `/admin/markings/${FILE_MARKING}`, 'declared in the file', { tenants: ['de-bsi'] }),
    code(ADMIN_OP.unbindMarking, 409, `/admin/markings/${FILE_MARKING}`, 'declared in the file'),
    code(ADMIN_OP.updateTenant, 409, '/admin/tenants/de-bsi', 'declared in the file', { name: 'x' }),
    code(ADMIN_OP.deleteTenant, 409, '/admin/tenants/de-bsi', 'declared in the file'),
    code(ADMIN_OP.createGroup, 409, '/admin/groups', 'id taken', { id: 'eu-member-states', tenants: [] }),
    code(ADMIN_OP.updateGroup, 409, '/admin/groups/eu-member-states', 'declared in the file', { name: 'x' }),
    code(ADMIN_OP.deleteGroup, 409, '/admin/groups/eu-member-states', 'declared in the file'),
    code(ADMIN_OP.createUser, 409, '/admin/users', 'username taken', { username: 'ops', password: 'long-enough-pw' }),
    code(ADMIN_OP.updateUser, 409, '/admin/users/de-analyst', 'declared in the file', { role: 'member' }),
    code(ADMIN_OP.deleteUser, 409, '/admin/users/de-analyst', 'declared in the file'),
    code(ADMIN_OP.createApiRoot, 409, '/admin/api-roots', 'path taken', { path: 'eu', title: 'x' }),
    code(ADMIN_OP.updateApiRoot, 409, '/admin/api-roots/eu', 'declared in the file', { title: 'x' }),
    code(ADMIN_OP.deleteApiRoot, 409, '/admin/api-roots/eu', 'declared in the file'),
    code(ADMIN_OP.createCollection, 409, '/admin/api-roots/oa-root/collections', 'id taken', {
      id: EU_WIDE,
      title: 'x',
    }),
    code(ADMIN_OP.updateCollection, 409, `/admin/api-roots/eu/collections/${EU_WIDE}`, 'declared in the file', {
      title: 'x',
    }),
    code(ADMIN_OP.deleteCollection, 409, `/admin/api-roots/eu/collections/${EU_WIDE}`, 'declared in the file'),
  ];
}
