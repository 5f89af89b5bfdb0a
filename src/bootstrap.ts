// Declarative bootstrap: API roots, collections, users and grants from the configuration, and on
// a first start without any configured API root, a demo API root and collection with a small bundle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, generatePassword } from './auth/passwords.js';
import type { Container } from './container.js';
import { projectRoot } from './paths.js';

export const DEMO_API_ROOT = 'demo';
export const DEMO_COLLECTION_ID = '365fed99-08fa-4d3c-a8ee-0e3ac5de8d6c';
export const ADMIN_USERNAME = 'admin';

export interface BootstrapReport {
  /** set when the admin user was created with a generated password (print it once) */
  generatedAdminPassword?: string;
  adminCreated: boolean;
  demoSeeded: boolean;
}

export async function bootstrap(c: Container): Promise<BootstrapReport> {
  const { store, config } = c;
  const report: BootstrapReport = { adminCreated: false, demoSeeded: false };

  for (const u of config.users) {
    await store.identity.putUser({
      username: u.username,
      passwordHash: await hashPassword(u.password),
      admin: u.admin,
    });
  }
  if ((await store.identity.countAdmins()) === 0) {
    const password = config.adminPassword ?? generatePassword();
    await store.identity.putUser({ username: ADMIN_USERNAME, passwordHash: await hashPassword(password), admin: true });
    report.adminCreated = true;
    if (config.adminPassword === undefined) report.generatedAdminPassword = password;
  }

  for (const root of config.apiRoots ?? []) {
    await store.catalog.putApiRoot({
      path: root.path,
      title: root.title,
      ...(root.description !== undefined ? { description: root.description } : {}),
      maxContentLength: root.maxContentLength,
    });
    for (const col of root.collections) {
      await store.catalog.putCollection({
        id: col.id,
        apiRoot: root.path,
        title: col.title,
        ...(col.description !== undefined ? { description: col.description } : {}),
        ...(col.alias !== undefined ? { alias: col.alias } : {}),
      });
      await store.grants.setGrants(
        col.id,
        col.grants.map((g) => ({ username: g.user, read: g.read, write: g.write })),
      );
    }
  }

  if (config.apiRoots === undefined && (await store.catalog.listApiRoots()).length === 0) {
    await seedDemo(c);
    report.demoSeeded = true;
  }
  return report;
}

async function seedDemo(c: Container): Promise<void> {
  await c.store.catalog.putApiRoot({
    path: DEMO_API_ROOT,
    title: 'Palisade demo API root',
    description: 'Created on first start because no API root was configured.',
    maxContentLength: 104_857_600,
  });
  await c.store.catalog.putCollection({
    id: DEMO_COLLECTION_ID,
    apiRoot: DEMO_API_ROOT,
    title: 'State-linked intrusion sets (demo)',
    description: 'A small STIX 2.1 bundle shipped with Palisade: state-linked groups, their malware and indicators.',
    alias: 'state-linked-demo',
  });
  const admin = { username: ADMIN_USERNAME, admin: true };
  const target = await c.services.ingest.target(admin, { apiRoot: DEMO_API_ROOT, collection: DEMO_COLLECTION_ID });
  const bytes = readFileSync(join(projectRoot, 'demo', 'state-linked-groups.json'));
  const status = await c.services.ingest.ingest(admin, target, { bytes });
  if (status.failures.length > 0) {
    throw new Error(`the demo bundle did not validate: ${JSON.stringify(status.failures)}`);
  }
}
