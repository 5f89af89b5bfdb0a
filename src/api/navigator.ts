// An ATT&CK Navigator layer (layer file format 4.5, the format of Navigator 5.x) with the techniques
// an actor uses. Each technique is listed once per tactic it belongs to, since the Navigator scores
// a technique cell per tactic column; a technique without a tactic is listed once, for every column.

export interface LayerTechnique {
  technique_id: string;
  name?: string;
  tactics: readonly string[];
  /** the relationship descriptions or other notes shown on hover */
  comment?: string;
}

/** The ATT&CK domain from the kill chain names used by the techniques (enterprise unless all say otherwise). */
function domainOf(killChains: ReadonlySet<string>): 'enterprise-attack' | 'mobile-attack' | 'ics-attack' {
  if (killChains.size === 1 && killChains.has('mitre-mobile-attack')) return 'mobile-attack';
  if (killChains.size === 1 && killChains.has('mitre-ics-attack')) return 'ics-attack';
  return 'enterprise-attack';
}

export function navigatorLayer(
  actor: { id: string; name: string; description?: string },
  techniques: readonly LayerTechnique[],
  killChains: ReadonlySet<string>,
): Record<string, unknown> {
  const entries: Record<string, unknown>[] = [];
  for (const t of [...techniques].sort((a, b) => a.technique_id.localeCompare(b.technique_id))) {
    const base = {
      techniqueID: t.technique_id,
      score: 1,
      color: '',
      comment: t.comment ?? '',
      enabled: true,
      metadata: [],
      links: [],
      showSubtechniques: false,
    };
    if (t.tactics.length === 0) entries.push(base);
    for (const tactic of t.tactics) entries.push({ ...base, tactic });
  }
  return {
    name: `${actor.name} (${actor.id})`,
    versions: { layer: '4.5', navigator: '5.1.0' },
    domain: domainOf(killChains),
    description: `Techniques used by ${actor.name}, exported by Palisade.`,
    sorting: 0,
    layout: {
      layout: 'side',
      aggregateFunction: 'average',
      showID: true,
      showName: true,
      showAggregateScores: false,
      countUnscored: false,
      expandedSubtechniques: 'none',
    },
    hideDisabled: false,
    techniques: entries,
    gradient: { colors: ['#ffffff', '#e0323c'], minValue: 0, maxValue: 1 },
    legendItems: [{ label: `used by ${actor.name}`, color: '#e0323c' }],
    metadata: [{ name: 'stix_id', value: actor.id }],
    links: [],
    showTacticRowBackground: false,
    tacticRowBackground: '#dddddd',
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
  };
}
