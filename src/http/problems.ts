// THE mapping from error kinds to HTTP statuses, and the reading of framework errors (body-parser
// and friends) as our kinds. Responders (TAXII error resource, JSON problem) render the result.
import {
  InvalidRequestError,
  PalisadeError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  type ErrorKind,
} from '../errors.js';

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
  'too-many-requests': { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Temporarily unavailable' },
  internal: { status: 500, title: 'Internal error' },
};

/** An error as every responder sees it: safe to show, never a stack trace. */
export interface Problem {
  status: number;
  kind: ErrorKind;
  title: string;
  description: string;
  /** the request id, so a report can be matched with the server log */
  errorId: string;
  details?: Record<string, unknown>;
  /** seconds, for a Retry-After header */
  retryAfter?: number;
}

export function toProblem(err: unknown, errorId: string): Problem {
  const known = err instanceof PalisadeError ? err : fromFrameworkError(err);
  const kind: ErrorKind = known?.kind ?? 'internal';
  const { status, title } = HTTP[kind];
  return {
    status,
    kind,
    title,
    // Never echo the message of an unknown error: it may hold internals.
    description: known ? known.message : 'The server could not complete the request.',
    errorId,
    ...(known?.details ? { details: { ...known.details } } : {}),
    ...(known instanceof TooManyRequestsError ? { retryAfter: known.retryAfterSeconds } : {}),
  };
}

function fromFrameworkError(err: unknown): PalisadeError | undefined {
  const e = err as { type?: unknown; status?: unknown } | null;
  if (e?.type === 'entity.too.large')
    return new PayloadTooLargeError('The request body exceeds max_content_length of this API root.');
  if (e?.type === 'entity.parse.failed') return new InvalidRequestError('The request body is not valid JSON.');
  if (e?.type === 'request.aborted') return new InvalidRequestError('The request body was not received completely.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new UnsupportedMediaTypeError('The request body encoding is not supported.');
  }
  if (e?.status === 400 && err instanceof URIError) return new InvalidRequestError('The request URL is malformed.');
  return undefined;
}
