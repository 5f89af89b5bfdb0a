// The last middleware: every error, ours or the framework's, becomes a problem rendered by the
// responder of the route family that failed. Unknown errors are logged with their stack and
// answered 500 without internals.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { toProblem } from './problems.js';
import { requestIdOf } from './request-id.js';
import { responderOf } from './responders.js';

export function sendError(res: Response, err: unknown, log: Logger): void {
  const problem = toProblem(err, requestIdOf(res));
  if (problem.status >= 500) log.error({ err, errorId: problem.errorId }, 'request failed');
  else log.debug({ errorId: problem.errorId, code: problem.kind }, problem.description);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (problem.status === 401) {
    res.setHeader('WWW-Authenticate', ['Basic realm="palisade", charset="UTF-8"', 'Bearer realm="palisade"']);
  }
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
  if (problem.kind === 'payload-too-large') closeAfterResponse(res);
  responderOf(res).sendProblem(res, problem);
}

/** How long a refused body may still arrive after the answer, for the client to read that answer. */
const LINGER_MS = 1_000;

/**
 * After a 413 the rest of the body is unwanted, and a client may stream gigabytes of it: RFC 9110
 * §15.5.14 lets the server close the connection to stop it, and §9.6 says to announce that with
 * `Connection: close`. Node would otherwise read and discard the rest of the body to reuse the
 * connection. Once the response is written, the socket is half-closed (FIN) and destroyed shortly
 * after: destroying it at once, with unread request bytes in the receive buffer, makes the kernel
 * send a reset that can discard the answer before the client has read it (RFC 9112 §9.6).
 */
function closeAfterResponse(res: Response): void {
  res.setHeader('Connection', 'close');
  // Taken now: Node detaches the socket from the response when it finishes.
  const socket = res.socket;
  res.once('finish', () => {
    if (socket === null || socket.destroyed) return;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => sendError(res, err, log);
}
