import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

/** Every response carries X-Request-Id; error bodies and log lines repeat it. */
export function requestId(): RequestHandler {
  return (_req, res, next) => {
    const id = randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId ?? 'unknown');
}
