// Markings area: which tenants and groups may receive objects carrying a marking definition
// (releasability). A marking without bindings restricts nobody.
import type { Subject } from './grants.js';
import type { Source } from './identity.js';

export interface MarkingBinding {
  markingId: string;
  /** the tenants and groups allowed to receive objects with this marking */
  subjects: Subject[];
  source: Source;
}

export interface MarkingStore {
  /** replaces the bindings of one marking; an empty list removes them */
  setBinding(binding: MarkingBinding): Promise<void>;
  /** every binding, ordered by marking id */
  listBindings(): Promise<MarkingBinding[]>;
}
