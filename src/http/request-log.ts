// One observation per finished request: a JSON log line (pino) and the HTTP metrics. Requests are
// named by their route template (`/:root/collections/:collection/objects/`), never by their URL:
// a query string may carry secrets, and a concrete path names API roots, collections and objects,
// which metric labels must not (src/ops/metrics.ts).
import type { ServerResponse } from 'node:http';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { requestIdOf } from './request-id.js';

/** The route label of a request that matched no route template. */
export const UNMATCHED = 'unmatched';

/**
 * The status recorded for a request whose client went away before the answer was complete (the
 * connection closed first): 499, as several proxies report it, since no HTTP status was delivered.
 */
export const CLIENT_CLOSED = 499;

export interface RequestObserver {
  request(o: { route: string; method: string; status: number; seconds: number }): void;
}

export interface RequestLogOptions {
  /** where the log lines go; undefined: no log lines (log.requests: false) */
  log?: Logger;
  /** the HTTP metrics; undefined: none */
  metrics?: RequestObserver;
}

/** Path prefixes served by middleware rather than routes (static files), with their label. */
const FAMILIES: readonly [prefix: string, label: string][] = [['/console/', '/console/*']];

/** Methods outside this set are counted as OTHER, so that a client cannot mint label values. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface RouterLayer {
  route?: { path: unknown };
  name?: string;
  handle?: { stack?: RouterLayer[] };
}

/**
 * The route templates of an app, in the order express tries them, as matchers. Used for requests
 * that never reached a route handler (refused by authentication or a limit first), so that they
 * are counted under the route they asked for rather than as unmatched.
 */
function templatesOf(app: Express): { template: string; re: RegExp }[] {
  const out: { template: string; re: RegExp }[] = [];
  const seen = new Set<string>();
  const walk = (stack: RouterLayer[]): void => {
    for (const layer of stack) {
      const path = layer.route?.path;
      if (typeof path === 'string') {
        if (seen.has(path)) continue;
        seen.add(path);
        // Express's default (non-strict) routing serves a template with or without its final slash.
        const body = path
          .replace(/\/$/, '')
          .split('/')
          .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/');
        out.push({ template: path, re: new RegExp(`^${body}/?$`) });
      } else if (layer.name === 'router' && Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  const router = (app as unknown as { _router?: { stack?: RouterLayer[] } })._router;
  if (Array.isArray(router?.stack)) walk(router.stack);
  return out;
}

function pathOf(req: Request): string {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** One log line and one metrics observation per request, when it finishes or its client leaves. */
export function requestLog(app: Express, opts: RequestLogOptions): RequestHandler {
  let templates: { template: string; re: RegExp }[] | undefined;
  const routeOf = (req: Request): string => {
    // The route that handled the request (express leaves the last matched route on req.route).
    const matched = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof matched === 'string') return matched;
    // Read once the app is built: this middleware is installed before the routes.
    templates ??= templatesOf(app);
    const path = pathOf(req);
    for (const t of templates) if (t.re.test(path)) return t.template;
    for (const [prefix, label] of FAMILIES) if (path.startsWith(prefix)) return label;
    return UNMATCHED;
  };

  return (req, res, next) => {
    if (opts.log === undefined && opts.metrics === undefined) return next();
    const start = process.hrtime.bigint();
    let bytes = 0;
    countBytes(res, (n) => (bytes += n));
    whenDone(res, (aborted) => {
      const route = routeOf(req);
      reportRequest(opts, {
        requestId: requestIdOf(res),
        method: req.method,
        route,
        // A path that matched nothing is logged to explain the 404, without its query string.
        ...(route === UNMATCHED ? { path: pathOf(req).slice(0, 200) } : {}),
        status: aborted ? CLIENT_CLOSED : res.statusCode,
        start,
        bytes,
        principal: res.locals.principal as Principal | undefined,
        address: req.ip ?? req.socket.remoteAddress,
        aborted,
      });
    });
    next();
  };
}

/** A finished request as the log line and the metrics describe it. */
export interface FinishedRequest {
  requestId: string;
  method: string;
  /** the route template, or UNMATCHED */
  route: string;
  /** the path without its query string, for UNMATCHED requests */
  path?: string;
  status: number;
  /** process.hrtime.bigint() when the request was dispatched */
  start: bigint;
  /** body bytes written */
  bytes: number;
  principal: Principal | undefined;
  address: string | undefined;
  aborted: boolean;
}

/** Calls `done` once, when the answer is complete ('finish') or its connection closed first. */
export function whenDone(res: ServerResponse, done: (aborted: boolean) => void): void {
  let called = false;
  const finish = (): void => {
    if (called) return;
    called = true;
    done(!res.writableFinished);
  };
  res.once('finish', finish);
  res.once('close', finish);
}

/** The metrics observation and the log line of one finished request. */
export function reportRequest(opts: RequestLogOptions, f: FinishedRequest): void {
  const seconds = Number(process.hrtime.bigint() - f.start) / 1e9;
  const method = METHODS.has(f.method) ? f.method : 'OTHER';
  opts.metrics?.request({ route: f.route, method, status: f.status, seconds });
  if (opts.log === undefined) return;
  const p = f.principal;
  const line = {
    requestId: f.requestId,
    method: f.method,
    route: f.route,
    ...(f.path !== undefined ? { path: f.path } : {}),
    status: f.status,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    bytes: f.method === 'HEAD' ? 0 : f.bytes,
    ...(p !== undefined ? { user: p.username, ...(p.tenant !== undefined ? { tenant: p.tenant } : {}) } : {}),
    address: f.address,
    ...(f.aborted ? { aborted: true } : {}),
  };
  // 5xx: the error middleware has already logged the error with its stack, under this id.
  if (f.status >= 500 && !f.aborted) opts.log.error(line, 'request failed');
  else opts.log.info(line, f.aborted ? 'request aborted by the client' : 'request finished');
}

/** Counts the body bytes an answer writes (headers excluded), however it writes them. */
function countBytes(res: Response, add: (n: number) => void): void {
  const size = (chunk: unknown, encoding: unknown): number => {
    if (typeof chunk === 'string')
      return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    if (chunk instanceof Uint8Array) return chunk.byteLength;
    return 0;
  };
  type Writer = (...args: unknown[]) => unknown;
  const write = res.write as unknown as Writer;
  const end = res.end as unknown as Writer;
  (res as unknown as { write: Writer }).write = function (this: Response, ...args: unknown[]) {
    add(size(args[0], args[1]));
    return write.apply(this, args);
  };
  (res as unknown as { end: Writer }).end = function (this: Response, ...args: unknown[]) {
    add(size(args[0], args[1]));
    return end.apply(this, args);
  };
}
