// Start-up: the configuration reconciled into the store (config/reconcile.ts), a first platform
// admin when there is none, and on a first start without any configured API root, a demo API root
// and collection with a small bundle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, generatePassword } from './auth/passwords.js';
import type { Principal } from './auth/principal.js';
import { reconcile } from './config/reconcile.js';
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
  /** what the configuration no longer declares and was removed or retired */
  removed: string[];
}

export async function bootstrap(c: Container): Promise<BootstrapReport> {
  const { store, config } = c;
  const report: BootstrapReport = { adminCreated: false, demoSeeded: false, removed: [] };
  report.removed = (await reconcile(store, config, hashPassword)).removed;

  if ((await store.identity.countPlatformAdmins()) === 0) {
    const password = config.adminPassword ?? generatePassword();
    await store.identity.putUser({
      username: ADMIN_USERNAME,
      kind: 'user',
      passwordHash: await hashPassword(password),
      role: 'platform-admin',
      certificates: [],
      source: 'bootstrap',
    });
    report.adminCreated = true;
    if (config.adminPassword === undefined) report.generatedAdminPassword = password;
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
    source: 'bootstrap',
  });
  await c.store.catalog.putCollection({
    id: DEMO_COLLECTION_ID,
    apiRoot: DEMO_API_ROOT,
    title: 'State-linked intrusion sets (demo)',
    description: 'A small STIX 2.1 bundle shipped with Palisade: state-linked groups, their malware and indicators.',
    alias: 'state-linked-demo',
    source: 'bootstrap',
  });
  const admin: Principal = { username: ADMIN_USERNAME, role: 'platform-admin', groups: [] };
  const target = await c.services.ingest.target(admin, { apiRoot: DEMO_API_ROOT, collection: DEMO_COLLECTION_ID });
  const bytes = readFileSync(join(projectRoot, 'demo', 'state-linked-groups.json'));
  const status = await c.services.ingest.ingest(admin, target, { bytes });
  if (status.failures.length > 0) {
    throw new Error(`the demo bundle did not validate: ${JSON.stringify(status.failures)}`);
  }
}
