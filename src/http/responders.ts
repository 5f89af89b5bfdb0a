// How a response is written for one family of routes. TAXII routes install the TAXII responder
// (src/taxii/respond.ts); everything else answers JSON and RFC 9457 problem documents.
import type { Response } from 'express';
import type { Problem } from './problems.js';

export interface Responder {
  send(res: Response, status: number, body: Buffer | object | undefined, headers?: Record<string, string>): void;
  sendProblem(res: Response, problem: Problem): void;
}

/**
 * A body given as the byte ranges it is made of, written one after the other: a page of stored
 * objects (taxii/resources.ts) is sent from the buffer the database thread filled, without being
 * copied into one more buffer first.
 */
export class BodyParts {
  constructor(readonly parts: readonly Buffer[]) {}

  get length(): number {
    let n = 0;
    for (const p of this.parts) n += p.length;
    return n;
  }
}

/** Writes the exact bytes and Content-Type given (Express would otherwise add a charset). */
export function writeBody(
  res: Response,
  status: number,
  contentType: string,
  body: Buffer | BodyParts | object | string | undefined,
  headers?: Record<string, string>,
): void {
  res.status(status);
  res.setHeader('Content-Type', contentType);
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body instanceof BodyParts) {
    res.setHeader('Content-Length', String(body.length));
    // corked: the parts leave in one write (writev) with the headers
    res.cork();
    for (const p of body.parts) res.write(p);
    res.end();
    res.uncork();
    return;
  }
  if (body === undefined) {
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  const buf = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.setHeader('Content-Length', String(buf.length));
  res.end(buf);
}

export const jsonResponder: Responder = {
  send: (res, status, body, headers) => writeBody(res, status, 'application/json', body, headers),
  sendProblem: (res, p) =>
    writeBody(res, p.status, 'application/problem+json', {
      type: 'about:blank',
      title: p.title,
      status: p.status,
      detail: p.description,
      error_code: p.kind,
      request_id: p.errorId,
      ...(p.details ? { details: p.details } : {}),
    }),
};

const RESPONDER = Symbol('responder');

/** Routes mounted after this answer through `r`, errors included. */
export function useResponder(res: Response, r: Responder): void {
  (res.locals as Record<symbol, Responder>)[RESPONDER] = r;
}

export function responderOf(res: Response): Responder {
  return (res.locals as Record<symbol, Responder | undefined>)[RESPONDER] ?? jsonResponder;
}
