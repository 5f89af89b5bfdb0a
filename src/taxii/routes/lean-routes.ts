// The lean path: the small GET resources (small-gets.ts) served straight from Node's request and
// response, without Express's router and middleware chain. Clients poll these (discovery, the
// collections list, an ingest's status) every few seconds, and Express's per-request work
// (prototype swaps, dozens of route layers tried in turn, a dozen header middlewares) costs several
// times what the resource itself does.
//
// It serves only the plain case: GET, a path it matches exactly (no percent-escapes, no empty
// segment, the final slash present), credentials the authenticator accepts, an acceptable Accept
// header (§3.1), the caller within its limits, and a resource read without error. Anything else
// (a 401, 403, 404, 406, 429, a HEAD, a path for the routers mounted before TAXII, a server that
// is draining) is handed, untouched, to the express app: nothing is answered, logged, audited or
// counted twice, and every error keeps its one format. Headers are those of the express path:
// helmet's (read once from the configured middleware), X-Request-Id, Content-Type and
// Content-Length; tests compare the two paths' answers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../../auth/authenticator.js';
import { identify } from '../../auth/http-auth.js';
import type { Principal } from '../../auth/principal.js';
import type { LoginThrottle } from '../../auth/throttle.js';
import onHeaders from 'on-headers';
import { pauseIdleTimeout, type RequestLimiter } from '../../http/limits.js';
import { CLIENT_CLOSED, reportRequest, whenDone, type RequestLogOptions } from '../../http/request-log.js';
import { TooManyRequestsError } from '../../errors.js';
import { assertAcceptable, TAXII_21 } from '../media-types.js';
import { recordTaxiiAccess, type TaxiiServices } from './common.js';
import { SMALL_GETS, type SmallGet } from './small-gets.js';

export interface LeanPathOptions {
  svc: TaxiiServices;
  auth: Authenticator;
  throttle: LoginThrottle;
  limiter: RequestLimiter;
  observe: RequestLogOptions;
  /** the security headers every answer carries (helmet's), as [name, value] pairs */
  securityHeaders: readonly (readonly [string, string])[];
  /** `server.trust_proxy`: the caller's address then comes from X-Forwarded-For, which Express reads */
  trustProxy: boolean;
  draining: () => boolean;
}

/** Serves the request, or calls `fallback` (at once or after its checks) having done nothing. */
export interface LeanPath {
  (req: IncomingMessage, res: ServerResponse, fallback: () => void): void;
  /** requests answered by the lean path itself (tests check that it was taken) */
  readonly served: number;
}

/**
 * First path segments that belong to the routers mounted before TAXII (health probes, /metrics,
 * the admin and analyst APIs, the console), compared without case since some of them match so.
 */
const CLAIMED = new Set(['healthz', 'readyz', 'metrics', 'admin', 'api', 'console']);

interface Pattern {
  get: SmallGet;
  /** literal segments, or a parameter name prefixed with ':' */
  segments: string[];
}

const PATTERNS: readonly Pattern[] = SMALL_GETS.map((get) => ({
  get,
  segments: get.template.slice(1, -1).split('/'),
}));

/** The small GET a path names, with its parameters, or undefined when the lean path must not take it. */
export function matchSmallGet(url: string): { get: SmallGet; params: Record<string, string> } | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // Percent-escapes are decoded by Express; a path without its final slash is routed by it too.
  if (path.length < 3 || path.charCodeAt(0) !== 47 || path.charCodeAt(path.length - 1) !== 47) return undefined;
  if (path.includes('%')) return undefined;
  const segments = path.slice(1, -1).split('/');
  if (segments.some((s) => s === '') || CLAIMED.has((segments[0] as string).toLowerCase())) return undefined;
  for (const p of PATTERNS) {
    if (p.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const want = p.segments[i] as string;
      const got = segments[i] as string;
      if (want.startsWith(':')) params[want.slice(1)] = got;
      else ok = want === got;
    }
    if (ok) return { get: p.get, params };
  }
  return undefined;
}

/** Accept values seen lately and whether they allow TAXII 2.1 (clients send the same few). */
const ACCEPTED = new Map<string, boolean>();

function acceptable(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  let ok = ACCEPTED.get(accept);
  if (ok === undefined) {
    try {
      assertAcceptable(accept);
      ok = true;
    } catch {
      ok = false;
    }
    if (ACCEPTED.size >= 64) ACCEPTED.clear();
    ACCEPTED.set(accept, ok);
  }
  return ok;
}

