// Composition root: the only place that constructs collaborators (with store/open-store.ts,
// which picks the storage backend).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AccessCache, cachedAccessAreas, invalidatingStore } from './access/access-cache.js';
import { AuditLog } from './access/audit-log.js';
import { AdminService } from './admin/admin-service.js';
import { AnalystService } from './api/analyst-service.js';
import { AccessGate } from './access/gate.js';
import { Authenticator } from './auth/authenticator.js';
import { LoginThrottle } from './auth/throttle.js';
import type { Config } from './config/load-config.js';
import { DEFAULT_QUEUE_LIMITS, IngestService } from './ingest/ingest-service.js';
import { DEFAULT_WORKER_OPTIONS, IngestWorker, strictEntryParser } from './ingest/ingest-worker.js';
import { RecentJobItems } from './ingest/recent-items.js';
import { Metrics } from './ops/metrics.js';
import { timeStore } from './ops/timed-store.js';
import { createStixValidator } from './stix/validator.js';
import { systemClock, type Clock } from './stix/timestamps.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { CollectionsService } from './taxii/collections-service.js';
import { CursorCodec } from './taxii/cursor.js';
import { DiscoveryService } from './taxii/discovery-service.js';
import { ObjectsService } from './taxii/objects-service.js';
import { Pager } from './taxii/paging.js';
import { ReadAhead } from './taxii/read-ahead.js';
import type { TaxiiServices } from './taxii/routes/taxii-routes.js';
import { StatusService } from './taxii/status-service.js';

export interface Container {
  config: Readonly<Config>;
  log: Logger;
  store: Store;
  /** the store as the backend opened it, beneath the timing and access-cache layers (for tests) */
  backend: Store;
  gate: AccessGate;
  authenticator: Authenticator;
  throttle: LoginThrottle;
  services: TaxiiServices;
  /** the admin API (tenants, accounts, tokens, catalog, grants, audit) */
  admin: AdminService;
  /** the analyst API (search, objects, actors, changes, export) */
  analyst: AnalystService;
  /** the key that signs paging cursors (TAXII `next`, analyst API cursors) */
  cursorSecret: Buffer;
  /** this container's Prometheus registry and the counters the services move */
  metrics: Metrics;
  /** access lookups served from memory (store.access_cache_ms); writes through `store` empty it */
  accessCache: AccessCache;
  /** pages read ahead of clients walking by `next` (src/taxii/read-ahead.ts) */
  readAhead: ReadAhead;
  /** entries of envelopes received here, held for the local worker (`ingest.handoff_bytes`) */
  handoff: RecentJobItems;
  /**
   * Starts the background work of a serving process: the ingestion worker. Called after bootstrap,
   * so that queued requests are processed under the reconciled configuration; one-shot commands
   * never call it.
   */
  start(): void;
  close(): Promise<void>;
}

export async function createContainer(
  config: Readonly<Config>,
  log: Logger,
  clock: Clock = systemClock(),
): Promise<Container> {
  const opened = await openStore(config.store, { log });
  try {
    await opened.migrate(log);
  } catch (err) {
    await opened.close();
    throw err;
  }
  // The queue depth and the index backlog are read at each scrape, through the store below.
  const metrics = new Metrics(
    () => store.jobs.countQueued(),
    () => store.intel.countPending(),
  );
  // Every store call is timed at this one seam, whatever the backend (src/ops/timed-store.ts).
  const timed = config.ops.metrics.enabled
    ? timeStore(opened, (method, seconds) => metrics.storeCall(method, seconds))
    : opened;
  // Access lookups from memory while the store's access generation stands (src/access/access-cache.ts).
  // Everything in this process writes through `store`, which empties the cache after each access
  // write; only the gate and the authenticator read through the cached views (`access`).
  const accessCache = new AccessCache(() => timed.meta.getAccessGeneration(), { ttlMs: config.accessCacheMs });
  const store = invalidatingStore(timed, accessCache);
  const access = cachedAccessAreas(store, accessCache);
  // Cursor key shared by every instance on this store, so `next` survives restarts.
  const secret = await store.meta.initMeta('cursor_secret', randomBytes(32).toString('base64'));
  const gate = new AccessGate(access.catalog, access.grants, access.markings, access.tenancy);
  const audit = new AuditLog(store.audit, clock, log);
  // The page after each page served is read ahead (src/taxii/read-ahead.ts); every object write in
  // this process goes through `objects`, which discards what was read ahead of the collection.
  const readAhead = new ReadAhead(
    store.objects.getWriteMark ? (collectionId) => store.objects.getWriteMark!(collectionId) : undefined,
  );
  const objects = readAhead.watch(store.objects);
  const pager = new Pager(objects, new CursorCodec(Buffer.from(secret, 'base64')), metrics, readAhead);
  // Envelopes received here are processed from memory by the local worker (src/ingest/recent-items.ts).
  const jobs = new RecentJobItems(store.jobs, config.ingest.handoffBytes);
  const services: TaxiiServices = {
    discovery: new DiscoveryService(gate, config.taxii, config.server.baseUrl ?? ''),
    collections: new CollectionsService(gate),
    objects: new ObjectsService(gate, objects, pager),
    statuses: new StatusService(gate, store.statuses, clock, config.taxii.statusRetentionHours),
    ingest: new IngestService(
      gate,
      objects,
      store.statuses,
      jobs,
      createStixValidator(),
      clock,
      { ...DEFAULT_QUEUE_LIMITS, statusDetailLimit: config.ingest.statusDetailLimit },
      config.ingest,
    ),
    audit,
  };
  services.ingest.counter = metrics;
  const worker = new IngestWorker(
    services.ingest,
    gate,
    jobs,
    store.statuses,
    strictEntryParser(config.ingest.maxDepth),
    audit,
    log,
    {
      ...DEFAULT_WORKER_OPTIONS,
      concurrency: config.ingest.workers,
      chunkSize: config.ingest.chunkSize,
      leaseMs: config.ingest.leaseSeconds * 1000,
    },
  );
  const purge = setInterval(() => {
    services.statuses.purge().catch((err: unknown) => log.error({ err }, 'status purge failed'));
  }, 3_600_000);
  purge.unref();
  return {
    config,
    log,
    store,
    backend: opened,
    gate,
    authenticator: new Authenticator(access.identity, access.tenancy, clock),
    throttle: new LoginThrottle({
      limit: config.auth.failureLimit,
      windowMs: config.auth.failureWindowMs,
      maxKeys: 100_000,
    }),
    services,
    admin: new AdminService(store, audit, clock),
    analyst: new AnalystService(gate, store.intel, store.objects),
    cursorSecret: Buffer.from(secret, 'base64'),
    metrics,
    accessCache,
    readAhead,
    handoff: jobs,
    start: () => worker.start(),
    close: async () => {
      clearInterval(purge);
      await worker.stop();
      await audit.flush();
      await store.close();
    },
  };
}
