// GET /metrics: the Prometheus exposition of the container's registry (text format 0.0.4). Who may
// scrape is decided by the configuration (`ops.metrics`, see src/config/types.ts):
// - token: `Authorization: Bearer <token>` with the configured token, compared in constant time;
// - admin: the normal authentication (and per-caller limits) of the public port, then the
//   platform-admin role, as for the platform part of the admin API;
// - open: anyone; for `allow_anonymous: true`, or a separate listener without a token (that
//   listener is meant for an internal interface).
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { LoginFailureCounter } from '../auth/http-auth.js';
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import { handle } from '../http/async-handler.js';
import { writeBody } from '../http/responders.js';
import type { Metrics } from './metrics.js';

export type MetricsAccess =
  { kind: 'token'; token: string } | { kind: 'admin'; guard: RequestHandler } | { kind: 'open' };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * A constant-time check of the bearer token (RFC 6750 §2.1): both sides are hashed first, so the
 * comparison takes the same time whatever the length or content of what was sent.
 */
function requireToken(token: string, failures: LoginFailureCounter): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected)) return next();
    failures.loginFailed('metrics-token');
    next(new UnauthenticatedError('Scraping the metrics needs the metrics token (Authorization: Bearer <token>).'));
  };
}

const platformAdmin: RequestHandler = (_req, res, next) => {
  const p = res.locals.principal as Principal | undefined;
  if (p?.role === 'platform-admin') return next();
  next(new ForbiddenError('Only platform administrators may read the metrics.'));
};

export function metricsRoutes(metrics: Metrics, access: MetricsAccess): Router {
  const gate: RequestHandler[] =
    access.kind === 'token'
      ? [requireToken(access.token, metrics)]
      : access.kind === 'admin'
        ? [access.guard, platformAdmin]
        : [];
  const r = Router();
  r.get(
    '/metrics',
    ...gate,
    handle(async (_req, res) => {
      const { contentType, body } = await metrics.scrape();
      writeBody(res, 200, contentType, body, { 'Cache-Control': 'no-store' });
    }),
  );
  return r;
}
