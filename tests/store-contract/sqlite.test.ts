import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { describeStoreContract } from './contract.js';

// Real files in a temporary directory, as in production (WAL mode).
describeStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-store-'));
  const cfg = { kind: 'sqlite' as const, file: join(dir, 'palisade.db') };
  let store = await openStore(cfg);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore(cfg);
      return store;
    },
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
