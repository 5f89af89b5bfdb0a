// The Palisade console: a single-page app over the analyst API (/api/v1/). Pages are chosen by the
// URL fragment (#/search, #/actor/<id>, #/object/<id>, #/graph/<id>, #/collections, #/login), so
// the server serves one static page and the browser's back button works.
import {
  abortAll,
  ApiError,
  forgetCredentials,
  getJson,
  isAbort,
  loadCredentials,
  whenUnauthorized,
  type Me,
} from './api.js';
import { clear, h } from './dom.js';
import type { View, ViewContext } from './view.js';
import { actorView } from './views/actor.js';
import { collectionsView } from './views/collections.js';
import { graphView } from './views/graph.js';
import { renderLogin } from './views/login.js';
import { objectView } from './views/object.js';
import { searchView } from './views/search.js';

const ROUTES: Record<string, View> = {
  search: searchView,
  actor: actorView,
  object: objectView,
  graph: graphView,
  collections: collectionsView,
};

const main = document.getElementById('view') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const logoutBtn = document.getElementById('logout') as HTMLButtonElement;

const leave: (() => void)[] = [];
let pageCtl: AbortController | undefined;
let loginMessage = '';
let me: Me | undefined;
/** The page to show again after signing in when a session ended there (401). */
let returnTo: string | undefined;

function leavePage(): void {
  pageCtl?.abort();
  pageCtl = undefined;
  for (const f of leave.splice(0)) {
    try {
      f();
    } catch {
      // a page's clean-up must not stop the next page
    }
  }
  clear(main);
}

/** Drops everything the previous user saw: requests, page, user name, credentials. */
function resetSession(message: string): void {
  abortAll();
  leavePage();
  forgetCredentials();
  me = undefined;
  who.textContent = '';
  loginMessage = message;
}

function parseHash(): { page: string; arg: string; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  const [page = '', ...rest] = path.split('/');
  let arg = rest.join('/');
  try {
    arg = decodeURIComponent(arg);
  } catch {
    // a malformed escape stays as typed; the API will answer 404
  }
  return { page, arg, params: new URLSearchParams(query) };
}

async function render(): Promise<void> {
  leavePage();
  const { page, arg, params } = parseHash();
  const signedIn = loadCredentials() !== undefined;
  document.body.classList.toggle('signed-in', signedIn);
  nav.hidden = logoutBtn.hidden = !signedIn;
  if (!signedIn || page === 'login') {
    if (signedIn) {
      location.replace('#/search');
      return;
    }
    document.title = 'Sign in · Palisade';
    renderLogin(main, loginMessage, () => {
      loginMessage = '';
      const target = returnTo ?? (page === 'login' || page === '' ? '#/search' : location.hash);
      returnTo = undefined;
      go(target);
    });
    return;
  }
  const view = ROUTES[page];
  if (!view) {
    location.replace('#/search');
    return;
  }
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.page === page);
  document.title = `${page.charAt(0).toUpperCase()}${page.slice(1)} · Palisade`;
  const ctl = new AbortController();
  pageCtl = ctl;
  const ctx: ViewContext = { root: main, signal: ctl.signal, arg, params, onLeave: (f) => leave.push(f) };
  main.setAttribute('aria-busy', 'true');
  try {
    if (!me) void showUser(ctl.signal);
    await view(ctx);
  } catch (err) {
    if (isAbort(err) || ctl.signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) return; // already back at the login form
    main.appendChild(
      h(
        'section',
        { class: 'card problem', role: 'alert' },
        h('h1', {}, err instanceof ApiError ? err.title : 'Something went wrong'),
        h('p', {}, err instanceof ApiError ? err.detail || `HTTP ${err.status}` : 'The page could not be shown.'),
        h('p', {}, h('a', { href: '#/search' }, 'Back to search')),
      ),
    );
  } finally {
    main.removeAttribute('aria-busy');
  }
}

async function showUser(signal: AbortSignal): Promise<void> {
  try {
    me = await getJson<Me>('me', signal);
    who.textContent = `${me.username}${me.tenant ? ` · ${me.tenant}` : ''}`;
    who.title = `role: ${me.role}`;
  } catch {
    // the page itself reports problems; the header just stays empty
  }
}

/** Shows the page of `hash`, also when it is the current one (no hashchange event then). */
function go(hash: string): void {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

whenUnauthorized((message) => {
  returnTo = /^#\/(?!login)/.test(location.hash) ? location.hash : undefined;
  resetSession(message);
  go('#/login');
});

logoutBtn.addEventListener('click', () => {
  returnTo = undefined;
  resetSession('You are signed out.');
  go('#/login');
});

window.addEventListener('hashchange', () => void render());
void render();
