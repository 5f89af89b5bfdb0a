// Connection and request limits (`server.limits`): what one connection, one socket and one caller
// may hold of the server, so that hostile or broken clients cannot exhaust file descriptors,
// memory or request handlers.
//
// Two layers:
// - the Node HTTP(S) server itself ({@link httpServerOptions}, {@link applyConnectionLimits}):
//   header and request timeouts (answered 408 and closed by Node), the keep-alive and idle socket
//   timeouts, the TLS handshake timeout, the connection cap and the size of the header section;
// - per caller, after authentication ({@link RequestLimiter}): requests in progress at once and a
//   token-bucket rate. Refusals are TooManyRequestsError, so every route family answers 429 in
//   its own format (a TAXII error resource on TAXII routes) with Retry-After (RFC 9110 §10.2.3;
//   RFC 6585 §4 defines 429 for exactly this).
import type {
  Server as HttpServer,
  ServerOptions as HttpServerOptions,
  IncomingMessage,
  ServerResponse,
} from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Request, RequestHandler, Response } from 'express';
import onHeaders from 'on-headers';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { ServerLimitsConfig } from '../config/load-config.js';
import { TooManyRequestsError } from '../errors.js';

/** At most one warning line per caller (and one about dropped connections) per this period. */
const LOG_PERIOD_MS = 60_000;

/**
 * Options for http.createServer and https.createServer. Node checks the header and request
 * timeouts of open connections every `connectionsCheckingInterval` (30 s by default, which would
 * let a 300 ms headers timeout run for 30 s): here a quarter of the shorter timeout, between 25 ms
 * and 1 s, so a connection is cut at most that late.
 */
export function httpServerOptions(l: ServerLimitsConfig): HttpServerOptions {
  const shortest = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    maxHeaderSize: l.maxHeaderSize,
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(shortest / 4))),
  };
}

/**
 * TLS options for https.createServer: a client that connects and never completes the handshake is
 * not yet an HTTP connection, so none of the HTTP timeouts applies to it; it gets the headers
 * timeout (Node's default would be 120 s).
 */
export function tlsServerOptions(l: ServerLimitsConfig): { handshakeTimeout: number } {
  return { handshakeTimeout: l.headersTimeoutMs };
}

/**
 * The idle socket timeout (`idle_timeout_ms`, Node's `server.timeout`) counts silence in both
 * directions, so it would also cut a request whose answer the server is still working out: a
 * page of a filter that waits on a slow store, an envelope waiting for the database's write lock.
 * From the moment a request is dispatched to the first byte of its answer, the socket's timeout is
 * suspended; it applies again from the answer's headers on, so a client that stops reading its
 * answer is still cut. Receiving the request stays bounded by headers_timeout_ms and
 * request_timeout_ms, which Node checks apart from the socket's timeout.
 */
export function idleTimeoutWhileWorking(): RequestHandler {
  return (req, res, next) => {
    suspendIdleTimeout(req, res);
    next();
  };
}

/** The work of {@link idleTimeoutWhileWorking} for one request. */
export function suspendIdleTimeout(req: IncomingMessage, res: ServerResponse): void {
  const resume = pauseIdleTimeout(req);
  if (resume !== undefined) onHeaders(res, resume);
}

/**
 * Suspends the idle timeout of the request's socket and returns what arms it again, for a caller
 * that knows when its answer starts (the lean path); undefined when it was not armed, or was
 * suspended already by an earlier path of the same request.
 */
export function pauseIdleTimeout(req: IncomingMessage): (() => void) | undefined {
  const socket = req.socket;
  const armed = (socket as { timeout?: number }).timeout;
  if (!armed) return undefined;
  socket.setTimeout(0);
  return () => {
    if (!socket.destroyed) socket.setTimeout(armed);
  };
}

/**
 * The limits that are properties of a created server: the idle socket timeout (`server.timeout`;
 * without a 'timeout' listener Node destroys the socket), the header count and the connection cap.
 * Node closes a connection beyond `maxConnections` as soon as it is accepted and emits 'drop';
 * drops are counted and logged at warn, one line per minute at most.
 */
