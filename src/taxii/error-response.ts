// TAXII 2.1 §3.6 error message resource. THE mapping from PalisadeError kinds to HTTP statuses.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { InvalidRequestError, PalisadeError, PayloadTooLargeError, type ErrorKind } from '../errors.js';
import { sendTaxii } from './respond.js';

const HTTP: Record<ErrorKind, { status: number; title: string }> = {
  'invalid-request': { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not permitted' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Unsupported Accept media type' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Content-Type' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  unavailable: { status: 503, title: 'Temporarily unavailable' },
  internal: { status: 500, title: 'Internal error' },
};

export interface TaxiiErrorResource {
  title: string;
  description?: string;
  error_id?: string;
  error_code?: string;
  http_status?: string;
  details?: Record<string, unknown>;
}

export function toErrorResponse(err: unknown, errorId: string): { status: number; body: TaxiiErrorResource } {
  const known = err instanceof PalisadeError ? err : fromFrameworkError(err);
  const kind: ErrorKind = known?.kind ?? 'internal';
  const { status, title } = HTTP[kind];
  return {
    status,
    body: {
      title,
      // Never echo the message of an unknown error: it may hold internals.
      description: known ? known.message : 'The server could not complete the request.',
      error_id: errorId,
      error_code: kind,
      http_status: String(status),
      ...(known?.details ? { details: { ...known.details } } : {}),
    },
  };
}

/** body-parser and friends report problems in their own shapes; fold them into ours here. */
function fromFrameworkError(err: unknown): PalisadeError | undefined {
  const e = err as { type?: unknown; status?: unknown } | null;
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError('The request body exceeds max_content_length of this API root.');
  if (e?.type === 'entity.parse.failed') return new InvalidRequestError('The request body is not valid JSON.');
  if (e?.type === 'request.aborted') return new InvalidRequestError('The request body was not received completely.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new InvalidRequestError('The request body encoding is not supported.');
  }
  if (e?.status === 400 && err instanceof URIError) return new InvalidRequestError('The request URL is malformed.');
  return undefined;
}

export function sendError(res: Response, err: unknown, log: Logger): void {
  const errorId = String(res.locals.requestId ?? 'unknown');
  const { status, body } = toErrorResponse(err, errorId);
  if (status >= 500) log.error({ err, errorId }, 'request failed');
  else log.debug({ errorId, code: body.error_code }, body.description);
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="palisade", charset="UTF-8"');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendTaxii(res, status, body);
}

export function taxiiErrorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => sendError(res, err, log);
}
