// Collection write policies, checked object by object on ingest: the STIX types a collection
// takes, the most restrictive TLP it may hold (a collection shared by many governments can refuse
// TLP:RED), and provenance (a tenant writes only objects created by one of its own identities).
// A refused object fails alone, with the reason, in the status resource (TAXII 2.1 §4.3.1).
import { highestTlp, objectMarkingRefs, tlpRank } from '../stix/markings.js';
import { SCO_TYPES } from '../stix/types.js';
import type { Admitted } from './gate.js';

/** Why the object may not be written here, or undefined when it may. */
export function writeRefusal(at: Admitted<'write'>, obj: Readonly<Record<string, unknown>>): string | undefined {
  const policy = at.collection.policy;
  if (!policy) return undefined;
  const type = obj.type as string;
  if (policy.allowedTypes && !policy.allowedTypes.includes(type)) {
    return `this collection does not take ${type} objects (it takes ${policy.allowedTypes.join(', ')})`;
  }
  if (policy.maxTlp !== undefined) {
    const tlp = highestTlp(objectMarkingRefs(obj));
    if (tlp !== undefined && tlpRank(tlp) > tlpRank(policy.maxTlp)) {
      return `TLP:${tlp.toUpperCase()} is above what this collection may hold (at most TLP:${policy.maxTlp.toUpperCase()})`;
    }
  }
  if (policy.provenance && at.writer.role !== 'platform-admin') {
    // SCOs carry no created_by_ref (STIX 2.1 §6.1); an identity may describe itself.
    if (SCO_TYPES.has(type)) return undefined;
    const mine = at.writer.identities;
    const creator = obj.created_by_ref;
    if (typeof creator === 'string' && mine.includes(creator)) return undefined;
    if (type === 'identity' && mine.includes(obj.id as string)) return undefined;
    return typeof creator === 'string'
      ? `created_by_ref ${creator} is not an identity of your tenant`
      : 'created_by_ref is required here and must be an identity of your tenant';
  }
  return undefined;
}
