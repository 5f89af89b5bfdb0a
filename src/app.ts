// The express app. Builds middleware in order and never listens (src/server.ts does).
import express, { type Express } from 'express';
import helmet from 'helmet';
import { adminRoutes } from './admin/routes.js';
import { authenticate } from './auth/http-auth.js';
import type { Container } from './container.js';
import { NotFoundError } from './errors.js';
import { errorMiddleware } from './http/error-middleware.js';
import { requestId } from './http/request-id.js';
import { healthRoutes } from './ops/health.js';
import { taxiiRoutes } from './taxii/routes/taxii-routes.js';

export function buildApp(c: Container): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // TAXII parameters are parsed from the raw query string
  if (c.config.server.trustProxy) app.set('trust proxy', true);

  app.use(helmet());
  app.use(requestId());
  app.use(healthRoutes(c.store));
  // The admin API (/admin/...) before TAXII, whose routes take every other path.
  app.use(adminRoutes(c.admin, authenticate(c.authenticator, c.throttle, c.log, c.services.audit)));
  // Every other path is TAXII's: authentication first, so unknown URLs answer like hidden ones.
  app.use(
    taxiiRoutes(
      c.services,
      authenticate(c.authenticator, c.throttle, c.log, c.services.audit),
      c.config.taxii.maxPageSize,
    ),
  );
  app.use((_req, _res, next) => next(new NotFoundError('There is no TAXII resource at this URL.')));
  app.use(errorMiddleware(c.log));
  return app;
}
