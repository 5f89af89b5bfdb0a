// The page of any STIX object: its latest readable version as JSON, its versions, where it is
// kept, and whether it was revoked (and by what). GET /api/v1/objects/{id}.
import { ApiError, exportIds, getJson, type ObjectView } from '../api.js';
import { h, section, when } from '../dom.js';
import { ACTOR_TYPES, graphOf, nodeLink, typeBadge, whereLabel } from '../nodes.js';
import type { ViewContext } from '../view.js';

export async function objectView(ctx: ViewContext): Promise<void> {
  const data = await getJson<ObjectView>(`objects/${encodeURIComponent(ctx.arg)}`, ctx.signal);
  const o = data.object;
  const name = typeof o.name === 'string' && o.name ? o.name : o.id;
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const bundleBtn = h('button', { type: 'button', id: 'object-bundle' }, 'STIX bundle');
  bundleBtn.addEventListener('click', () => {
    bundleBtn.disabled = true;
    exportIds([o.id], `${o.type}-bundle.json`)
      .catch((err: unknown) => {
        status.textContent = err instanceof ApiError ? `Download failed: ${err.message}` : 'Download failed.';
      })
      .finally(() => (bundleBtn.disabled = false));
  });
  ctx.root.append(
    h(
      'header',
      { class: 'page-head' },
      h('h1', { id: 'object-name' }, name),
      typeBadge(o.type),
      data.revoked ? h('span', { class: 'badge revoked' }, 'revoked') : null,
      h(
        'div',
        { class: 'actions' },
        h('a', { class: 'button', href: graphOf(o.id) }, 'Graph'),
        ACTOR_TYPES.has(o.type)
          ? h('a', { class: 'button secondary', href: `#/actor/${encodeURIComponent(o.id)}` }, 'Actor page')
          : null,
        bundleBtn,
      ),
    ),
    status,
    h(
      'div',
      { class: 'grid' },
      section(
        'Status',
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'STIX id'),
          h('dd', {}, h('code', {}, o.id)),
          h('dt', {}, 'Revoked'),
          h('dd', { id: 'object-revoked' }, data.revoked ? 'yes' : 'no'),
          data.revoked_by ? [h('dt', {}, 'Revoked by'), h('dd', {}, nodeLink(data.revoked_by))] : null,
          h('dt', {}, 'Kept in'),
          h('dd', {}, data.locations.length ? data.locations.map(whereLabel).join(' · ') : '—'),
        ),
      ),
      section(
        `Versions (${data.versions.length})`,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Added'), h('th', {}, 'Collection'))),
            h(
              'tbody',
              {},
              ...data.versions.map((v) =>
                h(
                  'tr',
                  {},
                  h('td', {}, when(v.version)),
                  h('td', {}, when(v.date_added)),
                  h('td', {}, collectionTitle(data, v.collection_id)),
                ),
              ),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card wide' },
        h('h2', {}, 'Latest version'),
        h('pre', { class: 'json', id: 'object-json' }, JSON.stringify(o, null, 2)),
      ),
    ),
  );
}

function collectionTitle(data: ObjectView, id: string): string {
  return data.locations.find((l) => l.collection_id === id)?.collection_title ?? id;
}
