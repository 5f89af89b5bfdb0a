// Hand-made intelligence for the console's browser tests: two fictitious actors with techniques,
// malware, a tool, a campaign, targets and indicators, in a shared collection, and one actor in a
// restricted collection that only some users may read. Names are made up so that they never
// collide with ATT&CK's when both are loaded.
import { stixId, type Stix } from '../fixtures/builders.js';

const T0 = '2025-03-01T00:00:00.000Z';

const base = (type: string, name: string, extra: Record<string, unknown> = {}): Stix => ({
  type,
  spec_version: '2.1',
  id: stixId(type, name),
  created: T0,
  modified: T0,
  ...(type === 'relationship' ? {} : { name }),
  ...extra,
});

const technique = (name: string, externalId: string, tactics: string[]): Stix =>
  base('attack-pattern', name, {
    external_references: [{ source_name: 'mitre-attack', external_id: externalId }],
    kill_chain_phases: tactics.map((phase_name) => ({ kill_chain_name: 'mitre-attack', phase_name })),
  });

const rel = (type: string, source: Stix, target: Stix): Stix =>
  base('relationship', `${source.id} ${type} ${target.id}`, {
    relationship_type: type,
    source_ref: source.id,
    target_ref: target.id,
  });

export const SANDCASTLE = base('intrusion-set', 'Sandcastle Typhoon', {
  aliases: ['Sandcastle Typhoon', '<i>Glass Heron</i>', 'TIDE-7'],
  description:
    'Sandcastle Typhoon is a made-up espionage group used by the console tests. It favours spearphishing ' +
    'and <script>alert("x")</script> markup in its descriptions, which the console must show as text.',
  first_seen: '2021-06-01T00:00:00.000Z',
  last_seen: '2025-02-01T00:00:00.000Z',
  external_references: [{ source_name: 'palisade-test', external_id: 'PT-0007' }],
});
export const SPEARPHISH = technique('Spearphishing Attachment', 'T1566.001', ['initial-access']);
export const POWERSHELL = technique('PowerShell', 'T1059.001', ['execution']);
export const VALID_ACCOUNTS = technique('Valid Accounts', 'T1078', [
  'defense-evasion',
  'persistence',
  'privilege-escalation',
  'initial-access',
]);
export const EXFIL = technique('Exfiltration Over C2 Channel', 'T1041', ['exfiltration']);
export const LOADER = base('malware', 'Driftwood Loader', { is_family: true, malware_types: ['dropper'] });
export const IMPLANT = base('malware', 'Riptide Implant', { is_family: true });
export const TUNNEL = base('tool', 'Undertow Tunnel');
export const LOW_TIDE = base('campaign', 'Operation Low Tide', { first_seen: '2024-01-01T00:00:00.000Z' });
export const HARBOUR = base('identity', 'Harbour Authority of Example', {
  identity_class: 'organization',
  sectors: ['transportation'],
});
export const COASTLAND = base('location', 'Coastland', { country: 'ZZ', region: 'oceania' });
export const TIDE_INDICATOR = base('indicator', 'Sandcastle C2 address', {
  indicator_types: ['malicious-activity'],
  pattern: "[ipv4-addr:value = '203.0.113.7']",
  pattern_type: 'stix',
  valid_from: T0,
});

export const SHARED: Stix[] = [
  SANDCASTLE,
  SPEARPHISH,
  POWERSHELL,
  VALID_ACCOUNTS,
  EXFIL,
  LOADER,
  IMPLANT,
  TUNNEL,
  LOW_TIDE,
  HARBOUR,
  COASTLAND,
  TIDE_INDICATOR,
  ...[SPEARPHISH, POWERSHELL, VALID_ACCOUNTS, EXFIL, LOADER, IMPLANT, TUNNEL].map((t) => rel('uses', SANDCASTLE, t)),
  rel('attributed-to', LOW_TIDE, SANDCASTLE),
  rel('targets', SANDCASTLE, HARBOUR),
  rel('targets', SANDCASTLE, COASTLAND),
  rel('indicates', TIDE_INDICATOR, SANDCASTLE),
  rel('uses', LOW_TIDE, LOADER),
];

/** Only in the restricted collection. */
export const KESTREL = base('intrusion-set', 'Obsidian Kestrel', {
  aliases: ['Obsidian Kestrel', 'Ember Finch'],
  description: 'A restricted made-up actor: only readers of the restricted collection may see it.',
});
export const KESTREL_TOOL = base('tool', 'Kestrel Talon');
export const RESTRICTED: Stix[] = [KESTREL, KESTREL_TOOL, rel('uses', KESTREL, KESTREL_TOOL)];

export const relationshipIds = (objects: Stix[]): string[] =>
  objects.filter((o) => o.type === 'relationship').map((o) => o.id);
