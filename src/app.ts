// The express app. Builds middleware in order and never listens (src/server.ts does).
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { adminRoutes } from './admin/routes.js';
import { apiRoutes } from './api/routes.js';
import { authenticate } from './auth/http-auth.js';
import type { Container } from './container.js';
import { NotFoundError, UnavailableError } from './errors.js';
import { consoleRoutes } from './console/routes.js';
import { errorMiddleware } from './http/error-middleware.js';
import { authenticateAndLimit, idleTimeoutWhileWorking, RequestLimiter } from './http/limits.js';
import { requestId } from './http/request-id.js';
import { requestLog, type RequestLogOptions } from './http/request-log.js';
import { healthRoutes } from './ops/health.js';
import { metricsRoutes, type MetricsAccess } from './ops/metrics-routes.js';
import { headersSetBy, leanPath, type LeanPath } from './taxii/routes/lean-routes.js';
import { taxiiRoutes } from './taxii/routes/taxii-routes.js';

export interface AppOptions {
  /** true once the server is shutting down (src/server.ts): /readyz answers 503, connections close */
  draining?: () => boolean;
  /** false: every request goes through express (tests compare the two paths); true by default */
  leanPath?: boolean;
}

export function buildApp(c: Container, opts: AppOptions = {}): Express {
  const draining = opts.draining ?? ((): boolean => false);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // TAXII parameters are parsed from the raw query string
  if (c.config.server.trustProxy) app.set('trust proxy', true);

  const security = helmet();
  app.use(security);
  app.use(idleTimeoutWhileWorking());
  app.use(requestId());
  app.use(requestLog(app, observed(c)));
  app.use(whileDraining(draining));
  // Probes are neither authenticated nor limited.
  app.use(healthRoutes(c.store));
  // One limiter for every authenticated route family: a caller's requests count together.
  const limiter = RequestLimiter.fromConfig(c.config.server.limits, c.log);
  const guard = (): RequestHandler =>
    authenticateAndLimit(authenticate(c.authenticator, c.throttle, c.log, c.services.audit, c.metrics), limiter);
  // /metrics on the public port, unless a listener of its own serves it (buildOpsApp).
  const m = c.config.ops.metrics;
  if (m.enabled && m.listener === undefined) {
    const access: MetricsAccess =
      m.token !== undefined
        ? { kind: 'token', token: m.token }
        : m.allowAnonymous
          ? { kind: 'open' }
          : { kind: 'admin', guard: guard() };
    app.use(metricsRoutes(c.metrics, access));
  }
  // The admin API (/admin/...) before TAXII, whose routes take every other path.
  app.use(adminRoutes(c.admin, guard()));
  // The analyst API (/api/v1/...), then the console's static files (no data; the API is authenticated).
  app.use(apiRoutes(c.analyst, c.services.audit, guard(), c.cursorSecret));
  app.use(consoleRoutes());
  // Every other path is TAXII's: authentication first, so unknown URLs answer like hidden ones.
  app.use(taxiiRoutes(c.services, guard(), c.config.taxii.maxPageSize));
  app.use((_req, _res, next) => next(new NotFoundError('There is no TAXII resource at this URL.')));
  app.use(errorMiddleware(c.log));
  if (opts.leanPath !== false) {
    const lean = leanPath({
      svc: c.services,
      auth: c.authenticator,
      throttle: c.throttle,
      limiter,
      observe: observed(c),
      securityHeaders: headersSetBy(security),
      trustProxy: c.config.server.trustProxy === true,
      draining,
    });
    takeFirst(app, lean);
  }
  return app;
}

/**
 * Puts the lean path (src/taxii/routes/lean-routes.ts) in front of the whole app: the app function
 * express returns calls `app.handle` for every request, whatever started it (http.createServer,
 * app.listen, supertest), so this is the one place that sees every request first. The lean path
 * is kept in `app.locals.leanPath`.
 */
function takeFirst(app: Express, lean: LeanPath): void {
  type Handle = (req: IncomingMessage, res: ServerResponse, done?: (err?: unknown) => void) => void;
  const target = app as unknown as { handle: Handle };
  const full = target.handle.bind(app);
  target.handle = (req, res, done) => lean(req, res, () => full(req, res, done));
  app.locals.leanPath = lean;
}

/**
 * The app of the separate operations listener (`ops.metrics.port`): /metrics, /healthz and /readyz
 * only, for an internal interface. /metrics there asks for the token when one is configured and is
 * open otherwise: reaching the listener is the access control.
 */
export function buildOpsApp(c: Container, opts: AppOptions = {}): Express {
  const draining = opts.draining ?? ((): boolean => false);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.use(requestId());
  app.use(requestLog(app, observed(c)));
  app.use(whileDraining(draining));
  app.use(healthRoutes(c.store));
  const token = c.config.ops.metrics.token;
  app.use(metricsRoutes(c.metrics, token !== undefined ? { kind: 'token', token } : { kind: 'open' }));
  app.use((_req, _res, next) =>
    next(new NotFoundError('The operations listener serves /metrics, /healthz and /readyz.')),
  );
  app.use(errorMiddleware(c.log));
  return app;
}

/** Where the request log lines (log.requests) and the HTTP metrics (ops.metrics.enabled) go. */
function observed(c: Container): RequestLogOptions {
  return {
    ...(c.config.log.requests ? { log: c.log } : {}),
    ...(c.config.ops.metrics.enabled ? { metrics: c.metrics } : {}),
  };
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
