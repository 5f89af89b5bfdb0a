// TAXII 2.1 §3.1: every response carries exactly `application/taxii+json;version=2.1` (T-17).
// Bodies are written as Buffers so Express cannot rewrite the header with a charset (P-1).
import type { Response } from 'express';
import { TAXII_21 } from './media-types.js';

export function sendTaxii(
  res: Response,
  status: number,
  body: Buffer | object | string | undefined,
  headers?: Record<string, string>,
): void {
  res.status(status);
  res.setHeader('Content-Type', TAXII_21);
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.setHeader('Content-Length', String(buf.length));
  res.end(buf);
}
