// The one place that picks a backend (part of the composition root, with src/container.ts).
import type { Config } from '../config/load-config.js';
import { connectMongoStore } from './mongo/mongo-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export async function openStore(cfg: Config['store']): Promise<Store> {
  switch (cfg.kind) {
    case 'sqlite':
      return openSqliteStore(cfg.file);
    case 'mongodb':
      return connectMongoStore(cfg.uri, cfg.database);
  }
}
