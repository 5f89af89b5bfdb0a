// STIX 2.1 §7.2 data markings as access control sees them: the object-level marking references of
// an object, and the Traffic Light Protocol levels of the well-known TLP marking definitions
// (TLP 1.0 from STIX 2.1 §7.2.1.4, TLP 2.0 from the FIRST TLP 2.0 marking definitions).

/** TLP levels in increasing order of restriction; TLP 1.0 WHITE is TLP 2.0 CLEAR. */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpLevel = (typeof TLP_LEVELS)[number];

const TLP_BY_ID: ReadonlyMap<string, TlpLevel> = new Map([
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'clear'], // TLP 1.0 WHITE
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
  ['marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', 'clear'], // TLP 2.0
  ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'green'],
  ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'amber'],
  ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 'amber+strict'],
  ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', 'red'],
]);

export function tlpOf(markingId: string): TlpLevel | undefined {
  return TLP_BY_ID.get(markingId);
}

export function tlpRank(level: TlpLevel): number {
  return TLP_LEVELS.indexOf(level);
}

/** The most restrictive TLP level among the references, if any is a TLP marking. */
export function highestTlp(markingRefs: readonly string[]): TlpLevel | undefined {
  let best: TlpLevel | undefined;
  for (const ref of markingRefs) {
    const level = tlpOf(ref);
    if (level !== undefined && (best === undefined || tlpRank(level) > tlpRank(best))) best = level;
  }
  return best;
}

/** §7.2.2: the marking definitions that apply to the whole object (granular markings aside), deduplicated. */
export function objectMarkingRefs(obj: Readonly<Record<string, unknown>>): string[] {
  const refs = obj.object_marking_refs;
  if (!Array.isArray(refs)) return [];
  return [...new Set(refs.filter((r): r is string => typeof r === 'string'))].sort();
}
