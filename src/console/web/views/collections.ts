// The collections the signed-in user can read, with how many objects each holds (latest readable
// versions, as counted by the API).
import { getJson, type CollectionInfo } from '../api.js';
import { empty, h } from '../dom.js';
import type { ViewContext } from '../view.js';

export async function collectionsView(ctx: ViewContext): Promise<void> {
  const { collections } = await getJson<{ collections: CollectionInfo[] }>('collections', ctx.signal);
  const readable = collections.filter((c) => c.can_read);
  ctx.root.append(
    h(
      'section',
      { class: 'card' },
      h('h1', {}, 'Collections'),
      readable.length === 0
        ? empty('You cannot read any collection.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { id: 'collections-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, 'Collection'),
                  h('th', {}, 'API root'),
                  h('th', { class: 'num' }, 'Objects'),
                  h('th', {}, 'Access'),
                ),
              ),
              h(
                'tbody',
                {},
                ...readable.map((c) =>
                  h(
                    'tr',
                    { 'data-collection': c.id },
                    h(
                      'td',
                      {},
                      h('strong', {}, c.title),
                      c.description ? h('div', { class: 'muted' }, c.description) : null,
                      h('div', {}, h('code', { class: 'small' }, c.id)),
                    ),
                    h('td', {}, c.api_root),
                    h('td', { class: 'num count' }, c.objects.toLocaleString('en')),
                    h('td', {}, c.can_write ? 'read, write' : 'read'),
                  ),
                ),
              ),
            ),
          ),
    ),
  );
}
