// The express app. Builds middleware in order and never listens (src/server.ts does).
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { adminRoutes } from './admin/routes.js';
import { apiRoutes } from './api/routes.js';
import { authenticate } from './auth/http-auth.js';
import type { Container } from './container.js';
import { NotFoundError, UnavailableError } from './errors.js';
import { consoleRoutes } from './console/routes.js';
import { errorMiddleware } from './http/error-middleware.js';
import { authenticateAndLimit, RequestLimiter } from './http/limits.js';
import { requestId } from './http/request-id.js';
import { healthRoutes } from './ops/health.js';
import { taxiiRoutes } from './taxii/routes/taxii-routes.js';

export interface AppOptions {
  /** true once the server is shutting down (src/server.ts): /readyz answers 503, connections close */
  draining?: () => boolean;
}

export function buildApp(c: Container, opts: AppOptions = {}): Express {
  const draining = opts.draining ?? ((): boolean => false);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // TAXII parameters are parsed from the raw query string
  if (c.config.server.trustProxy) app.set('trust proxy', true);

  app.use(helmet());
  app.use(requestId());
  app.use(whileDraining(draining));
  // Probes are neither authenticated nor limited.
  app.use(healthRoutes(c.store));
  // One limiter for every authenticated route family: a caller's requests count together.
  const limiter = RequestLimiter.fromConfig(c.config.server.limits, c.log);
  const guard = (): RequestHandler =>
    authenticateAndLimit(authenticate(c.authenticator, c.throttle, c.log, c.services.audit), limiter);
  // The admin API (/admin/...) before TAXII, whose routes take every other path.
  app.use(adminRoutes(c.admin, guard()));
  // The analyst API (/api/v1/...), then the console's static files (no data; the API is authenticated).
  app.use(apiRoutes(c.analyst, c.services.audit, guard(), c.cursorSecret));
  app.use(consoleRoutes());
  // Every other path is TAXII's: authentication first, so unknown URLs answer like hidden ones.
  app.use(taxiiRoutes(c.services, guard(), c.config.taxii.maxPageSize));
  app.use((_req, _res, next) => next(new NotFoundError('There is no TAXII resource at this URL.')));
  app.use(errorMiddleware(c.log));
  return app;
}

/**
 * While the server drains, every response closes its connection (RFC 9112 §9.6) so that keep-alive
 * clients reconnect elsewhere, and /readyz answers 503 so that a load balancer polling on an open
 * connection takes this instance out of rotation.
 */
function whileDraining(draining: () => boolean): RequestHandler {
  return (req, res, next) => {
    if (!draining()) return next();
    res.setHeader('Connection', 'close');
    if (req.path === '/readyz') return next(new UnavailableError('The server is shutting down.'));
    next();
  };
}
