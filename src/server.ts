// Starts HTTP or HTTPS, applies the connection limits and drains on shutdown. The only place
// besides the CLI entry that ends the process.
import { createServer, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { buildApp, buildOpsApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import type { Config } from './config/load-config.js';
import { createContainer } from './container.js';
import { applyConnectionLimits, httpServerOptions, tlsServerOptions } from './http/limits.js';
import { createHttpsServer, readTlsMaterial } from './http/tls.js';
import { createLogger } from './logger.js';

/** Work to finish during shutdown, after the HTTP connections are gone and before the store closes. */
export type ShutdownCallback = () => Promise<void> | void;

export interface RunningServer {
  server: HttpServer | HttpsServer;
  url: string;
  /** the operations listener (ops.metrics.port): /metrics, /healthz, /readyz; plain HTTP */
  opsServer?: HttpServer;
  /** its base URL, e.g. http://127.0.0.1:9464 */
  opsUrl?: string;
  /**
   * Aborted the moment shutdown begins: background work (the ingestion worker) should stop taking
   * new work when it fires, and finish what it holds in its {@link onShutdown} callback.
   */
  draining: AbortSignal;
  /**
   * Registers a callback run once during {@link close}: after the HTTP connections are gone (all
   * in-flight requests finished, or the grace period ended), before the store is closed, so it
   * may still use the store. Callbacks run concurrently; each gets up to shutdown_grace_ms, after
   * which the shutdown goes on without it. A failure is logged and does not stop the others.
   */
  onShutdown(callback: ShutdownCallback): void;
  /**
   * Graceful shutdown, the same on every call: stop accepting connections, close idle keep-alive
   * connections at once, let in-flight requests finish for up to shutdown_grace_ms, then close
   * the connections still open, run the shutdown callbacks and close the store (audit flushed).
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** where the server logs; by default pino on standard output at config.log.level */
  log?: Logger;
}

export async function startServer(config: Readonly<Config>, opts: StartOptions = {}): Promise<RunningServer> {
  // The TLS files first: a TLS misconfiguration stops the start (ConfigError) before the store is
  // opened, and never falls back to plain HTTP.
  const tls = config.server.tls ? readTlsMaterial(config.server.tls) : undefined;
  const log = opts.log ?? createLogger(config.log.level);
  const container = await createContainer(config, log);
  let report;
  try {
    report = await bootstrap(container);
  } catch (err) {
    // A configuration that clashes with the store (ConfigError) stops the start: close what is open.
    await container.close();
    throw err;
  }
  container.start();
  if (config.ops.metrics.enabled) container.metrics.collectProcessMetrics();
  if (report.generatedAdminPassword !== undefined) {
    // Shown once; only its scrypt hash is stored.
    process.stdout.write(
      `\nCreated the admin user.\n  username: admin\n  password: ${report.generatedAdminPassword}\n` +
        `This password is shown only now. Set PALISADE_ADMIN_PASSWORD on first start to choose it.\n\n`,
    );
  }
  if (report.demoSeeded) log.info('seeded the demo API root /demo/ with the state-linked groups collection');

  const limits = config.server.limits;
  const shutdown = new AbortController();
  const app = buildApp(container, { draining: () => shutdown.signal.aborted });
  const server = tls
    ? createHttpsServer(tls, app, { ...httpServerOptions(limits), ...tlsServerOptions(limits) })
    : createServer(httpServerOptions(limits), app);
  applyConnectionLimits(server, limits, log);
  server.on('clientError', answerClientError);
  const sockets = trackSockets(server);
  try {
    await listen(server, config.server.port, config.server.host);
  } catch (err) {
    await container.close();
    throw err;
  }
  const url = `${tls ? 'https' : 'http'}://${hostPort(server, config.server.host, config.server.port)}`;

  // The operations listener, when configured: the same limits, its own connections.
  const opsListener = config.ops.metrics.enabled ? config.ops.metrics.listener : undefined;
  let ops: { server: HttpServer; sockets: Set<Socket>; url: string } | undefined;
  if (opsListener !== undefined) {
    const opsServer = createServer(
      httpServerOptions(limits),
      buildOpsApp(container, { draining: () => shutdown.signal.aborted }),
    );
    applyConnectionLimits(opsServer, limits, log);
    opsServer.on('clientError', answerClientError);
    const opsSockets = trackSockets(opsServer);
    try {
      await listen(opsServer, opsListener.port, opsListener.host);
    } catch (err) {
      server.close();
      server.closeAllConnections();
      await container.close();
      throw err;
    }
    ops = {
      server: opsServer,
      sockets: opsSockets,
      url: `http://${hostPort(opsServer, opsListener.host, opsListener.port)}`,
    };
    if (config.ops.metrics.token === undefined && !isLoopback(opsListener.host)) {
      log.warn(
        { host: opsListener.host },
        'the metrics listener is on a non-loopback address without ops.metrics.token_env: anyone who reaches it can scrape',
      );
    }
    log.info({ url: `${ops.url}/metrics` }, 'serving metrics and probes on the operations listener');
  }
  if (!tls && !isLoopback(config.server.host)) {
    log.warn(
      { host: config.server.host },
      'serving plain HTTP on a non-loopback address: put a TLS-terminating proxy in front (TAXII 2.1 requires HTTPS)',
    );
  }
  log.info(
    { url: `${url}/taxii2/`, ...(tls ? { clientCertificates: tls.clientCertificates } : {}) },
    'Palisade is serving TAXII 2.1',
  );

  const callbacks: ShutdownCallback[] = [];
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    shutdown.abort();
    await Promise.all([
      drain(server, sockets, limits.shutdownGraceMs, log),
      ...(ops ? [drain(ops.server, ops.sockets, limits.shutdownGraceMs, log)] : []),
    ]);
    await runCallbacks(callbacks, limits.shutdownGraceMs, log);
    await container.close();
    log.info('Palisade has stopped');
  };
  return {
    server,
    url,
    ...(ops ? { opsServer: ops.server, opsUrl: ops.url } : {}),
    draining: shutdown.signal,
    onShutdown: (callback) => {
      callbacks.push(callback);
    },
    close: () => (closing ??= close()),
  };
}

const isLoopback = (host: string): boolean => ['127.0.0.1', 'localhost', '::1'].includes(host);

/**
 * Every TCP connection of a server, including TLS ones still in their handshake (which Node's HTTP
 * connection list does not know yet), so that none outlives the grace period.
 */
function trackSockets(server: HttpServer | HttpsServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** host:port of a listening server (the port it got when 0 was asked for), IPv6 in brackets. */
function hostPort(server: HttpServer | HttpsServer, host: string, configuredPort: number): string {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : configuredPort;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** How often idle connections are closed while draining (a request that just finished leaves one). */
const IDLE_SWEEP_MS = 100;

/**
 * Stops accepting connections and waits for the open ones to end, for graceMs at most. Idle
 * keep-alive connections are closed at once and then as they become idle (responses carry
 * `Connection: close` meanwhile, see app.ts); after graceMs every connection still open is
 * destroyed, so a stalled request cannot hold the process.
 */
async function drain(
  server: HttpServer | HttpsServer,
  sockets: Set<Socket>,
  graceMs: number,
  log: Logger,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (sockets.size > 0) log.info({ connections: sockets.size, graceMs }, 'shutting down: letting requests finish');
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (inTime) return;
  log.warn({ connections: sockets.size }, 'shutdown grace period over: closing the connections still open');
  server.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  await closed;
}

async function runCallbacks(callbacks: readonly ShutdownCallback[], graceMs: number, log: Logger): Promise<void> {
  if (callbacks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.allSettled(callbacks.map(async (cb) => cb())).then((results) => {
    for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'a shutdown callback failed');
    return true;
  });
  const inTime = await Promise.race([
    all,
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!inTime) log.warn({ graceMs }, 'shutdown callbacks still running after the grace period: closing the store');
}

/**
 * Node's own answer to a request it cannot parse, but for the closing: Node destroys the socket at
 * once, and when the client is still sending (a request line far beyond max_header_size) the
 * kernel answers the unread bytes with a reset, so the client never reads the 431. Here the
 * answer is written, what the client still sends is read and dropped, and the socket is closed
 * when the client closes, or after a second (a lingering close, as RFC 9112 §9.6 advises).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? '413 Payload Too Large'
          : '400 Bad Request';
  // The parser failed: nothing more is parsed, the rest is drained.
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}