export function applyConnectionLimits(server: HttpServer | HttpsServer, l: ServerLimitsConfig, log: Logger): void {
  server.timeout = l.idleTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxHeadersCount = l.maxHeadersCount;
  server.maxConnections = l.maxConnections;
  let dropped = 0;
  let lastLog = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastLog < LOG_PERIOD_MS) return;
    lastLog = now;
    log.warn(
      { dropped, maxConnections: l.maxConnections },
      'connection limit reached: connections beyond max_connections are closed',
    );
    dropped = 0;
  });
}

/** Who a request counts against: its account, or its address when it has none. */
export type CallerKey = { principal: string } | { address: string };

interface Caller {
  inFlight: number;
  tokens: number;
  /** when tokens was last brought up to date (ms) */
  refilledAt: number;
  lastLogAt: number;
  /** 429s since the last warning line about this caller */
  unlogged: number;
}

export interface LimiterOptions {
  maxConcurrent: number;
  requestsPerSecond: number;
  burst: number;
  /** callers remembered at most; idle callers with a full bucket are forgotten first */
  maxCallers?: number;
}

/** Counters of refusals since start, for tests and operators. */
export interface LimiterCounts {
  concurrency: number;
  rate: number;
}

/**
 * Per-caller concurrency cap and token bucket. A caller's state is kept while it has requests in
 * flight or its bucket is not full; everything else is forgotten at the next sweep, so memory is
 * bounded by the callers active in the last burst/rate seconds (and by maxCallers in any case).
 */
export class RequestLimiter {
  readonly refused: LimiterCounts = { concurrency: 0, rate: 0 };
  private readonly callers = new Map<string, Caller>();
  private lastSweep: number;
  private readonly maxCallers: number;

  constructor(
    private readonly opts: LimiterOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.maxCallers = opts.maxCallers ?? 100_000;
    this.lastSweep = now();
  }

  static fromConfig(l: ServerLimitsConfig, log: Logger): RequestLimiter {
    return new RequestLimiter(
      {
        maxConcurrent: l.maxConcurrentRequestsPerPrincipal,
        requestsPerSecond: l.rateLimit.requestsPerSecond,
        burst: l.rateLimit.burst,
      },
      log,
    );
  }

