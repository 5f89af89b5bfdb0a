// The admin operations openapi.yaml documents, the records the admin cases act on (set up through
// the API as a platform admin), the URL and body of each successful request, and a harmless request
// per operation for the checks of openapi.test.ts that walk every operation.
import type supertest from 'supertest';
import type { TestApp } from '../helpers/test-app.js';
import { EU_WIDE, FILE_MARKING, adminClient } from './admin-fixtures.js';

export const ADMIN_OP = {
  tenants: 'GET /admin/tenants',
  createTenant: 'POST /admin/tenants',
  tenant: 'GET /admin/tenants/{tenant_id}',
  updateTenant: 'PATCH /admin/tenants/{tenant_id}',
  deleteTenant: 'DELETE /admin/tenants/{tenant_id}',
  groups: 'GET /admin/groups',
  createGroup: 'POST /admin/groups',
  group: 'GET /admin/groups/{group_id}',
  updateGroup: 'PATCH /admin/groups/{group_id}',
  deleteGroup: 'DELETE /admin/groups/{group_id}',
  users: 'GET /admin/users',
  createUser: 'POST /admin/users',
  user: 'GET /admin/users/{username}',
  updateUser: 'PATCH /admin/users/{username}',
  deleteUser: 'DELETE /admin/users/{username}',
  tokens: 'GET /admin/users/{username}/tokens',
  issueToken: 'POST /admin/users/{username}/tokens',
  revokeToken: 'DELETE /admin/users/{username}/tokens/{token_id}',
  apiRoots: 'GET /admin/api-roots',
  createApiRoot: 'POST /admin/api-roots',
  apiRoot: 'GET /admin/api-roots/{api_root}',
  updateApiRoot: 'PATCH /admin/api-roots/{api_root}',
  deleteApiRoot: 'DELETE /admin/api-roots/{api_root}',
  collections: 'GET /admin/api-roots/{api_root}/collections',
  createCollection: 'POST /admin/api-roots/{api_root}/collections',
  collection: 'GET /admin/api-roots/{api_root}/collections/{collection_id}',
  updateCollection: 'PATCH /admin/api-roots/{api_root}/collections/{collection_id}',
  deleteCollection: 'DELETE /admin/api-roots/{api_root}/collections/{collection_id}',
  grants: 'GET /admin/collections/{collection_id}/grants',
  replaceGrants: 'PUT /admin/collections/{collection_id}/grants',
  markings: 'GET /admin/markings',
  marking: 'GET /admin/markings/{marking_id}',
  bindMarking: 'PUT /admin/markings/{marking_id}',
  unbindMarking: 'DELETE /admin/markings/{marking_id}',
  audit: 'GET /admin/audit',
} as const;

export const isAdminOp = (op: string): boolean => (op.split(' ')[1] ?? '').startsWith('/admin/');

/** Invalid values of the audit query parameters: a 400 where documented, ignored elsewhere. */
export const ADMIN_INVALID_QUERY: Record<string, string> = {
  actor: '',
  tenant: '',
  collection: '',
  action: 'nope',
  from: 'not-a-time',
  to: 'not-a-time',
  cursor: ' ',
};

export const OA_COL = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const OA_DOOMED_COL = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70';
export const NO_COL = '00000000-0000-4000-8000-000000000000';
export const OA_MARKING = 'marking-definition--0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e';
const OA_DOOMED_MARKING = 'marking-definition--0a0a0a0a-1b1b-4c2c-8d3d-5f5f5f5f5f5f';
export const NO_MARKING = 'marking-definition--0a0a0a0a-1b1b-4c2c-8d3d-000000000000';
let oaToken = '';

/** The records the cases act on, made through the API as a platform admin. */
export async function setUpAdminRecords(app: TestApp): Promise<void> {
  const api = adminClient(app);
  const ok = async (t: supertest.Test) => {
    const res = await t;
    if (res.status !== 201) throw new Error(`setting up the admin cases: ${res.status} ${res.text}`);
    return res;
  };
  for (const id of ['oa-tenant', 'oa-doomed']) await ok(api.post('/admin/tenants', { id, name: id }));
  for (const id of ['oa-group', 'oa-doomed-group']) await ok(api.post('/admin/groups', { id, tenants: ['de-bsi'] }));
  for (const u of ['oa-user', 'oa-doomed-user'])
    await ok(api.post('/admin/users', { username: u, password: 'oa-password-1' }));
  oaToken = (await ok(api.post('/admin/users/oa-user/tokens', { label: 'oa' }))).body.id as string;
  for (const path of ['oa-root', 'oa-doomed-root']) await ok(api.post('/admin/api-roots', { path, title: path }));
  for (const id of [OA_COL, OA_DOOMED_COL])
    await ok(api.post('/admin/api-roots/oa-root/collections', { id, title: id, owner: 'de-bsi' }));
  for (const id of [OA_MARKING, OA_DOOMED_MARKING]) {
    const res = await api.put(`/admin/markings/${id}`, { tenants: ['de-bsi'] });
    if (res.status !== 200) throw new Error(`setting up the admin cases: ${res.status} ${res.text}`);
  }
}

