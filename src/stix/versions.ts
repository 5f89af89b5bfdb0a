// STIX 2.1 §3.2 versioning as TAXII 2.1 §3.4.1 sees it: the version of an object is its
// `modified`, else its `created`; an object with neither (most SCOs) takes the time it was first
// added, which the store assigns. Also the STIX media type of a spec version.
import { objectMarkingRefs } from './markings.js';
import { versionKey } from './timestamps.js';

export const STIX_21_MEDIA_TYPE = 'application/stix+json;version=2.1';

/** §3.3 media type of a stored object, by its spec_version. */
export function stixMediaType(specVersion: string): string {
  return specVersion === '2.1' ? STIX_21_MEDIA_TYPE : `application/stix+json;version=${specVersion}`;
}

/** The object's own version timestamp, or undefined when it carries neither modified nor created. */
export function versionOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as { modified?: unknown; created?: unknown };
  if (typeof o.modified === 'string') return o.modified;
  if (typeof o.created === 'string') return o.created;
  return undefined;
}

/** A validated object in the shape the store keeps. */
export interface VersionRecord {
  id: string;
  type: string;
  specVersion: string;
  /** modified, else created; undefined for objects with neither: the store assigns date_added */
  version?: string;
  /** versionKey(version); undefined exactly when version is */
  versionKey?: string;
  /** §7.2.2 object-level marking definition ids, sorted (releasability filters on them) */
  markings: string[];
  json: string;
}

/**
 * Builds the stored form of an object the validator accepted. `text`, when the caller has it
 * already (the strict parser makes it), must be JSON.stringify(obj).
 */
export function toVersionRecord(
  obj: Readonly<Record<string, unknown>>,
  accepted: { id: string; type: string; specVersion: string },
  text?: string,
): VersionRecord {
  const version = versionOf(obj);
  const key = version === undefined ? undefined : versionKey(version);
  return {
    id: accepted.id,
    type: accepted.type,
    specVersion: accepted.specVersion,
    ...(version !== undefined && key !== undefined ? { version, versionKey: key } : {}),
    markings: objectMarkingRefs(obj),
    json: text ?? JSON.stringify(obj),
  };
}
