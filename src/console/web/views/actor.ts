// The actor page (intrusion-set, threat-actor, campaign): GET /api/v1/actors/{id}. Techniques are
// grouped by the tactics their kill-chain phases name, in ATT&CK's matrix order.
import { ApiError, download, exportIds, getJson, type ActorView, type Neighbors, type Technique } from '../api.js';
import { empty, h, section, when } from '../dom.js';
import { graphOf, nameOf, nodeLink, nodeList, pageOf, typeBadge, whereLabel } from '../nodes.js';
import type { ViewContext } from '../view.js';

/** The Enterprise ATT&CK tactics in matrix order; others follow alphabetically. */
const TACTIC_ORDER = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
];
const NO_TACTIC = '(no tactic)';

const tacticTitle = (t: string): string =>
  t === NO_TACTIC
    ? 'No tactic given'
    : t
        .split('-')
        .map((w) => (w === 'and' ? w : w.charAt(0).toUpperCase() + w.slice(1)))
        .join(' ');

export function groupByTactic(techniques: Technique[]): [string, Technique[]][] {
  const groups = new Map<string, Technique[]>();
  for (const t of techniques) {
    const tactics = t.tactics.length > 0 ? t.tactics : [NO_TACTIC];
    for (const tactic of new Set(tactics)) {
      const g = groups.get(tactic) ?? [];
      g.push(t);
      groups.set(tactic, g);
    }
  }
  const rank = (t: string): number => {
    const i = TACTIC_ORDER.indexOf(t);
    return i >= 0 ? i : t === NO_TACTIC ? 1000 : 500;
  };
  const byId = (a: Technique, b: Technique): number =>
    (a.technique_id ?? '~').localeCompare(b.technique_id ?? '~') || (a.name ?? '').localeCompare(b.name ?? '');
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([k, v]) => [k, v.sort(byId)]);
}

export async function actorView(ctx: ViewContext): Promise<void> {
  const data = await getJson<ActorView>(`actors/${encodeURIComponent(ctx.arg)}`, ctx.signal);
  const a = data.actor;
  const status = h('p', { class: 'muted', id: 'actor-status', 'aria-live': 'polite' });
  const fail = (err: unknown): void => {
    status.textContent = err instanceof ApiError ? `Download failed: ${err.message}` : 'Download failed.';
  };
  const layerBtn = h('button', { type: 'button', id: 'actor-layer' }, 'Navigator layer');
  layerBtn.addEventListener('click', () => {
    layerBtn.disabled = true;
    download(`actors/${encodeURIComponent(a.id)}/navigator-layer`, 'navigator-layer.json')
      .catch(fail)
      .finally(() => (layerBtn.disabled = false));
  });
  const bundleBtn = h('button', { type: 'button', id: 'actor-bundle' }, 'STIX bundle');
  bundleBtn.addEventListener('click', () => {
    bundleBtn.disabled = true;
    // The actor, its neighbours and the relationships that link them (the edges' `via`).
    getJson<Neighbors>(`objects/${encodeURIComponent(a.id)}/neighbors?depth=1&limit=1000`)
      .then((n) => {
        const ids = [a.id, ...n.nodes.map((x) => x.id), ...n.edges.flatMap((e) => (e.via ? [e.via] : []))];
        return exportIds(ids, `${a.name ?? 'actor'}-bundle.json`.replace(/[^\w.-]+/g, '_'));
      })
      .catch(fail)
      .finally(() => (bundleBtn.disabled = false));
  });

  const grouped = groupByTactic(data.techniques);
  const t = data.targets;
  ctx.root.append(
    h(
      'header',
      { class: 'page-head' },
      h('h1', { id: 'actor-name' }, a.name ?? a.id),
      typeBadge(a.type),
      a.revoked ? h('span', { class: 'badge revoked' }, 'revoked') : null,
      h(
        'div',
        { class: 'actions' },
        h('a', { class: 'button', href: graphOf(a.id), id: 'actor-graph' }, 'Graph'),
        h('a', { class: 'button secondary', href: `#/object/${encodeURIComponent(a.id)}` }, 'JSON'),
        layerBtn,
        bundleBtn,
      ),
    ),
    ...(data.revoked_by ? [h('p', { class: 'warn' }, 'Revoked by ', nodeLink(data.revoked_by))] : []),
    status,
    h(
      'div',
      { class: 'grid' },
      section(
        'Profile',
        h(
          'dl',
          { class: 'facts' },
          fact('Aliases', a.aliases.length ? a.aliases.join(', ') : '—'),
          fact('External ids', a.external_ids.length ? a.external_ids.join(', ') : '—'),
          a.goals && a.goals.length > 0 ? fact('Goals', a.goals.join('; ')) : null,
          fact('First seen', when(a.first_seen)),
          fact('Last seen', when(a.last_seen)),
          fact('Indicators', h('span', { id: 'actor-indicators' }, String(data.indicators))),
          fact('Sources', data.sources.length ? data.sources.map(whereLabel).join(' · ') : '—'),
          fact('STIX id', h('code', {}, a.id)),
        ),
        a.description ? h('p', { class: 'description' }, a.description) : null,
      ),
      section(
        `Techniques (${data.techniques.length})`,
        grouped.length === 0
          ? empty('No techniques.')
          : h(
              'div',
              { class: 'tactics', id: 'actor-techniques' },
              ...grouped.map(([tactic, list]) =>
                h(
                  'div',
                  { class: 'tactic', 'data-tactic': tactic },
                  h('h3', {}, `${tacticTitle(tactic)} (${list.length})`),
                  h(
                    'ul',
                    {},
                    ...list.map((x) =>
                      h(
                        'li',
                        {},
                        x.technique_id ? h('code', { class: 'tid' }, x.technique_id) : null,
                        ' ',
                        h('a', { href: pageOf(x) }, nameOf(x)),
                        x.revoked ? h('span', { class: 'badge revoked' }, 'revoked') : null,
                      ),
                    ),
                  ),
                ),
              ),
            ),
      ),
      section('Attributed to', nodeList(data.attributed_to, 'None recorded.')),
      data.attributed_actors && data.attributed_actors.length > 0
        ? section('Actors attributed to it', nodeList(data.attributed_actors, 'None recorded.'))
        : null,
      section(`Campaigns (${data.campaigns.length})`, nodeList(data.campaigns, 'None recorded.')),
      section(`Malware (${data.malware.length})`, nodeList(data.malware, 'None recorded.')),
      section(`Tools (${data.tools.length})`, nodeList(data.tools, 'None recorded.')),
      section(
        'Targets',
        h('h3', {}, 'Identities'),
        nodeList(t.identities, 'None recorded.'),
        h('h3', {}, 'Locations'),
        nodeList(t.locations, 'None recorded.'),
        h('h3', {}, 'Sectors'),
        t.sectors.length ? h('p', {}, t.sectors.join(', ')) : empty('None recorded.'),
        h('h3', {}, 'Vulnerabilities'),
        nodeList(t.vulnerabilities, 'None recorded.'),
      ),
      section(
        'Recent changes',
        data.changes.length === 0
          ? empty('No changes recorded.')
          : h(
              'ol',
              { class: 'timeline' },
              ...data.changes.map((c) =>
                h(
                  'li',
                  {},
                  when(c.at),
                  ' ',
                  h('span', { class: `badge kind-${c.kind}` }, c.kind),
                  c.version ? [' version ', when(c.version)] : null,
                  ' in ',
                  data.sources.find((l) => l.collection_id === c.collection_id)?.collection_title ?? c.collection_id,
                ),
              ),
            ),
      ),
    ),
  );
}

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
