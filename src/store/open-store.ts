// The one place that picks a backend (part of the composition root, with src/container.ts).
import type { Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { openThreadedSqliteStore, type StoreLog } from './sqlite/threads/threaded-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** where the store reports cancelled queries, slow writes and restarted threads */
  log?: StoreLog;
}

export async function openStore(cfg: Config['store'], opts: OpenStoreOptions = {}): Promise<Store> {
  switch (cfg.kind) {
    case 'sqlite': {
      // An in-memory database exists only on its one connection: it cannot be shared by threads.
      if (cfg.file === ':memory:') return openSqliteStore(cfg.file);
      return openThreadedSqliteStore(cfg.file, {
        log: opts.log ?? createLogger(process.env.PALISADE_LOG_LEVEL ?? 'warn'),
        ...(cfg.queryTimeoutMs !== undefined ? { queryTimeoutMs: cfg.queryTimeoutMs } : {}),
      });
    }
    case 'mongodb': {
      // Loaded only for a MongoDB store: the driver cost a SQLite server about 20 MB it never used
      // (bson allocates a 17 MB serialisation buffer when it is loaded).
      const { connectMongoStore } = await import('./mongo/mongo-store.js');
      return connectMongoStore(cfg.uri, cfg.database, undefined, {
        ...(cfg.queryTimeoutMs !== undefined ? { queryTimeoutMs: cfg.queryTimeoutMs } : {}),
      });
    }
  }
}
