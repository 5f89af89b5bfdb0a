// DOM helpers for the console. Every piece of data from the API reaches the page as a text node or
// an attribute value set through the DOM, never as HTML: the API serves STIX written by other
// organisations, and a name or description may hold markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | EventListener>;

/** Creates an element; `on…` attributes become listeners, false/undefined attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * A search snippet: the API wraps the matched words in «…». Each marked run becomes a <mark>
 * holding a text node; the rest stays plain text. An unmatched « or » is shown as it is.
 */
export function snippet(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  let rest = text;
  for (;;) {
    const open = rest.indexOf('«');
    const close = open < 0 ? -1 : rest.indexOf('»', open + 1);
    if (open < 0 || close < 0) break;
    if (open > 0) frag.appendChild(document.createTextNode(rest.slice(0, open)));
    frag.appendChild(h('mark', {}, rest.slice(open + 1, close)));
    rest = rest.slice(close + 1);
  }
  if (rest) frag.appendChild(document.createTextNode(rest));
  return frag;
}

/** A link inside the app (hash routing). */
export function link(hash: string, ...children: (Child | Child[])[]): HTMLAnchorElement {
  return h('a', { href: hash }, ...children);
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'muted' }, text);
}

/** A short human form of an RFC 3339 timestamp, keeping the full value in a tooltip. */
export function when(ts: string | undefined): HTMLElement | string {
  if (!ts) return '—';
  return h('time', { datetime: ts, title: ts }, ts.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC'));
}