  /**
   * Admits one request of `key`, or returns the error to answer with. An admitted request holds
   * its slot until `release` is called (exactly once; later calls do nothing).
   */
  admit(key: CallerKey): Admission | TooManyRequestsError {
    const t = this.now();
    if (t - this.lastSweep >= LOG_PERIOD_MS) this.sweep(t);
    const id = 'principal' in key ? `p:${key.principal}` : `a:${key.address}`;
    let c = this.callers.get(id);
    // Kept in order of last use (a Map iterates in insertion order), so evictions take the least
    // recently seen callers.
    if (c !== undefined) this.callers.delete(id);
    else {
      if (this.callers.size >= this.maxCallers) this.evict();
      c = { inFlight: 0, tokens: this.opts.burst, refilledAt: t, lastLogAt: -Infinity, unlogged: 0 };
    }
    this.callers.set(id, c);
    this.refill(c, t);
    if (c.inFlight >= this.opts.maxConcurrent) {
      this.refused.concurrency++;
      this.warn(c, key, 'concurrency', t);
      return new TooManyRequestsError(
        `Too many requests in progress: at most ${this.opts.maxConcurrent} at a time for one account.`,
        1,
      );
    }
    if (c.tokens < 1) {
      this.refused.rate++;
      this.warn(c, key, 'rate', t);
      const wait = Math.max(1, Math.ceil((1 - c.tokens) / this.opts.requestsPerSecond));
      return new TooManyRequestsError(
        `Request rate limit exceeded: ${this.opts.requestsPerSecond} requests per second (bursts of ${this.opts.burst}).`,
        wait,
      );
    }
    c.tokens -= 1;
    c.inFlight++;
    const caller = c;
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      caller.inFlight--;
    };
    return {
      release,
      refund: () => {
        if (!held) return;
        release();
        caller.tokens = Math.min(this.opts.burst, caller.tokens + 1);
      },
    };
  }

  /** How many callers are remembered (for tests of the sweep). */
  get size(): number {
    return this.callers.size;
  }

  private refill(c: Caller, t: number): void {
    const elapsed = Math.max(0, t - c.refilledAt);
    c.tokens = Math.min(this.opts.burst, c.tokens + (elapsed * this.opts.requestsPerSecond) / 1000);
    c.refilledAt = t;
  }

  /** One warning line per caller per LOG_PERIOD_MS, carrying how many 429s it stands for. */
  private warn(c: Caller, key: CallerKey, limit: 'concurrency' | 'rate', t: number): void {
    c.unlogged++;
    if (t - c.lastLogAt < LOG_PERIOD_MS) return;
    this.log.warn(
      {
        ...key,
        limit,
        refused: c.unlogged,
        maxConcurrent: this.opts.maxConcurrent,
        requestsPerSecond: this.opts.requestsPerSecond,
        burst: this.opts.burst,
      },
      'request limit reached: answering 429',
    );
    c.lastLogAt = t;
    c.unlogged = 0;
  }

  /** Forgets the callers that are idle with a full bucket (their state is the initial one). */
  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [id, c] of this.callers) {
      this.refill(c, t);
      // A caller whose log period is still running is kept so that it is not logged again at once.
      if (c.inFlight === 0 && c.tokens >= this.opts.burst && t - c.lastLogAt >= LOG_PERIOD_MS) this.callers.delete(id);
    }
  }

  /**
   * At maxCallers (a flood from many addresses): forgets the least recently seen callers without
   * requests in flight until there is room. Their buckets start full again, which errs towards
   * admitting; the cost is bounded by the callers skipped because they have requests in flight.
   */
  private evict(): void {
    for (const [id, c] of this.callers) {
      if (this.callers.size < this.maxCallers) break;
      if (c.inFlight === 0) this.callers.delete(id);
    }
  }
}

/** An admitted request's hold on its caller's limits. */
export interface Admission {
  /** frees the request's slot (exactly once; later calls do nothing) */
  release(): void;
  /**
   * Frees the slot and gives the request's token back: for a request handed on, unanswered, to a
   * path that admits it again (the lean path's fallback), so that it is counted once.
   */
  refund(): void;
}

const ADMITTED = Symbol('admitted');

/**
 * Authentication followed by the limits: the request counts against the authenticated account, or
 * against its client address when authentication failed (the failure is then answered, unless the
 * address itself is over its limits: 429). A request passing through several such handlers (the
 * admin router, then the TAXII router) is counted once. The slot is released when the response is
 * finished or its connection closes.
 */
export function authenticateAndLimit(authenticate: RequestHandler, limiter: RequestLimiter): RequestHandler {
  return (req, res, next) => {
    authenticate(req, res, (err?: unknown) => {
      const locals = res.locals as Record<symbol, boolean | undefined>;
      if (locals[ADMITTED]) return next(err);
      const principal = res.locals.principal as Principal | undefined;
      const key: CallerKey =
        err === undefined && principal !== undefined
          ? { principal: principal.username }
          : { address: req.ip ?? req.socket.remoteAddress ?? 'unknown' };
      const outcome = limiter.admit(key);
      if (outcome instanceof TooManyRequestsError) return next(outcome);
      locals[ADMITTED] = true;
      // The client may have gone while its credentials were checked: the response's 'close' has
      // then been emitted already and would never come again. Nothing is left to answer.
      if (connectionGone(req, res)) {
        outcome.release();
        return;
      }
      holdUntilDone(res, outcome.release);
      next(err);
    });
  };
}

function connectionGone(req: Request, res: Response): boolean {
  return (res as Response & { closed?: boolean }).closed === true || req.socket.destroyed;
}

function holdUntilDone(res: Response, release: () => void): void {
  // 'close' follows 'finish' and also comes alone when the connection goes away mid-request.
  res.once('close', release);
}
