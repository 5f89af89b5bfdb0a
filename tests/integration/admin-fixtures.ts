// Shared by the admin API suites: a configuration with three tenants (one with a STIX identity), a
// group, a marking binding, a platform admin, two tenant admins and members, and collections owned
// by two tenants; and a JSON client.
import type supertest from 'supertest';
import type { TestApp, TestUser } from '../helpers/test-app.js';

export const EU_WIDE = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
export const FR_DROP = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
export const UNKNOWN_COLLECTION = '00000000-0000-4000-8000-000000000000';
/** A marking the configuration file binds to the group eu-member-states. */
export const FILE_MARKING = 'marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** The STIX identity the file gives de-bsi. */
export const DE_IDENTITY = 'identity--1b8d4a36-6b36-4c2d-9d2e-6a2b1f0c1d01';

export const OPS: TestUser = { name: 'ops', password: 'ops-password-1' };
export const DE_ADMIN: TestUser = { name: 'de-admin', password: 'de-admin-password' };
export const DE: TestUser = { name: 'de-analyst', password: 'de-analyst-password' };
export const FR_ADMIN: TestUser = { name: 'fr-admin', password: 'fr-admin-password' };
export const FR: TestUser = { name: 'fr-analyst', password: 'fr-analyst-password' };

export const ADMIN_ENV = {
  PW_OPS: OPS.password,
  PW_DE_ADMIN: DE_ADMIN.password,
  PW_DE: DE.password,
  PW_FR_ADMIN: FR_ADMIN.password,
  PW_FR: FR.password,
};

export const ADMIN_CONFIG = `
auth: { failure_limit: 1000 }
tenants:
  - { id: de-bsi, name: Germany (BSI), identities: [${DE_IDENTITY}] }
  - { id: fr-anssi, name: France (ANSSI) }
  - { id: it-acn, name: Italy (ACN) }
groups:
  - { id: eu-member-states, tenants: [de-bsi, fr-anssi, it-acn] }
markings:
  - { id: ${FILE_MARKING}, groups: [eu-member-states] }
users:
  - { username: ops, role: platform-admin, password_env: PW_OPS }
  - { username: de-admin, tenant: de-bsi, role: tenant-admin, password_env: PW_DE_ADMIN }
  - { username: de-analyst, tenant: de-bsi, role: member, password_env: PW_DE }
  - { username: fr-admin, tenant: fr-anssi, role: tenant-admin, password_env: PW_FR_ADMIN }
  - { username: fr-analyst, tenant: fr-anssi, password_env: PW_FR }
api_roots:
  - path: eu
    title: EU threat sharing
    collections:
      - id: ${EU_WIDE}
        title: EU-wide state actors
        owner: de-bsi
        grants:
          - { group: eu-member-states, read: true }
          - { tenant: de-bsi, read: true, write: true }
      - id: ${FR_DROP}
        title: French drop box
        owner: fr-anssi
        grants: [ { tenant: fr-anssi, read: true } ]
`;

export interface AdminClient {
  get(path: string, as?: TestUser): supertest.Test;
  post(path: string, body: unknown, as?: TestUser): supertest.Test;
  patch(path: string, body: unknown, as?: TestUser): supertest.Test;
  put(path: string, body: unknown, as?: TestUser): supertest.Test;
  del(path: string, as?: TestUser): supertest.Test;
}

/** JSON requests to the admin API, as `ops` unless told otherwise. */
export function adminClient(app: TestApp): AdminClient {
  const json = (t: supertest.Test, body: unknown) =>
    t.set('Content-Type', 'application/json').send(JSON.stringify(body));
  return {
    get: (path, as = OPS) => app.http.get(path).auth(as.name, as.password),
    post: (path, body, as = OPS) => json(app.http.post(path).auth(as.name, as.password), body),
    patch: (path, body, as = OPS) => json(app.http.patch(path).auth(as.name, as.password), body),
    put: (path, body, as = OPS) => json(app.http.put(path).auth(as.name, as.password), body),
    del: (path, as = OPS) => app.http.delete(path).auth(as.name, as.password),
  };
}

/** The `detail` of a problem document. */
export const detailOf = (res: supertest.Response): string => (res.body as { detail?: string }).detail ?? '';
