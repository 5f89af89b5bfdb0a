// Search as you type: each keystroke restarts a short timer; when it fires, the previous request
// is aborted and a new one sent, and an answer that is not the latest one is dropped. The result
// set can be downloaded as a STIX bundle through /api/v1/export with the same query.
import { ApiError, download, getJson, isAbort, qs, type SearchHit, type SearchPage } from '../api.js';
import { clear, h, snippet, when } from '../dom.js';
import { nameOf, pageOf, typeBadge, whereLabel } from '../nodes.js';
import type { ViewContext } from '../view.js';

const DEBOUNCE_MS = 250;
const PAGE = 20;

const TYPES = [
  '',
  'intrusion-set',
  'threat-actor',
  'campaign',
  'malware',
  'tool',
  'attack-pattern',
  'indicator',
  'identity',
  'location',
  'vulnerability',
  'report',
];

export function searchView(ctx: ViewContext): void {
  const input = h('input', {
    id: 'search-input',
    type: 'search',
    placeholder: 'Search names, aliases, ATT&CK ids, descriptions…',
    autocomplete: 'off',
    'aria-label': 'Search',
  });
  input.value = ctx.params.get('q') ?? '';
  const type = h(
    'select',
    { id: 'search-type', 'aria-label': 'Type' },
    ...TYPES.map((t) => h('option', { value: t }, t || 'all types')),
  );
  type.value = TYPES.includes(ctx.params.get('type') ?? '') ? (ctx.params.get('type') ?? '') : '';
  const status = h('p', { class: 'muted', id: 'search-status', 'aria-live': 'polite' });
  const results = h('ol', { class: 'hits', id: 'search-results' });
  const more = h('button', { type: 'button', id: 'search-more', class: 'secondary' }, 'More results');
  more.hidden = true;
  const bundle = h('button', { type: 'button', id: 'search-download' }, 'Download bundle');
  bundle.disabled = true;

  ctx.root.append(
    h(
      'section',
      { class: 'card' },
      h('h1', {}, 'Search'),
      h('div', { class: 'searchbar' }, input, type, bundle),
      status,
    ),
    h('section', { class: 'results' }, results, more),
  );

  let timer: number | undefined;
  let current: AbortController | undefined;
  let seq = 0;
  let next: string | undefined;

  const query = (): { q: string; type: string } => ({ q: input.value.trim(), type: type.value });

  const run = async (append: boolean): Promise<void> => {
    const { q, type: t } = query();
    current?.abort();
    const mine = ++seq;
    if (!append) {
      history.replaceState(null, '', `#/search${qs({ q, type: t })}`);
      next = undefined;
    }
    if (!q) {
      clear(results);
      status.textContent = 'Type to search.';
      more.hidden = true;
      bundle.disabled = true;
      return;
    }
    const ctl = new AbortController();
    current = ctl;
    ctx.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    status.textContent = 'Searching…';
    try {
      const page = await getJson<SearchPage>(
        `search${qs({ q, type: t, limit: PAGE, cursor: append ? next : undefined })}`,
        ctl.signal,
      );
      if (mine !== seq) return; // a newer query was typed meanwhile
      if (!append) clear(results);
      for (const hit of page.hits) results.appendChild(hitItem(hit));
      next = page.next;
      more.hidden = next === undefined;
      const n = results.children.length;
      status.textContent = n === 0 ? `No results for “${q}”.` : `${n}${next ? '+' : ''} result${n === 1 ? '' : 's'}`;
      bundle.disabled = n === 0;
    } catch (err) {
      if (isAbort(err) || mine !== seq) return;
      status.textContent = err instanceof ApiError ? err.message : 'The search failed.';
      if (!append) clear(results);
      more.hidden = true;
      bundle.disabled = true;
    }
  };

  const schedule = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(false), DEBOUNCE_MS);
  };
  input.addEventListener('input', schedule);
  type.addEventListener('change', () => void run(false));
  more.addEventListener('click', () => void run(true));
  bundle.addEventListener('click', () => {
    const { q, type: t } = query();
    bundle.disabled = true;
    download(`export${qs({ q, type: t })}`, 'palisade-export.json')
      .catch((err: unknown) => {
        status.textContent = err instanceof ApiError ? `Download failed: ${err.message}` : 'Download failed.';
      })
      .finally(() => (bundle.disabled = false));
  });
  ctx.onLeave(() => {
    window.clearTimeout(timer);
    current?.abort();
  });

  input.focus();
  if (input.value.trim()) void run(false);
  else status.textContent = 'Type to search.';
}

function hitItem(hit: SearchHit): HTMLElement {
  return h(
    'li',
    { class: 'hit' },
    h(
      'div',
      { class: 'hit-head' },
      h('a', { href: pageOf(hit), class: 'hit-name' }, nameOf(hit)),
      ' ',
      typeBadge(hit.type),
      hit.revoked ? h('span', { class: 'badge revoked' }, 'revoked') : null,
    ),
    h('p', { class: 'snippet' }, h('span', { class: 'hit-field' }, `${hit.field}: `), snippet(hit.snippet ?? '')),
    h(
      'p',
      { class: 'where muted' },
      hit.locations.map(whereLabel).join(' · ') || '—',
      hit.modified ? h('span', {}, ' · modified ', when(hit.modified)) : null,
    ),
  );
}
