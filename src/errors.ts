// Domain errors. No HTTP status codes live here: src/taxii/error-response.ts maps kinds to statuses.
export type ErrorKind =
  | 'invalid-request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'not-acceptable'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unprocessable'
  | 'conflict'
  | 'too-many-requests'
  | 'unavailable'
  | 'internal';

export abstract class PalisadeError extends Error {
  abstract readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.details = opts.details;
  }
}

export class InvalidRequestError extends PalisadeError {
  readonly kind = 'invalid-request';
}
export class UnauthenticatedError extends PalisadeError {
  readonly kind = 'unauthenticated';
}
export class ForbiddenError extends PalisadeError {
  readonly kind = 'forbidden';
}
export class NotFoundError extends PalisadeError {
  readonly kind = 'not-found';
}
export class MethodNotAllowedError extends PalisadeError {
  readonly kind = 'method-not-allowed';
}
export class NotAcceptableError extends PalisadeError {
  readonly kind = 'not-acceptable';
}
export class UnsupportedMediaTypeError extends PalisadeError {
  readonly kind = 'unsupported-media-type';
}
export class PayloadTooLargeError extends PalisadeError {
  readonly kind = 'payload-too-large';
}
export class UnprocessableError extends PalisadeError {
  readonly kind = 'unprocessable';
}
export class ConflictError extends PalisadeError {
  readonly kind = 'conflict';
}
export class TooManyRequestsError extends PalisadeError {
  readonly kind = 'too-many-requests';
  constructor(
    message: string,
    /** when the client may try again */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
export class UnavailableError extends PalisadeError {
  readonly kind = 'unavailable';
}

/** Raised at start-up; the process prints every problem and exits non-zero. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Raised at start-up when the database was written by a newer release: nothing is touched. */
export class StoreVersionError extends Error {
  constructor(
    readonly location: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the database ${location} has schema version ${found}, but this Palisade only knows versions up to ${known}: ` +
        'run the release that wrote it (or a newer one), or restore a backup made before the upgrade',
    );
    this.name = 'StoreVersionError';
  }
}
