import type { Config } from '../config/load-config.js';
import { MongoStore } from './mongo/mongo-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The one place that picks a backend. */
export async function openStore(cfg: Config['store']): Promise<Store> {
  switch (cfg.kind) {
    case 'sqlite':
      return SqliteStore.open(cfg.file);
    case 'mongodb':
      return MongoStore.connect(cfg.uri, cfg.database);
  }
}
