// Composition root: the only place that constructs collaborators.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AccessPolicy } from './access/policy.js';
import { PasswordAuthenticator } from './auth/authenticator.js';
import type { Config } from './config/load-config.js';
import { createStixValidator } from './stix/validator.js';
import { systemClock, type Clock } from './stix/timestamps.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { CursorCodec } from './taxii/cursor.js';
import { TaxiiService } from './taxii/taxii-service.js';

export interface Container {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  authenticator: PasswordAuthenticator;
  services: { taxii: TaxiiService };
  close(): Promise<void>;
}

export async function createContainer(config: Readonly<Config>, log: Logger, clock: Clock = systemClock()): Promise<Container> {
  const store = await openStore(config.store);
  await store.migrate();
  // Cursor key shared by every instance on this store, so `next` survives restarts.
  const secret = await store.initMeta('cursor_secret', randomBytes(32).toString('base64'));
  const taxii = new TaxiiService(
    store,
    new AccessPolicy(store),
    createStixValidator(),
    new CursorCodec(Buffer.from(secret, 'base64')),
    clock,
    config.taxii,
    config.server.baseUrl ?? '',
  );
  const purge = setInterval(() => {
    taxii.purgeStatuses().catch((err: unknown) => log.error({ err }, 'status purge failed'));
  }, 3_600_000);
  purge.unref();
  return {
    config,
    log,
    store,
    authenticator: new PasswordAuthenticator(store),
    services: { taxii },
    close: async () => {
      clearInterval(purge);
      await store.close();
    },
  };
}
