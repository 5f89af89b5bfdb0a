// The express app. Builds middleware in order and never listens (src/server.ts does).
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Container } from './container.js';
import { basicAuth } from './auth/authenticator.js';
import { NotFoundError, UnavailableError } from './errors.js';
import { taxiiErrorMiddleware } from './taxii/error-response.js';
import { sendTaxii } from './taxii/respond.js';
import { taxiiRoutes } from './taxii/routes/taxii-routes.js';

export function buildApp(c: Container): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false); // TAXII parameters are parsed from the raw query string (P-27)
  if (c.config.server.trustProxy) app.set('trust proxy', true);

  app.use(helmet());
  app.use((_req, res, next) => {
    const id = randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  });

  app.get('/healthz', (_req, res) => sendTaxii(res, 200, { status: 'ok' }));
  // Ready when the store answers; a load balancer stops sending traffic to an instance that is not.
  app.get('/readyz', (_req, res, next) => {
    c.store.listApiRoots().then(
      () => sendTaxii(res, 200, { status: 'ready' }),
      (err: unknown) => next(new UnavailableError('The store is not reachable.', { cause: err })),
    );
  });

  app.use(taxiiRoutes(c.services.taxii, basicAuth(c.authenticator)));

  app.use((_req, _res, next) => next(new NotFoundError('There is no TAXII resource at this URL.')));
  app.use(taxiiErrorMiddleware(c.log));
  return app;
}