export interface Target {
  /** the URL the successful case uses */
  url: string;
  /** a body that passes validation */
  body?: unknown;
  /** a harmless request (an unknown record, a conflict, or no change) for the checks that walk every operation */
  benign: { url: string; body?: unknown };
}

const TARGETS: Record<string, Target> = {
  [ADMIN_OP.tenants]: { url: '/admin/tenants', benign: { url: '/admin/tenants' } },
  [ADMIN_OP.createTenant]: {
    url: '/admin/tenants',
    body: { id: 'oa-new', name: 'New', identities: ['identity--0a0a0a0a-1b1b-4c2c-8d3d-6a6a6a6a6a6a'] },
    benign: { url: '/admin/tenants', body: { id: 'de-bsi', name: 'x' } },
  },
  [ADMIN_OP.tenant]: { url: '/admin/tenants/oa-tenant', benign: { url: '/admin/tenants/oa-tenant' } },
  [ADMIN_OP.updateTenant]: {
    url: '/admin/tenants/oa-tenant',
    body: { name: 'Renamed', identities: ['identity--0a0a0a0a-1b1b-4c2c-8d3d-7b7b7b7b7b7b'] },
    benign: { url: '/admin/tenants/de-bsi', body: { name: 'x' } },
  },
  [ADMIN_OP.deleteTenant]: { url: '/admin/tenants/oa-doomed', benign: { url: '/admin/tenants/oa-nobody' } },
  [ADMIN_OP.groups]: { url: '/admin/groups', benign: { url: '/admin/groups' } },
  [ADMIN_OP.createGroup]: {
    url: '/admin/groups',
    body: { id: 'oa-new-group', name: 'New', tenants: ['de-bsi', 'fr-anssi'] },
    benign: { url: '/admin/groups', body: { id: 'eu-member-states', tenants: [] } },
  },
  [ADMIN_OP.group]: { url: '/admin/groups/oa-group', benign: { url: '/admin/groups/oa-group' } },
  [ADMIN_OP.updateGroup]: {
    url: '/admin/groups/oa-group',
    body: { name: 'Renamed', tenants: ['it-acn'] },
    benign: { url: '/admin/groups/eu-member-states', body: { name: 'x' } },
  },
  [ADMIN_OP.deleteGroup]: { url: '/admin/groups/oa-doomed-group', benign: { url: '/admin/groups/oa-nobody' } },
  [ADMIN_OP.users]: { url: '/admin/users', benign: { url: '/admin/users' } },
  [ADMIN_OP.createUser]: {
    url: '/admin/users',
    body: { username: 'oa-new-user', password: 'oa-new-password', tenant: 'de-bsi', certificates: ['CN=oa,O=Test'] },
    benign: { url: '/admin/users', body: { username: 'ops', password: 'long-enough-pw' } },
  },
  [ADMIN_OP.user]: { url: '/admin/users/oa-user', benign: { url: '/admin/users/oa-user' } },
  [ADMIN_OP.updateUser]: {
    url: '/admin/users/oa-user',
    body: { password: 'oa-changed-password', tenant: null },
    benign: { url: '/admin/users/de-analyst', body: { role: 'member' } },
  },
  [ADMIN_OP.deleteUser]: { url: '/admin/users/oa-doomed-user', benign: { url: '/admin/users/oa-nobody' } },
  [ADMIN_OP.tokens]: { url: '/admin/users/oa-user/tokens', benign: { url: '/admin/users/oa-user/tokens' } },
  [ADMIN_OP.issueToken]: {
    url: '/admin/users/oa-user/tokens',
    body: { label: 'oa sync', expires_at: '2999-12-31T00:00:00Z' },
    benign: { url: '/admin/users/oa-nobody/tokens', body: {} },
  },
  [ADMIN_OP.revokeToken]: {
    get url() {
      return `/admin/users/oa-user/tokens/${oaToken}`;
    },
    benign: { url: '/admin/users/oa-nobody/tokens/ffffffffffffffff' },
  },
  [ADMIN_OP.apiRoots]: { url: '/admin/api-roots', benign: { url: '/admin/api-roots' } },
  [ADMIN_OP.createApiRoot]: {
    url: '/admin/api-roots',
    body: { path: 'oa-new-root', title: 'New', description: 'x', max_content_length: 1000 },
    benign: { url: '/admin/api-roots', body: { path: 'eu', title: 'x' } },
  },
  [ADMIN_OP.apiRoot]: { url: '/admin/api-roots/oa-root', benign: { url: '/admin/api-roots/oa-root' } },
  [ADMIN_OP.updateApiRoot]: {
    url: '/admin/api-roots/oa-root',
    body: { title: 'Renamed', description: null },
    benign: { url: '/admin/api-roots/eu', body: { title: 'x' } },
  },
  [ADMIN_OP.deleteApiRoot]: { url: '/admin/api-roots/oa-doomed-root', benign: { url: '/admin/api-roots/oa-nowhere' } },
  [ADMIN_OP.collections]: {
    url: '/admin/api-roots/oa-root/collections',
    benign: { url: '/admin/api-roots/oa-root/collections' },
  },
  [ADMIN_OP.createCollection]: {
    url: '/admin/api-roots/oa-root/collections',
    body: {
      title: 'New',
      description: 'x',
      alias: 'oa-new',
      owner: 'fr-anssi',
      releasability: true,
      policy: { allowed_types: ['indicator'], max_tlp: 'white', provenance: true },
    },
    benign: { url: '/admin/api-roots/oa-nowhere/collections', body: { title: 'x' } },
  },
  [ADMIN_OP.collection]: {
    url: `/admin/api-roots/oa-root/collections/${OA_COL}`,
    benign: { url: `/admin/api-roots/oa-root/collections/${OA_COL}` },
  },
  [ADMIN_OP.updateCollection]: {
    url: `/admin/api-roots/oa-root/collections/${OA_COL}`,
    body: {
      title: 'Renamed',
      alias: 'oa-col',
      owner: null,
      releasability: true,
      policy: { allowed_types: null, max_tlp: 'amber+strict', provenance: false },
    },
    benign: { url: `/admin/api-roots/eu/collections/${EU_WIDE}`, body: { title: 'x' } },
  },
  [ADMIN_OP.deleteCollection]: {
    url: `/admin/api-roots/oa-root/collections/${OA_DOOMED_COL}`,
    benign: { url: `/admin/api-roots/oa-root/collections/${NO_COL}` },
  },
  [ADMIN_OP.grants]: {
    url: `/admin/collections/${OA_COL}/grants`,
    benign: { url: `/admin/collections/${OA_COL}/grants` },
  },
  [ADMIN_OP.replaceGrants]: {
    url: `/admin/collections/${OA_COL}/grants`,
    body: {
      grants: [
        { group: 'eu-member-states', read: true },
        { user: 'oa-user', read: true, write: true },
      ],
    },
    benign: { url: `/admin/collections/${OA_COL}/grants`, body: { grants: [] } },
  },
  [ADMIN_OP.markings]: { url: '/admin/markings', benign: { url: '/admin/markings' } },
  [ADMIN_OP.marking]: { url: `/admin/markings/${OA_MARKING}`, benign: { url: `/admin/markings/${OA_MARKING}` } },
  [ADMIN_OP.bindMarking]: {
    url: `/admin/markings/${OA_MARKING}`,
    body: { tenants: ['fr-anssi', 'de-bsi'], groups: ['eu-member-states'] },
    benign: { url: `/admin/markings/${FILE_MARKING}`, body: { tenants: ['de-bsi'] } },
  },
  [ADMIN_OP.unbindMarking]: {
    url: `/admin/markings/${OA_DOOMED_MARKING}`,
    benign: { url: `/admin/markings/${NO_MARKING}` },
  },
  [ADMIN_OP.audit]: { url: '/admin/audit', benign: { url: '/admin/audit' } },
};

export const target = (op: string): Target => {
  const t = TARGETS[op];
  if (!t) throw new Error(`no admin target for ${op}`);
  return t;
};

/** A request for `op` without credentials: JSON body for POST, PUT and PATCH. */
export function request(app: TestApp, op: string, url: string, body: unknown): supertest.Test {
  const [method] = op.split(' ') as [string];
  switch (method) {
    case 'GET':
      return app.http.get(url);
    case 'DELETE':
      return app.http.delete(url);
    case 'POST':
      return app.http
        .post(url)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body ?? {}));
    case 'PATCH':
      return app.http
        .patch(url)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body ?? {}));
    case 'PUT':
      return app.http
        .put(url)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body ?? {}));
    default:
      throw new Error(`no request builder for ${op}`);
  }
}

/** The harmless request of `op` (optionally at `url`, e.g. with a query), without credentials. */
export function adminRequest(app: TestApp, op: string, url?: string): supertest.Test {
  const b = target(op).benign;
  return request(app, op, url ?? b.url, b.body);
}

export const adminBenignUrl = (op: string): string => target(op).benign.url;