export function leanPath(o: LeanPathOptions): LeanPath {
  let served = 0;
  const security = o.securityHeaders.flatMap(([k, v]) => [k, v]);

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    get: SmallGet,
    params: Record<string, string>,
    fallback: () => void,
    resume: (() => void) | undefined,
  ): Promise<void> => {
    const start = process.hrtime.bigint();
    const address = req.socket.remoteAddress;
    let principal: Principal;
    try {
      const who = await identify(req, address, { auth: o.auth, throttle: o.throttle, rememberedOnly: true });
      // A failure, or a password not checked recently (its scrypt is the express path's to run,
      // once): the express path answers.
      if (who === undefined || !('principal' in who.outcome)) return fallback();
      principal = who.outcome.principal;
    } catch {
      // Throttled (TooManyRequestsError) or the store failed: the express path answers it.
      return fallback();
    }
    const admitted = o.limiter.admit({ principal: principal.username });
    if (admitted instanceof TooManyRequestsError) return fallback();
    // The client left while its credentials were checked: nothing is left to answer.
    if (req.socket.destroyed) return admitted.refund();
    let read: Awaited<ReturnType<SmallGet['read']>>;
    try {
      read = await get.read(o.svc, principal, params);
    } catch {
      // Not found, hidden, unavailable: the express path answers it in its one error format and
      // records it (reads have no effect, so reading again there changes nothing).
      admitted.refund();
      return fallback();
    }
    res.once('close', admitted.release);
    const requestId = randomUUID();
    if (get.audit !== undefined)
      recordTaxiiAccess(o.svc.audit, {
        action: get.audit.action,
        outcome: 'ok',
        requestId,
        principal,
        address,
        apiRoot: params.root as string,
        endpoint: get.audit.endpoint,
        noted: { ...(params.collection !== undefined ? { collectionId: params.collection } : {}), ...read.noted },
      });
    const body = Buffer.from(JSON.stringify(read.body), 'utf8');
    if (o.observe.log !== undefined || o.observe.metrics !== undefined)
      whenDone(res, (aborted) =>
        reportRequest(o.observe, {
          requestId,
          method: 'GET',
          route: get.template,
          status: aborted ? CLIENT_CLOSED : 200,
          start,
          bytes: body.length,
          principal,
          address,
          aborted,
        }),
      );
    served++;
    resume?.();
    res.writeHead(200, [
      ...security,
      'X-Request-Id',
      requestId,
      'Content-Type',
      TAXII_21,
      'Content-Length',
      String(body.length),
    ]);
    res.end(body);
  };

  const lane = ((req, res, fallback) => {
    if (req.method !== 'GET' || o.draining()) return fallback();
    // Behind a trusted proxy the caller's address is Express's to work out.
    if (o.trustProxy && req.headers['x-forwarded-for'] !== undefined) return fallback();
    const m = matchSmallGet(req.url ?? '');
    if (m === undefined || !acceptable(req.headers.accept)) return fallback();
    // The socket's idle timeout rests while the answer is worked out (see idleTimeoutWhileWorking):
    // armed again just before the lean path writes, or when the express path's answer starts.
    const resume = pauseIdleTimeout(req);
    const handOn = (): void => {
      if (resume !== undefined) onHeaders(res, resume);
      fallback();
    };
    serve(req, res, m.get, m.params, handOn, resume).catch(() => {
      // Nothing was written yet (writing is the last step): the express path answers.
      if (!res.headersSent) handOn();
    });
  }) as LeanPath;
  Object.defineProperty(lane, 'served', { get: () => served });
  return lane;
}

/**
 * The headers a middleware sets on every response (helmet's: they depend on its options only),
 * read once by running it against a recording response.
 */
export function headersSetBy(
  middleware: (req: never, res: never, next: (err?: unknown) => void) => void,
): [string, string][] {
  const headers = new Map<string, [string, string]>();
  const recorder = {
    setHeader: (name: string, value: unknown): void => {
      headers.set(name.toLowerCase(), [name, String(value)]);
    },
    removeHeader: (name: string): void => {
      headers.delete(name.toLowerCase());
    },
    getHeader: (name: string): unknown => headers.get(name.toLowerCase())?.[1],
  };
  let passed = false;
  let failure: unknown;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, recorder as never, (err?: unknown) => {
    passed = true;
    failure = err;
  });
  if (!passed || failure !== undefined) throw new Error('the header middleware did not pass a plain request on');
  return [...headers.values()];
}
