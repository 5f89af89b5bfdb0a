// A collection's write policy as the admin API takes it (snake_case, as in the configuration file)
// and as the store keeps it. TLP 1.0 WHITE is stored as TLP 2.0 CLEAR, which is what it means, so
// a policy reads back the same whichever name it was given. A policy left with no part is no policy.
import type { CollectionPolicy } from '../store/store.js';
import type { PolicyInput, PolicyPatch, TlpInput } from './validation.js';

const tlp = (t: TlpInput): NonNullable<CollectionPolicy['maxTlp']> => (t === 'white' ? 'clear' : t);

const nonEmpty = (p: CollectionPolicy): CollectionPolicy | undefined => (Object.keys(p).length > 0 ? p : undefined);

/** The policy of a new collection. */
export function policyOf(input: PolicyInput | undefined): CollectionPolicy | undefined {
  if (input === undefined) return undefined;
  return nonEmpty({
    ...(input.allowed_types !== undefined ? { allowedTypes: [...input.allowed_types] } : {}),
    ...(input.max_tlp !== undefined ? { maxTlp: tlp(input.max_tlp) } : {}),
    ...(input.provenance !== undefined ? { provenance: input.provenance } : {}),
  });
}

/** The policy after a merge patch (RFC 7396): a part set is replaced, a part set to null lifted, null lifts all. */
export function patchPolicy(
  existing: CollectionPolicy | undefined,
  patch: PolicyPatch | null | undefined,
): CollectionPolicy | undefined {
  if (patch === undefined) return existing;
  if (patch === null) return undefined;
  const out: CollectionPolicy = { ...existing };
  if (patch.allowed_types === null) delete out.allowedTypes;
  else if (patch.allowed_types !== undefined) out.allowedTypes = [...patch.allowed_types];
  if (patch.max_tlp === null) delete out.maxTlp;
  else if (patch.max_tlp !== undefined) out.maxTlp = tlp(patch.max_tlp);
  if (patch.provenance === null) delete out.provenance;
  else if (patch.provenance !== undefined) out.provenance = patch.provenance;
  return nonEmpty(out);
}
