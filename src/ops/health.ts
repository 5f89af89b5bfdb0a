// Liveness and readiness for load balancers and orchestrators: open (no authentication), JSON.
import { Router } from 'express';
import { UnavailableError } from '../errors.js';
import { handle } from '../http/async-handler.js';
import { jsonResponder } from '../http/responders.js';

export interface Pingable {
  ping(): Promise<void>;
}

export function healthRoutes(store: Pingable): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => jsonResponder.send(res, 200, { status: 'ok' }));
  // Ready when the store answers; a load balancer stops sending traffic to an instance that is not.
  r.get(
    '/readyz',
    handle(async (_req, res) => {
      try {
        await store.ping();
      } catch (err) {
        throw new UnavailableError('The store is not reachable.', { cause: err });
      }
      jsonResponder.send(res, 200, { status: 'ready' });
    }),
  );
  return r;
}
