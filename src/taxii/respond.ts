// TAXII 2.1 §3.1: every response carries exactly `application/taxii+json;version=2.1`, errors
// included, which are §3.6 error message resources.
import type { Response } from 'express';
import type { Problem } from '../http/problems.js';
import { writeBody, type BodyParts, type Responder } from '../http/responders.js';
import { TAXII_21 } from './media-types.js';

/** §3.6 error message resource. */
export interface TaxiiErrorResource {
  title: string;
  description?: string;
  error_id?: string;
  error_code?: string;
  http_status?: string;
  details?: Record<string, unknown>;
}

export function taxiiErrorResource(p: Problem): TaxiiErrorResource {
  return {
    title: p.title,
    description: p.description,
    error_id: p.errorId,
    error_code: p.kind,
    http_status: String(p.status),
    ...(p.details ? { details: p.details } : {}),
  };
}

export function sendTaxii(
  res: Response,
  status: number,
  body: Buffer | BodyParts | object | undefined,
  headers?: Record<string, string>,
): void {
  writeBody(res, status, TAXII_21, body, headers);
}

export const taxiiResponder: Responder = {
  send: sendTaxii,
  sendProblem: (res, p) => sendTaxii(res, p.status, taxiiErrorResource(p)),
};
