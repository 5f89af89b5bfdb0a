// TAXII 2.1 §1.6.8 media types, §3.1 content negotiation. Which Accept values are served is a
// documented decision (docs/decisions.md).
import { NotAcceptableError, UnsupportedMediaTypeError } from '../errors.js';

export const TAXII_21 = 'application/taxii+json;version=2.1';

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

function parseRange(text: string): MediaRange | undefined {
  const [full, ...rawParams] = text.split(';');
  const m = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\/([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*$/.exec(full ?? '');
  if (!m) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'q') {
      const n = Number(value);
      q = Number.isFinite(n) ? n : 0;
    } else params.set(name, value);
  }
  return { type: (m[1] as string).toLowerCase(), subtype: (m[2] as string).toLowerCase(), params, q };
}

/** application/taxii+json with version 2.1 or no version. */
function isTaxii21(r: MediaRange): boolean {
  if (r.type !== 'application' || r.subtype !== 'taxii+json') return false;
  const v = r.params.get('version');
  return v === undefined || v === '2.1';
}

/**
 * Accept check (§3.1). Served: application/taxii+json[;version=2.1], and the wildcards a generic
 * HTTP client sends (* / *, application/*) as well as a missing header. Anything else, or a
 * request for another TAXII version only, is a 406.
 */
export function assertAcceptable(accept: string | undefined): void {
  if (accept === undefined || accept.trim() === '') return;
  for (const part of accept.split(',')) {
    const r = parseRange(part);
    if (!r || r.q <= 0) continue;
    if (isTaxii21(r)) return;
    if (r.type === '*' && r.subtype === '*') return;
    if (r.type === 'application' && r.subtype === '*') return;
  }
  throw new NotAcceptableError(
    `This server produces ${TAXII_21} only; the Accept header "${truncate(accept)}" does not allow it.`,
  );
}

/** Content-Type check for POST (§3.1, §5.5): TAXII 2.1 envelope, parameters and whitespace tolerated. */
export function assertTaxiiContentType(contentType: string | undefined): void {
  const r = contentType === undefined ? undefined : parseRange(contentType);
  if (r && isTaxii21(r)) return;
  throw new UnsupportedMediaTypeError(
    `The request body must be sent as ${TAXII_21}; got "${truncate(contentType ?? '(none)')}".`,
  );
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
