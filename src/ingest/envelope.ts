// TAXII 2.1 §3.7 envelope. A STIX 2.1 bundle (§8) is read the same way: its `objects`, ignoring
// its `type` and `id`, since clients often post the bundle they have.
import { InvalidRequestError, UnprocessableError } from '../errors.js';

/** The objects of an envelope given as bytes; 400 for bad JSON, 422 for a wrong shape. */
export function parseEnvelope(body: Buffer): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UnprocessableError('The request body must be a TAXII envelope: a JSON object with an "objects" list.');
  }
  return objectsOf(parsed as { objects?: unknown });
}

export function objectsOf(envelope: { objects?: unknown }): unknown[] {
  const objects = envelope.objects;
  if (!Array.isArray(objects) || objects.length === 0) {
    throw new UnprocessableError('The envelope must have an "objects" list with at least one STIX object.');
  }
  return objects;
}
