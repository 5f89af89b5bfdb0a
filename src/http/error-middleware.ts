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
  responderOf(res).sendProblem(res, problem);
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => sendError(res, err, log);
}
